"""Web API methods of the fake: auth, Socket Mode URLs, chat, users, usergroups, conversations, views.

Each handler gets the world (lock held) and the decoded arguments, returns the fields of an ``ok`` answer
or raises ``SlackError`` with Slack's error code for the situation.
"""

from __future__ import annotations

from collections.abc import Callable

from sandbox.emulators.slack.chat import public_message
from sandbox.emulators.slack.models import JsonDict, SlackError
from sandbox.emulators.slack.params import message_content, required_arg, text_arg
from sandbox.emulators.slack.state import TEAM_DOMAIN, TEAM_NAME, SlackWorld
from sandbox.emulators.slack.view_methods import VIEW_METHODS

Handler = Callable[[SlackWorld, JsonDict], JsonDict]


def api_test(world: SlackWorld, params: JsonDict) -> JsonDict:
    return {"args": {k: v for k, v in params.items() if k != "token"}}


def auth_test(world: SlackWorld, params: JsonDict) -> JsonDict:
    return {
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": TEAM_NAME,
        "user": "rollback-bot",
        "team_id": world.team_id,
        "user_id": world.bot_user_id,
        "bot_id": world.bot_id,
        "is_enterprise_install": False,
    }


def apps_connections_open(world: SlackWorld, params: JsonDict) -> JsonDict:
    if world.open_socket is None:
        raise SlackError("internal_error")
    return {"url": world.open_socket()}


def chat_post_message(world: SlackWorld, params: JsonDict) -> JsonDict:
    channel = world.channel(params.get("channel"))
    content = message_content(params)
    if channel.is_archived:
        raise SlackError("is_archived")
    message = world.chat.post(channel.id, content, text_arg(params, "thread_ts"))
    return {"channel": channel.id, "ts": message["ts"], "message": public_message(message)}


def chat_update(world: SlackWorld, params: JsonDict) -> JsonDict:
    channel = world.channel(params.get("channel"))
    ts = text_arg(params, "ts")
    if ts is None:
        raise SlackError("message_not_found")
    content = message_content(params, required=False)
    message = world.chat.update(channel.id, ts, content)
    return {"channel": channel.id, "ts": ts, "text": message["text"], "message": public_message(message)}


def chat_delete(world: SlackWorld, params: JsonDict) -> JsonDict:
    channel = world.channel(params.get("channel"))
    ts = required_arg(params, "ts")
    world.chat.delete(channel.id, ts)
    return {"channel": channel.id, "ts": ts}


def chat_post_ephemeral(world: SlackWorld, params: JsonDict) -> JsonDict:
    channel = world.channel(params.get("channel"))
    user = world.user(params.get("user"))
    content = message_content(params)
    ephemeral = world.chat.post_ephemeral(channel.id, user.id, content, text_arg(params, "thread_ts"))
    return {"message_ts": ephemeral["ts"]}


def chat_get_permalink(world: SlackWorld, params: JsonDict) -> JsonDict:
    channel = world.channel(params.get("channel"))
    message = world.chat.find(channel.id, required_arg(params, "message_ts"))
    if message is None:
        raise SlackError("message_not_found")
    permalink = f"{world.base_url}/archives/{channel.id}/p{message['ts'].replace('.', '')}"
    if message["thread_ts"] not in (None, message["ts"]):
        permalink += f"?thread_ts={message['thread_ts']}&cid={channel.id}"
    return {"channel": channel.id, "permalink": permalink}


def users_info(world: SlackWorld, params: JsonDict) -> JsonDict:
    return {"user": world.user(params.get("user")).to_api(world.team_id)}


def usergroups_users_list(world: SlackWorld, params: JsonDict) -> JsonDict:
    return {"users": list(world.usergroup(params.get("usergroup"))["users"])}


def conversations_info(world: SlackWorld, params: JsonDict) -> JsonDict:
    return {"channel": world.channel(params.get("channel")).to_api(world.team_id, world.bot_user_id)}


METHODS: dict[str, Handler] = {
    "api.test": api_test,
    "apps.connections.open": apps_connections_open,
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "users.info": users_info,
    "usergroups.users.list": usergroups_users_list,
    "conversations.info": conversations_info,
    **VIEW_METHODS,
}
UNAUTHENTICATED = frozenset({"api.test"})
APP_LEVEL = frozenset({"apps.connections.open"})  # app-level (xapp-) token only; every other method: bot token


def call_method(world: SlackWorld, method: str, params: JsonDict, headers: dict[str, str]) -> JsonDict:
    """Run one Web API call as Slack would: method, then auth, then injected faults, then the handler."""
    handler = METHODS.get(method)
    if handler is None:
        raise SlackError("unknown_method")
    if method not in UNAUTHENTICATED:
        _authenticate(world, method, params, headers)
    fault = world.take_fault(method)
    if fault is not None:
        raise fault
    return handler(world, params)


def _authenticate(world: SlackWorld, method: str, params: JsonDict, headers: dict[str, str]) -> None:
    authorization = headers.get("authorization", "")
    token = authorization.removeprefix("Bearer ").strip() if authorization else params.get("token")
    if not token:
        raise SlackError("not_authed")
    expected, other = (world.app_token, world.bot_token) if method in APP_LEVEL else (world.bot_token, world.app_token)
    if token == other:
        raise SlackError("not_allowed_token_type")
    if token != expected:
        raise SlackError("invalid_auth")

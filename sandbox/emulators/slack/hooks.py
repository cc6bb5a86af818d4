"""Posts to a ``response_url``: replace or delete the original, or post in channel / ephemerally.

Like Slack's webhooks the answer is plain text: ``ok``, or an error code with HTTP 400/404.
"""

from __future__ import annotations

from sandbox.emulators.slack.models import JsonDict, SlackError
from sandbox.emulators.slack.params import message_content
from sandbox.emulators.slack.state import SlackWorld
from sandbox.emulators.slack.tokens import ResponseHook

Original = tuple[str, JsonDict]


def post_to_response_url(world: SlackWorld, token: str, body: JsonDict) -> None:
    """Apply one response_url post to the conversation state (lock held); raises ``SlackError``."""
    fault = world.take_fault("response_url")
    if fault is not None:
        raise fault
    hook = world.hooks.usable(token)
    try:
        content = message_content(body, required=not body.get("delete_original"))
    except SlackError as err:
        raise SlackError(err.error, status=400) from err
    hook.uses += 1
    original = _original(world, hook)
    if body.get("delete_original"):
        _delete(world, hook, original)
    elif not (body.get("replace_original") and _replace(world, hook, original, content)):
        _post(world, hook, body, content)


def _original(world: SlackWorld, hook: ResponseHook) -> Original | None:
    for ts in (hook.message_ts, hook.last_ephemeral_ts):
        ephemeral = world.chat.find_ephemeral(hook.user_id, ts)
        if ephemeral is not None:
            return "ephemeral", ephemeral
        message = world.chat.find(hook.channel_id, ts) if ts else None
        if message is not None:
            return "message", message
    return None


def _delete(world: SlackWorld, hook: ResponseHook, original: Original | None) -> None:
    if original is None:
        return
    kind, target = original
    if kind == "ephemeral":
        world.chat.delete_ephemeral(target)
    else:
        world.chat.delete(hook.channel_id, target["ts"])


def _replace(world: SlackWorld, hook: ResponseHook, original: Original | None, content: JsonDict) -> bool:
    if original is None:
        return False
    kind, target = original
    if kind == "ephemeral":
        world.chat.replace_ephemeral(target, content)
    else:
        world.chat.replace(hook.channel_id, target["ts"], content)
    return True


def _post(world: SlackWorld, hook: ResponseHook, body: JsonDict, content: JsonDict) -> None:
    thread_ts = body.get("thread_ts") if isinstance(body.get("thread_ts"), str) else None
    if body.get("response_type") == "in_channel":
        world.chat.post(hook.channel_id, content, thread_ts)
    else:
        ephemeral = world.chat.post_ephemeral(hook.channel_id, hook.user_id, content, thread_ts)
        hook.last_ephemeral_ts = ephemeral["ts"]

"""The page's JSON API: what one person sees (``GET /api/state``) and what they do (``POST /api/...``).

Every answer is ``(HTTP status, JSON object)``; a refused request is ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.domain.deploy import ExitCode
from bot.errors import RollbackBotError
from bot.slack.blocks import SUBCOMMANDS
from sandbox import demo
from sandbox.driver import ClientError
from sandbox.emulators.slack import SlackError
from sandbox.estate import break_prompt, break_release, break_revision, break_way_back

if TYPE_CHECKING:
    from sandbox.app import Sandbox

JsonDict = dict[str, Any]
Answer = tuple[int, JsonDict]
PEOPLE_IDS = frozenset(p.id for p in demo.PEOPLE)
SAVE_EVERY_SECONDS = 2.0
DEPLOY_REFUSAL_WAIT = 1.0  # a refused deploy ends within this; one that runs is reported by its message


class BadRequestError(Exception):
    """The page sent something the API cannot use."""


def get_state(sandbox: Sandbox, user: str | None) -> Answer:
    """Everything the page shows to ``user``: channel, their ephemerals and modal, Home tab, estate."""
    stack = sandbox.stack
    viewer = _person(user)
    snapshot = stack.slack.state()
    channel = next(c for c in snapshot["channels"] if c["id"] == demo.CHANNEL)
    # Keep the channel on disk while the page is open: a kill without Ctrl-C loses at most a moment.
    stack.save(unless_saved_within=SAVE_EVERY_SECONDS)
    return 200, {
        "ok": True,
        "workspace": snapshot["team"],
        "bot": snapshot["bot"],
        "viewer": viewer,
        "people": [dataclasses.asdict(p) for p in demo.PEOPLE],
        "directory": _directory(snapshot),
        "channel": {"id": channel["id"], "name": channel["name"]},
        "messages": channel["messages"],
        "ephemerals": stack.client.ephemerals(viewer),
        "failures": stack.client.failures(viewer),
        "modal": stack.client.modal(viewer),
        "home": stack.slack.home(viewer),
        "estate": stack.estate(),
        "commands": [{"usage": usage, "description": what} for usage, what in SUBCOMMANDS],
    }


def _directory(snapshot: JsonDict) -> JsonDict:
    return {
        "users": {
            u["id"]: {"name": u["name"], "real_name": u["real_name"], "is_bot": u["is_bot"]} for u in snapshot["users"]
        },
        "usergroups": {g["id"]: g["handle"] for g in snapshot["usergroups"]},
        "channels": {c["id"]: c["name"] for c in snapshot["channels"]},
    }


def post(sandbox: Sandbox, path: str, body: JsonDict) -> Answer:
    """Run the action at ``path`` (``/api/command`` ...) with the JSON ``body``."""
    route = ROUTES.get(path)
    if route is None:
        return 404, {"ok": False, "error": f"no such endpoint: {path}"}
    try:
        result = route(sandbox, body) or {}
    except (BadRequestError, ClientError) as exc:
        return 400, {"ok": False, "error": str(exc)}
    except SlackError as exc:
        return 409, {"ok": False, "error": exc.error}
    except RollbackBotError as exc:
        return 409, {"ok": False, "error": exc.user_message}
    sandbox.stack.save()
    return 200, {"ok": True, **result}


def _person(user: object) -> str:
    if user not in PEOPLE_IDS:
        raise BadRequestError(f"user must be one of {', '.join(sorted(PEOPLE_IDS))}")
    return str(user)


def _text(body: JsonDict, key: str, *, optional: bool = False) -> str | None:
    value = body.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise BadRequestError(f"{key} must be a string")
    return value


def _values(body: JsonDict) -> JsonDict | None:
    values = body.get("values")
    if values is not None and not isinstance(values, dict):
        raise BadRequestError("values must be an object (block_id -> action_id -> value)")
    return values


def _environment(body: JsonDict) -> str:
    env = body.get("environment", "prod")
    if env not in demo.ENVIRONMENTS:
        raise BadRequestError(f"environment must be one of {', '.join(demo.ENVIRONMENTS)}")
    return str(env)


def _command(sandbox: Sandbox, body: JsonDict) -> None:
    sandbox.stack.client.command(_person(body.get("user")), _text(body, "text") or "")


def _action(sandbox: Sandbox, body: JsonDict) -> None:
    user, client = _person(body.get("user")), sandbox.stack.client
    action_id = _text(body, "action_id") or ""
    value = _text(body, "value", optional=True)
    view_id, ts = _text(body, "view_id", optional=True), _text(body, "ts", optional=True)
    if view_id:
        client.view_action(user, view_id, action_id, value, _values(body))
    elif ts:
        client.message_action(user, ts, action_id, value)
    else:
        raise BadRequestError("an action needs the message ts or the view_id it comes from")


def _submit(sandbox: Sandbox, body: JsonDict) -> None:
    sandbox.stack.client.submit(_person(body.get("user")), _text(body, "view_id") or "", _values(body) or {})


def _close(sandbox: Sandbox, body: JsonDict) -> None:
    sandbox.stack.client.close(_person(body.get("user")), _text(body, "view_id") or "")


def _reload(sandbox: Sandbox, body: JsonDict) -> None:
    sandbox.stack.client.reload(_person(body.get("user")))


def _home(sandbox: Sandbox, body: JsonDict) -> None:
    sandbox.stack.client.open_home(_person(body.get("user")))


def _dismiss(sandbox: Sandbox, body: JsonDict) -> None:
    sandbox.stack.client.dismiss(_person(body.get("user")), _text(body, "ts") or "")


def _break_revision(sandbox: Sandbox, body: JsonDict) -> JsonDict:
    return {"revision": break_revision(sandbox.stack.azure, _environment(body))}


def _break_way_back(sandbox: Sandbox, body: JsonDict) -> JsonDict:
    return {"revision": break_way_back(sandbox.stack.azure, _environment(body))}


def _break_prompt(sandbox: Sandbox, body: JsonDict) -> JsonDict:
    env = _environment(body)
    return {"version": break_prompt(sandbox.stack.azure, sandbox.stack.prompts[env].store, env)}


def _break_release(sandbox: Sandbox, body: JsonDict) -> JsonDict:
    env = _environment(body)
    return break_release(sandbox.stack.azure, sandbox.stack.prompts[env].store, env)


def _deploy(sandbox: Sandbox, body: JsonDict) -> JsonDict:
    """A guarded deploy of a good or a bad image; a refusal (frozen, a change in flight) comes back at once."""
    image = body.get("image")
    if image not in ("good", "bad"):
        raise BadRequestError("image must be good or bad")
    thread, report = sandbox.stack.start_deploy(
        _environment(body), good=image == "good", actor=_person(body.get("user"))
    )
    thread.join(timeout=DEPLOY_REFUSAL_WAIT)
    if report and report[0].exit_code in (ExitCode.refused, ExitCode.could_not_run):
        raise RollbackBotError(report[0].message)
    return {"revision": report[0].revision if report else None, "running": not report}


def _reset(sandbox: Sandbox, body: JsonDict) -> None:
    sandbox.reset()


ROUTES: dict[str, Callable[[Sandbox, JsonDict], JsonDict | None]] = {
    "/api/command": _command,
    "/api/action": _action,
    "/api/submit": _submit,
    "/api/close": _close,
    "/api/reload": _reload,
    "/api/home": _home,
    "/api/dismiss": _dismiss,
    "/api/break/revision": _break_revision,
    "/api/break/prompt": _break_prompt,
    "/api/break/way-back": _break_way_back,
    "/api/break/release": _break_release,
    "/api/deploy": _deploy,
    "/api/reset": _reset,
}

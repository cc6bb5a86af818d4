"""``views.open``, ``views.push``, ``views.update`` and ``views.publish`` of the fake."""

from __future__ import annotations

from sandbox.emulators.slack.models import JsonDict
from sandbox.emulators.slack.params import invalid_arguments, text_arg, view_arg
from sandbox.emulators.slack.state import SlackWorld


def views_open(world: SlackWorld, params: JsonDict) -> JsonDict:
    trigger_id = params.get("trigger_id")
    user_id = world.triggers.check(trigger_id)
    view = world.views.open(view_arg(params, expected_type="modal"), user_id)
    world.triggers.exchange(str(trigger_id))
    return {"view": view}


def views_push(world: SlackWorld, params: JsonDict) -> JsonDict:
    trigger_id = params.get("trigger_id")
    user_id = world.triggers.check(trigger_id)
    view = world.views.push(view_arg(params, expected_type="modal"), user_id)
    world.triggers.exchange(str(trigger_id))
    return {"view": view}


def views_update(world: SlackWorld, params: JsonDict) -> JsonDict:
    view_id, external_id = text_arg(params, "view_id"), text_arg(params, "external_id")
    if not (view_id or external_id):
        raise invalid_arguments("either view_id or external_id is required")
    spec = view_arg(params)
    view = world.views.update(spec, view_id=view_id, external_id=external_id, view_hash=text_arg(params, "hash"))
    return {"view": view}


def views_publish(world: SlackWorld, params: JsonDict) -> JsonDict:
    user = world.user(params.get("user_id"))
    view = world.views.publish(view_arg(params, expected_type="home"), user.id, text_arg(params, "hash"))
    return {"view": view}


VIEW_METHODS = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}

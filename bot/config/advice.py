"""Advice about a valid configuration: what it allows but should not (``config check`` and the start-up log)."""

from __future__ import annotations

import re

from bot.config.file_model import AppConfig

_PRODUCTION_LIKE = re.compile(r"(?:^|[-_.])(?:prod|production|prd|live)(?:[-_.]|$)")


def config_warnings(config: AppConfig) -> list[str]:
    """What is valid but unwise: '#name' channel patterns in production-like environments."""
    found = []
    for si, service in enumerate(config.services):
        for ei, env in enumerate(service.environments):
            if not _PRODUCTION_LIKE.search(env.name):
                continue
            for ci, channel in enumerate(env.incident_channels):
                if channel.startswith("#"):
                    found.append(
                        f"services[{si}].environments[{ei}].incident_channels[{ci}]: {channel!r} is a name "
                        f"pattern in {service.name}/{env.name}: anyone can create a channel whose name matches "
                        "(it counts once the bot is invited); list the incident channel's id (C…) instead"
                    )
    return found

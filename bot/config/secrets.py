"""Configuration values that may come from ``${VAR}`` references: typed as secrets (``SecretText``) end to end.

Adapters ``reveal()`` such a value for the one call that needs it (the database connection, the HTTP probe,
the search client); everything else sees it redacted. A key typed with one of these accepts a reference;
every other key refuses one (see ``bot.config.load``).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, PlainValidator, WithJsonSchema

from bot.domain.secrets import SecretText


def _secret_text(value: object) -> SecretText:
    if isinstance(value, SecretText):
        return value
    if isinstance(value, str):
        return SecretText.plain(value)
    raise ValueError("must be text")


def _non_empty(value: SecretText) -> SecretText:
    if not value.reveal():
        raise ValueError("must not be empty")
    return value


def _http_url(value: SecretText) -> SecretText:
    if not re.match(r"^https?://", value.reveal()):
        raise ValueError("must start with http:// or https://")  # never echo the value: it may be a secret
    return value


# A value that may come from ${VAR} references (a database URL, a key, a URL carrying a key).
MaySecret = Annotated[
    SecretText,
    PlainValidator(_secret_text),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]
NonEmptySecret = Annotated[MaySecret, AfterValidator(_non_empty)]
SecretUrl = Annotated[MaySecret, AfterValidator(_http_url)]

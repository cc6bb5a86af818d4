"""Kind identity: what changed, and therefore how it rolls back (an open set of validated names).

A kind is a name such as ``code`` or ``prompt``. The set is open: the kind registry decides which names
exist in a running bot (the five built-ins, plus any a deployment or a test registers), so a name is
checked against the known ones wherever people type it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import NewType

from bot.errors import UsageError

KindName = NewType("KindName", str)

CODE = KindName("code")
PROMPT = KindName("prompt")
MODEL = KindName("model")
EMBEDDING = KindName("embedding")
SCHEMA = KindName("schema")
RELEASE = KindName("release")  # every layer back to a recorded release, in one request

# Stored in 16-character columns; lower case so that what people type matches.
_NAME = re.compile(r"[a-z][a-z0-9_]{0,15}")


def kind_name(text: str) -> KindName:
    """A syntactically valid kind name (not yet checked against the registered kinds).

    Raises:
        UsageError: ``text`` cannot be a kind name.
    """
    if not _NAME.fullmatch(text):
        raise UsageError(f"“{text}” is not a rollback kind name (lower-case letters, digits, _; at most 16).")
    return KindName(text)


def parse_kind(word: str, known: Collection[KindName]) -> KindName:
    """The kind ``word`` names (any case), which must be one of ``known``.

    Raises:
        UsageError: naming the valid kinds.
    """
    lowered = word.lower()
    if lowered not in known:
        raise UsageError(f"“{word}” is not a rollback kind; use one of: {', '.join(known)}.")
    return KindName(lowered)

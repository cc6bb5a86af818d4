"""`/rollback …` text → typed command."""

from __future__ import annotations

import pytest

from bot.domain.kinds import CODE, EMBEDDING, MODEL, PROMPT, SCHEMA
from bot.domain.slash_command import Command, SubCommand, parse_command
from bot.errors import UsageError

KINDS = (CODE, PROMPT, MODEL, EMBEDDING, SCHEMA)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command(SubCommand.start)),
        ("   ", Command(SubCommand.start)),
        ("help", Command(SubCommand.help)),
        ("HELP", Command(SubCommand.help)),
        ("pharmabot", Command(SubCommand.start, "pharmabot")),
        ("pharmabot staging", Command(SubCommand.start, "pharmabot", "staging")),
        ("status pharmabot", Command(SubCommand.status, "pharmabot")),
        ("checklist pharmabot prod", Command(SubCommand.checklist, "pharmabot", "prod")),
        ("history pharmabot", Command(SubCommand.history, "pharmabot")),
        ("drill pharmabot staging code", Command(SubCommand.drill, "pharmabot", "staging", CODE)),
        ("drill pharmabot", Command(SubCommand.drill, "pharmabot")),
        ("cancel 42", Command(SubCommand.cancel, request_id=42)),
        ("cancel #42", Command(SubCommand.cancel, request_id=42)),
    ],
)
def test_parse(text: str, expected: Command) -> None:
    assert parse_command(text, KINDS) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("status", "needs a service"),
        ("cancel", "exactly one request id"),
        ("cancel abc", "is not a request id"),
        ("drill pharmabot prod banana", "is not a rollback kind"),
        ("pharmabot prod extra", "Too many words"),
        ("x" * 501, "too long"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_command(text, KINDS)

"""Small conversions from SDK values to plain Python values."""

from __future__ import annotations

from datetime import UTC, datetime


def enum_text(value: object) -> str | None:
    """An SDK enum member or string as its wire text (``RevisionHealthState.HEALTHY`` → ``Healthy``)."""
    if value is None:
        return None
    inner = getattr(value, "value", value)
    return str(inner)


def parse_time(value: object) -> datetime | None:
    """A datetime or ISO-8601 text as an aware datetime (UTC when no offset is given)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

"""Values that came from ``${VAR}`` references, typed so that they stay secret.

A ``SecretText`` is text made of literal parts and ``Secret`` parts. The one place that uses it asks for
``reveal()`` (an adapter making the HTTP call or opening the database); everything else sees the redacted
form: ``str()``, ``repr()``, f-strings and JSON give ``https://host/health?code=***``, and ``as_shell()``
writes the variable back (``"…?code=${HEALTH_KEY}"``) for commands a person copies.

    url = SecretText.of("https://{fqdn}/health?code=", Secret("HEALTH_KEY", key))
    url.format(fqdn="app.example")   # still a SecretText; placeholders are filled in the literal parts only
"""

from __future__ import annotations

from dataclasses import dataclass, field

REDACTED = "***"


@dataclass(frozen=True)
class Secret:
    """One value of the environment variable ``name``; never shown."""

    name: str
    value: str = field(repr=False)

    def __str__(self) -> str:
        return REDACTED

    def __repr__(self) -> str:
        return f"Secret(${{{self.name}}})"


@dataclass(frozen=True)
class SecretText:
    """Text in which some parts are secrets (none, for a value written in the file itself)."""

    parts: tuple[str | Secret, ...] = ()

    @classmethod
    def of(cls, *parts: str | Secret) -> SecretText:
        """Text from ``parts`` (adjacent literal parts are kept apart; empty ones dropped)."""
        return cls(tuple(p for p in parts if p != ""))

    @classmethod
    def plain(cls, text: str) -> SecretText:
        """Text with no secret in it."""
        return cls.of(text)

    @property
    def secrets(self) -> tuple[Secret, ...]:
        """The secret parts."""
        return tuple(p for p in self.parts if isinstance(p, Secret))

    def reveal(self) -> str:
        """The real text: only for the call that needs it (never to show, store or log)."""
        return "".join(p.value if isinstance(p, Secret) else p for p in self.parts)

    def redacted(self) -> str:
        """The text with every secret part as ``***``."""
        return "".join(REDACTED if isinstance(p, Secret) else p for p in self.parts)

    def as_shell(self) -> str:
        """The text with every secret part as ``${VAR}`` (for a command a person runs where VAR is set)."""
        return "".join(f"${{{p.name}}}" if isinstance(p, Secret) else p for p in self.parts)

    def format(self, **values: object) -> SecretText:
        """``str.format`` on the literal parts only (a secret is never a template)."""
        return SecretText(tuple(p if isinstance(p, Secret) else p.format(**values) for p in self.parts))

    def __str__(self) -> str:
        return self.redacted()

    def __repr__(self) -> str:
        return f"SecretText({self.redacted()!r})"

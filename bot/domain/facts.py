"""Live state as neutral facts: what each surface (Slack, the command line) renders in its own way."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Facts:
    """One component's live state: a title, a headline, and rows whose first cell is their subject.

    ``columns`` names the rows' cells for tables (the command line); Slack shows each row as its subject
    followed by the other cells. Everything is plain text: renderers escape and format it.
    """

    title: str
    headline: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    notes: tuple[str, ...] = ()

    def with_note(self, note: str) -> Facts:
        """A copy with one more note line (e.g. who pinned this state)."""
        return Facts(self.title, self.headline, self.columns, self.rows, (*self.notes, note))


def cell(value: object) -> str:
    """A table cell: ``-`` for a missing value."""
    return "-" if value is None or value == "" else str(value)

"""Plain-text rendering for the command line: live-state facts as headed tables."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.facts import Facts, cell


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """Left-aligned columns separated by two spaces (``-`` for missing values)."""
    cells = [list(headers), *[[cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]


def facts_lines(facts: Facts) -> list[str]:
    """The title, then indented: the headline, the table (or plain rows), the notes."""
    body = [facts.headline] if facts.headline else []
    if facts.rows:
        width = max(len(r) for r in facts.rows)
        headers = facts.columns if len(facts.columns) == width else tuple(f"#{i}" for i in range(width))
        body += table(headers, [tuple(r) + ("",) * (width - len(r)) for r in facts.rows])
    body += list(facts.notes)
    return [facts.title, *("  " + line for line in body)]


def facts_text(sections: Sequence[Facts], *, empty: str = "Nothing is configured for this environment.") -> str:
    """Every section, a blank line between them."""
    return "\n\n".join("\n".join(facts_lines(f)) for f in sections) or empty

"""`rollback-bot telemetry test SERVICE [--env ENV]`: run each configured telemetry query once and show the answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click

from bot.adapters.telemetry import standalone_telemetry
from bot.cli.common import EXIT_FAILED, cli_errors, registry_of
from bot.cli.inspect_cmd import choose_environment
from bot.config import load_settings
from bot.domain.signals import COLUMNS, TimeWindow
from bot.errors import UsageError
from bot.services.telemetry_probe import QueryAnswer, probe_telemetry
from bot.text import iso_time

MAX_SHOWN_ROWS = 20


def register(group: click.Group) -> None:
    """Add the ``telemetry`` group to ``group``."""
    group.add_command(telemetry)


@click.group()
def telemetry() -> None:
    """The application's LLM signals (telemetry.queries)."""


@telemetry.command("test")
@click.argument("service")
@click.option("--env", "env_name", help="Environment (default: the only one, else 'prod').")
@click.option("--revision", default="", help="Fills {revision} / :revision (default: empty).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@cli_errors
def test_command(service: str, env_name: str | None, revision: str, as_json: bool) -> None:
    """Run each configured query once over the telemetry window; exit 1 when one fails or has the wrong columns."""
    config = registry_of().load_config(load_settings().config_path)
    env = choose_environment(config, service, env_name)
    if env.telemetry is None:
        raise UsageError(f"{service}/{env.name} has no telemetry configured")
    window = TimeWindow.ending(datetime.now(UTC), timedelta(hours=env.telemetry.window_hours))
    with standalone_telemetry(env.telemetry, config.azure) as source:
        answers = probe_telemetry(source, window, revision=revision)
    header = {"target": f"{service}/{env.name}", "source": source.source, "window": window}
    click.echo(json.dumps(_json(header, answers), indent=2) if as_json else _text(header, answers))
    if not any(a.configured for a in answers) or any(a.configured and not a.ok for a in answers):
        raise SystemExit(EXIT_FAILED)


def _json(header: dict[str, object], answers: list[QueryAnswer]) -> dict[str, object]:
    window = header["window"]
    assert isinstance(window, TimeWindow)
    return {
        "target": header["target"],
        "source": header["source"],
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "ok": all(a.ok for a in answers if a.configured),
        "queries": [a.to_json() for a in answers],
    }


def _text(header: dict[str, object], answers: list[QueryAnswer]) -> str:
    window = header["window"]
    assert isinstance(window, TimeWindow)
    lines = [
        f"{header['target']}: {header['source']}",
        f"window: {iso_time(window.start)} to {iso_time(window.end)}",
    ]
    for answer in answers:
        lines.append(f"[{answer.status.upper()}] {answer.query.value} (columns {', '.join(COLUMNS[answer.query])})")
        if answer.table is not None:
            lines.extend(f"    {line}" for line in _grid(answer))
            if answer.table.partial:
                lines.append(f"    note: {answer.table.partial}")
        if answer.problem:
            lines.append(f"    problem: {answer.problem}")
    return "\n".join(lines)


def _grid(answer: QueryAnswer) -> list[str]:
    assert answer.table is not None
    table = answer.table
    shown = [[str(v) for v in row] for row in table.rows[:MAX_SHOWN_ROWS]]
    cells = [list(table.columns), *shown]
    widths = [max(len(row[i]) if i < len(row) else 0 for row in cells) for i in range(len(table.columns))]
    out = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() for row in cells]
    more = len(table.rows) - len(shown)
    count = f"{len(table.rows)} row" + ("" if len(table.rows) == 1 else "s")
    return [*out, f"({count})" if not more else f"… {more} more rows ({count} in all)"]

"""Reading whether ``prompts init``'s guards are in place on a prompts table (catalog reads only, no DDL).

A table the application's ORM dropped and re-created has lost its triggers and constraint; a database
``prompts uninstall`` cleaned has no registry revision; one a newer bot set up has an unknown revision.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from bot.adapters.prompts.revisions import newer_than_known, prompts_head_revision, revision_on
from bot.adapters.prompts.schema import PromptTableNames


def _expected(names: PromptTableNames, *, postgres: bool) -> dict[str, str]:
    """Object name → what it is, for every guard this revision installs."""
    triggers = [
        names.no_update_trigger,
        names.no_delete_trigger,
        names.history_insert_trigger,
        names.history_update_trigger,
        names.rename_trigger,
    ] + ([names.no_truncate_trigger] if postgres else [])
    found = {t: "trigger" for t in triggers}
    found[names.one_active_index] = "deferred constraint" if postgres else "unique index"
    found[names.activations] = "history table"
    return found


def _present(conn: Connection, names: PromptTableNames) -> set[str]:
    if conn.dialect.name == "postgresql":
        table = conn.dialect.identifier_preparer.quote(names.table)
        rows = conn.execute(
            text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(:t) AND NOT tgisinternal "
                "UNION ALL SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:t) "
                "AND contype = 'x' AND condeferrable AND condeferred"
            ),
            {"t": table},
        )
        present = {str(r[0]) for r in rows}
    else:
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE tbl_name = :t"), {"t": names.table})
        present = {str(r[0]) for r in rows}
    if inspect(conn).has_table(names.activations):
        present.add(names.activations)
    return present


def guard_problems(conn: Connection, names: PromptTableNames) -> tuple[str, ...]:
    """What is missing or unexpected about the guards of ``names.table``; empty when all is in place."""
    if not inspect(conn).has_table(names.table):
        return (f"table {names.table} not found",)
    revision, head = revision_on(conn, names), prompts_head_revision()
    if revision is None:
        return ("they were never installed, or were uninstalled",)
    if newer_than_known(revision):
        return (f"a newer bot installed them (revision {revision}; this bot knows up to {head}): upgrade the bot",)
    if revision != head:
        return (f"they are from an older bot (revision {revision}, this bot's is {head})",)
    expected = _expected(names, postgres=conn.dialect.name == "postgresql")
    missing = sorted(set(expected) - _present(conn, names))
    if missing:
        return ("missing " + ", ".join(f"{expected[name]} {name}" for name in missing),)
    return ()

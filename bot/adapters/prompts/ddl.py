"""The statements that add (and remove) the registry's guards on an application's prompts table.

What the guards allow, on both databases (docs/prompts.md says it to operators):

- one active version per name: PostgreSQL checks it at commit (an exclusion constraint, ``DEFERRABLE
  INITIALLY DEFERRED``), so "insert the new active version, then deactivate the old" works inside a
  transaction; SQLite checks each statement (a partial unique index), so deactivate first, then activate;
- every activation is recorded in ``<table>_activations`` by a trigger, the application's own included;
- a version that has been active (or any version older than one that has) keeps its content and its
  number; drafts (newer than every version ever activated) may be edited or renumbered;
- DELETE is refused for the active version and for the version a rollback goes back to (the one the
  latest activation replaced); other versions may be pruned; TRUNCATE is refused (PostgreSQL);
- renaming a prompt is allowed and its history follows the new name.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.adapters.prompts.schema import PromptTableNames

Quote = Callable[[str], str]
# PostgreSQL trigger functions run as the table's owner (who ran init), with only pg_catalog on the path
# (every table they touch is schema-qualified): the application's role needs no rights on the history.
_DEFINER = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp"

IMMUTABLE = "a version that has been active keeps its content and number; add a new version instead"
NO_DELETE = "the active version and the version a rollback goes back to cannot be deleted"
NO_TRUNCATE = "TRUNCATE would delete the active version and the version a rollback goes back to; DELETE rows instead"
DB_ACTOR_SQLITE = "db"
DB_REASON = "activated in the database"
INIT_ACTOR = "rollback-bot prompts init"
INIT_REASON = "active when prompts init installed the guards"


class GuardDdl:
    """DDL for one prompts table; ``schema`` (PostgreSQL) qualifies the names the trigger functions use."""

    def __init__(self, names: PromptTableNames, quote: Quote, *, postgres: bool, schema: str | None = None) -> None:
        self.n, self.q, self.postgres = names, quote, postgres
        prefix = f"{quote(schema)}." if postgres and schema else ""
        self.table, self.history = prefix + quote(names.table), prefix + quote(names.activations)
        self._prefix = prefix

    # --- the pieces both databases share ----------------------------------------------------------

    def _has_been_active(self, row: str) -> str:
        """SQL true when version ``row`` is active or no newer than a version ever activated (not a draft)."""
        return (
            f"(coalesce({row}.is_active, false) OR EXISTS (SELECT 1 FROM {self.history} h "
            f"WHERE h.prompt_name = {row}.name AND h.to_version >= {row}.version))"
        )

    def _rollback_target(self, row: str) -> str:
        return (
            f"{row}.version = (SELECT h.from_version FROM {self.history} h WHERE h.prompt_name = {row}.name "
            "ORDER BY h.id DESC LIMIT 1)"
        )

    def _previous(self) -> str:
        """The version NEW replaces: the other active one (insert-first order), else the last recorded."""
        return (
            f"coalesce((SELECT p.version FROM {self.table} p WHERE p.name = NEW.name AND "
            "p.is_active AND p.version <> NEW.version LIMIT 1), "
            f"(SELECT h.to_version FROM {self.history} h WHERE h.prompt_name = NEW.name AND "
            "h.to_version <> NEW.version ORDER BY h.id DESC LIMIT 1))"
        )

    # --- install ----------------------------------------------------------------------------------

    def install(self) -> list[str]:
        """Statements that add the guards (the history table and the one-active rule exist already)."""
        return self._install_postgres() if self.postgres else self._install_sqlite()

    def _install_postgres(self) -> list[str]:
        n, q, t, fn = self.n, self.q, self.table, self._prefix + self.q(self.n.guard_function)
        record, follow = self._prefix + q(n.history_function), self._prefix + q(n.rename_function)
        return [
            f"ALTER TABLE {t} ADD CONSTRAINT {q(n.one_active_index)} EXCLUDE USING btree (name WITH =) "
            "WHERE (is_active) DEFERRABLE INITIALLY DEFERRED",
            f"CREATE FUNCTION {fn}() RETURNS trigger {_DEFINER} AS $$ BEGIN "
            f"IF TG_OP = 'TRUNCATE' THEN {_pg_raise(NO_TRUNCATE)} END IF; "
            f"IF TG_OP = 'DELETE' THEN IF coalesce(OLD.is_active, false) OR {self._rollback_target('OLD')} "
            f"THEN {_pg_raise(NO_DELETE, version=True)} END IF; RETURN OLD; END IF; "
            "IF (NEW.content IS DISTINCT FROM OLD.content OR NEW.version IS DISTINCT FROM OLD.version) "
            f"AND {self._has_been_active('OLD')} THEN {_pg_raise(IMMUTABLE, version=True)} END IF; "
            "RETURN NEW; END $$",
            f"CREATE TRIGGER {q(n.no_update_trigger)} BEFORE UPDATE OF content, version ON {t} "
            f"FOR EACH ROW EXECUTE FUNCTION {fn}()",
            f"CREATE TRIGGER {q(n.no_delete_trigger)} BEFORE DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION {fn}()",
            f"CREATE TRIGGER {q(n.no_truncate_trigger)} BEFORE TRUNCATE ON {t} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()",
            f"CREATE FUNCTION {record}() RETURNS trigger {_DEFINER} AS $$ BEGIN "
            "IF NEW.is_active AND (TG_OP = 'INSERT' OR NOT coalesce(OLD.is_active, false)) THEN "
            f"INSERT INTO {self.history} (prompt_name, from_version, to_version, at, actor, reason) "
            f"VALUES (NEW.name, {self._previous()}, NEW.version, now(), 'db:' || session_user, '{DB_REASON}'); "
            "END IF; RETURN NULL; END $$",
            f"CREATE TRIGGER {q(n.history_insert_trigger)} AFTER INSERT ON {t} "
            f"FOR EACH ROW EXECUTE FUNCTION {record}()",
            f"CREATE TRIGGER {q(n.history_update_trigger)} AFTER UPDATE OF is_active ON {t} "
            f"FOR EACH ROW EXECUTE FUNCTION {record}()",
            f"CREATE FUNCTION {follow}() RETURNS trigger {_DEFINER} AS $$ BEGIN "
            f"UPDATE {self.history} SET prompt_name = NEW.name WHERE prompt_name = OLD.name "
            "AND to_version = OLD.version; RETURN NULL; END $$",
            f"CREATE TRIGGER {q(n.rename_trigger)} AFTER UPDATE OF name ON {t} FOR EACH ROW "
            f"WHEN (NEW.name IS DISTINCT FROM OLD.name) EXECUTE FUNCTION {follow}()",
        ]

    def _install_sqlite(self) -> list[str]:
        n, q, t, h = self.n, self.q, self.table, self.history
        now = "strftime('%Y-%m-%d %H:%M:%S', 'now') || '.' || substr(strftime('%f', 'now'), 4) || '000'"
        record = (
            f"INSERT INTO {h} (prompt_name, from_version, to_version, at, actor, reason) "
            f"VALUES (NEW.name, {self._previous()}, NEW.version, {now}, '{DB_ACTOR_SQLITE}', '{DB_REASON}');"
        )
        return [
            f"CREATE TRIGGER {q(n.no_update_trigger)} BEFORE UPDATE OF content, version ON {t} FOR EACH ROW "
            "WHEN (NEW.content IS NOT OLD.content OR NEW.version IS NOT OLD.version) "
            f"AND {self._has_been_active('OLD')} "
            f"BEGIN SELECT RAISE(ABORT, '{n.table}: {IMMUTABLE}'); END",
            f"CREATE TRIGGER {q(n.no_delete_trigger)} BEFORE DELETE ON {t} FOR EACH ROW "
            f"WHEN coalesce(OLD.is_active, false) OR {self._rollback_target('OLD')} "
            f"BEGIN SELECT RAISE(ABORT, '{n.table}: {NO_DELETE}'); END",
            f"CREATE TRIGGER {q(n.history_insert_trigger)} AFTER INSERT ON {t} FOR EACH ROW "
            f"WHEN NEW.is_active BEGIN {record} END",
            f"CREATE TRIGGER {q(n.history_update_trigger)} AFTER UPDATE OF is_active ON {t} FOR EACH ROW "
            f"WHEN NEW.is_active AND NOT coalesce(OLD.is_active, false) BEGIN {record} END",
            f"CREATE TRIGGER {q(n.rename_trigger)} AFTER UPDATE OF name ON {t} FOR EACH ROW "
            f"WHEN NEW.name IS NOT OLD.name BEGIN UPDATE {h} SET prompt_name = NEW.name "
            "WHERE prompt_name = OLD.name AND to_version = OLD.version; END",
        ]

    # --- remove (every generation of the guards; IF EXISTS throughout) -----------------------------

    def drop_triggers(self) -> list[str]:
        """Drop every trigger (and PostgreSQL trigger function) any revision of the registry added."""
        n, q = self.n, self.q
        triggers = (
            n.no_update_trigger,
            n.no_delete_trigger,
            n.no_truncate_trigger,
            n.history_insert_trigger,
            n.history_update_trigger,
            n.rename_trigger,
        )
        if not self.postgres:
            return [f"DROP TRIGGER IF EXISTS {q(x)}" for x in triggers]
        functions = (n.guard_function, n.history_function, n.rename_function)
        return [
            *(f"DROP TRIGGER IF EXISTS {q(x)} ON {self.table}" for x in triggers),
            *(f"DROP FUNCTION IF EXISTS {self._prefix}{q(f)}()" for f in functions),
        ]

    def drop_one_active(self) -> list[str]:
        """Drop the one-active rule: the constraint (PostgreSQL, this revision) or the partial unique index."""
        q, name = self.q, self.n.one_active_index
        constraint = [f"ALTER TABLE {self.table} DROP CONSTRAINT IF EXISTS {q(name)}"] if self.postgres else []
        return [*constraint, f"DROP INDEX IF EXISTS {self._prefix}{q(name)}"]

    def remove(self) -> list[str]:
        """Everything the registry adds to the application's table (its history table aside)."""
        key = f"DROP INDEX IF EXISTS {self._prefix}{self.q(self.n.name_version_index)}"
        return [*self.drop_triggers(), *self.drop_one_active(), key]


def _pg_raise(message: str, *, version: bool = False) -> str:
    row = "' version ' || OLD.version || ' of ' || OLD.name || ': '" if version else "': '"
    return (
        f"RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || {row} || '{message}' || ' (' || TG_OP || ' refused)', "
        "ERRCODE = 'integrity_constraint_violation';"
    )

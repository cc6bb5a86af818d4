"""The prompt registry over SQL: an application's prompts table plus the bot's activation history.

Activation is one transaction that first serializes against other writers of the same prompt
(``SELECT … FOR UPDATE`` of its rows on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), checks that the
guards are in place, re-reads the active version, deactivates it, then activates the target (the order
SQLite's one-active index needs), and completes the history row the database's trigger wrote with who
and why. Readers see the committed state before or after it, never none or two active (MVCC on
PostgreSQL, WAL snapshots on SQLite); the one-active rule ``prompts init`` added makes the database
itself refuse two. Adding a version takes a per-name lock (advisory on PostgreSQL) before counting ``max + 1``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, case, func, insert, literal, select, text, true, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.adapters.db.engine import describe_db_error
from bot.adapters.prompts.guards import guard_problems
from bot.adapters.prompts.schema import DEFAULT_TABLE, PromptTableNames, prompt_tables
from bot.domain.prompts import GuardStatus, PromptActivation, PromptVersion
from bot.errors import ConfigError, NotAllowedError, NotFoundError, StalePlanError, StoreError, UsageError
from bot.ports.prompts import PromptStore

log = logging.getLogger(__name__)

_MAX_NAME = 200
_MAX_TEXT = 2000
_MAX_CONTENT = 1_000_000
_ADD_ATTEMPTS = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BACKENDS = {"sqlite", "postgresql"}
# Per (schema, table, name); released at commit. Without it, concurrent adds would retry on the key.
_PG_ADD_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '.' || CAST(:key AS text), 0))")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _check_text(what: str, value: str, limit: int) -> None:
    if not value.strip():
        raise UsageError(f"the prompt {what} must not be empty")
    if len(value) > limit:
        raise UsageError(f"the prompt {what} is {len(value)} characters long; the limit is {limit}")


def _to_version(row: Any) -> PromptVersion:
    return PromptVersion(
        name=row.name,
        version=int(row.version),
        content=row.content,
        is_active=bool(row.is_active),
        created_at=row.created_at or _EPOCH,  # rows the application wrote without a time
    )


def _to_activation(row: Any) -> PromptActivation:
    return PromptActivation(
        name=row.prompt_name,
        from_version=row.from_version,
        to_version=row.to_version,
        at=row.at,
        actor=row.actor,
        reason=row.reason,
    )


def _sql_literal(value: str) -> str:
    """A SQL string literal for display (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def _no_prompt(name: str) -> NotFoundError:
    return NotFoundError(f"there is no prompt named {name!r}")


class SqlPromptStore(PromptStore):
    """``PromptStore`` over an application's prompts table guarded by ``prompts init`` (``upgrade_prompts_db``).

    ``init_command`` is the command that (re)installs the guards, quoted when they are missing.
    """

    def __init__(
        self,
        engine: Engine,
        table: str = DEFAULT_TABLE,
        clock: Callable[[], datetime] = _utcnow,
        *,
        init_command: str = "rollback-bot prompts init",
    ) -> None:
        if engine.dialect.name not in _BACKENDS:
            raise ConfigError(f"prompts database: {engine.dialect.name} is not supported (SQLite or PostgreSQL)")
        self._engine = engine
        self._names = PromptTableNames.of(table)
        self._prompts, self._activations = prompt_tables(self._names)
        self._clock = clock
        self._init_command = init_command

    # --- reads ----------------------------------------------------------------------------------

    def names(self) -> list[str]:
        p = self._prompts
        with self._errors(), self._engine.connect() as conn:
            return list(conn.execute(select(p.c.name).distinct().order_by(p.c.name)).scalars())

    def versions(self, name: str) -> list[PromptVersion]:
        p = self._prompts
        stmt = select(p).where(p.c.name == name).order_by(p.c.version.desc())
        with self._errors(), self._engine.connect() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            raise _no_prompt(name)
        return [_to_version(r) for r in rows]

    def active(self, name: str) -> PromptVersion | None:
        p = self._prompts
        active_first = case((p.c.is_active == true(), 0), else_=1)
        stmt = select(p).where(p.c.name == name).order_by(active_first).limit(1)
        with self._errors(), self._engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            raise _no_prompt(name)
        return _to_version(row) if row.is_active else None

    def get(self, name: str, version: int) -> PromptVersion:
        p = self._prompts
        stmt = select(p).where(p.c.name == name, p.c.version == version)
        with self._errors(), self._engine.connect() as conn:
            row = conn.execute(stmt).first()
            newest = None if row else self._newest(conn, name)
        if row is not None:
            return _to_version(row)
        if newest is None:
            raise NotFoundError(f"there is no prompt named {name!r} (asked for version {version})")
        raise NotFoundError(f"prompt {name!r} has no version {version} (newest is {newest})")

    def history(self, name: str, limit: int = 20) -> list[PromptActivation]:
        if limit < 1:
            raise UsageError("the history limit must be at least 1")
        a = self._activations
        stmt = select(a).where(a.c.prompt_name == name).order_by(a.c.id.desc()).limit(limit)
        with self._errors(), self._engine.connect() as conn:
            rows = conn.execute(stmt).all()
            exists = bool(rows) or self._newest(conn, name) is not None
        if not exists:
            raise _no_prompt(name)
        return [_to_activation(r) for r in rows]

    def activation_sql(self, name: str, version: int) -> tuple[str, ...]:
        # Text shown to people as the equivalent of activate(); it is never executed. Identifiers are
        # validated table names and the one string literal is quoted, so S608 does not apply.
        t, h, q = self._names.table, self._names.activations, _sql_literal(name)
        return (
            "BEGIN;",
            f"UPDATE {t} SET is_active = false WHERE name = {q} AND is_active;",  # noqa: S608
            f"UPDATE {t} SET is_active = true WHERE name = {q} AND version = {int(version)};",  # noqa: S608
            f"INSERT INTO {h} (prompt_name, from_version, to_version, at, actor, reason)"  # noqa: S608
            f" VALUES ({q}, <current version>, {int(version)}, now(), 'rollback-bot', 'rollback');",
            "COMMIT;",
        )

    def guards(self) -> GuardStatus:
        with self._errors(), self._engine.connect() as conn:
            return self._guards(conn)

    def _guards(self, conn: Connection) -> GuardStatus:
        return GuardStatus(self._names.table, guard_problems(conn, self._names), self._init_command)

    def ping(self) -> None:
        stmt = select(literal(1)).select_from(self._prompts).limit(1)
        try:
            with self._engine.connect() as conn:
                conn.execute(stmt)
        except SQLAlchemyError as exc:
            raise StoreError(
                f"prompts table {self._names.table!r} cannot be read (run `rollback-bot prompts init`?): "
                f"{describe_db_error(exc)}"
            ) from exc

    # --- writes ---------------------------------------------------------------------------------

    def add(self, name: str, content: str, *, actor: str) -> PromptVersion:
        _check_text("name", name, _MAX_NAME)
        _check_text("content", content, _MAX_CONTENT)
        _check_text("actor", actor, _MAX_TEXT)
        attempt = 1
        while True:
            try:
                with self._errors(passing=(IntegrityError,)), self._write() as conn:
                    created = self._insert_next(conn, name, content)
            except IntegrityError as exc:  # a writer outside the bot took the same number: count again
                if attempt >= _ADD_ATTEMPTS:
                    raise StoreError(f"could not add a version of {name!r}: {describe_db_error(exc)}") from exc
                attempt += 1
                continue
            log.info("prompt %s version %d added by %s", name, created.version, actor)
            return created

    def activate(
        self, name: str, version: int, *, actor: str, reason: str, expected_active: int | None = None
    ) -> PromptActivation:
        _check_text("actor", actor, _MAX_TEXT)
        _check_text("reason", reason, _MAX_TEXT)
        try:
            with self._errors(passing=(IntegrityError,)), self._write() as conn:
                current = self._lock_and_check(conn, name, version, expected_active)
                status = self._guards(conn)
                if not status.ok:
                    raise NotAllowedError(status.message())
                done = self._switch(conn, name, current, version, actor=actor, reason=reason)
        except IntegrityError as exc:  # only a writer that bypasses the lock gets here; the index refused it
            raise StalePlanError(
                f"prompt {name!r}: another activation happened at the same moment; nothing was changed, check and retry"
            ) from exc
        log.info("prompt %s activated %s -> %d by %s: %s", name, current, version, actor, reason)
        return done

    def _insert_next(self, conn: Connection, name: str, content: str) -> PromptVersion:
        if conn.dialect.name == "postgresql":  # serialize adds of one name (SQLite: BEGIN IMMEDIATE did)
            conn.execute(_PG_ADD_LOCK, {"key": f"{self._names.table}:{name}"})
        created = PromptVersion(
            name=name,
            version=(self._newest(conn, name) or 0) + 1,
            content=content,
            is_active=False,
            created_at=self._clock(),
        )
        conn.execute(
            insert(self._prompts).values(
                name=name, version=created.version, content=content, is_active=False, created_at=created.created_at
            )
        )
        return created

    def _lock_and_check(self, conn: Connection, name: str, version: int, expected_active: int | None) -> int | None:
        """Lock every version of ``name`` (PostgreSQL) and return the active version, checked against the plan."""
        p = self._prompts
        lock = select(p.c.version).where(p.c.name == name).order_by(p.c.version).with_for_update()
        versions = set(conn.execute(lock).scalars())
        if not versions:
            raise _no_prompt(name)
        if version not in versions:
            raise NotFoundError(f"prompt {name!r} has no version {version} (newest is {max(versions)})")
        # A fresh statement after the lock: sees whatever a writer we waited for has committed.
        current = conn.execute(select(p.c.version).where(p.c.name == name, p.c.is_active == true())).scalar()
        if expected_active is not None and current != expected_active:
            raise StalePlanError(
                f"prompt {name!r}: expected version {expected_active} to be active, but the active version is "
                f"{'none' if current is None else current}; nothing was changed"
            )
        if current == version:
            raise UsageError(f"prompt {name!r} version {version} is already active")
        return None if current is None else int(current)

    def _switch(
        self, conn: Connection, name: str, current: int | None, version: int, *, actor: str, reason: str
    ) -> PromptActivation:
        """Deactivate, then activate (SQLite checks one-active per statement); then say who and why.

        The database's trigger wrote the history row of the activation; this fills in the bot's actor,
        reason, time and the version it replaced.
        """
        p, h = self._prompts, self._activations
        if current is not None:
            conn.execute(update(p).where(p.c.name == name, p.c.is_active == true()).values(is_active=False))
        conn.execute(update(p).where(p.c.name == name, p.c.version == version).values(is_active=True))
        done = PromptActivation(
            name=name, from_version=current, to_version=version, at=self._clock(), actor=actor, reason=reason
        )
        recorded = select(func.max(h.c.id)).where(h.c.prompt_name == name, h.c.to_version == version)
        row_id = conn.execute(recorded).scalar()
        if row_id is None:
            raise StoreError(f"the activation of {name!r} v{version} was not recorded: the history trigger is missing")
        conn.execute(
            update(h).where(h.c.id == row_id).values(from_version=current, at=done.at, actor=actor, reason=reason)
        )
        return done

    # --- plumbing -------------------------------------------------------------------------------

    def _newest(self, conn: Connection, name: str) -> int | None:
        p = self._prompts
        newest = conn.execute(select(func.max(p.c.version)).where(p.c.name == name)).scalar()
        return None if newest is None else int(newest)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction; on SQLite it takes the write lock up front (``BEGIN IMMEDIATE``)."""
        with self._engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:  # timestamps into a TIMESTAMP WITHOUT TIME ZONE column are stored as UTC
                conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @contextmanager
    def _errors(self, passing: tuple[type[SQLAlchemyError], ...] = ()) -> Iterator[None]:
        """Turn database failures into ``StoreError`` (except the ``passing`` ones, which the caller handles)."""
        try:
            yield
        except passing:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"prompts database ({self._names.table}) failed: {describe_db_error(exc)}") from exc

"""Bring a database to the migration head on first use, once, under a lock.

agno documents that tables appear on first use; here they come from the Alembic history, never
from ``create_all``. Two processes starting together must not both migrate, so the check and the
upgrade run under a database-wide lock, each dialect's own (``Dialect.migration_lock``): a
PostgreSQL advisory lock, MySQL's ``GET_LOCK``, or SQLite's own write lock (``BEGIN IMMEDIATE``)
held by the migrating connection for the whole upgrade, so no lock file is left beside the database.
"""

from __future__ import annotations

import logging
import shlex
import time

from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from agno_models import migrate
from agno_models.layout import DEFAULT_NAMES, TableNames
from repositories.core.dialects import dialect_for

LOCK_TIMEOUT_SECONDS = 300
log = logging.getLogger(__name__)


class SchemaNotReadyError(RuntimeError):
    """The database is not at the revision this code expects, and may not be upgraded here."""


def _lock_key(engine: Engine, schema: str | None, names: TableNames) -> str:
    url = engine.url.set(password=None).render_as_string(hide_password=True)
    return f"{url}|{schema}|{names.version_table}"


def _log_wait(key: str, started: float) -> None:
    waited = time.monotonic() - started
    if waited >= 0.05:
        log.info("waited %.2fs for the schema migration lock of %s", waited, key)


def _known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory(migrate.script_location()).walk_revisions()}


def upgrade_command(engine: Engine, *, schema: str | None, names: TableNames) -> str:
    """The ``agno-models upgrade`` command that migrates this very table set, ready to paste."""
    url = engine.url.render_as_string(hide_password=True)
    words = ["agno-models", "upgrade", "--url", url]
    if engine.dialect.name != "sqlite":
        words += ["--schema", schema or ""]
    renamed = {key: name for key, name in names.as_dict().items() if getattr(DEFAULT_NAMES, key) != name}
    if renamed:
        words += ["--tables", ",".join(f"{key}:{name}" for key, name in renamed.items())]
    command = " ".join(shlex.quote(word) for word in words)
    if engine.url.password:
        command += " (with your password in place of ***)"
    return command


def ensure_schema(engine: Engine, *, schema: str | None, names: TableNames, auto_upgrade: bool) -> bool:
    """Make sure the database is at head: upgrade it (under the lock) or say how to.

    Returns whether this call ran the migrations.
    """
    head = migrate.head_revision()
    with engine.connect() as conn:
        current = _current(conn, schema, names)
        if current == head:
            return False
        dialect = dialect_for(engine.dialect.name)
        key = _lock_key(engine, schema, names)
        started = time.monotonic()
        with dialect.migration_lock(conn, key, timeout=LOCK_TIMEOUT_SECONDS):
            _log_wait(key, started)
            # Another process may have just done it. Where the lock is a transaction (SQLite) the
            # read stays in it; elsewhere it is committed so each revision gets its own transaction.
            if dialect.migrates_in_lock_transaction:
                current = migrate.current_revision(conn, schema=schema, names=names)
            else:
                current = _current(conn, schema, names)
            if current == head:
                return False
            if current is not None and current not in _known_revisions():
                raise SchemaNotReadyError(
                    f"the database is at agno-models revision {current!r}, newer than this installed version "
                    f"knows (head {head!r}); upgrade the agno-models package"
                )
            if not auto_upgrade:
                raise SchemaNotReadyError(
                    f"the database is at revision {current or '(none)'} but this code needs {head}; run "
                    f"`{upgrade_command(engine, schema=schema, names=names)}`, "
                    "or construct the db with auto_upgrade=True"
                )
            log.info("migrating %s from %s to %s on first use", key, current or "(none)", head)
            migrate.upgrade(connection=conn, schema=schema, names=names)
            if dialect.migration_sets_search_path and schema is not None:
                conn.invalidate()  # keep the migration's search_path off pooled connections
            return True


def _current(conn: Connection, schema: str | None, names: TableNames) -> str | None:
    try:
        return migrate.current_revision(conn, schema=schema, names=names)
    finally:
        if conn.in_transaction():
            conn.commit()

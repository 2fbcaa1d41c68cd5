"""Bring a database to the migration head on first use, once, under a lock.

agno documents that tables appear on first use; here they come from the Alembic history, never
from ``create_all``. Two processes starting together must not both migrate, so the check and the
upgrade run under a database-wide lock: a PostgreSQL advisory lock, MySQL's ``GET_LOCK``, or on
SQLite the file's own write lock (``BEGIN IMMEDIATE``), held by the migrating connection for the
whole upgrade, so no lock file is left beside the database.
"""

from __future__ import annotations

import hashlib
import logging
import shlex
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from agno_models import migrate
from agno_models.layout import DEFAULT_NAMES, TableNames

LOCK_TIMEOUT_SECONDS = 300
_process_locks: dict[str, threading.Lock] = {}
log = logging.getLogger(__name__)


class SchemaNotReadyError(RuntimeError):
    """The database is not at the revision this code expects, and may not be upgraded here."""


def _lock_key(engine: Engine, schema: str | None, names: TableNames) -> str:
    url = engine.url.set(password=None).render_as_string(hide_password=True)
    return f"{url}|{schema}|{names.version_table}"


@contextmanager
def _migration_lock(engine: Engine, conn: Connection, key: str) -> Iterator[None]:
    digest = hashlib.sha256(key.encode()).hexdigest()
    dialect = engine.dialect.name
    started = time.monotonic()
    if dialect == "postgresql":
        ident = int(digest[:15], 16)  # fits a signed bigint
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": ident})
        conn.commit()
        _log_wait(key, started)
        try:
            yield
        except BaseException:
            conn.rollback()  # a failed statement aborted the transaction: unlock in a fresh one, raise the cause
            raise
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ident})
            conn.commit()
    elif dialect in ("mysql", "mariadb"):
        name = "agno_models_" + digest[:40]  # MySQL lock names stop at 64 characters
        got = conn.execute(sa.text("SELECT GET_LOCK(:n, :t)"), {"n": name, "t": LOCK_TIMEOUT_SECONDS}).scalar()
        if got != 1:
            raise TimeoutError(f"could not take the schema migration lock {name} within {LOCK_TIMEOUT_SECONDS}s")
        conn.commit()
        _log_wait(key, started)
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT RELEASE_LOCK(:n)"), {"n": name})
            conn.commit()
    else:
        with _process_locks.setdefault(key, threading.Lock()), _sqlite_write_lock(conn):
            _log_wait(key, started)
            yield


@contextmanager
def _sqlite_write_lock(conn: Connection) -> Iterator[None]:
    """Hold the file's write lock from the check to the end of the upgrade.

    Alembic runs the revisions inside this transaction (SQLite DDL is transactional) and env.py
    commits it at the end, so another process's BEGIN IMMEDIATE waits until the schema is at head.
    """
    if conn.in_transaction():
        conn.commit()
    _pragma(conn, f"busy_timeout = {LOCK_TIMEOUT_SECONDS * 1000}")  # others may be migrating for a while
    options = conn.get_execution_options()
    conn.execution_options(sqlite_begin="IMMEDIATE")
    try:
        conn.begin()
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()  # an upgrade that failed half-way leaves nothing behind
        conn.execution_options(sqlite_begin=options.get("sqlite_begin", "DEFERRED"))
        _pragma(conn, "busy_timeout = 30000")  # the engine's own setting


def _pragma(conn: Connection, setting: str) -> None:
    # On the driver: through SQLAlchemy it would open a transaction first.
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA {setting}")
    finally:
        cursor.close()


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
        sqlite = engine.dialect.name == "sqlite"
        with _migration_lock(engine, conn, _lock_key(engine, schema, names)):
            # Another process may have just done it. On SQLite the read stays in the lock's
            # transaction; elsewhere it is committed so each revision gets its own transaction.
            current = migrate.current_revision(conn, schema=schema, names=names) if sqlite else _current(conn, schema, names)
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
            log.info("migrating %s from %s to %s on first use", _lock_key(engine, schema, names), current or "(none)", head)
            migrate.upgrade(connection=conn, schema=schema, names=names)
            if engine.dialect.name == "postgresql" and schema is not None:
                # The migration pointed search_path at the schema; keep it off pooled connections.
                conn.invalidate()
            return True


def _current(conn: Connection, schema: str | None, names: TableNames) -> str | None:
    try:
        return migrate.current_revision(conn, schema=schema, names=names)
    finally:
        if conn.in_transaction():
            conn.commit()

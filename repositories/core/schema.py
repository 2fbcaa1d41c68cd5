"""Bring a database to the migration head on first use, once, under a lock.

agno documents that tables appear on first use; here they come from the Alembic history, never
from ``create_all``. Two processes starting together must not both migrate, so the check and the
upgrade run under a database-wide lock: a PostgreSQL advisory lock, MySQL's ``GET_LOCK``, or a
file lock beside the SQLite file.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from filelock import FileLock
from sqlalchemy.engine import Connection, Engine

from agno_models import migrate
from agno_models.layout import TableNames

LOCK_TIMEOUT_SECONDS = 300
_process_locks: dict[str, threading.Lock] = {}


class SchemaNotReadyError(RuntimeError):
    """The database is not at the revision this code expects, and may not be upgraded here."""


def _lock_key(engine: Engine, schema: str | None, names: TableNames) -> str:
    url = engine.url.set(password=None).render_as_string(hide_password=True)
    return f"{url}|{schema}|{names.version_table}"


@contextmanager
def _migration_lock(engine: Engine, conn: Connection, key: str) -> Iterator[None]:
    digest = hashlib.sha256(key.encode()).hexdigest()
    dialect = engine.dialect.name
    if dialect == "postgresql":
        ident = int(digest[:15], 16)  # fits a signed bigint
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": ident})
        conn.commit()
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
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT RELEASE_LOCK(:n)"), {"n": name})
            conn.commit()
    else:
        database = engine.url.database
        thread_lock = _process_locks.setdefault(key, threading.Lock())
        with thread_lock:
            if database and database != ":memory:" and not database.startswith("file::memory:"):
                with FileLock(str(Path(database).resolve()) + ".agno-models.lock", timeout=LOCK_TIMEOUT_SECONDS):
                    yield
            else:
                yield


def _known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory(migrate.script_location()).walk_revisions()}


def ensure_schema(engine: Engine, *, schema: str | None, names: TableNames, auto_upgrade: bool) -> bool:
    """Make sure the database is at head: upgrade it (under the lock) or say how to.

    Returns whether this call ran the migrations.
    """
    head = migrate.head_revision()
    with engine.connect() as conn:
        current = _current(conn, schema, names)
        if current == head:
            return False
        with _migration_lock(engine, conn, _lock_key(engine, schema, names)):
            current = _current(conn, schema, names)  # another process may have just done it
            if current == head:
                return False
            if current is not None and current not in _known_revisions():
                raise SchemaNotReadyError(
                    f"the database is at agno-models revision {current!r}, newer than this installed version "
                    f"knows (head {head!r}); upgrade the agno-models package"
                )
            if not auto_upgrade:
                where = f" -x schema={schema}" if schema else ""
                raise SchemaNotReadyError(
                    f"the database is at revision {current or '(none)'} but this code needs {head}; "
                    f"run `alembic -x url=<your url>{where} upgrade head` (or `agno-models upgrade`), "
                    "or construct the db with auto_upgrade=True"
                )
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

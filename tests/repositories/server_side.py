"""Helpers for tests that make the database server itself intervene: hold a lock, kill a session.

Every wait here polls the server's own view of its sessions (``pg_stat_activity``, MariaDB's
``information_schema``) against a deadline, so a test never guesses how long something takes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from agno_models.engine import create_engine, sync_url

DEADLINE = 20.0


def server_only(backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has no server sessions to lock or kill")


def side_engine(db: Any) -> sa.Engine:
    """A plain sync engine on the db's database (with its schema), outside the db's own pool."""
    return create_engine(sync_url(db.db_engine.url), poolclass=sa.pool.NullPool).execution_options(**db._translate())


def until(what: str, check: Callable[[], Any], *, deadline: float = DEADLINE) -> Any:
    """Poll ``check`` until it answers something truthy; fail naming ``what`` after ``deadline``."""
    end = time.monotonic() + deadline
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what} after {deadline}s")
        time.sleep(0.01)  # a poll interval, not a synchronisation


def lock_waiters(engine: sa.Engine, backend: str) -> list[int]:
    """Server ids of the sessions of this database that are waiting for a lock."""
    with engine.connect() as conn:
        if backend == "postgresql":
            return list(
                conn.execute(
                    sa.text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    )
                ).scalars()
            )
        # Not information_schema.innodb_trx: MariaDB 10.11 was seen leaving a waiting transaction
        # out of it for its whole wait; the engine status lists every transaction's lock state.
        status = conn.execute(sa.text("SHOW ENGINE INNODB STATUS")).one()[2]
        waiting = {
            int(found.group(1))
            for block in status.split("---TRANSACTION ")[1:]
            if "LOCK WAIT" in block and (found := re.search(r"(?:MariaDB|MySQL) thread id (\d+)", block))
        }
        ours = set(
            conn.execute(sa.text("SELECT id FROM information_schema.processlist WHERE db = DATABASE()")).scalars()
        )
        return sorted(waiting & ours)


def wait_for_lock_waiter(engine: sa.Engine, backend: str) -> int:
    return int(until("a session blocked on a lock", lambda: lock_waiters(engine, backend))[0])


def kill(engine: sa.Engine, backend: str, session_id: int) -> None:
    """Terminate one server session (its transaction is rolled back) and wait until it is gone."""
    with engine.connect() as conn:
        if backend == "postgresql":
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": session_id})
        else:
            conn.execute(sa.text(f"KILL CONNECTION {int(session_id)}"))
    until(f"session {session_id} to end", lambda: not _alive(engine, backend, session_id))


def _alive(engine: sa.Engine, backend: str, session_id: int) -> bool:
    with engine.connect() as conn:
        if backend == "postgresql":
            query = "SELECT 1 FROM pg_stat_activity WHERE pid = :id"
        else:
            query = "SELECT 1 FROM information_schema.processlist WHERE id = :id"
        return conn.execute(sa.text(query), {"id": session_id}).first() is not None


def session_id_of(dbapi_connection: Any) -> int:
    """The server's id for a driver connection (psycopg sync or async, pymysql, aiomysql)."""
    info = getattr(dbapi_connection, "info", None)
    if info is not None and hasattr(info, "backend_pid"):
        return int(info.backend_pid)
    thread_id = dbapi_connection.thread_id
    return int(thread_id() if callable(thread_id) else thread_id)


@contextmanager
def held(engine: sa.Engine, *statements: Any) -> Iterator[sa.Connection]:
    """A transaction that ran ``statements`` and stays open (holding their locks) until the block ends.

    It commits at the end unless the block raised; ``conn.rollback()`` inside ends it early.
    """
    with engine.connect() as conn:
        transaction = conn.begin()
        for statement in statements:
            conn.execute(statement)
        try:
            yield conn
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
        if transaction.is_active:
            transaction.commit()


@contextmanager
def paused_before_commit(db: Any, method: str, *args: Any, **kwargs: Any) -> Iterator[Any]:
    """``db.<method>(...)`` run on a side connection up to, not including, its COMMIT.

    ``db`` is a sync db of ours; the method's own statements run (taking their locks) and the
    transaction commits when the block ends: a concurrent writer held just before its commit.
    """
    from repositories.core.operation import drive

    op = getattr(type(db), method).__agno_operation__(db, *args, **kwargs)
    engine = side_engine(db)
    try:
        with held(engine) as conn:
            yield drive(op.start(), conn)
    finally:
        engine.dispose()

"""Our database session killed by the server in the middle of a call (``pg_terminate_backend``,
MariaDB's ``KILL CONNECTION``): an admin, a failover or an OOM killer does this to live work.

Before COMMIT the server rolled the transaction back, so the executor reruns the call on a fresh
connection: it succeeds and stores its writes once. During COMMIT the outcome is unknown, so the
call raises ``CommitOutcomeUnknown`` (never a rerun that could store twice). Either way nothing
is half-written and the next call works: the pool drops the dead connection.

Every kill is observed server side (the session is gone from ``pg_stat_activity`` /
the process list) before the test goes on; no sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Self

import pytest
import sqlalchemy as sa
from agno.run.agent import RunOutput
from agno.session import AgentSession

from repositories import CommitOutcomeUnknown
from tests.repositories.server_side import (
    held,
    kill,
    lock_waiters,
    server_only,
    session_id_of,
    side_engine,
    until,
    wait_for_lock_waiter,
)


@pytest.fixture
def side(db: Any, backend: str) -> Iterator[sa.Engine]:
    server_only(backend)
    engine = side_engine(db)
    yield engine
    engine.dispose()


def statement_engine(db: Any) -> sa.Engine:
    """The engine whose events see the db's own statements (the async db's sync core)."""
    return getattr(db, "statement_engine", None) or db.db_engine


def seeded(db: Any) -> None:
    db.upsert_session(AgentSession(session_id="s1", agent_id="a1", user_id="u1", created_at=1))


def run(run_id: str) -> RunOutput:
    return RunOutput(run_id=run_id, session_id="s1", agent_id="a1", content=f"content of {run_id}")


def stored_runs(db: Any) -> list[tuple[str, int]]:
    rows, _ = db.get_runs(session_id="s1", deserialize=False)
    return sorted((r["run_id"], r["run_index"]) for r in rows)


class KillOnce:
    """Kill the db's own server session once, from a side connection, when ``event`` fires.

    ``after_cursor_execute`` with ``match``: right after the first statement containing it ran (the
    call is between statements); ``commit``: just before COMMIT goes to the server.
    """

    def __init__(self, db: Any, side: sa.Engine, backend: str, *, event: str, match: str = "") -> None:
        self.engine, self.side, self.backend, self.event, self.match = statement_engine(db), side, backend, event, match
        self.killed: list[int] = []
        self.statements: list[str] = []

    def _kill(self, conn: sa.Connection) -> None:
        if self.killed:
            return
        session = session_id_of(conn.connection.driver_connection)
        self.killed.append(session)
        kill(self.side, self.backend, session)

    def after_cursor_execute(self, conn: sa.Connection, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)
        if self.match and self.match in statement:
            self._kill(conn)

    def commit(self, conn: sa.Connection) -> None:
        self._kill(conn)

    def __enter__(self) -> Self:
        sa.event.listen(self.engine, "after_cursor_execute", self.after_cursor_execute)
        if self.event == "commit":
            sa.event.listen(self.engine, "commit", self.commit)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "after_cursor_execute", self.after_cursor_execute)
        if self.event == "commit":
            sa.event.remove(self.engine, "commit", self.commit)


def test_killed_between_statements_the_call_reruns_and_stores_once(db: Any, backend: str, side: sa.Engine) -> None:
    seeded(db)
    # upsert_run locks the session row first, then places and inserts the run: killed after the lock.
    with KillOnce(db, side, backend, event="statement", match="FOR UPDATE") as killer:
        db.upsert_run(run("r1"), session_id="s1", user_id="u1")
    assert len(killer.killed) == 1
    assert sum("FOR UPDATE" in s for s in killer.statements) == 2  # the rerun locked again
    assert stored_runs(db) == [("r1", 0)]
    session = db.get_session("s1", user_id="u1")
    assert [r.run_id for r in session.runs] == ["r1"]
    db.upsert_run(run("r2"), session_id="s1", user_id="u1")  # the pool works on
    assert stored_runs(db) == [("r1", 0), ("r2", 1)]


def test_killed_while_waiting_for_a_lock_the_call_reruns_and_stores_once(
    db: Any, backend: str, side: sa.Engine
) -> None:
    seeded(db)
    sessions = db.tables.sessions
    outcome: dict[str, Any] = {}

    def append() -> None:
        try:
            outcome["result"] = db.upsert_run(run("r1"), session_id="s1", user_id="u1")
        except BaseException as error:  # noqa: BLE001 - inspected below
            outcome["error"] = error

    lock = sa.select(sessions.c.session_id).where(sessions.c.session_id == "s1").with_for_update()
    with held(side, lock):
        writer = threading.Thread(target=append, daemon=True)
        writer.start()
        first = wait_for_lock_waiter(side, backend)
        kill(side, backend, first)
        # The rerun, on a fresh connection, waits for the same lock again.
        until("the rerun to wait for the lock", lambda: [s for s in lock_waiters(side, backend) if s != first])
    writer.join(30)
    assert not writer.is_alive() and "error" not in outcome, outcome
    assert stored_runs(db) == [("r1", 0)]
    assert db.get_session("s1", user_id="u1").runs[0].content == "content of r1"


def test_killed_during_commit_the_call_raises_and_nothing_is_stored(db: Any, backend: str, side: sa.Engine) -> None:
    seeded(db)
    with KillOnce(db, side, backend, event="commit") as killer, pytest.raises(CommitOutcomeUnknown) as caught:
        db.upsert_run(run("r1"), session_id="s1", user_id="u1")
    assert len(killer.killed) == 1
    assert isinstance(caught.value, sa.exc.OperationalError)
    assert "upsert_run: the connection to the database was lost during COMMIT" in str(caught.value)
    assert "may or may not be stored; it was not retried" in str(caught.value)
    # The server never received the COMMIT: the run and the session's run counters are as before.
    assert stored_runs(db) == []
    assert db.get_session("s1", user_id="u1").runs in (None, [])
    # The caller may retry: the pool hands out a live connection and the run is stored once.
    db.upsert_run(run("r1"), session_id="s1", user_id="u1")
    assert stored_runs(db) == [("r1", 0)]


def test_a_multi_statement_write_killed_midway_leaves_no_half(db: Any, backend: str, side: sa.Engine) -> None:
    """delete_session deletes the runs, then the session: killed after the first, it reruns whole."""
    seeded(db)
    db.upsert_run(run("r1"), session_id="s1", user_id="u1")
    db.upsert_session(AgentSession(session_id="s2", agent_id="a1", user_id="u1", created_at=1))
    with KillOnce(db, side, backend, event="statement", match="DELETE") as killer:
        assert db.delete_session("s1", user_id="u1") is True
    assert len(killer.killed) == 1
    assert db.get_session("s1", user_id="u1") is None and stored_runs(db) == []
    assert db.get_session("s2", user_id="u1") is not None

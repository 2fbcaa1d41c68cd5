"""Appending a run: two round trips, and no lost run, duplicate index or foreign write under concurrency.

The concurrent cases hold a session's lock in a raw transaction that writes a run, start
``upsert_run`` in a thread, wait until it is blocked on that transaction (PostgreSQL, MariaDB) and
only then commit: the waiting write must see the committed run, as READ COMMITTED (PostgreSQL)
and a snapshot opened before the wait (MariaDB) would not by themselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from agno.run.agent import RunOutput
from agno.session import AgentSession

from repositories import OwnershipError
from repositories.core.db import SqlDb


def run(run_id: str, session_id: str = "s", content: str = "x") -> RunOutput:
    return RunOutput(run_id=run_id, session_id=session_id, agent_id="a", content=content)


def stored(db: SqlDb, session_id: str = "s") -> list[tuple[str, int, str]]:
    rows, _ = db.get_runs(session_id=session_id, deserialize=False)
    return [(r["run_id"], r["run_index"], r["run_data"]["content"]) for r in rows]


@contextmanager
def statements(db: SqlDb) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = getattr(db, "statement_engine", db.db_engine)  # the async twin runs on its own
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_every_kind_of_run_write_takes_two_statements(db: SqlDb, backend: str) -> None:
    """Two round trips (lock and checks, then the write); one on SQLite, where the write checks itself."""
    db.upsert_session(AgentSession(session_id="s", agent_id="a", user_id="u"))
    db.upsert_run(run("r0"), session_id="s", user_id="u", run_index=0)  # connections warmed up
    stores = 1 if backend == "sqlite" else 2
    writes: list[tuple[Callable[[], Any], int]] = [
        (lambda: db.upsert_run(run("r1"), session_id="s", user_id="u", run_index=1), stores),  # its own index
        (lambda: db.upsert_run(run("r2"), session_id="s", user_id="u", run_index=0), stores),  # a taken one
        (lambda: db.upsert_run(run("r3"), session_id="s", user_id="u"), stores),  # none
        (lambda: db.upsert_run(run("r1", content="final"), session_id="s", user_id="u"), stores),  # an update
        (lambda: db.append_run_to_session_if_absent("s", run("r4").to_dict(), user_id="u"), stores),
        # Present: the checks alone say so; SQLite's write first finds nothing to write.
        (lambda: db.append_run_to_session_if_absent("s", run("r4").to_dict(), user_id="u"), 3 - stores),
    ]
    for write, expected in writes:
        with statements(db) as seen:
            write()
        assert len(seen) == expected, seen
    assert stored(db) == [("r0", 0, "x"), ("r1", 1, "final"), ("r2", 2, "x"), ("r3", 3, "x"), ("r4", 4, "x")]


def test_a_run_stored_without_an_index_gets_one_when_rewritten(db: SqlDb) -> None:
    db.upsert_session(AgentSession(session_id="s", agent_id="a", user_id="u"))
    db.upsert_run(run("r0"), session_id="s", user_id="u")
    runs = db.tables.runs
    with db._engine_for_queries().begin() as conn:  # as a writer that stores no index
        conn.execute(
            sa.insert(runs).values(
                run_id="loose", session_id="s", run_type="agent", created_at=1, run_data=run("loose").to_dict()
            )
        )
    db.upsert_run(run("loose", content="again"), session_id="s", user_id="u", run_index=0)
    assert sorted(stored(db), key=lambda r: r[1]) == [("r0", 0, "x"), ("loose", 1, "again")]


def test_another_users_session_never_gets_a_run(db: SqlDb) -> None:
    db.upsert_session(AgentSession(session_id="s", agent_id="a", user_id="alice"))
    with pytest.raises(OwnershipError, match="belongs to another user"):
        db.append_run_to_session_if_absent("s", run("r1").to_dict(), user_id="bob")
    with pytest.raises(OwnershipError, match="belongs to another user"):
        db.upsert_run(run("r1"), session_id="s", user_id="bob", run_index=0)
    assert stored(db) == []


# --- concurrent writers -------------------------------------------------------------------------


def _blocked(conn: sa.Connection, backend: str, database: str | None) -> bool:
    """Whether the write has reached a statement that needs the held locks (so it waits there)."""
    if backend == "postgresql":
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        return bool(conn.execute(sa.text(query)).scalar())
    # MariaDB reports a wait in the optimizer's read of a locked row as no lock wait at all: look
    # for the locking read itself, which cannot finish before the holder commits.
    query = (
        "SELECT count(*) FROM information_schema.processlist WHERE db = :db AND id <> CONNECTION_ID() "
        "AND info LIKE '%FOR UPDATE%'"
    )
    return bool(conn.execute(sa.text(query), {"db": database}).scalar())


def _while_holding(db: SqlDb, backend: str, hold: Callable[[sa.Connection], None], write: Callable[[], Any]) -> Any:
    """Run ``hold`` in an open transaction, start ``write`` in a thread, commit once it waits."""
    engine = db._engine_for_queries()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = write()
        except BaseException as error:  # noqa: BLE001 - handed to the test below
            outcome["error"] = error

    with engine.connect() as holder:
        holder.begin()
        hold(holder)
        thread = threading.Thread(target=target)
        thread.start()
        if backend != "sqlite":  # SQLite's writer waits for the whole file: nothing to observe
            with engine.connect() as probe:
                deadline = time.monotonic() + 30
                while not _blocked(probe, backend, engine.url.database):
                    assert time.monotonic() < deadline, "the write never waited for the held lock"
                    assert thread.is_alive(), f"the write did not wait: {outcome}"
                    probe.rollback()  # a fresh snapshot for the next look
        holder.commit()
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _insert(conn: sa.Connection, db: SqlDb, run_id: str, session_id: str, run_index: int) -> None:
    conn.execute(
        sa.insert(db.tables.runs).values(
            run_id=run_id,
            session_id=session_id,
            run_type="agent",
            run_index=run_index,
            created_at=1,
            run_data=run(run_id, session_id, content="theirs").to_dict(),
        )
    )


def _two_sessions(db: SqlDb) -> None:
    for session_id in ("s", "s2"):
        db.upsert_session(AgentSession(session_id=session_id, agent_id="a", user_id="u"))
    db.upsert_run(run("r0"), session_id="s", user_id="u", run_index=0)


def test_a_write_waiting_on_the_session_places_its_run_after_the_committed_one(db: SqlDb, backend: str) -> None:
    _two_sessions(db)
    _while_holding(
        db,
        backend,
        lambda conn: _insert(conn, db, "theirs", "s", 1),
        lambda: db.upsert_run(run("mine", content="mine"), session_id="s", user_id="u", run_index=1),
    )
    assert stored(db) == [("r0", 0, "x"), ("theirs", 1, "theirs"), ("mine", 2, "mine")]


def test_a_write_waiting_on_the_same_run_id_updates_it_in_place(db: SqlDb, backend: str) -> None:
    _two_sessions(db)
    _while_holding(
        db,
        backend,
        lambda conn: _insert(conn, db, "dup", "s", 1),
        lambda: db.upsert_run(run("dup", content="mine"), session_id="s", user_id="u", run_index=1),
    )
    assert stored(db) == [("r0", 0, "x"), ("dup", 1, "mine")]


def test_a_run_id_stored_meanwhile_in_another_session_is_refused(db: SqlDb, backend: str) -> None:
    _two_sessions(db)
    with pytest.raises(OwnershipError, match="another session|session 's2'"):
        _while_holding(
            db,
            backend,
            lambda conn: _insert(conn, db, "dup", "s2", 0),
            lambda: db.upsert_run(run("dup", content="mine"), session_id="s", user_id="u"),
        )
    assert stored(db) == [("r0", 0, "x")]
    assert stored(db, "s2") == [("dup", 0, "theirs")]

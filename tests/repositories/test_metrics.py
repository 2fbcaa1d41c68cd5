"""Daily metrics on every backend: the rows agno's own implementation computes for the same data,
incremental recalculation, filters, ownership of buckets, and concurrent recalculations."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from agno.run.agent import RunOutput
from agno.run.team import TeamRunOutput
from agno.run.workflow import WorkflowRunOutput
from agno.session import AgentSession, TeamSession, WorkflowSession
from sqlalchemy.engine import URL

from agno_models import analytics
from repositories.core.db import SqlDb

TODAY = datetime.now(timezone.utc).date()


def midnight(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc).timestamp())


def days_ago(n: int, seconds: int = 36_000) -> int:
    return midnight(TODAY - timedelta(days=n)) + seconds


def tokens(**values: int) -> dict[str, Any]:
    return {"session_metrics": values, "session_state": {"x": 1}}


def seed(db: Any) -> None:
    """Sessions of every type over several days, owned and unowned, with and without runs and tokens."""
    sessions: list[tuple[Any, list[Any]]] = [
        (AgentSession(session_id="s1", agent_id="a1", user_id="u1", created_at=days_ago(3),
                      session_data=tokens(input_tokens=10, output_tokens=5, total_tokens=15)),
         [RunOutput(run_id="r1", agent_id="a1", session_id="s1", model="gpt-4o", model_provider="OpenAI"),
          RunOutput(run_id="r2", agent_id="a1", session_id="s1", model="gpt-4o", model_provider="OpenAI"),
          RunOutput(run_id="r3", agent_id="a1", session_id="s1")]),
        (TeamSession(session_id="s2", team_id="t1", user_id="u1", created_at=days_ago(3, 50),
                     session_data=tokens(input_tokens=1, reasoning_tokens=2, audio_total_tokens=3)),
         [TeamRunOutput(run_id="tr1", team_id="t1", session_id="s2", model="claude", model_provider="Anthropic"),
          RunOutput(run_id="member", agent_id="a1", session_id="s2", parent_run_id="tr1", model="gpt-4o-mini",
                    model_provider="OpenAI")]),
        (WorkflowSession(session_id="s3", workflow_id="w1", user_id=None, created_at=days_ago(3, 70)),
         [WorkflowRunOutput(run_id="wr1", workflow_id="w1", session_id="s3")]),
        (AgentSession(session_id="s4", agent_id="a2", user_id="u2", created_at=days_ago(1, 0),  # exactly midnight
                      session_data=tokens(input_tokens=1, output_tokens=2, total_tokens=3, audio_total_tokens=4,
                                          audio_input_tokens=5, audio_output_tokens=6, cache_read_tokens=7,
                                          cache_write_tokens=8, reasoning_tokens=9)),
         [RunOutput(run_id="r4", agent_id="a2", session_id="s4", model="ns:model", model_provider="prov")]),
        (AgentSession(session_id="s5", agent_id="a2", user_id="u2", created_at=days_ago(1, -1)), []),  # day 2
        (AgentSession(session_id="s6", agent_id="a2", user_id="u2", created_at=days_ago(1, 5),
                      session_data={"session_state": {}}), []),
        (TeamSession(session_id="s7", team_id="t1", user_id=None, created_at=days_ago(0, 1),
                     session_data=tokens(total_tokens=100)),
         [TeamRunOutput(run_id="tr7", team_id="t1", session_id="s7", model="claude", model_provider="Anthropic")]),
        (AgentSession(session_id="s8", agent_id="a1", user_id="u1", created_at=days_ago(0, 2),
                      session_data=tokens(cache_read_tokens=7, input_tokens=40)),
         [RunOutput(run_id=f"r8-{i}", agent_id="a1", session_id="s8", model="gpt-4o", model_provider="OpenAI")
          for i in range(3)]),
    ]
    for session, runs in sessions:
        db.upsert_session(session)
        for index, run in enumerate(runs):
            db.upsert_run(run, session_id=session.session_id, user_id=session.user_id, run_index=index)


def comparable(rows: list[Any] | None) -> list[dict[str, Any]]:
    """Metric rows without what differs between two computations of the same data."""
    result = []
    for row in rows or []:
        record = {k: v for k, v in dict(row).items() if k not in ("id", "created_at", "updated_at")}
        record["model_metrics"] = sorted(record["model_metrics"], key=lambda m: (m["model_id"], m["model_provider"]))
        result.append(record)
    return sorted(result, key=lambda r: (r["date"], r["user_id"] or ""))


@pytest.fixture
def agno_sqlite(tmp_path: Path) -> AgnoSqliteDb:
    return AgnoSqliteDb(db_file=str(tmp_path / "agno_reference.db"))


@pytest.fixture
def agno_postgres(backend: str, db_url: URL) -> Iterator[Any]:
    """agno's own PostgresDb, in its own schema of the test database (PostgreSQL runs only)."""
    if backend != "postgresql":
        pytest.skip("agno's PostgresDb runs on PostgreSQL")
    from agno.db.postgres import PostgresDb as AgnoPostgresDb

    reference = AgnoPostgresDb(db_url=db_url.render_as_string(hide_password=False), db_schema="agno_reference")
    yield reference
    reference.db_engine.dispose()


# --- equality with agno -----------------------------------------------------------------------


def test_rows_equal_agno_sqlite(db: SqlDb, agno_sqlite: AgnoSqliteDb) -> None:
    seed(db)
    seed(agno_sqlite)
    ours = db.calculate_metrics()
    theirs = agno_sqlite.calculate_metrics()
    assert len(ours) == 6
    assert comparable(ours) == comparable(theirs)
    assert comparable(db.get_metrics()[0]) == comparable(agno_sqlite.get_metrics()[0])
    for user_id in ("u1", "u2", "", "nobody"):
        assert comparable(db.get_metrics(user_id=user_id)[0]) == comparable(agno_sqlite.get_metrics(user_id=user_id)[0])


def test_rows_equal_agno_postgres(db: SqlDb, agno_postgres: Any) -> None:
    seed(db)
    seed(agno_postgres)
    for target in (db, agno_postgres):  # a run without a provider: PostgresDb counts it under ""
        target.upsert_session(AgentSession(session_id="bare", agent_id="a", user_id="u3", created_at=days_ago(2)))
        target.upsert_run({"run_id": "bare-run", "agent_id": "a", "session_id": "bare", "model": "m"},
                          session_id="bare", user_id="u3", run_index=0)
    assert comparable(db.calculate_metrics()) == comparable(agno_postgres.calculate_metrics())
    assert comparable(db.get_metrics()[0]) == comparable(agno_postgres.get_metrics()[0])


def test_expected_numbers(db: SqlDb) -> None:
    seed(db)
    rows = {(r["date"], r["user_id"]): r for r in db.calculate_metrics()}
    day3, day2, day1, day0 = (TODAY - timedelta(days=n) for n in (3, 2, 1, 0))
    assert set(rows) == {(day3, "u1"), (day3, ""), (day2, "u2"), (day1, "u2"), (day0, ""), (day0, "u1")}
    u1 = rows[(day3, "u1")]
    assert (u1["agent_sessions_count"], u1["team_sessions_count"], u1["workflow_sessions_count"]) == (1, 1, 0)
    assert (u1["agent_runs_count"], u1["team_runs_count"], u1["workflow_runs_count"]) == (3, 2, 0)
    assert u1["users_count"] == 1 and u1["completed"] is True and u1["aggregation_period"] == "daily"
    assert u1["token_metrics"] == {
        "input_tokens": 11, "output_tokens": 5, "total_tokens": 15, "audio_total_tokens": 3, "audio_input_tokens": 0,
        "audio_output_tokens": 0, "cache_read_tokens": 0, "cache_write_tokens": 0, "reasoning_tokens": 2,
    }
    assert sorted(u1["model_metrics"], key=lambda m: m["model_id"]) == [
        {"model_id": "claude", "model_provider": "Anthropic", "count": 1},
        {"model_id": "gpt-4o", "model_provider": "OpenAI", "count": 2},
        {"model_id": "gpt-4o-mini", "model_provider": "OpenAI", "count": 1},
    ]
    unowned = rows[(day3, "")]
    assert (unowned["workflow_sessions_count"], unowned["workflow_runs_count"], unowned["users_count"]) == (1, 1, 0)
    assert rows[(day1, "u2")]["model_metrics"] == [{"model_id": "ns:model", "model_provider": "prov", "count": 1}]
    assert rows[(day1, "u2")]["agent_sessions_count"] == 2
    assert rows[(day2, "u2")]["agent_sessions_count"] == 1
    assert rows[(day0, "u1")]["completed"] is False
    assert rows[(day0, "u1")]["token_metrics"]["cache_read_tokens"] == 7
    assert rows[(day0, "")]["team_runs_count"] == 1


# --- recalculation ------------------------------------------------------------------------------


def test_nothing_to_calculate(db: SqlDb) -> None:
    assert db.calculate_metrics() is None  # no sessions at all
    assert db.get_metrics() == ([], None)


def test_recalculation_resumes_after_the_last_completed_day(db: SqlDb) -> None:
    db.upsert_session(AgentSession(session_id="old", agent_id="a", user_id="u1", created_at=days_ago(2)))
    first = db.calculate_metrics()
    assert [(r["date"], r["completed"]) for r in first] == [(TODAY - timedelta(days=2), True)]
    # the completed day is not rebuilt; today has no sessions yet
    assert db.calculate_metrics() == []
    # a session today is counted; a late session on the completed day is not (agno's rule)
    db.upsert_session(AgentSession(session_id="late", agent_id="a", user_id="u1", created_at=days_ago(2, 99)))
    db.upsert_session(AgentSession(session_id="new", agent_id="a", user_id="u1", created_at=days_ago(0, 1)))
    second = db.calculate_metrics()
    assert [(r["date"], r["agent_sessions_count"], r["completed"]) for r in second] == [(TODAY, 1, False)]
    db.upsert_session(AgentSession(session_id="new2", agent_id="a", user_id="u1", created_at=days_ago(0, 2)))
    third = db.calculate_metrics()
    assert [(r["date"], r["agent_sessions_count"]) for r in third] == [(TODAY, 2)]
    assert third[0]["id"] == second[0]["id"]  # the row was updated in place, not duplicated
    rows, _ = db.get_metrics()
    assert [(r["date"], r["agent_sessions_count"]) for r in rows] == [(TODAY - timedelta(days=2), 1), (TODAY, 2)]


def test_many_sessions_are_aggregated_in_sql(db: SqlDb) -> None:
    """A thousand sessions and two thousand runs make exactly the expected buckets."""
    sessions, runs = db.tables.sessions, db.tables.runs
    session_rows, run_rows = [], []
    for i in range(1000):
        session_rows.append({
            "session_id": f"s{i}", "session_type": "agent", "agent_id": "a", "user_id": f"u{i % 7}",
            "session_data": {"session_metrics": {"input_tokens": i}}, "created_at": days_ago(i % 3, i),
        })
        for j in range(2):
            run_rows.append({
                "run_id": f"r{i}-{j}", "session_id": f"s{i}", "run_type": "agent", "run_index": j,
                "run_data": {"run_id": f"r{i}-{j}", "model": f"m{j}", "model_provider": "p"}, "created_at": 0,
            })
    db._ensure_schema()
    with db._engine_for_queries().begin() as conn:
        conn.execute(sa.insert(sessions), session_rows)
        conn.execute(sa.insert(runs), run_rows)
        # Rows stored before revision 0003 (an adopted agno database) get their typed columns so.
        analytics.backfill_runs(conn, db.tables.names, schema=db.db_schema, out=io.StringIO())
        analytics.backfill_sessions(conn, db.tables.names, schema=db.db_schema, out=io.StringIO())
    rows = db.calculate_metrics()
    assert len(rows) == 21  # 3 days x 7 users
    assert sum(r["agent_sessions_count"] for r in rows) == 1000
    assert sum(r["agent_runs_count"] for r in rows) == 2000
    assert sum(r["token_metrics"]["input_tokens"] for r in rows) == sum(range(1000))
    assert sum(m["count"] for r in rows for m in r["model_metrics"]) == 2000


def test_concurrent_recalculations_leave_one_row_per_bucket(db: SqlDb) -> None:
    seed(db)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            db.calculate_metrics()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows, _ = db.get_metrics()
    assert len(rows) == 6
    assert len({(r["date"], r["user_id"]) for r in rows}) == 6


def test_recalculations_racing_two_users_writes_keep_each_users_buckets_their_own(db: SqlDb) -> None:
    """Sessions of two users written while two workers recalculate: afterwards every bucket is
    one user's, once, and get_metrics(user_id=...) counts exactly that user's sessions."""
    per_user = 6
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def write(user: str) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(per_user):
                # Today: a completed day is calculated once (as in agno), today's bucket every time.
                db.upsert_session(AgentSession(session_id=f"{user}-{i}", agent_id="a", user_id=user,
                                               created_at=days_ago(0, 100 + i)))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def recalculate() -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(3):
                db.calculate_metrics()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(u,)) for u in ("u1", "u2")]
    threads += [threading.Thread(target=recalculate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.calculate_metrics()
    rows, _ = db.get_metrics()
    assert len({(r["date"], r["user_id"]) for r in rows}) == len(rows)
    for user in ("u1", "u2"):
        mine = db.get_metrics(user_id=user)[0]
        assert {r["user_id"] for r in mine} == {user}
        assert sum(r["agent_sessions_count"] for r in mine) == per_user


# --- reading ------------------------------------------------------------------------------------


def test_get_metrics_filters_and_owners(db: SqlDb) -> None:
    seed(db)
    db.calculate_metrics()
    rows, latest = db.get_metrics()
    assert len(rows) == 6 and latest is not None and latest >= int(time.time()) - 60
    assert all(r["user_id"] != "" for r in rows)  # the unowned bucket reads as None, as agno reports it
    assert sorted({r["user_id"] or "" for r in rows}) == ["", "u1", "u2"]
    assert {r["user_id"] for r in db.get_metrics(user_id="u1")[0]} == {"u1"}
    assert len(db.get_metrics(user_id="u1")[0]) == 2
    assert [r["user_id"] for r in db.get_metrics(user_id="")[0]] == [None, None]
    assert db.get_metrics(user_id="nobody") == ([], None)
    window = db.get_metrics(starting_date=TODAY - timedelta(days=2), ending_date=TODAY - timedelta(days=1))[0]
    assert [(r["date"], r["user_id"]) for r in window] == [
        (TODAY - timedelta(days=2), "u2"),
        (TODAY - timedelta(days=1), "u2"),
    ]
    assert [r["date"] for r in db.get_metrics(starting_date=TODAY)[0]] == [TODAY, TODAY]
    assert len(db.get_metrics(ending_date=TODAY - timedelta(days=3))[0]) == 2


def test_get_metrics_refreshes_lazily(db: SqlDb) -> None:
    seed(db)
    rows, _ = db.get_metrics()  # never calculated on this object: it refreshes first, as agno does
    assert len(rows) == 6
    db.upsert_session(AgentSession(session_id="more", agent_id="a", user_id="u9", created_at=days_ago(0, 3)))
    assert len(db.get_metrics()[0]) == 6  # refreshed less than a minute ago: served as stored
    db._metrics_refreshed_at -= 61
    assert len(db.get_metrics()[0]) == 7

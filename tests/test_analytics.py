"""Analytics on every backend: typed run columns and session counters at write time, the views, and
the cookbook in docs/analytics.md, every query of which runs here against a seeded data set whose
answers are computed independently from the seed.
"""

from __future__ import annotations

import io
import math
import random
import re
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.schemas.evals import EvalRunRecord, EvalType
from agno.db.schemas.memory import UserMemory
from agno.db.schemas.scheduler import Schedule, ScheduleRun
from agno.metrics import ModelMetrics, RunMetrics
from agno.run.agent import RunErrorEvent, RunOutput
from agno.run.base import RunStatus
from agno.run.team import TeamRunOutput
from agno.run.workflow import WorkflowRunOutput
from agno.session import AgentSession, TeamSession
from agno.tracing.schemas import Span, Trace

from agno_models.analytics import (
    RUN_COLUMNS,
    SESSION_COLUMNS,
    Progress,
    derived_name,
    run_analytics,
    view_names,
)
from agno_models.engine import create_engine
from agno_models.layout import DEFAULT_NAMES
from repositories.core.db import SqlDb
from tests.repositories import conftest as repository_fixtures
from tests.repositories.conftest import make_db

# The repositories' ``db`` fixture (sync and async class, fresh migrated database, every backend).
db = repository_fixtures.db
flavour = repository_fixtures.flavour
fresh_url = repository_fixtures.fresh_url
templates = repository_fixtures.templates

ROOT = Path(__file__).resolve().parent.parent
COOKBOOK = ROOT / "docs" / "analytics.md"
VIEWS = view_names(DEFAULT_NAMES)


# --- helpers --------------------------------------------------------------------------------------


def epoch(day: int, hour: int = 0, minute: int = 0) -> int:
    """Epoch seconds of 2026-03-<day> hour:minute UTC."""
    return int(datetime(2026, 3, day, hour, minute, tzinfo=UTC).timestamp())


def day_of(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).date().isoformat()


def percentile_cont(values: list[float], p: float) -> float | None:
    """PostgreSQL's percentile_cont, in Python."""
    if not values:
        return None
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def plain(value: Any) -> Any:
    """A database value as plain Python: Decimal as float, dates as ISO strings."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        if expected is None or actual is None:
            return expected is actual
        # MySQL's DECIMAL division and AVG keep 4-5 decimals.
        return math.isclose(float(expected), float(actual), rel_tol=1e-6, abs_tol=1e-4)
    return expected == actual


def assert_rows(expected: list[tuple[Any, ...]], actual: list[tuple[Any, ...]], where: str) -> None:
    actual = [tuple(plain(v) for v in row) for row in actual]
    assert len(actual) == len(expected), f"{where}: {len(actual)} rows, expected {len(expected)}:\n{actual}\n{expected}"
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        assert len(want) == len(got) and all(same(w, g) for w, g in zip(want, got, strict=True)), (
            f"{where}, row {index}: expected {want}, got {got}"
        )


def query_engine(db: Any) -> sa.Engine:
    return db._engine_for_queries()


def raw_sql(engine: sa.Engine, backend: str, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``sql`` exactly as written (no bind-parameter parsing) on a DBAPI cursor."""
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if backend == "postgresql":
                cursor.execute('SET search_path TO "ai", public')  # PostgresDb's schema, as the doc says
            cursor.execute(sql)
            columns = [d[0] for d in cursor.description]
            return columns, [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()
            conn.rollback()


def stored_run(db: Any, run_id: str) -> dict[str, Any]:
    runs = db.tables.runs
    with query_engine(db).connect() as conn:
        row = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).one()
    return dict(row._mapping)


def counters(db: Any, session_id: str) -> tuple[int, int | None]:
    sessions = db.tables.sessions
    with query_engine(db).connect() as conn:
        row = conn.execute(
            sa.select(sessions.c.run_count, sessions.c.last_run_at).where(sessions.c.session_id == session_id)
        ).one()
    return int(row.run_count), row.last_run_at


def agent_session(session_id: str, user_id: str = "alice", **fields: Any) -> AgentSession:
    return AgentSession(session_id=session_id, agent_id=fields.pop("agent_id", "support"), user_id=user_id, **fields)


# --- the derivation, without a database ---------------------------------------------------------


def test_run_analytics_reads_agnos_run_dicts() -> None:
    run = RunOutput(
        run_id="r", agent_id="a", model="gpt-4o", model_provider="OpenAI", status=RunStatus.completed,
        metrics=RunMetrics(input_tokens=100, output_tokens=40, total_tokens=140, reasoning_tokens=7,
                           cache_read_tokens=3, cache_write_tokens=2, cost=0.0012345678, duration=1.2346,
                           time_to_first_token=0.25,
                           details={"model": [ModelMetrics(id="gpt-4o", provider="OpenAI", input_tokens=100)]}),
    )
    values = run_analytics(run.to_dict(), created_at=epoch(1, 9, 30))
    assert values == {
        "model_id": "gpt-4o", "model_provider": "OpenAI", "input_tokens": 100, "output_tokens": 40,
        "total_tokens": 140, "reasoning_tokens": 7, "cache_read_tokens": 3, "cache_write_tokens": 2,
        "cost_nanos": 1_234_568, "duration_ms": 1235, "time_to_first_token_ms": 250, "error_message": None,
        "created_time": datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "created_date": date(2026, 3, 1),
    }
    assert set(values) == set(RUN_COLUMNS)
    # agno leaves zero counts out of metrics: absent means 0; no metrics at all means unknown.
    sparse = run_analytics(RunOutput(run_id="r", metrics=RunMetrics(output_tokens=5)).to_dict(), created_at=0)
    assert (sparse["input_tokens"], sparse["output_tokens"]) == (0, 5)
    assert (sparse["cost_nanos"], sparse["duration_ms"]) == (None, None)
    bare = run_analytics(RunOutput(run_id="r").to_dict(), created_at=0)
    assert bare["input_tokens"] is None and bare["model_id"] is None and bare["created_date"] == date(1970, 1, 1)


def test_run_analytics_finds_the_error_text_of_each_kind_of_run() -> None:
    failed = RunOutput(run_id="r", status=RunStatus.error, content="partial answer",
                       events=[RunErrorEvent(content="first"), RunErrorEvent(content="rate limit exceeded")])
    assert run_analytics(failed.to_dict(), created_at=0)["error_message"] == "rate limit exceeded"
    no_events = RunOutput(run_id="r", status=RunStatus.error, content="KeyError: 'id'")
    assert run_analytics(no_events.to_dict(), created_at=0)["error_message"] == "KeyError: 'id'"
    team = TeamRunOutput(run_id="t", team_id="crew", status=RunStatus.error, content="team failed")
    assert run_analytics(team.to_dict(), created_at=0)["error_message"] == "team failed"
    workflow = WorkflowRunOutput(run_id="w", status=RunStatus.error).to_dict()
    workflow["events"] = [{"event": "WorkflowError", "error": "step 2 timed out"}]
    assert run_analytics(workflow, created_at=0)["error_message"] == "step 2 timed out"
    lowercase = {"status": "error", "error": "lowercase status"}
    assert run_analytics(lowercase, created_at=0)["error_message"] == "lowercase status"
    # A run that did not fail has no error, whatever its content says.
    assert run_analytics({"status": "COMPLETED", "content": "an error?"}, created_at=0)["error_message"] is None


def test_run_analytics_turns_what_it_cannot_store_into_null() -> None:
    junk = {
        "model": 42, "model_provider": "x" * 500, "status": "ERROR", "content": "bad\x00byte",
        "metrics": {"input_tokens": "12", "output_tokens": True, "total_tokens": 7.0, "reasoning_tokens": 2**70,
                    "cache_read_tokens": float("nan"), "cost": "0.1", "duration": float("inf"),
                    "time_to_first_token": -0.5},
    }
    values = run_analytics(junk, created_at=2**62)
    assert values["model_id"] is None and values["model_provider"] == "x" * 128
    assert (values["input_tokens"], values["output_tokens"], values["total_tokens"]) == (None, None, 7)
    assert (values["reasoning_tokens"], values["cache_read_tokens"], values["cost_nanos"]) == (None, None, None)
    assert (values["duration_ms"], values["time_to_first_token_ms"]) == (None, -500)
    assert values["error_message"] == "badbyte"
    assert values["created_time"] is None and values["created_date"] is None
    assert run_analytics({"metrics": "not a dict", "model": "m" * 300}, created_at=None)["model_id"] == "m" * 255


def test_derived_names_fit_postgresql_and_stay_distinct() -> None:
    assert derived_name("agno_runs", "daily_usage") == "agno_runs_daily_usage"
    long_a, long_b = "a" * 60 + "_runs_one", "a" * 60 + "_runs_two"
    name_a, name_b = derived_name(long_a, "daily_usage"), derived_name(long_b, "daily_usage")
    assert len(name_a) == len(name_b) == 63 and name_a != name_b and name_a.endswith("_daily_usage")
    assert VIEWS.in_creation_order() == (
        "agno_runs_daily_usage", "agno_sessions_overview", "agno_memories_topics", "agno_memories_user_topics",
        "agno_traces_latency", "agno_spans_latency",
    )


def test_progress_bar_redraws_on_a_terminal_and_prints_tenths_in_a_log() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    bar = Progress("backfill agno_runs", 4, terminal)
    for _ in range(4):
        bar.advance(1)
    assert terminal.getvalue().count("\r") == 4 and terminal.getvalue().endswith("4/4\n")
    assert "\rbackfill agno_runs [" + "#" * 15 + "." * 15 + "] 2/4" in terminal.getvalue()
    log = io.StringIO()
    bar = Progress("backfill agno_runs", 1000, log)
    for _ in range(100):
        bar.advance(10)
    lines = log.getvalue().splitlines()
    assert len(lines) == 11 and lines[0].endswith(" 10/1000") and lines[-1].endswith("1000/1000")
    assert "\r" not in log.getvalue()


# --- typed columns and counters at write time -----------------------------------------------------


def metered_run(run_id: str, session_id: str = "s1", **fields: Any) -> RunOutput:
    metrics = RunMetrics(input_tokens=10, output_tokens=5, total_tokens=15, cost=0.002, duration=0.75,
                         time_to_first_token=0.1)
    return RunOutput(run_id=run_id, session_id=session_id, agent_id="support", model="gpt-4o",
                     model_provider="OpenAI", metrics=fields.pop("metrics", metrics), **fields)


def test_a_stored_run_has_its_typed_columns_and_reads_back_in_agnos_shape(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    run = metered_run("r1", created_at=epoch(2, 10))
    db.upsert_run(run, session_id="s1", user_id="alice", run_index=0)
    row = stored_run(db, "r1")
    assert {k: row[k] for k in RUN_COLUMNS} == run_analytics(run.to_dict(), created_at=epoch(2, 10))
    assert (row["model_id"], row["input_tokens"]) == ("gpt-4o", 10)
    assert (row["cost_nanos"], row["duration_ms"]) == (2_000_000, 750)
    assert row["created_time"] == datetime(2026, 3, 2, 10, tzinfo=UTC) and row["created_date"] == date(2026, 3, 2)
    raw = db.get_run("r1", deserialize=False)
    assert not set(RUN_COLUMNS) & set(raw)
    assert not set(RUN_COLUMNS) & set(db.get_runs(session_id="s1", deserialize=False)[0][0])
    session = db.get_session("s1", None, deserialize=False)
    assert not set(SESSION_COLUMNS) & set(session)


def test_rewriting_a_run_rewrites_its_values_but_not_its_creation_time(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    db.upsert_run(metered_run("r1", created_at=epoch(2, 10), status=RunStatus.running), session_id="s1",
                  user_id="alice", run_index=0)
    failed = metered_run("r1", created_at=epoch(3, 10), status=RunStatus.error, content="partial",
                         events=[RunErrorEvent(content="context window exceeded")],
                         metrics=RunMetrics(input_tokens=900, cost=0.5))
    db.upsert_run(failed, session_id="s1", user_id="alice")
    row = stored_run(db, "r1")
    assert (row["status"], row["error_message"], row["input_tokens"], row["output_tokens"]) == (
        "ERROR", "context window exceeded", 900, 0)
    assert (row["cost_nanos"], row["duration_ms"]) == (500_000_000, None)
    # created_at is fixed at the first write, and so are its typed copies.
    assert (row["created_at"], row["created_date"]) == (epoch(2, 10), date(2026, 3, 2))


def test_queue_worker_writes_fill_and_refresh_the_typed_columns(db: SqlDb) -> None:
    db.insert_session_if_absent(agent_session("s1"))
    pending = metered_run("r1", status=RunStatus.pending, content=None, created_at=epoch(1, 8)).to_dict()
    assert db.append_run_to_session_if_absent("s1", pending, user_id="alice") is True
    assert stored_run(db, "r1")["total_tokens"] == 15
    assert counters(db, "s1") == (1, epoch(1, 8))
    db.update_run_in_session("s1", "r1", {"status": "error", "content": "tool crashed",
                                          "metrics": {"input_tokens": 33, "duration": 2.5}}, user_id="alice")
    row = stored_run(db, "r1")
    assert (row["status"], row["error_message"]) == ("ERROR", "tool crashed")
    assert (row["input_tokens"], row["duration_ms"]) == (33, 2500)
    assert row["created_date"] == date(2026, 3, 1)

    pending2 = metered_run("r2", status=RunStatus.pending, content=None, created_at=epoch(1, 9)).to_dict()
    db.append_run_to_session_if_absent("s1", pending2, user_id="alice")
    assert db.cancel_pending_run("r2", session_id="s1", reason="server restart", user_id="alice") is True
    row = stored_run(db, "r2")
    assert (row["status"], row["error_message"], row["model_id"]) == ("CANCELLED", None, "gpt-4o")
    assert counters(db, "s1") == (2, epoch(1, 9))


def test_session_counters_follow_inserts_updates_and_deletes(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    db.upsert_session(agent_session("s2"))
    assert counters(db, "s1") == (0, None)
    for i, hour in enumerate((9, 11, 10)):
        db.upsert_run(metered_run(f"r{i}", created_at=epoch(1, hour)), session_id="s1", user_id="alice")
    db.upsert_run(metered_run("other", "s2", created_at=epoch(2)), session_id="s2", user_id="alice")
    assert counters(db, "s1") == (3, epoch(1, 11))
    db.upsert_run(metered_run("r1", created_at=epoch(3)), session_id="s1", user_id="alice")  # an update
    assert counters(db, "s1") == (3, epoch(1, 11))
    db.upsert_session(agent_session("s1"))  # rewriting the session keeps its counters
    assert counters(db, "s1") == (3, epoch(1, 11))
    assert db.delete_run("r1") is True
    assert counters(db, "s1") == (2, epoch(1, 10))
    assert db.delete_run("r1") is False
    db.delete_runs(["r0", "other", "unknown"])
    assert counters(db, "s1") == (1, epoch(1, 10)) and counters(db, "s2") == (0, None)
    db.delete_runs(["r2"])
    assert counters(db, "s1") == (0, None)


def test_counters_stay_exact_under_concurrent_appends_and_deletes(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    for i in range(6):
        db.upsert_run(metered_run(f"old{i}", created_at=epoch(1, i)), session_id="s1", user_id="alice")
    errors: list[BaseException] = []
    barrier = threading.Barrier(5)

    def append(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                db.upsert_run(metered_run(f"w{worker}-{i}", created_at=epoch(2, worker, i)), session_id="s1",
                              user_id="alice", run_index=i)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def delete() -> None:
        try:
            barrier.wait()
            for i in range(6):
                db.delete_run(f"old{i}")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=append, args=(w,)) for w in range(4)] + [threading.Thread(target=delete)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert counters(db, "s1") == (20, epoch(2, 3, 4))
    assert db.get_runs(session_id="s1", deserialize=False)[1] == 20


# --- the views ------------------------------------------------------------------------------------


def test_view_percentiles_interpolate_like_percentile_cont(db: SqlDb, backend: str) -> None:
    rng = random.Random(7)
    db.upsert_session(agent_session("s1"))
    expected: dict[tuple[str, str], list[int]] = defaultdict(list)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for i in range(60):
        model = rng.choice(["m1", "m2", "m3"])
        day = rng.choice([1, 2])
        duration = rng.choice([None, rng.randint(1, 50) * 10, rng.randint(1, 9_999)])  # ties and gaps
        metrics = RunMetrics(input_tokens=1) if duration is None else RunMetrics(duration=duration / 1000)
        db.upsert_run(RunOutput(run_id=f"r{i}", agent_id="a", model=model, metrics=metrics,
                                created_at=epoch(day, 1, i % 60)), session_id="s1", user_id="alice")
        counts[(day_of(epoch(day)), model)] += 1
        if duration is not None:
            expected[(day_of(epoch(day)), model)].append(duration)
    sql = (f"SELECT day, model_id, runs, p50_duration_ms, p95_duration_ms, max_duration_ms FROM {VIEWS.daily_usage} "
           "ORDER BY day, model_id")
    _, rows = raw_sql(query_engine(db), backend, sql)
    want = [
        (day, model, counts[(day, model)], percentile_cont(expected[(day, model)], 0.5),
         percentile_cont(expected[(day, model)], 0.95), max(expected[(day, model)], default=None))
        for day, model in sorted(counts)
    ]
    assert_rows(want, rows, "daily usage percentiles")
    if backend == "postgresql":  # and the database's own ordered-set aggregate agrees
        check = ("SELECT created_date, model_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms), "
                 "percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) FROM agno_runs "
                 "GROUP BY created_date, model_id ORDER BY created_date, model_id")
        _, native = raw_sql(query_engine(db), backend, check)
        assert_rows([(w[0], w[1], w[3], w[4]) for w in want], native, "percentile_cont")


def test_memory_topics_are_queryable_per_topic(db: SqlDb, backend: str) -> None:
    db.upsert_user_memory(UserMemory(memory_id="m1", memory="a", user_id="alice", topics=["travel", "food"]))
    db.upsert_user_memory(UserMemory(memory_id="m2", memory="b", user_id="alice", topics=["travel", "travel"]))
    db.upsert_user_memory(UserMemory(memory_id="m3", memory="c", user_id="bob", topics=["Travel", "travel "]))
    db.upsert_user_memory(UserMemory(memory_id="m4", memory="d", user_id="bob", topics=[]))
    db.upsert_user_memory(UserMemory(memory_id="m5", memory="e", user_id="bob", topics=None))
    memories = db.tables.memories
    with query_engine(db).begin() as conn:  # what agno's validation would refuse, written by hand
        conn.execute(sa.insert(memories), [
            {"memory_id": "odd1", "memory": "x", "user_id": "carol", "topics": {"not": "a list"}, "created_at": 1},
            {"memory_id": "odd2", "memory": "x", "user_id": "carol", "topics": "travel", "created_at": 1},
        ])
    engine = query_engine(db)
    _, rows = raw_sql(engine, backend, f"SELECT memory_id, topic FROM {VIEWS.memory_topics} ORDER BY memory_id, topic")
    assert rows == [("m1", "food"), ("m1", "travel"), ("m2", "travel"), ("m2", "travel"), ("m3", "Travel"),
                    ("m3", "travel ")]
    _, rows = raw_sql(engine, backend, f"SELECT memory_id FROM {VIEWS.memory_topics} WHERE topic = 'travel' "
                                       "ORDER BY memory_id")
    assert rows == [("m1",), ("m2",), ("m2",)]
    _, rows = raw_sql(engine, backend, f"SELECT user_id, topic, memories FROM {VIEWS.memory_user_topics} "
                                       "ORDER BY user_id, topic")
    assert [tuple(plain(v) for v in r) for r in rows] == [
        ("alice", "food", 1), ("alice", "travel", 2), ("bob", "Travel", 1), ("bob", "travel ", 1)]


# --- the cookbook ---------------------------------------------------------------------------------

D1, D2, D3 = "2026-03-01", "2026-03-02", "2026-03-03"


@dataclass(frozen=True)
class SeedRun:
    run_id: str
    session_id: str
    at: int
    model: str | None
    provider: str | None
    tokens: tuple[int, int, int] = (0, 0, 0)  # input, output, reasoning
    cost: float | None = None
    duration: float | None = None
    ttft: float | None = None
    error: str | None = None
    error_in_event: bool = False
    parent: str | None = None

    @property
    def total(self) -> int:
        return self.tokens[0] + self.tokens[1]

    @property
    def cost_nanos(self) -> int | None:
        return None if self.cost is None else round(self.cost * 1e9)


@dataclass(frozen=True)
class SeedSession:
    session_id: str
    user_id: str
    created_at: int
    agent_id: str | None = None
    team_id: str | None = None
    name: str | None = None
    runs: list[SeedRun] = field(default_factory=list)


SESSIONS = [
    SeedSession("s1", "alice", epoch(1, 9), agent_id="support", name="Refund for order 42", runs=[
        SeedRun("r1", "s1", epoch(1, 9, 1), "gpt-4o", "OpenAI", (100, 50, 0), 0.0015, 1.2, 0.3),
        SeedRun("r2", "s1", epoch(1, 9, 5), "gpt-4o", "OpenAI", (200, 80, 0), 0.0028, 2.0, 0.4),
        SeedRun("r3", "s1", epoch(2, 8), "gpt-4o", "OpenAI", (50, 0, 0), None, 0.5, None,
                error="rate limit exceeded", error_in_event=True),
    ]),
    SeedSession("s2", "alice", epoch(2, 10), agent_id="research", name="Market scan", runs=[
        SeedRun("r4", "s2", epoch(2, 10, 1), "claude-sonnet", "Anthropic", (1000, 400, 120), 0.009, 8.0, 1.0),
        SeedRun("r5", "s2", epoch(2, 10, 30), "claude-sonnet", "Anthropic", (800, 300, 60), 0.007, 6.0, 0.8),
    ]),
    SeedSession("s3", "bob", epoch(2, 11), agent_id="support", runs=[
        SeedRun("r6", "s3", epoch(2, 11, 1), "gpt-4o", "OpenAI", (120, 60, 0), 0.0016, 1.5, 0.35),
        SeedRun("r7", "s3", epoch(3, 9), "gpt-4o-mini", "OpenAI", (30, 10, 0), 0.00002, 0.4, 0.1,
                error="tool crashed: KeyError 'id'"),
    ]),
    SeedSession("s4", "carol", epoch(3, 8), team_id="crew", name="Weekly digest", runs=[
        SeedRun("r8", "s4", epoch(3, 8, 1), "claude-sonnet", "Anthropic", (500, 200, 0), 0.004, 5.0, 0.9),
        SeedRun("r9", "s4", epoch(3, 8, 2), "gpt-4o-mini", "OpenAI", (80, 40, 0), 0.00005, 1.0, 0.2, parent="r8"),
    ]),
    SeedSession("s5", "bob", epoch(3, 12), agent_id="support"),
]
RUNS = [run for session in SESSIONS for run in session.runs]
SESSION_OF = {s.session_id: s for s in SESSIONS}

# (memory_id, user, topics, created day)
MEMORIES = [
    ("m1", "alice", ["travel", "food"], 1), ("m2", "alice", ["travel"], 1), ("m3", "alice", ["work"], 2),
    ("m4", "bob", ["travel"], 2), ("m5", "bob", [], 3), ("m6", "carol", None, 3), ("m7", "alice", ["Travel"], 3),
]
# (name, trace durations with status)
TRACES = {"support.run": [(1200, "OK"), (2000, "OK"), (500, "ERROR")], "research.run": [(8000, "OK"), (6000, "OK")]}
# (span name, kind, duration, status)
SPANS = [
    ("get_weather", "TOOL", 100, "OK"), ("get_weather", "TOOL", 300, "ERROR"), ("get_weather", "TOOL", 250, "OK"),
    ("search_web", "TOOL", 900, "OK"), ("search_web", "TOOL", 1500, "OK"), ("lookup_order", "TOOL", 50, "OK"),
    ("OpenAIChat.invoke", "LLM", 800, "OK"), ("OpenAIChat.invoke", "LLM", 1100, "OK"),
]
# (eval name, avg_score, day)
EVALS = [("support accuracy", 7.5, 1), ("support accuracy", 8.5, 2), ("support accuracy", 9.0, 2),
         ("research accuracy", 6.0, 1), ("research accuracy", 7.0, 3)]
# (schedule name, [(status, day)])
SCHEDULES = {
    "nightly-report": [("success", 1), ("failed", 2), ("timeout", 3)],
    "hourly-sync": [("success", 1), ("success", 2), ("failed", 3)],
}


def seed_run(run: SeedRun, session: SeedSession) -> Any:
    input_tokens, output_tokens, reasoning = run.tokens
    metrics = RunMetrics(input_tokens=input_tokens, output_tokens=output_tokens, total_tokens=run.total,
                         reasoning_tokens=reasoning, cost=run.cost, duration=run.duration,
                         time_to_first_token=run.ttft)
    common: dict[str, Any] = {
        "run_id": run.run_id, "session_id": run.session_id, "model": run.model, "model_provider": run.provider,
        "metrics": metrics, "created_at": run.at, "parent_run_id": run.parent,
        "status": RunStatus.error if run.error else RunStatus.completed,
        "content": "partial answer" if run.error_in_event else (run.error or "done"),
    }
    if run.error_in_event:
        common["events"] = [RunErrorEvent(content=run.error)]
    if session.team_id is not None and run.parent is None:
        return TeamRunOutput(team_id=session.team_id, **common)
    return RunOutput(agent_id=session.agent_id or "support", **common)


def seed(db: Any) -> None:
    seed_sessions(db)
    seed_the_rest(db)


def seed_sessions(db: Any) -> None:
    for session in SESSIONS:
        data = {"session_name": session.name} if session.name else {"session_state": {}}
        if session.team_id:
            db.upsert_session(TeamSession(session_id=session.session_id, team_id=session.team_id,
                                          user_id=session.user_id, created_at=session.created_at, session_data=data))
        else:
            db.upsert_session(AgentSession(session_id=session.session_id, agent_id=session.agent_id,
                                           user_id=session.user_id, created_at=session.created_at, session_data=data))
        for index, run in enumerate(session.runs):
            db.upsert_run(seed_run(run, session), session_id=session.session_id, user_id=session.user_id,
                          run_index=index)


def seed_the_rest(db: Any) -> None:
    for memory_id, user, topics, day in MEMORIES:
        db.upsert_user_memory(UserMemory(memory_id=memory_id, memory=f"memory {memory_id}", user_id=user,
                                         topics=topics, created_at=epoch(day, 12)))
    base = datetime(2026, 3, 1, 12, tzinfo=UTC)
    n = 0
    for name, traces in TRACES.items():
        for duration, status in traces:
            n += 1
            start = base + timedelta(minutes=n)
            db.upsert_trace(Trace(trace_id=f"t{n}", name=name, status=status, start_time=start,
                                  end_time=start + timedelta(milliseconds=duration), duration_ms=duration,
                                  total_spans=0, error_count=0, run_id=None, session_id=None, user_id=None,
                                  agent_id=None, team_id=None, workflow_id=None, created_at=start))
    spans = []
    for i, (name, kind, duration, status) in enumerate(SPANS):
        start = base + timedelta(minutes=1, milliseconds=i)  # inside trace t1's window
        spans.append(Span(span_id=f"sp{i}", trace_id="t4", parent_span_id=None, name=name, span_kind="INTERNAL",
                          status_code=status, status_message=None, start_time=start,
                          end_time=start + timedelta(milliseconds=duration), duration_ms=duration,
                          attributes={"openinference.span.kind": kind}, created_at=start))
    db.create_spans(spans)
    evals = db.tables.evals
    for i, (name, score, day) in enumerate(EVALS):
        db.create_eval_run(EvalRunRecord(run_id=f"e{i}", eval_type=EvalType.ACCURACY, name=name,
                                         eval_data={"avg_score": score, "results": []}, eval_input={"n": i}))
        with db._engine_for_queries().begin() as conn:  # create_eval_run stamps the clock's time
            conn.execute(sa.update(evals).where(evals.c.run_id == f"e{i}").values(created_at=epoch(day, 6)))
    for name, attempts in SCHEDULES.items():
        schedule = db.create_schedule(Schedule(id=name, name=name, cron_expr="0 * * * *", endpoint="/run",
                                               created_at=epoch(1)).to_dict())
        for i, (status, day) in enumerate(attempts):
            db.create_schedule_run(ScheduleRun(id=f"{name}-{i}", schedule_id=schedule["id"], status=status,
                                               error=None if status == "success" else "HTTP 500",
                                               created_at=epoch(day, 3)).to_dict())


def component(run: SeedRun) -> str:
    session = SESSION_OF[run.session_id]
    if session.team_id is not None and run.parent is None:
        return session.team_id
    return session.agent_id or "support"


def sum_or_none(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def grouped(key: Callable[[SeedRun], Any], runs: list[SeedRun] | None = None) -> dict[Any, list[SeedRun]]:
    groups: dict[Any, list[SeedRun]] = defaultdict(list)
    for run in runs if runs is not None else RUNS:
        groups[key(run)].append(run)
    return groups


# Each question of the cookbook: the columns and rows its query must return on the seed above.
Answer = tuple[list[str], list[tuple[Any, ...]]]


def tokens_per_day_per_model() -> Answer:
    groups = grouped(lambda r: (day_of(r.at), r.model))
    return ["day", "model_id", "runs", "input_tokens", "output_tokens", "total_tokens"], [
        (day, model, len(rs), sum(r.tokens[0] for r in rs), sum(r.tokens[1] for r in rs), sum(r.total for r in rs))
        for (day, model), rs in sorted(groups.items())
    ]


def cost_per_component_per_day() -> Answer:
    groups = grouped(lambda r: (day_of(r.at), component(r)))
    rows = []
    for (day, name), rs in sorted(groups.items()):
        nanos = sum_or_none([r.cost_nanos for r in rs])
        rows.append((day, name, len(rs), nanos, None if nanos is None else nanos * 1e-9))
    return ["day", "component", "runs", "cost_nanos", "cost"], rows


def most_active_users() -> Answer:
    users = defaultdict(list)
    for run in RUNS:
        users[SESSION_OF[run.session_id].user_id].append(run)
    rows = [(user, len(rs), len({r.session_id for r in rs}), sum(r.total for r in rs), max(r.at for r in rs))
            for user, rs in users.items()]
    return ["user_id", "runs", "sessions", "total_tokens", "last_run_at"], sorted(rows, key=lambda r: (-r[1], r[0]))


def sessions_with_failed_runs() -> Answer:
    rows = [(s.session_id, s.user_id, s.name, len(s.runs), sum(1 for r in s.runs if r.error), max(r.at for r in s.runs))
            for s in SESSIONS if any(r.error for r in s.runs)]
    return ["session_id", "user_id", "session_name", "run_count", "failed_runs", "last_run_at"], sorted(
        rows, key=lambda r: (-r[5], r[0]))


def failed_runs() -> Answer:
    failed = sorted((r for r in RUNS if r.error), key=lambda r: (-r.at, r.run_id))
    return ["run_id", "session_id", "component", "model_id", "error_message"], [
        (r.run_id, r.session_id, component(r), r.model, r.error) for r in failed]


def error_rate_per_model() -> Answer:
    rows = []
    for model, rs in grouped(lambda r: r.model).items():
        errors = sum(1 for r in rs if r.error)
        rows.append((model, len(rs), errors, 100.0 * errors / len(rs)))
    return ["model_id", "runs", "errors", "error_pct"], sorted(rows, key=lambda r: (-r[3], r[0]))


def ttft_per_model() -> Answer:
    rows = []
    for model, rs in sorted(grouped(lambda r: r.model).items()):
        ttfts = [round(r.ttft * 1000) for r in rs if r.ttft is not None]
        rows.append((model, len(ttfts), sum(ttfts) / len(ttfts), max(ttfts)))
    return ["model_id", "runs", "avg_ttft_ms", "max_ttft_ms"], rows


def sessions_of_alice() -> Answer:
    rows = [(s.session_id, s.name, len(s.runs), sum(1 for r in s.runs if r.error),
             sum_or_none([r.total for r in s.runs]), sum_or_none([r.cost_nanos for r in s.runs]))
            for s in sorted(SESSIONS, key=lambda s: (s.created_at, s.session_id)) if s.user_id == "alice"]
    return ["session_id", "session_name", "run_count", "failed_runs", "total_tokens", "cost_nanos"], rows


def latency_rows(groups: dict[str, list[tuple[int, str]]]) -> list[tuple[Any, ...]]:
    rows = []
    for name, items in groups.items():
        durations = [d for d, _ in items]
        rows.append((name, len(items), sum(1 for _, s in items if s == "ERROR"), sum(durations) / len(durations),
                     percentile_cont(durations, 0.5), percentile_cont(durations, 0.95), max(durations)))
    return sorted(rows, key=lambda r: (-r[5], r[0]))


def slowest_tools() -> Answer:
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for name, kind, duration, status in SPANS:
        if kind == "TOOL":
            groups[name].append((duration, status))
    return ["name", "spans", "errors", "p50_duration_ms", "p95_duration_ms", "max_duration_ms"], [
        (name, count, errors, p50, p95, top) for name, count, errors, _, p50, p95, top in latency_rows(groups)]


def slowest_traces() -> Answer:
    return ["name", "traces", "errors", "avg_duration_ms", "p50_duration_ms", "p95_duration_ms"], [
        row[:6] for row in latency_rows(TRACES)]


def memory_growth() -> Answer:
    per_day: dict[tuple[str, str], int] = defaultdict(int)
    for _, user, _, day in MEMORIES:
        per_day[(user, day_of(epoch(day)))] += 1
    rows, running = [], defaultdict(int)
    for (user, day), count in sorted(per_day.items()):
        running[user] += count
        rows.append((user, day, count, running[user]))
    return ["user_id", "day", "new_memories", "total_memories"], rows


def topics_per_user() -> Answer:
    counts: dict[tuple[str, str], set[str]] = defaultdict(set)
    for memory_id, user, topics, _ in MEMORIES:
        for topic in topics or []:
            counts[(user, topic)].add(memory_id)
    rows = [(user, topic, len(ids)) for (user, topic), ids in counts.items()]
    return ["user_id", "topic", "memories"], sorted(rows, key=lambda r: (r[0], -r[2], r[1]))


def who_has_travel_memories() -> Answer:
    counts: dict[str, int] = defaultdict(int)
    for _, user, topics, _ in MEMORIES:
        counts[user] += (topics or []).count("travel")
    return ["user_id", "memories"], sorted((u, c) for u, c in counts.items() if c)


def eval_scores() -> Answer:
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for name, score, day in EVALS:
        groups[(name, day_of(epoch(day)))].append(score)
    return ["name", "day", "evals", "avg_score"], [
        (name, day, len(scores), sum(scores) / len(scores)) for (name, day), scores in sorted(groups.items())]


def schedule_failures() -> Answer:
    rows = []
    for name, attempts in SCHEDULES.items():
        failures = [day for status, day in attempts if status in ("failed", "timeout")]
        if failures:
            rows.append((name, len(failures), max(epoch(day, 3) for day in failures)))
    return ["name", "failures", "last_failure_at"], sorted(rows, key=lambda r: (-r[1], r[0]))


ANSWERS: dict[str, Callable[[], Answer]] = {
    "Tokens per day per model": tokens_per_day_per_model,
    "Cost per agent or team per day": cost_per_component_per_day,
    "Most active users": most_active_users,
    "Sessions with failed runs": sessions_with_failed_runs,
    "Why runs failed, latest first": failed_runs,
    "Error rate per model": error_rate_per_model,
    "Time to first token per model": ttft_per_model,
    "A user's sessions with their usage": sessions_of_alice,
    "Slowest tools": slowest_tools,
    "Slowest traces": slowest_traces,
    "Memory growth per user": memory_growth,
    "Most common memory topics per user": topics_per_user,
    "Who has memories about a topic": who_has_travel_memories,
    "Eval scores over time": eval_scores,
    "Schedule failures": schedule_failures,
}
DIALECTS = ("sqlite", "postgresql", "mysql")


def cookbook() -> dict[str, dict[str, str]]:
    """Each question of docs/analytics.md's cookbook: its SQL per dialect ("" = every dialect)."""
    text = COOKBOOK.read_text(encoding="utf-8")
    section = text.split("\n## Cookbook\n", 1)[1]
    questions: dict[str, dict[str, str]] = {}
    for part in re.split(r"^### ", section, flags=re.MULTILINE)[1:]:
        heading, body = part.split("\n", 1)
        blocks = re.findall(r"^```sql(?: (\w+))?\n(.*?)^```", body, flags=re.MULTILINE | re.DOTALL)
        assert heading not in questions, f"question {heading!r} appears twice"
        questions[heading.strip()] = {dialect: sql.strip() for dialect, sql in blocks}
    return questions


QUESTIONS = cookbook()


def test_the_cookbook_and_this_test_cover_the_same_questions() -> None:
    assert set(QUESTIONS) == set(ANSWERS), "docs/analytics.md and tests/test_analytics.py drifted apart"
    assert len(QUESTIONS) >= 10
    for heading, blocks in QUESTIONS.items():
        assert blocks, f"{heading!r} has no SQL"
        assert set(blocks) in ({""}, set(DIALECTS)), f"{heading!r}: one `sql` block, or one per dialect {DIALECTS}"


def test_the_readme_points_to_the_cookbook() -> None:
    assert "docs/analytics.md" in (ROOT / "README.md").read_text(encoding="utf-8")


@dataclass
class Seeded:
    engines: dict[str, sa.Engine] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)


@pytest.fixture(scope="session")
def seeded_databases() -> Iterator[Seeded]:
    seeded = Seeded()
    yield seeded
    for cleanup in reversed(seeded.cleanups):
        cleanup()


def _new_database(backend: str, request: pytest.FixtureRequest, seeded: Seeded, root: Path) -> sa.engine.URL:
    from sqlalchemy.engine import make_url

    name = f"cb_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        return make_url(f"sqlite:///{root / 'cookbook.db'}")
    if backend == "postgresql":
        from pytest_postgresql.janitor import DatabaseJanitor

        from tests.conftest import _pg_url

        server = request.getfixturevalue("pg_server")
        janitor = DatabaseJanitor(user=str(server["user"]), host=str(server["host"]), port=int(server["port"]),
                                  dbname=name)
        janitor.init()
        seeded.cleanups.append(janitor.drop)
        return _pg_url(server, name)
    from tests.conftest import MYSQL_URL

    admin: sa.Engine = request.getfixturevalue("mysql_admin")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))

    seeded.cleanups.append(drop)
    return make_url(MYSQL_URL).set(database=name)


@pytest.fixture
def seeded_engine(backend: str, request: pytest.FixtureRequest, seeded_databases: Seeded,
                  tmp_path_factory: pytest.TempPathFactory) -> sa.Engine:
    """A database of ``backend`` holding the cookbook's seed: made and seeded once per session."""
    if backend not in seeded_databases.engines:
        url = _new_database(backend, request, seeded_databases, tmp_path_factory.mktemp("cookbook"))
        target = make_db(backend, url)
        try:
            seed(target)
        finally:
            target.close()
        engine = create_engine(url)
        seeded_databases.cleanups.append(engine.dispose)
        seeded_databases.engines[backend] = engine
    return seeded_databases.engines[backend]


@pytest.mark.parametrize("question", sorted(ANSWERS))
def test_cookbook_query_answers_its_question(question: str, backend: str, seeded_engine: sa.Engine) -> None:
    blocks = QUESTIONS.get(question)
    assert blocks is not None, f"docs/analytics.md has no question {question!r}"
    sql = blocks.get(backend, blocks.get(""))
    assert sql, f"{question!r} has no SQL for {backend}"
    columns, rows = raw_sql(seeded_engine, backend, sql)
    want_columns, want_rows = ANSWERS[question]()
    assert columns == want_columns, question
    assert_rows(want_rows, rows, question)


def test_every_view_answers_on_the_seed(backend: str, seeded_engine: sa.Engine) -> None:
    """The views' columns the cookbook does not use are right too."""
    _, rows = raw_sql(seeded_engine, backend, f"SELECT session_id, run_count, first_run_at, last_run_at, "
                      f"input_tokens, output_tokens, reasoning_tokens, cost, total_duration_ms "
                      f"FROM {VIEWS.session_overview} ORDER BY session_id")
    want = []
    for s in sorted(SESSIONS, key=lambda s: s.session_id):
        nanos = sum_or_none([r.cost_nanos for r in s.runs])
        want.append((s.session_id, len(s.runs), min((r.at for r in s.runs), default=None),
                     max((r.at for r in s.runs), default=None),
                     sum_or_none([r.tokens[0] for r in s.runs]), sum_or_none([r.tokens[1] for r in s.runs]),
                     sum_or_none([r.tokens[2] for r in s.runs]), None if nanos is None else nanos * 1e-9,
                     sum_or_none([round(r.duration * 1000) for r in s.runs if r.duration is not None])))
    assert_rows(want, rows, "session overview")
    _, rows = raw_sql(seeded_engine, backend, f"SELECT name, kind, spans, avg_duration_ms FROM {VIEWS.span_latency} "
                      "ORDER BY name, kind")
    spans: dict[tuple[str, str], list[int]] = defaultdict(list)
    for name, kind, duration, _ in SPANS:
        spans[(name, kind)].append(duration)
    assert_rows([(n, k, len(d), sum(d) / len(d)) for (n, k), d in sorted(spans.items())], rows, "span latency")
    _, rows = raw_sql(seeded_engine, backend, f"SELECT user_id, topic, memories, first_created_at, last_updated_at "
                      f"FROM {VIEWS.memory_user_topics} WHERE user_id = 'alice' AND topic = 'travel'")
    assert_rows([("alice", "travel", 2, epoch(1, 12), epoch(1, 12))], rows, "memory topics per user")


def test_metrics_and_views_count_the_same_runs(db: SqlDb, backend: str) -> None:
    """calculate_metrics (agno's buckets: session day and owner) and the views agree on the totals."""
    seed_sessions(db)
    rows = db.calculate_metrics()
    by_model: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        for model in row["model_metrics"]:
            by_model[(model["model_id"], model["model_provider"])] += model["count"]
    engine = query_engine(db)
    _, usage = raw_sql(engine, backend, f"SELECT model_id, model_provider, SUM(runs) FROM {VIEWS.daily_usage} "
                       "WHERE model_id IS NOT NULL GROUP BY model_id, model_provider ORDER BY model_id, model_provider")
    assert [(m, p, int(n)) for m, p, n in usage] == sorted((m, p, n) for (m, p), n in by_model.items())
    metric_runs = sum(r[f"{kind}_runs_count"] for r in rows for kind in ("agent", "team", "workflow"))
    _, (overview,) = raw_sql(engine, backend, f"SELECT SUM(run_count) FROM {VIEWS.session_overview}")
    _, (usage_total,) = raw_sql(engine, backend, f"SELECT SUM(runs) FROM {VIEWS.daily_usage}")
    assert metric_runs == int(overview[0]) == int(usage_total[0]) == len(RUNS)

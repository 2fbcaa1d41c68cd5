"""Traces and spans on every backend: agno's merge rules, counts and stats in SQL, pagination,
ownership filters, a span arriving before its trace, atomic merges, and agno's own SqliteDb as the
reference for return shapes."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from agno.tracing.schemas import Span, Trace

from repositories.core.db import SqlDb

BASE = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def at(ms: int) -> datetime:
    return BASE + timedelta(milliseconds=ms)


def trace(
    trace_id: str,
    *,
    name: str = "Agent.run",
    status: str = "OK",
    start: int = 0,
    end: int = 1000,
    created: int | None = None,
    run_id: str | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
    agent_id: str | None = None,
    team_id: str | None = None,
    workflow_id: str | None = None,
) -> Trace:
    return Trace(
        trace_id=trace_id, name=name, status=status, start_time=at(start), end_time=at(end), duration_ms=end - start,
        total_spans=0, error_count=0, run_id=run_id, session_id=session_id, user_id=user_id, agent_id=agent_id,
        team_id=team_id, workflow_id=workflow_id, created_at=at(created if created is not None else start),
    )


def span(
    span_id: str,
    trace_id: str,
    *,
    parent: str | None = None,
    name: str = "Agent.run",
    status: str = "OK",
    start: int = 0,
    duration: int = 100,
    kind: str | None = "AGENT",
    **attributes: Any,
) -> Span:
    attrs: dict[str, Any] = dict(attributes)
    if kind is not None:
        attrs["openinference.span.kind"] = kind
    return Span(
        span_id=span_id, trace_id=trace_id, parent_span_id=parent, name=name, span_kind="INTERNAL",
        status_code=status, status_message="boom" if status == "ERROR" else None, start_time=at(start),
        end_time=at(start + duration), duration_ms=duration, attributes=attrs, created_at=at(start),
    )


@pytest.fixture
def agno_db(tmp_path: Path) -> AgnoSqliteDb:
    return AgnoSqliteDb(db_file=str(tmp_path / "agno_reference.db"))


def fields(t: Trace) -> dict[str, Any]:
    return {k: v for k, v in vars(t).items()}


# --- traces: round trip and merge ---------------------------------------------------------------


def test_trace_round_trip_by_trace_id_and_run_id(db: SqlDb) -> None:
    stored = trace("t1", run_id="r1", session_id="s1", user_id="u1", agent_id="a1", start=5, end=1505)
    db.upsert_trace(stored)
    got = db.get_trace(trace_id="t1")
    assert isinstance(got, Trace)
    assert fields(got) == fields(stored)
    assert got.total_spans == 0 and got.error_count == 0
    assert fields(db.get_trace(run_id="r1")) == fields(stored)
    # trace_id takes precedence over run_id, as in agno
    assert db.get_trace(trace_id="missing", run_id="r1") is None
    assert db.get_trace() is None
    assert db.get_trace(trace_id="missing") is None


def test_get_trace_by_run_id_returns_the_most_recent(db: SqlDb) -> None:
    db.upsert_trace(trace("old", run_id="r1", start=0, end=10))
    db.upsert_trace(trace("new", run_id="r1", start=500, end=600))
    assert db.get_trace(run_id="r1").trace_id == "new"


def test_upsert_merges_exactly_as_agno(db: SqlDb, agno_db: AgnoSqliteDb) -> None:
    """Earliest start, latest end, duration from them, incoming status, higher-level name, stored context."""
    calls = [
        trace("t", name="Agent.run", status="OK", start=100, end=900, created=100, run_id="r1", session_id="s1",
              user_id="u1", agent_id="a1"),
        # a child-only batch: no context, a child span's name, an error, wider window
        trace("t", name="llm.call", status="ERROR", start=50, end=1200, created=2000),
        # a post-hook agent with another session: must not clobber the stored context
        trace("t", name="Other.run", status="OK", start=300, end=400, session_id="s2", agent_id="a2"),
        # a workflow root outranks the agent root: its name wins, empty context ids are filled
        trace("t", name="Flow.arun", status="OK", start=0, end=1000, workflow_id="w1", team_id="team1"),
        # a lower-ranked name never replaces a higher one
        trace("t", name="Team.run", status="ERROR", start=10, end=20, team_id="team9"),
    ]
    for call in calls:
        db.upsert_trace(call)
        agno_db.upsert_trace(call)
    ours, theirs = db.get_trace("t"), agno_db.get_trace("t")
    assert ours.start_time == at(0) and ours.end_time == at(1200)
    assert ours.duration_ms == 1200
    assert ours.status == "ERROR"  # the last writer's status, as agno
    assert ours.name == "Flow.arun"
    assert (ours.run_id, ours.session_id, ours.user_id, ours.agent_id) == ("r1", "s1", "u1", "a1")
    assert (ours.team_id, ours.workflow_id) == ("team1", "w1")
    assert ours.created_at == at(100)  # never rewritten
    expected = fields(theirs)
    expected["duration_ms"] = round(expected["duration_ms"])  # agno's SQLite keeps julianday float noise
    assert fields(ours) == expected


def test_merged_duration_rounds_like_postgres(db: SqlDb) -> None:
    first = trace("t", start=0, end=1)
    first.end_time = BASE + timedelta(microseconds=1500)  # 1.5 ms
    db.upsert_trace(first)
    second = trace("t", start=0, end=1)
    second.end_time = BASE + timedelta(microseconds=2500)
    db.upsert_trace(second)
    assert db.get_trace("t").duration_ms == 3  # 2.5 ms rounds half away from zero, as PostgreSQL's cast


def test_concurrent_upserts_of_one_trace_lose_nothing(db: SqlDb) -> None:
    """Each upsert merges under a lock: the result is the min/max over every call, whatever the order."""
    rng = random.Random(7)
    windows = [(rng.randint(0, 10_000), rng.randint(10_001, 20_000)) for _ in range(24)]
    errors: list[BaseException] = []

    def worker(chunk: list[tuple[int, int]]) -> None:
        try:
            for start, end in chunk:
                db.upsert_trace(trace("hot", name="child", start=start, end=end))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(windows[i::6],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    got = db.get_trace("hot")
    low, high = min(w[0] for w in windows), max(w[1] for w in windows)
    assert (got.start_time, got.end_time, got.duration_ms) == (at(low), at(high), high - low)


def test_bad_traces_are_refused_before_writing(db: SqlDb) -> None:
    with pytest.raises(ValueError, match="trace_id"):
        db.upsert_trace(trace(""))
    with pytest.raises(ValueError, match="name"):
        db.upsert_trace(trace("t", name="x" * 300))
    with pytest.raises(ValueError, match="Trace"):
        db.upsert_trace({"trace_id": "t"})  # type: ignore[arg-type]
    assert db.get_traces() == ([], 0)


def test_text_postgres_cannot_hold_is_stripped_everywhere(db: SqlDb) -> None:
    db.upsert_trace(trace("t", name="Agent\x00.run"))
    db.create_span(span("s", "t", name="to\x00ol", note="a\x00b"))
    assert db.get_trace("t").name == "Agent.run"
    got = db.get_span("s")
    assert got.name == "tool" and got.attributes["note"] == "ab"


# --- spans --------------------------------------------------------------------------------------


def test_spans_round_trip_and_filters(db: SqlDb) -> None:
    db.upsert_trace(trace("t1"))
    db.upsert_trace(trace("t2"))
    root = span("root", "t1", start=0, duration=500, foo={"nested": [1, 2]})
    db.create_span(root)
    db.create_spans([span(f"c{i}", "t1", parent="root", name="llm", start=10 + i, kind="LLM") for i in range(5)])
    db.create_spans([span("other", "t2")])
    db.create_spans([])
    got = db.get_span("root")
    assert isinstance(got, Span) and vars(got) == vars(root)
    assert db.get_span("missing") is None
    assert [s.span_id for s in db.get_spans(trace_id="t1")] == ["root", "c0", "c1", "c2", "c3", "c4"]
    assert [s.span_id for s in db.get_spans(parent_span_id="root")] == ["c0", "c1", "c2", "c3", "c4"]
    assert len(db.get_spans(trace_id="t1", limit=2)) == 2
    assert len(db.get_spans()) == 7
    assert len(db.get_spans(limit=None)) == 7
    with pytest.raises(ValueError, match="limit"):
        db.get_spans(limit=-1)


def test_traces_count_their_spans_and_errors(db: SqlDb) -> None:
    db.upsert_trace(trace("t1"))
    db.upsert_trace(trace("t2", start=10))
    db.upsert_trace(trace("empty", start=20))
    db.create_spans([span("a", "t1"), span("b", "t1", status="ERROR"), span("c", "t1", status="ERROR")])
    db.create_spans([span("d", "t2")])
    counts = {t.trace_id: (t.total_spans, t.error_count) for t in db.get_traces()[0]}
    assert counts == {"t1": (3, 2), "t2": (1, 0), "empty": (0, 0)}
    single = db.get_trace("t1")
    assert (single.total_spans, single.error_count) == (3, 2)


def test_a_span_before_its_trace_creates_the_trace_then_merges(db: SqlDb) -> None:
    """agno's exporter stores the trace first; a span arriving alone is kept, under the trace it implies."""
    db.create_span(span("child", "t", parent="root", name="llm", start=100, duration=50, kind="LLM"))
    placeholder = db.get_trace("t")
    assert placeholder is not None
    assert (placeholder.name, placeholder.session_id, placeholder.total_spans) == ("llm", None, 1)
    assert (placeholder.start_time, placeholder.end_time) == (at(100), at(150))
    # the exporter's trace for the root batch arrives later and fills in the context
    db.upsert_trace(trace("t", name="Agent.run", start=0, end=1000, session_id="s1", agent_id="a1", user_id="u1"))
    db.create_span(span("root", "t", start=0, duration=1000))
    merged = db.get_trace("t")
    assert (merged.name, merged.session_id, merged.agent_id, merged.user_id) == ("Agent.run", "s1", "a1", "u1")
    assert (merged.start_time, merged.end_time, merged.total_spans) == (at(0), at(1000), 2)


def test_a_root_span_alone_gives_its_trace_the_roots_context(db: SqlDb) -> None:
    db.create_spans([span("root", "t", start=0, duration=300, session_id="s9", **{"agno.agent.id": "a9"})])
    got = db.get_trace("t")
    assert (got.name, got.session_id, got.agent_id, got.status) == ("Agent.run", "s9", "a9", "OK")


def test_span_batches_are_validated_and_atomic(db: SqlDb) -> None:
    db.upsert_trace(trace("t"))
    with pytest.raises(ValueError, match="more than once"):
        db.create_spans([span("x", "t"), span("x", "t")])
    with pytest.raises(ValueError, match="name"):
        db.create_spans([span("ok", "t"), span("long", "t", name="n" * 300)])
    with pytest.raises(ValueError, match="trace_id"):
        db.create_spans([span("no-trace", "")])
    assert db.get_spans() == []
    db.create_span(span("x", "t"))
    with pytest.raises(sa.exc.IntegrityError):
        db.create_spans([span("new", "t"), span("x", "t")])  # x is stored already
    assert [s.span_id for s in db.get_spans()] == ["x"]  # the batch wrote nothing


def test_deleting_a_trace_deletes_its_spans(db: SqlDb) -> None:
    db.upsert_trace(trace("t"))
    db.create_spans([span("a", "t"), span("b", "t")])
    traces = db.tables.traces
    with db._engine_for_queries().begin() as conn:
        conn.execute(sa.delete(traces).where(traces.c.trace_id == "t"))
    assert db.get_spans() == []


# --- listing traces -----------------------------------------------------------------------------


def seed_traces(db: Any) -> None:
    rows = [
        trace("t0", start=0, user_id="alice", agent_id="a1", session_id="s1", run_id="r0"),
        trace("t1", start=100, user_id="alice", agent_id="a1", session_id="s1", status="ERROR"),
        trace("t2", start=200, user_id="bob", team_id="team1", session_id="s2"),
        trace("t3", start=300, user_id="bob", workflow_id="w1", session_id="s3", status="ERROR"),
        trace("t4", start=400, user_id=None, name="GET /health"),
        trace("t5", start=500, user_id="alice", agent_id="a2", session_id="s4", end=5000),
    ]
    for row in rows:
        db.upsert_trace(row)


def test_get_traces_filters_sorts_and_pages(db: SqlDb) -> None:
    seed_traces(db)
    traces, total = db.get_traces()
    assert total == 6 and [t.trace_id for t in traces] == ["t5", "t4", "t3", "t2", "t1", "t0"]
    ids = lambda result: ([t.trace_id for t in result[0]], result[1])  # noqa: E731
    assert ids(db.get_traces(user_id="alice")) == (["t5", "t1", "t0"], 3)
    assert ids(db.get_traces(user_id="bob")) == (["t3", "t2"], 2)
    assert ids(db.get_traces(user_id="carol")) == ([], 0)
    assert ids(db.get_traces(agent_id="a1")) == (["t1", "t0"], 2)
    assert ids(db.get_traces(team_id="team1")) == (["t2"], 1)
    assert ids(db.get_traces(workflow_id="w1")) == (["t3"], 1)
    assert ids(db.get_traces(session_id="s1", status="ERROR")) == (["t1"], 1)
    assert ids(db.get_traces(run_id="r0")) == (["t0"], 1)
    assert ids(db.get_traces(start_time=at(250))) == (["t5", "t4", "t3"], 3)
    assert ids(db.get_traces(end_time=at(1250))) == (["t4", "t3", "t2", "t1", "t0"], 5)
    # pages: first, last, past the end; no limit means everything
    assert ids(db.get_traces(limit=4, page=1)) == (["t5", "t4", "t3", "t2"], 6)
    assert ids(db.get_traces(limit=4, page=2)) == (["t1", "t0"], 6)
    assert ids(db.get_traces(limit=4, page=3)) == ([], 6)
    assert ids(db.get_traces(limit=None)) == (["t5", "t4", "t3", "t2", "t1", "t0"], 6)
    with pytest.raises(ValueError):
        db.get_traces(limit=2, page=0)


def test_get_traces_filter_expressions(db: SqlDb) -> None:
    seed_traces(db)
    expr = {"op": "AND", "conditions": [
        {"op": "EQ", "key": "user_id", "value": "alice"},
        {"op": "GTE", "key": "duration_ms", "value": 2000},
    ]}
    assert [t.trace_id for t in db.get_traces(filter_expr=expr)[0]] == ["t5"]
    contains = {"op": "CONTAINS", "key": "name", "value": "HEALTH"}
    assert [t.trace_id for t in db.get_traces(filter_expr=contains)[0]] == ["t4"]
    with pytest.raises(ValueError, match="Invalid filter field"):
        db.get_traces(filter_expr={"op": "EQ", "key": "secret", "value": 1})
    with pytest.raises(ValueError):
        db.get_traces(filter_expr={"op": "BOGUS"})


# --- statistics ---------------------------------------------------------------------------------


def test_trace_stats_by_session(db: SqlDb) -> None:
    seed_traces(db)
    db.upsert_trace(trace("t6", start=600, created=900, user_id="alice", agent_id="a1", session_id="s1"))
    stats, total = db.get_trace_stats()
    assert total == 4  # traces without a session are not grouped
    assert [s["session_id"] for s in stats] == ["s1", "s4", "s3", "s2"]  # by last activity
    s1 = stats[0]
    assert s1 == {
        "session_id": "s1", "user_id": "alice", "agent_id": "a1", "team_id": None, "workflow_id": None,
        "total_traces": 3, "first_trace_at": at(0), "last_trace_at": at(900),
    }
    assert db.get_trace_stats(user_id="bob")[1] == 2
    assert db.get_trace_stats(user_id="nobody") == ([], 0)
    assert [s["session_id"] for s in db.get_trace_stats(limit=3, page=2)[0]] == ["s2"]
    assert db.get_trace_stats(limit=3, page=3)[0] == []
    assert [s["session_id"] for s in db.get_trace_stats(start_time=at(450))[0]] == ["s1", "s4"]
    with pytest.raises(ValueError, match="group_by"):
        db.get_trace_stats(group_by="user")  # type: ignore[arg-type]


def test_trace_stats_by_component_with_p95(db: SqlDb) -> None:
    rng = random.Random(3)
    durations: dict[str, list[int]] = {"a1": [], "a2": []}
    n = 0
    for agent, count in (("a1", 37), ("a2", 4)):
        for i in range(count):
            duration = rng.randint(1, 5000)
            durations[agent].append(duration)
            db.upsert_trace(trace(f"t{n}", start=n, end=n + duration, agent_id=agent, session_id=f"s{i % 5}",
                                  status="ERROR" if i % 4 == 0 else "OK", user_id="alice"))
            n += 1
    db.upsert_trace(trace("endpoint", name="GET /x", start=9, end=19))
    stats, total = db.get_trace_stats(group_by="agent")
    assert total == 2 and [s["agent_id"] for s in stats] == ["a1", "a2"]  # most traces first
    for row in stats:
        values = durations[row["agent_id"]]
        assert row["total_traces"] == len(values)
        assert row["total_sessions"] == min(5, len(values))
        assert row["avg_duration_ms"] == round(float(np.mean(values)), 1)
        assert row["p95_duration_ms"] == round(float(np.percentile(values, 95)), 1)  # percentile_cont
        assert row["max_duration_ms"] == max(values)
        assert row["error_traces"] == len(range(0, len(values), 4))
    endpoint, total = db.get_trace_stats(group_by="endpoint")
    assert total == 1 and endpoint[0]["name"] == "GET /x" and endpoint[0]["p95_duration_ms"] == 10.0
    assert db.get_trace_stats(group_by="team") == ([], 0)
    assert [s["agent_id"] for s in db.get_trace_stats(group_by="agent", limit=1, page=2)[0]] == ["a2"]
    assert db.get_trace_stats(group_by="agent", user_id="bob") == ([], 0)


def test_p95_equals_postgres_percentile_cont(db: SqlDb, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("percentile_cont exists on PostgreSQL only")
    for i, duration in enumerate([5, 1, 9, 7, 3, 3, 100, 42, 8, 13, 21]):
        db.upsert_trace(trace(f"t{i}", start=i, end=i + duration, agent_id="a"))
    traces = db.tables.traces
    with db._engine_for_queries().connect() as conn:
        expected = conn.execute(sa.select(sa.func.percentile_cont(0.95).within_group(traces.c.duration_ms))).scalar()
    assert db.get_trace_stats(group_by="agent")[0][0]["p95_duration_ms"] == round(float(expected), 1)


def seed_spans(db: Any) -> None:
    db.upsert_trace(trace("ta", agent_id="a1", start=700, end=800))
    db.upsert_trace(trace("tt", team_id="team1", start=800, end=900))
    db.create_spans([
        span("1", "ta", name="Agent.run", start=0, duration=100),
        span("2", "ta", name="llm", kind="LLM", start=10, duration=40, parent="1"),
        span("3", "ta", name="llm", kind="LLM", start=20, duration=60, parent="1", status="ERROR"),
        span("4", "ta", name="search", kind="TOOL", start=30, duration=10, parent="1"),
        span("5", "tt", name="llm", kind="LLM", start=40, duration=20),
        span("6", "tt", name="Team.run", kind="CHAIN", start=50, duration=500),
        span("7", "tt", name="odd", kind=None, start=60, duration=1),
    ])


def test_span_stats(db: SqlDb) -> None:
    seed_spans(db)
    stats, total = db.get_span_stats()
    assert total == 5
    llm = stats[0]
    assert llm == {
        "name": "llm", "span_type": "LLM", "total_calls": 3, "avg_duration_ms": 40.0,
        "p95_duration_ms": round(float(np.percentile([40, 60, 20], 95)), 1), "max_duration_ms": 60,
        "error_count": 1, "last_called_at": at(40),
    }
    assert {(s["name"], s["span_type"]) for s in stats} >= {("odd", None), ("search", "TOOL")}
    assert [s["total_calls"] for s in db.get_span_stats(agent_id="a1")[0]] == [2, 1, 1]
    assert db.get_span_stats(team_id="team1")[1] == 3
    assert db.get_span_stats(workflow_id="nope") == ([], 0)
    assert [s["name"] for s in db.get_span_stats(span_type="TOOL")[0]] == ["search"]
    assert db.get_span_stats(name="llm")[0][0]["total_calls"] == 3
    assert db.get_span_stats(start_time=at(35), end_time=at(55))[1] == 2
    by_max = [s["name"] for s in db.get_span_stats(sort_by="max_duration_ms", sort_order="desc")[0]]
    assert by_max == ["Team.run", "Agent.run", "llm", "search", "odd"]
    assert [s["name"] for s in db.get_span_stats(sort_by="p95_duration_ms", sort_order="asc")[0]][0] == "odd"
    assert [s["name"] for s in db.get_span_stats(sort_by="last_called_at", limit=2, page=1)[0]] == ["odd", "Team.run"]
    assert db.get_span_stats(sort_by="error_count")[0][0]["name"] == "llm"
    assert len(db.get_span_stats(limit=4, page=2)[0]) == 1
    assert db.get_span_stats(limit=4, page=3)[0] == []
    with pytest.raises(ValueError, match="sort"):
        db.get_span_stats(sort_by="attributes")
    with pytest.raises(ValueError, match="sort_order"):
        db.get_span_stats(sort_order="sideways")


# --- agno's own SqliteDb as the reference ---------------------------------------------------------


def test_same_results_as_agno_sqlite(db: SqlDb, agno_db: AgnoSqliteDb) -> None:
    for target in (db, agno_db):
        seed_traces(target)
        seed_spans(target)
    assert [vars(t) for t in db.get_traces()[0]] == [vars(t) for t in agno_db.get_traces()[0]]
    assert db.get_traces(user_id="alice", limit=2, page=2)[1] == agno_db.get_traces(user_id="alice", limit=2, page=2)[1]
    assert vars(db.get_trace("ta")) == vars(agno_db.get_trace("ta"))
    assert sorted(map(vars, db.get_spans("ta")), key=str) == sorted(map(vars, agno_db.get_spans("ta")), key=str)
    assert vars(db.get_span("3")) == vars(agno_db.get_span("3"))
    assert db.get_trace_stats() == agno_db.get_trace_stats()
    for group_by in ("agent", "team", "workflow", "endpoint"):
        ours, theirs = db.get_trace_stats(group_by=group_by), agno_db.get_trace_stats(group_by=group_by)
        assert ours[1] == theirs[1]
        # agno's SQLite has no percentile and reports None; everything else is identical
        assert [{**row, "p95_duration_ms": None} for row in ours[0]] == theirs[0]
    ours, theirs = db.get_span_stats(), agno_db.get_span_stats()
    assert ours[1] == theirs[1]
    assert [{**row, "p95_duration_ms": None} for row in ours[0]] == theirs[0]

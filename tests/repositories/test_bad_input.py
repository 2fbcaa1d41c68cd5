"""Bad calls on every backend and flavour: one table of cases, each a clear error or "not found".

Every case runs against one seeded database; after each call a snapshot of every table must be
unchanged, so a refused call provably wrote nothing (and a read of an impossible id read nothing
it should not). The cases run in one test per backend and flavour: one fixture database serves
the whole table, and every failing case is reported together.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.base import SessionType
from agno.db.schemas.approval import Approval
from agno.db.schemas.evals import EvalRunRecord, EvalType
from agno.db.schemas.knowledge import KnowledgeRow
from agno.db.schemas.memory import UserMemory
from agno.db.schemas.scheduler import Schedule
from agno.run.agent import RunOutput
from agno.session import AgentSession, TeamSession, WorkflowSession
from agno.tracing.schemas import Trace

from repositories import OwnershipError
from repositories.core.db import SqlDb

NOW = int(time.time())
LONG_ID = "x" * 129
NUL_ID = "a\x00b"
MISSING = object()


def session(session_id: Any = "s1", user_id: Any = "u1", **fields: Any) -> AgentSession:
    fields.setdefault("session_data", {"session_name": "first"})
    return AgentSession(session_id=session_id, agent_id="a1", user_id=user_id, created_at=NOW - 100, **fields)


def memory(memory_id: Any = "m1", user_id: Any = "u1", **fields: Any) -> UserMemory:
    return UserMemory(memory="likes tea", memory_id=memory_id, user_id=user_id, topics=["tea"], **fields)


def eval_run(run_id: str = "e1", **fields: Any) -> EvalRunRecord:
    values: dict[str, Any] = {"eval_type": EvalType.ACCURACY, "eval_data": {"score": 1}, "eval_input": {"q": "x"},
                              "name": "eval", "agent_id": "a1"}
    values.update(fields)
    return EvalRunRecord(run_id=run_id, **values)


def schedule(id: str = "sch1", name: str = "nightly", **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"cron_expr": "0 3 * * *", "endpoint": "/agents/a1/runs", "created_at": NOW - 100}
    values.update(fields)
    return Schedule(id=id, name=name, **values).to_dict()


def approval(id: str, **fields: Any) -> dict[str, Any]:
    return Approval(id=id, run_id="r1", session_id="s1", created_at=NOW - 50, **fields).to_dict()


def trace(trace_id: str = "t1") -> Trace:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return Trace(trace_id=trace_id, name="Agent.run", status="OK", start_time=start,
                 end_time=start + timedelta(seconds=1), duration_ms=1000, total_spans=0, error_count=0,
                 run_id="r1", session_id="s1", user_id="u1", agent_id="a1", team_id=None, workflow_id=None,
                 created_at=start)


def seed(db: Any) -> None:
    """One row or two of every entity; "s2" and "m2" belong to another user."""
    db.upsert_session(session("s1"))
    db.upsert_session(session("s2", user_id="u2"))
    db.upsert_session(session("a"))  # delete_sessions("ab") must not reach these two
    db.upsert_session(session("b"))
    db.upsert_session(TeamSession(session_id="ts1", team_id="t1", user_id="u1", created_at=NOW - 100))
    db.upsert_session(WorkflowSession(session_id="ws1", workflow_id="w1", user_id="u1", created_at=NOW - 100))
    db.upsert_run(RunOutput(run_id="r1", session_id="s1", agent_id="a1", content="hi"), session_id="s1", user_id="u1")
    db.upsert_run(RunOutput(run_id="x", session_id="s1", agent_id="a1", content="x"), session_id="s1", user_id="u1")
    db.upsert_user_memory(memory("m1"))
    db.upsert_user_memory(memory("m2", user_id="u2"))
    db.create_eval_run(eval_run("e1"))
    db.create_eval_run(eval_run("p"))
    db.upsert_knowledge_content(KnowledgeRow(id="k1", name="doc", description="d", user_id="u1"))
    db.create_schedule(schedule())
    db.create_approval(approval("ap1"))
    db.upsert_learning(id="l1", learning_type="user_profile", content={"likes": "tea"}, user_id="u1")
    db.upsert_trace(trace("t1"))
    db.calculate_metrics()  # get_metrics below then reads without recalculating


def snapshot(db: Any) -> dict[str, list[tuple[Any, ...]]]:
    engine: sa.Engine = db.db_engine.execution_options(**db._translate())
    tables = {kind: getattr(db.tables, kind) for kind, _ in db.table_names.items()}
    with engine.connect() as conn:
        return {kind: sorted((tuple(map(repr, row)) for row in conn.execute(sa.select(table))))
                for kind, table in tables.items()}


@dataclass(frozen=True)
class Case:
    """``call(db)`` raises ``raises`` with a message containing ``match``, or returns ``returns``."""

    name: str
    call: Callable[[Any], Any]
    raises: type[BaseException] | None = ValueError
    match: str = ""
    returns: Any = MISSING


def refused(name: str, call: Callable[[Any], Any], match: str, raises: type[BaseException] = ValueError) -> Case:
    return Case(name, call, raises, match)


def answers(name: str, call: Callable[[Any], Any], returns: Any) -> Case:
    return Case(name, call, None, "", returns)


NAN_DATA = {"session_state": {"x": math.nan}}
SURROGATE = {"text": "bad \ud800 half"}
DEEP: Any = "leaf"
for _ in range(600):
    DEEP = [DEEP]

NESTED_33: Any = 1
for _ in range(32):  # MariaDB's JSON_DEPTH of this is 33
    NESTED_33 = [NESTED_33]

CASES: list[Case] = [
    # 1. a single string where a list of ids belongs
    refused("delete_sessions str", lambda db: db.delete_sessions("ab"), "session_ids must be a list of ids"),
    refused("delete_runs str", lambda db: db.delete_runs("xy"), "run_ids must be a list of ids"),
    refused("delete_eval_runs str", lambda db: db.delete_eval_runs("pq"), "eval_run_ids must be a list of ids"),
    refused("delete_user_memories str", lambda db: db.delete_user_memories("m1"), "memory_ids must be a list of ids"),
    refused("delete_sessions dict", lambda db: db.delete_sessions({"s1": 1}), "must be a list of ids"),
    refused("delete_sessions int items", lambda db: db.delete_sessions(["s1", 5]), "item 1 is int"),
    refused("get_latest_schedule_runs str", lambda db: db.get_latest_schedule_runs("sch1"), "must be a list of ids"),
    refused("upsert_sessions one session", lambda db: db.upsert_sessions(session("s9")), "must be a list"),
    # 2. JSON no dialect stores, one ValueError naming entity and field
    refused("session NaN", lambda db: db.upsert_session(session("s9", session_data=NAN_DATA)),
            "agno_sessions.session_data: the JSON value contains NaN"),
    refused("session infinity", lambda db: db.upsert_session(session("s9", metadata={"x": math.inf})),
            "agno_sessions.metadata: the JSON value contains NaN or Infinity"),
    refused("session surrogate", lambda db: db.upsert_session(session("s9", metadata=SURROGATE)),
            "agno_sessions.metadata: the JSON value contains '\\ud800'"),
    refused("session deep JSON", lambda db: db.upsert_session(session("s9", metadata={"d": DEEP})),
            "upsert_session: a value nests too deeply to store"),
    refused("memory NaN", lambda db: db.upsert_user_memory(UserMemory(memory={"v": math.nan}, memory_id="m9")),
            "agno_memories.memory: the JSON value contains NaN"),
    refused("run NaN", lambda db: db.upsert_run(RunOutput(run_id="r9", session_id="s1", metadata={"v": math.nan}),
                                                session_id="s1", user_id="u1"),
            "agno_runs.run_data: the JSON value contains NaN"),
    refused("eval surrogate", lambda db: db.create_eval_run(eval_run("e9", eval_data=SURROGATE)),
            "agno_eval_runs.eval_data: the JSON value contains"),
    refused("schedule payload NaN", lambda db: db.create_schedule(schedule("sch9", "n9", payload={"v": math.nan})),
            "agno_schedules.payload: the JSON value contains NaN"),
    refused("update_learning NaN", lambda db: db.update_learning("l1", {"v": math.nan}),
            "agno_learnings.content: the JSON value contains NaN"),
    refused("knowledge metadata NaN",
            lambda db: db.upsert_knowledge_content(KnowledgeRow(id="k9", name="n", description="d", metadata={"v": math.nan})),
            "agno_knowledge.metadata: the JSON value contains NaN"),
    refused("approval tool_args NaN", lambda db: db.create_approval(approval("ap9", tool_args={"v": math.nan})),
            "agno_approvals.tool_args: the JSON value contains NaN"),
    refused("update_run_in_session NaN", lambda db: db.update_run_in_session("s1", "r1", {"extra": math.nan},
                                                                             user_id="u1"),
            "agno_runs.run_data: the JSON value contains NaN"),
    refused("update_run_in_session state NaN", lambda db: db.update_run_in_session(
        "s1", "r1", {"content": "ok"}, user_id="u1", session_data=NAN_DATA),
            "agno_sessions.session_data: the JSON value contains NaN"),
    refused("update_schedule payload inf", lambda db: db.update_schedule("sch1", payload={"v": -math.inf}),
            "agno_schedules.payload: the JSON value contains NaN or Infinity"),
    refused("update_approval surrogate", lambda db: db.update_approval("ap1", resolution_data=SURROGATE),
            "agno_approvals.resolution_data: the JSON value contains"),
    # 3. over-long and NUL ids and names, every entity
    refused("schedule long name", lambda db: db.create_schedule(schedule("sch9", "n" * 10000)),
            "name is 10000 characters long; agno_schedules.name holds at most 255"),
    refused("schedule NUL id", lambda db: db.create_schedule(schedule("s\x00", "n9")), "agno_schedules.id"),
    refused("update_schedule long name", lambda db: db.update_schedule("sch1", name="n" * 300),
            "agno_schedules.name holds at most 255"),
    refused("memory NUL id", lambda db: db.upsert_user_memory(memory("m\x00")), "agno_memories.memory_id"),
    refused("memory long user", lambda db: db.upsert_user_memory(memory("m9", user_id=LONG_ID)),
            "agno_memories.user_id holds at most 128"),
    refused("approval long id", lambda db: db.create_approval(approval(LONG_ID)), "agno_approvals.id holds at most 128"),
    refused("learning NUL id", lambda db: db.upsert_learning(id="l\x00", learning_type="t", content={}),
            "upsert_learning: id 'l\\x00' contains the character U+0000"),
    refused("learning long user", lambda db: db.upsert_learning(id="l9", learning_type="t", content={}, user_id=LONG_ID),
            "agno_learnings.user_id holds at most 128"),
    refused("trace NUL id", lambda db: db.upsert_trace(trace("t\x00x")), "agno_traces.trace_id"),
    refused("session NUL id", lambda db: db.upsert_session(session(NUL_ID)), "agno_sessions.session_id"),
    answers("get_session NUL", lambda db: db.get_session(NUL_ID), None),
    answers("get_session long", lambda db: db.get_session(LONG_ID), None),
    answers("get_session NUL user", lambda db: db.get_session("s1", user_id="u\x00"), None),
    answers("get_sessions NUL user", lambda db: db.get_sessions(user_id="u\x00"), []),
    answers("get_run NUL", lambda db: db.get_run(NUL_ID), None),
    answers("get_runs NUL session", lambda db: db.get_runs(session_id=NUL_ID), []),
    answers("get_user_memory NUL", lambda db: db.get_user_memory(NUL_ID), None),
    answers("get_user_memories NUL user", lambda db: db.get_user_memories(user_id=NUL_ID), []),
    answers("get_user_memories NUL search", lambda db: db.get_user_memories(search_content="t\x00"), []),
    answers("get_eval_run NUL", lambda db: db.get_eval_run(NUL_ID), None),
    answers("get_knowledge_content NUL", lambda db: db.get_knowledge_content(NUL_ID), None),
    answers("get_schedule NUL", lambda db: db.get_schedule(NUL_ID), None),
    answers("get_schedule_by_name NUL", lambda db: db.get_schedule_by_name("n\x00"), None),
    # an id list holding NUL: on PostgreSQL "j1\x00" would reach "j1", so it is refused like one id
    refused("heartbeat_jobs NUL", lambda db: db.heartbeat_jobs("w", ["j1\x00"]), "job_ids item 0"),
    refused("delete_tool_results NUL", lambda db: db.delete_tool_results(["r1", "r\x00"]), "result_ids item 1"),
    refused("get_latest_configs NUL", lambda db: db.get_latest_configs({"c\x00"}), "component_ids item 0"),
    refused("list_components NUL exclusion", lambda db: db.list_components(exclude_component_ids=["c\x00"]),
            "exclude_component_ids item 0"),
    answers("get_approval NUL", lambda db: db.get_approval(NUL_ID), None),
    answers("get_learning NUL user", lambda db: db.get_learning("user_profile", user_id=NUL_ID), None),
    answers("get_trace NUL", lambda db: db.get_trace(trace_id=NUL_ID), None),
    answers("get_span NUL", lambda db: db.get_span(NUL_ID), None),
    answers("get_component NUL", lambda db: db.get_component(NUL_ID), None),
    answers("delete_component NUL", lambda db: db.delete_component(NUL_ID), False),
    answers("list_configs NUL", lambda db: db.list_configs(NUL_ID), []),
    answers("get_latest_schedule_runs NUL", lambda db: db.get_latest_schedule_runs([NUL_ID]), {}),
    answers("get_user_memories NUL topic", lambda db: db.get_user_memories(topics=[NUL_ID]), []),
    answers("get_user_memories NUL and real topic", lambda db: len(db.get_user_memories(topics=[NUL_ID, "tea"])), 2),
    answers("delete_session NUL", lambda db: db.delete_session(NUL_ID), False),
    answers("delete_sessions NUL", lambda db: db.delete_sessions([NUL_ID, LONG_ID]), None),
    answers("delete_user_memory NUL", lambda db: db.delete_user_memory(NUL_ID), None),
    # 3b. NUL in the id an update, claim or upsert names: refused, never the row without the NUL
    # (PostgreSQL's columns drop NUL when binding, so "s1\x00" would otherwise reach "s1" there).
    refused("rename_session NUL id", lambda db: db.rename_session("s1\x00", SessionType.AGENT, "x"),
            "rename_session: session_id 's1\\x00' contains the character U+0000"),
    refused("rename_session NUL user", lambda db: db.rename_session("s1", SessionType.AGENT, "x", user_id="u1\x00"),
            "rename_session: user_id"),
    refused("upsert_run NUL session", lambda db: db.upsert_run(RunOutput(run_id="r9", session_id="s1"),
                                                                session_id="s1\x00", user_id="u1"),
            "upsert_run: session_id"),
    refused("upsert_run NUL user", lambda db: db.upsert_run(RunOutput(run_id="r9", session_id="s1"),
                                                             session_id="s1", user_id="u1\x00"), "upsert_run: user_id"),
    refused("update_run_in_session NUL run", lambda db: db.update_run_in_session("s1", "r1\x00", {"content": "c"},
                                                                                   user_id="u1"),
            "update_run_in_session: run_id"),
    refused("update_run_in_session NUL session", lambda db: db.update_run_in_session("s1\x00", "r1", {"content": "c"},
                                                                                       user_id="u1"),
            "update_run_in_session: session_id"),
    refused("cancel_pending_run NUL", lambda db: db.cancel_pending_run("r1\x00", session_id="s1", reason="x"),
            "cancel_pending_run: run_id"),
    refused("reassign_session_owner NUL id", lambda db: db.reassign_session_owner(
        "s1\x00", previous_user_id="u1", user_id="u9"), "reassign_session_owner: session_id"),
    refused("reassign_session_owner to NUL user", lambda db: db.reassign_session_owner(
        "ts1", previous_user_id="u1", user_id="u\x00"), "reassign_session_owner: user_id"),
    refused("rename_eval_run NUL", lambda db: db.rename_eval_run("e1\x00", "n"), "rename_eval_run: eval_run_id"),
    refused("update_eval_run_user_id NUL id", lambda db: db.update_eval_run_user_id("e1\x00", "u1"),
            "update_eval_run_user_id: eval_run_id"),
    refused("update_eval_run_user_id NUL user", lambda db: db.update_eval_run_user_id("e1", "u\x00"),
            "update_eval_run_user_id: user_id"),
    refused("update_schedule NUL id", lambda db: db.update_schedule("sch1\x00", description="d"),
            "update_schedule: schedule_id"),
    refused("update_schedule NUL user", lambda db: db.update_schedule("sch1", user_id="u\x00", description="d"),
            "update_schedule: user_id"),
    refused("stamp_schedule_provenance NUL id", lambda db: db.stamp_schedule_provenance("sch1\x00", managed_by="x"),
            "stamp_schedule_provenance: schedule_id"),
    refused("stamp_schedule_provenance NUL target", lambda db: db.stamp_schedule_provenance("sch1", target_id="t\x00"),
            "agno_schedules.target_id: target_id contains the character U+0000"),
    refused("release_schedule NUL", lambda db: db.release_schedule("sch1\x00"), "release_schedule: schedule_id"),
    refused("update_approval NUL", lambda db: db.update_approval("ap1\x00", status="approved"),
            "update_approval: approval_id"),
    refused("update_approval_run_status NUL", lambda db: db.update_approval_run_status("r1\x00", "COMPLETED"),
            "update_approval_run_status: run_id"),
    refused("update_learning NUL", lambda db: db.update_learning("l1\x00", {"a": 1}), "update_learning: id"),
    refused("upsert_learning NUL session", lambda db: db.upsert_learning(
        id="l9", learning_type="t", content={}, session_id="s\x00"), "upsert_learning: session_id"),
    refused("set_authz_user_disabled NUL", lambda db: db.set_authz_user_disabled("u1\x00", True),
            "set_authz_user_disabled: user_id"),
    refused("restore_component NUL", lambda db: db.restore_component("c1\x00"), "restore_component: component_id"),
    # 4. pages past the end, absurd limits
    answers("get_sessions huge page", lambda db: db.get_sessions(limit=10, page=10**9), []),
    answers("get_user_memories huge page", lambda db: db.get_user_memories(limit=10, page=10**9), []),
    answers("get_runs huge page", lambda db: db.get_runs(limit=10, page=10**12), []),
    answers("get_eval_runs huge page", lambda db: db.get_eval_runs(limit=10, page=10**9), []),
    answers("get_knowledge_contents huge page", lambda db: db.get_knowledge_contents(limit=10, page=10**9), ([], 1)),
    answers("get_sessions absurd limit", lambda db: len(db.get_sessions(limit=10**20, page=10**20)), 0),
    answers("get_sessions absurd limit, first page", lambda db: len(db.get_sessions(limit=10**20, page=1)), 6),
    answers("get_session absurd runs_limit", lambda db: len(db.get_session("s1", runs_limit=10**20).runs), 2),
    answers("list_components huge offset", lambda db: db.list_components(limit=10**20, offset=10**20), ([], 0)),
    answers("get_spans absurd limit", lambda db: db.get_spans(trace_id="t1", limit=10**20), []),
    answers("get_traces huge page", lambda db: db.get_traces(limit=10, page=10**15), ([], 1)),
    answers("get_schedules huge page", lambda db: db.get_schedules(limit=10, page=10**15), ([], 1)),
    answers("get_approvals huge page", lambda db: db.get_approvals(limit=10, page=10**15), ([], 1)),
    refused("get_sessions zero page", lambda db: db.get_sessions(limit=1, page=0), "page"),
    # 5. wrong types, the same error on every backend
    refused("session int id", lambda db: db.upsert_session(session(12345)), "agno_sessions.session_id must be a string"),
    refused("session dict id", lambda db: db.upsert_session(session({"a": 1})), "session_id must be a string"),
    refused("session int user", lambda db: db.upsert_session(session("s9", user_id=777)),
            "agno_sessions.user_id must be a string, got int 777"),
    refused("memory int user", lambda db: db.upsert_user_memory(memory("m9", user_id=777)), "user_id"),
    refused("get_session int", lambda db: db.get_session(12345), "session_id must be a string"),
    refused("get_session dict", lambda db: db.get_session({"a": 1}), "session_id must be a string"),
    refused("limit str", lambda db: db.get_sessions(limit="10"), "limit must be an integer"),
    refused("limit bool", lambda db: db.get_sessions(limit=True), "limit must be an integer"),
    refused("start_timestamp str", lambda db: db.get_sessions(start_timestamp="yesterday"),
            "start_timestamp must be an integer"),
    refused("memories limit str", lambda db: db.get_user_memories(limit="10"), "limit must be an integer"),
    refused("user_id int", lambda db: db.get_sessions(user_id=777), "user_id must be a string"),
    refused("delete_session int", lambda db: db.delete_session(5), "session_id must be a string"),
    refused("schedule int name", lambda db: db.create_schedule(schedule("sch9", 5)), "must be a string"),
    refused("unknown keyword", lambda db: db.get_sessions(bogus=1), "bogus"),
    # 6. other users' rows: refused loudly, or invisible
    refused("upsert_session foreign", lambda db: db.upsert_session(session("s2", user_id="u1")),
            "session 's2' belongs to another user", OwnershipError),
    refused("upsert_session foreign team", lambda db: db.upsert_session(
        TeamSession(session_id="ts1", team_id="t1", user_id="u2")), "session 'ts1' belongs to another user",
        OwnershipError),
    refused("upsert_session foreign workflow", lambda db: db.upsert_session(
        WorkflowSession(session_id="ws1", workflow_id="w1", user_id="u2")), "session 'ws1' belongs", OwnershipError),
    refused("upsert_sessions foreign", lambda db: db.upsert_sessions([session("s9"), session("s2")]),
            "sessions ['s2'] belong to another user", OwnershipError),
    refused("upsert_user_memory foreign", lambda db: db.upsert_user_memory(memory("m2")),
            "memory 'm2' belongs to another user", OwnershipError),
    refused("upsert_run foreign", lambda db: db.upsert_run(RunOutput(run_id="r9", session_id="s2"), session_id="s2",
                                                          user_id="u1"), "belongs to another user", OwnershipError),
    refused("upsert_run foreign team", lambda db: db.upsert_run(RunOutput(run_id="r9", session_id="ts1"),
                                                               session_id="ts1", user_id="u2"), "belongs", OwnershipError),
    answers("get_session foreign team", lambda db: db.get_session("ts1", user_id="u2"), None),
    answers("get_session foreign workflow", lambda db: db.get_session("ws1", user_id="u2"), None),
    answers("rename foreign workflow", lambda db: db.rename_session("ws1", None, "mine", user_id="u2"), None),
    answers("delete foreign team", lambda db: db.delete_session("ts1", user_id="u2"), False),
    answers("delete_sessions foreign", lambda db: db.delete_sessions(["ts1", "ws1", "s1"], user_id="u2"), None),
    answers("get_sessions foreign user sees own only",
            lambda db: sorted(s.session_id for s in db.get_sessions(user_id="u2")), ["s2"]),
    answers("get_metrics scoped", lambda db: [(r["user_id"], r["agent_sessions_count"])
                                              for r in db.get_metrics(user_id="u2")[0]], [("u2", 1)]),
    answers("get_metrics NUL user", lambda db: db.get_metrics(user_id="u\x00"), ([], None)),
    refused("get_metrics int user", lambda db: db.get_metrics(user_id=2), "user_id must be a string"),
    # 7. literal names, duplicate eval runs, unknown statuses
    answers("session_name %", lambda db: db.get_sessions(session_name="%"), []),
    answers("session_name _", lambda db: db.get_sessions(session_name="fir_t"), []),
    answers("session_name literal", lambda db: len(db.get_sessions(session_name="IRS")), 4),
    answers("memory search %", lambda db: db.get_user_memories(search_content="%"), []),
    refused("create_eval_run twice", lambda db: db.create_eval_run(eval_run("e1")),
            "an eval run with run_id 'e1' already exists", sa.exc.IntegrityError),
    refused("get_runs bogus status", lambda db: db.get_runs(status="bogus"),
            "unknown run status 'bogus'; valid statuses: PENDING, RUNNING, COMPLETED"),
    answers("get_runs known status", lambda db: db.get_runs(status="completed"), []),
]


def test_bad_calls_are_refused_and_change_nothing(db: SqlDb) -> None:
    seed(db)
    before = snapshot(db)
    failures: list[str] = []
    for case in CASES:
        try:
            result = case.call(db)
        except BaseException as error:  # noqa: BLE001 - every outcome is compared below
            if case.raises is None or not isinstance(error, case.raises) or case.match not in str(error):
                failures.append(f"{case.name}: raised {type(error).__module__}.{type(error).__name__}: {error!s:.300}")
        else:
            if case.raises is not None:
                failures.append(f"{case.name}: returned {result!r:.200}, expected {case.raises.__name__}")
            elif case.returns is not MISSING and result != case.returns:
                failures.append(f"{case.name}: returned {result!r:.200}, expected {case.returns!r}")
        after = snapshot(db)
        if after != before:
            changed = sorted(k for k in before if before[k] != after[k])
            failures.append(f"{case.name}: changed the stored rows of {changed}")
            before = after
    assert not failures, f"{len(failures)} of {len(CASES)} cases failed:\n" + "\n".join(failures)


def test_every_agno_method_checks_its_arguments_from_resolvable_annotations() -> None:
    """The boundary checks read each operation's annotations; none may fail to resolve."""
    from repositories import SqliteDb
    from repositories.core.arguments import _plan
    from repositories.core.operation import is_operation, procedure_of

    methods = [getattr(SqliteDb, n) for n in dir(SqliteDb)
               if is_operation(getattr(SqliteDb, n)) or procedure_of(getattr(SqliteDb, n)) is not None]
    assert len(methods) > 90
    plans = {m.__name__: _plan(m.__wrapped__) for m in methods}
    assert "session_ids" in plans["delete_sessions"].text_lists
    assert {"session_id", "user_id"} <= plans["get_session"].texts


def test_json_deeper_than_mariadb_holds_is_refused_there_and_stored_elsewhere(backend: str, db: SqlDb) -> None:
    """33 levels: MariaDB's JSON cannot hold them, so only there a clear error; SQLite and PostgreSQL
    store them, as agno's own classes do (a refused write would be a lost run)."""
    if backend == "mysql":
        with pytest.raises(ValueError, match="agno_sessions.metadata: the JSON value nests deeper than 32 levels"):
            db.upsert_session(session("s33", metadata=NESTED_33))
        with pytest.raises(ValueError, match="agno_learnings.content: the JSON value nests deeper"):
            db.upsert_learning(id="l9", learning_type="t", content={"d": DEEP})
        assert db.get_session("s33") is None and db.get_learning_by_id("l9") is None
        return
    db.upsert_session(session("s33", metadata=NESTED_33))
    assert db.get_session("s33", deserialize=False)["metadata"] == NESTED_33
    db.upsert_learning(id="l9", learning_type="t", content={"d": DEEP})
    assert db.get_learning_by_id("l9")["content"] == {"d": DEEP}


def test_json_as_deep_as_mariadb_holds_is_stored_on_every_backend(db: SqlDb) -> None:
    """32 levels (MariaDB's JSON_DEPTH limit) store and read back everywhere."""
    deepest: Any = 1
    for _ in range(31):
        deepest = [deepest]
    db.upsert_session(session("deep", metadata={"levels": deepest[0]}))
    assert db.get_session("deep", deserialize=False)["metadata"] == {"levels": deepest[0]}

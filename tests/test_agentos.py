"""AgentOS on our db answers like AgentOS on agno's own db.

The same scenario runs against two apps side by side: one on agno's ``SqliteDb`` (the reference),
one on our db for the backend under test. Every response must have the same status code and the
same shape (keys, nesting, value types, list lengths); values that are naturally different
(generated ids, timestamps) are compared by type only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from agno.agent import Agent
from agno.db.base import BaseDb
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from examples.offline_model import OfflineModel
from tests.repositories.conftest import make_db

VOLATILE = {"id", "run_id", "memory_id", "created_at", "updated_at", "session_id", "trace_id", "span_id",
            "start_time", "end_time", "duration", "duration_ms", "time_to_first_token", "next_run_at",
            "agent_session_id", "schedule_id", "first_trace_at", "last_trace_at", "date", "triggered_at",
            "completed_at", "last_updated", "parent_span_id", "timer", "last_memory_updated_at", "token",
            "token_prefix", "expires_at", "revoked_at"}


def shape(value: Any, key: str | None = None) -> Any:
    """Values reduced to what must agree: structure everywhere, content where it is deterministic."""
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(v, key) for v in value]
    if key in VOLATILE or isinstance(value, float):
        return type(value).__name__
    return value


Step = Callable[[TestClient], Any]


def build_app(db: BaseDb) -> TestClient:
    from agno.os import AgentOS

    from agno.knowledge import Knowledge

    agent = Agent(id="helper", name="Helper", model=OfflineModel(), db=db, update_memory_on_run=True,
                  add_history_to_context=True, knowledge=Knowledge(name=KNOWLEDGE_ID, contents_db=db))
    app = AgentOS(agents=[agent], db=db, telemetry=False).get_app()
    return TestClient(app)


def run_scenario(client: TestClient, db: BaseDb) -> list[tuple[str, int, Any]]:
    """Drive AgentOS like a user would; returns (request, status, shape) for every call."""
    results: list[tuple[str, int, Any]] = []

    def call(method: str, path: str, *, label: str | None = None, unordered: bool = False, **kwargs: Any) -> Any:
        response = client.request(method, path, **kwargs)
        body = response.json() if response.content else None
        shaped = shape(body)
        if unordered:  # agno orders these by a key that ties here (same second), so any order is right
            if isinstance(shaped, dict) and "data" in shaped:
                shaped["data"] = sorted(shaped["data"], key=repr)
            else:
                shaped = sorted(shaped, key=repr)
        results.append((f"{method} {label or path}", response.status_code, shaped))
        return body

    for text in ["Hello there #greeting", "Tell me more #more"]:
        call("POST", "/agents/helper/runs", data={"message": text, "session_id": "s1", "user_id": "u1", "stream": "false"})
    call("POST", "/agents/helper/runs", data={"message": "Other user", "session_id": "s2", "user_id": "u2", "stream": "false"})

    call("GET", "/sessions", params={"type": "agent", "user_id": "u1"})
    call("GET", "/sessions", params={"type": "agent", "limit": 1, "page": 2, "sort_by": "created_at", "sort_order": "asc"})
    call("GET", "/sessions/s1", params={"type": "agent", "user_id": "u1"})
    call("GET", "/sessions/s1/runs", params={"type": "agent", "user_id": "u1"})
    call("POST", "/sessions/s1/rename", params={"type": "agent", "user_id": "u1"}, json={"session_name": "Renamed"})
    call("GET", "/sessions/missing", params={"type": "agent"})

    # Memories
    call("POST", "/memories", json={"memory": "Likes tea", "user_id": "u1", "topics": ["food"]})
    call("GET", "/memories", params={"user_id": "u1"}, unordered=True)
    call("GET", "/memories", params={"user_id": "u1", "topics": ["food"], "limit": 1, "page": 1})
    call("GET", "/memory_topics", params={"user_id": "u1"}, unordered=True)
    call("GET", "/user_memory_stats")

    # Eval runs, traces, knowledge and approvals are written by agno internals; seed them through the db.
    seed(db)
    call("GET", "/eval-runs")
    call("GET", "/eval-runs/eval-1")
    call("GET", "/traces")
    call("GET", "/traces/trace-1")
    call("GET", "/trace_session_stats")
    call("GET", "/knowledge/content")
    call("GET", "/knowledge/content/doc-1")
    call("GET", "/approvals")
    call("GET", "/approvals/count")

    # Metrics
    call("POST", "/metrics/refresh")
    call("GET", "/metrics")

    # Schedules
    created = call("POST", "/schedules", json={"name": "nightly", "cron_expr": "0 3 * * *",
                                                "endpoint": "/agents/helper/runs", "payload": {"message": "hi"}})
    call("POST", "/schedules", json={"name": "nightly", "cron_expr": "0 3 * * *", "endpoint": "/agents/helper/runs"})
    call("GET", "/schedules")
    assert isinstance(created, dict) and "id" in created, created
    schedule = created["id"]
    call("GET", f"/schedules/{schedule}", label="/schedules/{id}")
    call("GET", f"/schedules/{schedule}/runs", label="/schedules/{id}/runs")
    call("POST", f"/schedules/{schedule}/disable", label="/schedules/{id}/disable")
    call("DELETE", f"/schedules/{schedule}", label="/schedules/{id}")

    # Service accounts: minting needs a JWT caller, so the accounts are seeded through the db.
    call("POST", "/service-accounts", json={"name": "ci-bot"})  # 401 without JWT, on both
    for index, name in enumerate(["ci-bot", "deployer", "auditor"]):
        db.create_service_account({"id": f"sa-{index}", "name": name, "token_hash": f"hash-{index}",
                                   "token_prefix": "agno_sa_x", "scopes": ["agents:read"], "user_id": None,
                                   "created_at": 1_800_000_000 + index, "expires_at": None})
    call("GET", "/service-accounts", params={"sort_by": "name", "sort_order": "asc"})
    call("DELETE", "/service-accounts/sa-0")
    call("DELETE", "/service-accounts/sa-0")  # idempotent
    call("DELETE", "/service-accounts/missing")
    call("GET", "/service-accounts", params={"include_revoked": "false"})
    call("GET", "/service-accounts", params={"limit": 1, "page": 2, "sort_by": "name"})
    return results


KNOWLEDGE_ID = "docs"


def seed(db: BaseDb) -> None:
    from agno.db.schemas.approval import Approval  # noqa: F401 - imported for its presence check
    from agno.db.schemas.evals import EvalRunRecord, EvalType
    from agno.db.schemas.knowledge import KnowledgeRow
    from agno.tracing.schemas import Span, Trace

    from datetime import UTC, datetime

    now = int(time.time())
    start, end = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC), datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC)
    db.create_eval_run(EvalRunRecord(run_id="eval-1", eval_type=EvalType.ACCURACY, eval_data={"score": 8},
                                     eval_input={"input": "2+2"}, name="math", agent_id="helper"))
    db.upsert_trace(Trace(trace_id="trace-1", name="Helper.run", status="OK", start_time=start,
                          end_time=end, duration_ms=1000, total_spans=1, error_count=0,
                          run_id="r", session_id="s1", user_id="u1", agent_id="helper", team_id=None,
                          workflow_id=None, created_at=start))
    db.create_span(Span(span_id="span-1", trace_id="trace-1", parent_span_id=None, name="Helper.run",
                        span_kind="INTERNAL", status_code="OK", status_message=None, start_time=start,
                        end_time=end, duration_ms=1000, attributes={"k": "v"},
                        created_at=start))
    db.upsert_knowledge_content(KnowledgeRow(id="doc-1", name="handbook.md", description="The handbook",
                                             linked_to=KNOWLEDGE_ID, status="completed", created_at=now,
                                             updated_at=now))
    db.create_approval({"id": "appr-1", "run_id": "r", "session_id": "s1", "status": "pending",
                        "source_type": "agent", "pause_type": "confirmation", "agent_id": "helper",
                        "user_id": "u1", "tool_name": "delete_everything", "tool_args": {"really": True},
                        "created_at": now})


@pytest.fixture
def reference(tmp_path: Path) -> AgnoSqliteDb:
    return AgnoSqliteDb(db_file=str(tmp_path / "reference.db"))


def test_agentos_endpoints_match_agnos_own_db(backend: str, db_url: URL, reference: AgnoSqliteDb) -> None:
    ours = make_db(backend, db_url)
    try:
        expected = run_scenario(build_app(reference), reference)
        actual = run_scenario(build_app(ours), ours)
        for want, got in zip(expected, actual, strict=True):
            assert got == want, f"{want[0]} differs"
    finally:
        ours.close()

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
            "completed_at", "last_updated", "parent_span_id", "timer"}


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

    agent = Agent(id="helper", name="Helper", model=OfflineModel(), db=db, update_memory_on_run=True,
                  add_history_to_context=True)
    app = AgentOS(agents=[agent], db=db, telemetry=False).get_app()
    return TestClient(app)


def run_scenario(client: TestClient, db: BaseDb) -> list[tuple[str, int, Any]]:
    """Drive AgentOS like a user would; returns (request, status, shape) for every call."""
    results: list[tuple[str, int, Any]] = []

    def call(method: str, path: str, **kwargs: Any) -> Any:
        response = client.request(method, path, **kwargs)
        body = response.json() if response.content else None
        results.append((f"{method} {path}", response.status_code, shape(body)))
        return body

    for i, text in enumerate(["Hello there #greeting", "Tell me more #more"]):
        call("POST", "/agents/helper/runs", data={"message": text, "session_id": "s1", "user_id": "u1", "stream": "false"})
    call("POST", "/agents/helper/runs", data={"message": "Other user", "session_id": "s2", "user_id": "u2", "stream": "false"})

    call("GET", "/sessions", params={"type": "agent", "user_id": "u1"})
    call("GET", "/sessions", params={"type": "agent", "limit": 1, "page": 2, "sort_by": "created_at", "sort_order": "asc"})
    call("GET", "/sessions/s1", params={"type": "agent", "user_id": "u1"})
    call("GET", "/sessions/s1/runs", params={"type": "agent", "user_id": "u1"})
    call("POST", "/sessions/s1/rename", params={"type": "agent", "user_id": "u1"}, json={"session_name": "Renamed"})
    call("GET", "/sessions/missing", params={"type": "agent"})
    return results


@pytest.fixture
def reference(tmp_path: Path) -> AgnoSqliteDb:
    return AgnoSqliteDb(db_file=str(tmp_path / "reference.db"))


def test_agentos_sessions_endpoints_match_agnos_own_db(backend: str, db_url: URL, reference: AgnoSqliteDb) -> None:
    ours = make_db(backend, db_url)
    try:
        expected = run_scenario(build_app(reference), reference)
        actual = run_scenario(build_app(ours), ours)
        for want, got in zip(expected, actual, strict=True):
            assert got == want, f"{want[0]} differs"
    finally:
        ours.close()

"""agno's runtime features that depend on its db-capability gates, run for real and offline on
every backend: context compaction (records stored, the next request shorter) and tool-result
offloading (the model sees a preview; the whole result is recoverable from the store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agno.agent import Agent
from agno.compaction.compaction import Compaction
from agno.db.postgres import PostgresDb as AgnoPostgresDb
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from agno.fs import FileSystem
from agno.fs.local import LocalFileSystem
from agno.offload.setup import _db_supports_offloading
from agno.offload.store import ResultStore
from sqlalchemy.engine import URL

from examples.offline_model import OfflineModel, Reply, Request, default_decide
from repositories import AsyncMySQLDb, AsyncPostgresDb, AsyncSqliteDb, MySQLDb, PostgresDb, SqliteDb
from repositories.core.db import SqlDb
from tests.repositories.conftest import make_db

SUMMARY = "SUMMARY-OF-EARLIER-TURNS"
REPORT = "\n".join(f"line {i}: value {i * i}" for i in range(2000))


@pytest.fixture
def db(backend: str, db_url: URL) -> Iterator[SqlDb]:
    instance = make_db(backend, db_url)
    yield instance
    instance.close()


def words(messages: list[Any]) -> int:
    return sum(len(m.get_content_string().split()) for m in messages)


def summarizing(request: Request) -> Reply:
    system = " ".join(m.get_content_string() for m in request.messages if m.role == "system")
    if "summar" in system.lower():
        return Reply(content=SUMMARY)
    return default_decide(request)


def test_gates_admit_our_sync_classes_only() -> None:
    for cls in (SqliteDb, MySQLDb):
        assert issubclass(cls, AgnoSqliteDb)
        assert AgnoSqliteDb not in cls.__mro__  # registered, not inherited: none of agno's storage code
    # PostgresDb passes the offload gate as agno's PostgresDb (tests/test_postgres_gates.py).
    assert issubclass(PostgresDb, AgnoPostgresDb) and AgnoPostgresDb not in PostgresDb.__mro__
    for cls in (AsyncSqliteDb, AsyncPostgresDb, AsyncMySQLDb):
        assert not issubclass(cls, AgnoSqliteDb)
    for ours in (SqliteDb, PostgresDb, MySQLDb):
        assert _db_supports_offloading(ours.__new__(ours))


def test_compaction_folds_the_history_and_stores_its_records(db: SqlDb) -> None:
    model = OfflineModel(decide=summarizing)
    agent = Agent(model=model, db=db, add_history_to_context=True,
                  compaction=Compaction(compact_at_tokens=400, uncompacted_runs=1,
                                        token_counter=lambda messages, tools=None: words(messages)))
    assert agent.compaction is not None  # not switched off at build time
    turns = [f"turn {i} says " + f"word{i} " * 60 for i in range(4)]
    for turn in turns:
        agent.run(turn, session_id="s1", user_id="u1")

    records = db.get_compactions_for_session("s1")
    assert records and all(r["summary"] == SUMMARY and r["user_id"] == "u1" for r in records)
    assert "turn 0 says" in "".join(r["archived_messages"] or "" for r in records)
    assert db.search_compactions("s1", "word0") != []

    last = model.requests[-1].messages
    sent = " ".join(m.get_content_string() for m in last)
    assert SUMMARY in sent and "turn 0 says" not in sent  # folded: the summary stands in for it
    # The same conversation without compaction sends the whole history.
    control_model = OfflineModel(decide=summarizing)
    control = Agent(model=control_model, db=db, add_history_to_context=True, num_history_runs=10)
    for turn in turns:
        control.run(turn, session_id="control", user_id="u1")
    assert words(last) < words(control_model.requests[-1].messages) * 0.7
    # Deleting the session deletes its folds: a new session under the same id starts clean.
    db.delete_session("s1")
    assert db.get_compactions_for_session("s1") == []


def store_for(backend: str, tmp_path: Path) -> ResultStore:
    if backend == "mysql":
        # agno's database filesystem runs on SQLite and PostgreSQL only: payloads go to a directory.
        return ResultStore(threshold_chars=2000, fs=FileSystem(LocalFileSystem(root=tmp_path / "payloads")))
    return ResultStore(threshold_chars=2000)


def fetch_report() -> str:
    """Fetch the quarterly report."""
    return REPORT


def test_offloaded_tool_result_is_recoverable(db: SqlDb, backend: str, tmp_path: Path) -> None:
    assert _db_supports_offloading(db)

    def decide(request: Request) -> Reply:
        if request.answered_tool_calls == 0 and "fetch_report" in request.tool_names:
            return Reply(tool_calls=[("fetch_report", {})])
        return Reply(content="Done.")

    model = OfflineModel(decide=decide)
    agent = Agent(model=model, db=db, tools=[fetch_report], offload_tool_results=store_for(backend, tmp_path))
    agent.run("get the report", session_id="s1", user_id="u1")
    store = agent.result_store
    assert store is not None  # offloading is on

    seen = [m.get_content_string() for m in model.requests[-1].messages if m.role == "tool"]
    assert len(seen) == 1 and len(seen[0]) < len(REPORT) // 10  # the model saw a preview
    rows = db.get_tool_results_for_session("s1")
    assert len(rows) == 1 and rows[0]["user_id"] == "u1" and rows[0]["line_count"] == 2000
    assert rows[0]["result_id"] in seen[0]
    assert store.payload(rows[0]["result_id"]) == REPORT
    assert store.read(rows[0]["result_id"], start_line=1000, end_line=1000).text == "line 999: value 998001"

    # A session delete takes the index rows and the payloads.
    def payloads() -> list[str | None]:
        return [store.fs.backend.read(rows[0]["namespace"], rows[0]["path"], user_id=u) for u in ("", "u1")]

    assert REPORT in payloads()
    assert db.delete_session("s1")
    assert db.get_tool_results_for_session("s1") == [] and db.get_tool_result(rows[0]["result_id"]) is None
    assert payloads() == [None, None]  # in agno's database filesystem, or the store's own directory

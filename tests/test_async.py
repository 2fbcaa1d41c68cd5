"""What only the async classes can show: an event loop full of concurrent calls, arun, AgentOS."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from agno.agent import Agent
from agno.run.agent import RunOutput
from agno.session import AgentSession
from sqlalchemy.engine import URL

from examples.offline_model import OfflineModel
from repositories import AsyncSqliteDb
from repositories.core.asyncdb import AsyncSqlDb
from tests.repositories.conftest import make_async_db


@pytest.fixture
def async_db(backend: str, db_url: URL) -> Iterator[AsyncSqlDb]:
    db = make_async_db(backend, db_url)
    yield db
    asyncio.run(db.close())


def test_fifty_concurrent_upsert_runs_on_one_session(async_db: AsyncSqlDb) -> None:
    async def scenario() -> list[dict]:
        await async_db.upsert_session(AgentSession(session_id="s1", agent_id="a", user_id="u1"))
        # Every call claims index 0, as writers holding stale copies of the session would.
        await asyncio.gather(*[
            async_db.upsert_run(RunOutput(run_id=f"r{i}", agent_id="a", session_id="s1"), session_id="s1",
                                user_id="u1", run_index=0)
            for i in range(50)
        ])
        rows, total = await async_db.get_runs(session_id="s1", deserialize=False)
        assert total == 50
        return rows

    rows = asyncio.run(scenario())
    assert sorted(r["run_id"] for r in rows) == sorted(f"r{i}" for i in range(50))
    assert sorted(r["run_index"] for r in rows) == list(range(50))


def test_arun_twice_in_one_session(async_db: AsyncSqlDb) -> None:
    model = OfflineModel()
    agent = Agent(model=model, db=async_db, add_history_to_context=True)

    async def scenario() -> None:
        first = await agent.arun("My name is Ada.", session_id="s1", user_id="u1")
        await agent.arun("What is my name?", session_id="s1", user_id="u1")
        seen = [(m.role, m.get_content_string()) for m in model.requests[-1].messages]
        assert ("user", "My name is Ada.") in seen and ("assistant", first.content) in seen
        stored = await async_db.get_session("s1", user_id="u1")
        assert len(stored.runs) == 2
        assert await async_db.get_session("s1", user_id="intruder") is None

    asyncio.run(scenario())


def test_async_methods_keep_the_sync_signatures() -> None:
    import inspect

    from repositories import SqliteDb

    for name in ("get_session", "get_sessions", "upsert_run", "get_runs"):
        sync_method, async_method = getattr(SqliteDb, name), getattr(AsyncSqliteDb, name)
        assert inspect.iscoroutinefunction(async_method)
        assert inspect.signature(async_method) == inspect.signature(sync_method)


def test_agentos_through_an_async_client(async_db: AsyncSqlDb) -> None:
    import httpx
    from agno.os import AgentOS

    agent = Agent(id="helper", name="Helper", model=OfflineModel(), db=async_db, add_history_to_context=True)
    app = AgentOS(agents=[agent], db=async_db, telemetry=False).get_app()

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agentos") as client:
            for text in ("Hello #greeting", "Again"):
                response = await client.post("/agents/helper/runs", data={"message": text, "session_id": "s1",
                                                                          "user_id": "u1", "stream": "false"})
                assert response.status_code == 200, response.text
            sessions = (await client.get("/sessions", params={"type": "agent", "user_id": "u1"})).json()
            assert [s["session_id"] for s in sessions["data"]] == ["s1"]
            assert sessions["meta"]["total_count"] == 1
            runs = (await client.get("/sessions/s1/runs", params={"type": "agent", "user_id": "u1"})).json()
            assert [r["content"] for r in runs][0].startswith("You said 'Hello #greeting'")
            assert len(runs) == 2
            created = await client.post("/memories", json={"memory": "Likes tea", "user_id": "u1", "topics": ["food"]})
            assert created.status_code == 200, created.text
            memories = (await client.get("/memories", params={"user_id": "u1"})).json()
            assert [m["memory"] for m in memories["data"]] == ["Likes tea"]
            other = (await client.get("/sessions", params={"type": "agent", "user_id": "u2"})).json()
            assert other["data"] == []

    asyncio.run(scenario())

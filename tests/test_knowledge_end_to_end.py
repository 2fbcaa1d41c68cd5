"""agno's Knowledge and an agent with search_knowledge=True on our db and our vector store, offline.

A deterministic hashed bag-of-words embedder stands in for an embedding model (nothing is
downloaded) and a scripted model calls ``search_knowledge_base``; the agent must get the chunk
that answers the question back from the tool, on every backend, sync and async.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from agno.agent import Agent
from agno.knowledge import Knowledge
from sqlalchemy.engine import URL

from examples.offline_model import OfflineModel, Reply, Request
from repositories import HashingEmbedder, MySQLVectorDb, PgVectorDb, SqliteVectorDb
from repositories.core.db import SqlDb
from tests.repositories.conftest import make_async_db, make_db

STORES = {"sqlite": SqliteVectorDb, "postgresql": PgVectorDb, "mysql": MySQLVectorDb}

HANDBOOK = {
    "vault": "Vault seven opens with the access code 4471, which only the night guard holds.",
    "lunch": "Lunch is served at noon in the blue canteen on the ground floor.",
    "parking": "Visitors park on level two of the garage and show their badge at the gate.",
    "wifi": "The guest wifi network is called Harbor and its password changes every Monday.",
    "fire": "In case of fire, leave by the east stairs and gather at the fountain.",
}
QUESTION = "What is the access code for vault seven?"


def search_then_answer(request: Request) -> Reply:
    """Call search_knowledge_base with the user's question once, then answer with what it returned."""
    if "search_knowledge_base" in request.tool_names and request.answered_tool_calls == 0:
        return Reply(tool_calls=[("search_knowledge_base", {"query": request.last_user_text})])
    results = [m.get_content_string() for m in request.messages if m.role == "tool"]
    return Reply(content=results[-1] if results else "no results")


def first_chunk(tool_output: str) -> str:
    """The content of the first document search_knowledge_base returned (a JSON list)."""
    documents = json.loads(tool_output)
    assert isinstance(documents, list) and documents, tool_output
    return str(documents[0]["content"])


@pytest.fixture
def db(backend: str, db_url: URL) -> Iterator[SqlDb]:
    instance = make_db(backend, db_url)
    yield instance
    instance.close()


@pytest.mark.parametrize("search_type", ["vector", "hybrid"])
def test_agent_finds_the_right_chunk(db: SqlDb, backend: str, search_type: str) -> None:
    store = STORES[backend]("handbook", db=db, embedder=HashingEmbedder(), search_type=search_type)
    knowledge = Knowledge(name="handbook", contents_db=db, vector_db=store)
    for name, text in HANDBOOK.items():
        knowledge.insert(name=name, text_content=text)

    contents, total = db.get_knowledge_contents()
    assert total == len(HANDBOOK) and {c.name for c in contents} == set(HANDBOOK)
    assert all(c.status == "completed" for c in contents), [(c.name, c.status, c.status_message) for c in contents]
    assert store.get_count() == len(HANDBOOK)

    model = OfflineModel(decide=search_then_answer)
    agent = Agent(model=model, db=db, knowledge=knowledge, search_knowledge=True)
    run = agent.run(QUESTION, session_id="s1", user_id="u1")

    assert "search_knowledge_base" in model.requests[0].tool_names
    assert first_chunk(str(run.content)) == HANDBOOK["vault"]
    assert re.search(r"\b4471\b", str(run.content))
    store.close()


def test_async_agent_finds_the_right_chunk(backend: str, db_url: URL) -> None:
    async def scenario() -> Any:
        adb = make_async_db(backend, db_url)
        store = STORES[backend]("handbook", db=adb, embedder=HashingEmbedder(), search_type="hybrid")
        knowledge = Knowledge(name="handbook", contents_db=adb, vector_db=store)
        try:
            for name, text in HANDBOOK.items():
                await knowledge.ainsert(name=name, text_content=text)
            # Re-adding the same content upserts by content hash: no duplicate chunks.
            await knowledge.ainsert(name="vault", text_content=HANDBOOK["vault"])
            count = await store.async_get_count()
            agent = Agent(model=OfflineModel(decide=search_then_answer), db=adb, knowledge=knowledge,
                          search_knowledge=True)
            run = await agent.arun(QUESTION, session_id="s1", user_id="u1")
            return count, str(run.content)
        finally:
            await store.aclose()
            await adb.close()

    count, answer = asyncio.run(scenario())
    assert count == len(HANDBOOK)
    assert first_chunk(answer) == HANDBOOK["vault"]

"""agno's other PostgreSQL-only features, gated on ``isinstance(db, PostgresDb)``, on our PostgresDb,
side by side with agno's own: the AgentOS public surface (anonymous runs admitted by a rate limiter
on the db's engine) and ``PgVector(db=...)`` (agno's vector store borrowing the db's engine)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from agno.agent import Agent
from agno.db.postgres import PostgresDb as AgnoPostgresDb
from agno.knowledge.document import Document
from agno.vectordb.pgvector import PgVector
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from examples.offline_model import OfflineModel
from repositories import AsyncPostgresDb, HashingEmbedder, PostgresDb


def make(kind: str, url: URL) -> Any:
    rendered = url.render_as_string(hide_password=False)
    if kind == "ours":
        return PostgresDb(db_url=rendered)
    return AgnoPostgresDb(db_url=rendered, db_schema="agno_ref")


@pytest.fixture
def url(postgres_without_pgvector_url: URL) -> Iterator[URL]:
    yield postgres_without_pgvector_url


def public_story(db: Any, namespace: str) -> list[Any]:
    from agno.os import AgentOS
    from agno.os.public import PublicSurface, RateLimit

    agent = Agent(id="helper", name="Helper", model=OfflineModel(), db=db)
    surface = PublicSurface(agents=[agent], namespace=namespace, limits={"run": RateLimit(2, 50)})
    app = AgentOS(agents=[agent], db=db, public=surface, telemetry=False).get_app()
    seen: list[Any] = []
    with TestClient(app) as client:  # the lifespan prepares the limiter's table
        seen.append(client.get("/agents").json())
        for _ in range(3):  # two runs a minute per client: the third is refused
            response = client.post("/agents/helper/runs", data={"message": "hello there", "stream": "false"})
            body = response.json()
            seen.append((response.status_code, body.get("content") if response.status_code == 200 else body["error"]["code"]))
    sessions = db.get_sessions(session_type=None)
    seen.append(sorted(len(s.runs or []) for s in sessions))
    return seen


def test_the_public_surface_runs_and_limits_on_our_db_as_on_agnos(url: URL) -> None:
    ours, agnos = make("ours", url), make("agno", url)
    try:
        mine, theirs = public_story(ours, "ours"), public_story(agnos, "agnos")
    finally:
        ours.db_engine.dispose()
        agnos.db_engine.dispose()
    assert mine == theirs
    assert mine[0] == [{"id": "helper", "name": "Helper", "description": ""}]
    assert [status for status, _ in mine[1:4]] == [200, 200, 429]
    assert mine[-1] == [1, 1]  # each admitted run stored, in a session of its own


def test_the_public_surface_refuses_our_async_db_as_it_refuses_agnos(url: URL) -> None:
    from agno.os import AgentOS
    from agno.os.public import PublicSurface

    db = AsyncPostgresDb(db_url=url.render_as_string(hide_password=False))
    agent = Agent(id="helper", model=OfflineModel(), db=db)
    with pytest.raises(ValueError, match="synchronous PostgreSQL"):
        AgentOS(agents=[agent], db=db, public=PublicSurface(agents=[agent], namespace="n"), telemetry=False).get_app()


def vector_story(db: Any, table: str) -> list[Any]:
    store = PgVector(table_name=table, schema="vectors", db=db, embedder=HashingEmbedder(dimensions=32))
    assert store.db_engine is db.db_engine  # borrowed, not a second pool
    store.create()
    docs = [Document(name=f"doc{i}", content=text) for i, text in
            enumerate(["the cat sat on the mat", "stock markets fell sharply", "a cat chased the mouse"])]
    store.insert(content_hash="h1", documents=docs)
    found = [d.name for d in store.search("cat on a mat", limit=2)]
    return [found, store.get_count(), store.content_hash_exists("h1")]


def test_pgvector_borrows_our_db_engine_and_finds_what_it_finds_on_agnos(postgres_url: URL) -> None:
    ours, agnos = make("ours", postgres_url), make("agno", postgres_url)
    try:
        mine, theirs = vector_story(ours, "ours_docs"), vector_story(agnos, "agno_docs")
    finally:
        ours.db_engine.dispose()
        agnos.db_engine.dispose()
    assert mine == theirs
    assert mine[0][0] == "doc0" and mine[1:] == [3, True]


def test_pgvector_refuses_our_async_db_as_it_refuses_agnos(postgres_url: URL) -> None:
    db = AsyncPostgresDb(db_url=postgres_url.render_as_string(hide_password=False))
    with pytest.raises(ValueError, match="synchronous PostgresDb"):
        PgVector(table_name="t", db=db, embedder=HashingEmbedder(dimensions=8))

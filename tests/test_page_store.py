"""agno's knowledge page store (``Knowledge(page_store=...)``, its ``PageCoordinator``) on our
sync PostgresDb as ``contents_db``, end to end, side by side with agno's own PostgresDb.

The page store keeps three tables in one PostgreSQL database and publishes each page in one
transaction across them: the knowledge catalog (the db's ``agno_knowledge``: one row per page and
one for the source, written with ``_upsert_knowledge_content_on`` on the coordinator's connection),
agno's ``DbFileSystem`` (the page text) and ``PgVector`` (its chunks, searched with a hybrid query
that joins the catalog). Pages arrive only through ``sync_pages`` from an ``llms.txt`` index; the
network fetch is the one thing replaced here (a fixed site in memory), every statement runs on the
embedded PostgreSQL 18 + pgvector server.
"""

from __future__ import annotations

import asyncio
import importlib.util
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.postgres import AsyncPostgresDb as AgnoAsyncPostgresDb
from agno.db.postgres import PostgresDb as AgnoPostgresDb
from agno.db.schemas.knowledge import KnowledgeRow
from agno.fs import FileSystem
from agno.fs.db import DbFileSystem
from agno.knowledge import Knowledge
from agno.vectordb.pgvector import PgVector
from sqlalchemy.engine import URL

from tests.conftest import IN_CI

if importlib.util.find_spec("bs4") is None:
    # agno's page discovery parses llms.txt with its LLMsTxtReader, which imports BeautifulSoup.
    message = "beautifulsoup4 (in the test extra) is not installed: agno's page store cannot be imported"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)

from agno.knowledge.page import PageNotFound, SyncFailed, _source

from agno_models import migrate
from repositories import AsyncPostgresDb, HashingEmbedder, PostgresDb

INDEX = "https://docs.example.com/llms.txt"


class PageEmbedder(HashingEmbedder):
    """Deterministic and offline; accepts the per-call ``timeout`` agno's page code passes."""

    def get_embedding(self, text: str, timeout: float | None = None) -> list[float]:
        return super().get_embedding(text)


def site(pages: dict[str, tuple[str, str]]) -> dict[str, str]:
    """An llms.txt index listing ``pages`` (path -> (title, markdown)) and the pages themselves."""
    index = "# Example docs\n\n" + "\n".join(
        f"- [{title}](https://docs.example.com{path}): {title.lower()}" for path, (title, _) in pages.items()
    )
    return {INDEX: index, **{f"https://docs.example.com{path}": body for path, (_, body) in pages.items()}}


class OfflineSite:
    """What ``PageSource.fetch`` returns for each URL; a missing URL fails the fetch as a 404 would."""

    def __init__(self) -> None:
        self.served: dict[str, str] = {}

    def fetch(self, source: Any, url: str, max_bytes: int) -> str:
        body = self.served.get(_source.source_url(url))
        if body is None:
            raise SyncFailed()
        return body


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> OfflineSite:
    served = OfflineSite()
    monkeypatch.setattr(_source.PageSource, "fetch", lambda self, url, max_bytes: served.fetch(self, url, max_bytes))
    return served


@pytest.fixture
def two_databases(pg_server: dict[str, object]) -> Iterator[tuple[URL, URL]]:
    """Two fresh databases on the embedded server: ours and agno's get identical table names, so
    the page ids (digests of the filesystem table's name) and every result can be compared as is."""
    from pytest_postgresql.janitor import DatabaseJanitor

    from tests.conftest import _pg_url

    names = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    janitors = [
        DatabaseJanitor(
            user=str(pg_server["user"]), host=str(pg_server["host"]), port=int(str(pg_server["port"])), dbname=n
        )
        for n in names
    ]
    for janitor in janitors:
        janitor.init()
    try:
        yield _pg_url(pg_server, names[0]), _pg_url(pg_server, names[1])
    finally:
        for janitor in janitors:
            janitor.drop()


def page_knowledge(db: Any) -> Knowledge:
    files = FileSystem(DbFileSystem(db=db, db_schema="pages"), namespace="docs")  # borrows the db's engine
    vectors = PgVector(table_name="page_chunks", schema="pages", db=db, embedder=PageEmbedder(dimensions=32))
    return Knowledge(name="docs", contents_db=db, vector_db=vectors, page_store=files)


def make(kind: str, url: URL) -> Any:
    rendered = url.render_as_string(hide_password=False)
    return PostgresDb(db_url=rendered) if kind == "ours" else AgnoPostgresDb(db_url=rendered)


INSTALL = "# Install\n\nRun `pip install agno` and set the PGVector extension up.\n"
SEARCH = "# Search\n\n## Hybrid\n\nHybrid search fuses vector and keyword ranks.\n"
LIMITS = "# Limits\n\nA page holds at most four megabytes of Markdown.\n"
FIRST = {
    "/install.md": ("Install", INSTALL),
    "/guides/search.md": ("Search", SEARCH),
    "/limits.md": ("Limits", LIMITS),
}


def catalog(db: Any) -> list[dict[str, Any]]:
    """The knowledge rows as agno lists them, without what differs between any two runs (clocks,
    the publication's random id)."""
    rows, total = db.get_knowledge_contents()
    assert total == len(rows)
    listed = []
    for row in sorted(rows, key=lambda r: r.id):
        data = row.model_dump(exclude={"created_at", "updated_at"})
        data["metadata"]["_agno"].pop("publication_id", None)
        listed.append(data)
    return listed


def created(db: Any, path: str) -> int:
    (row,) = [
        r
        for r in db.get_knowledge_contents()[0]
        if (r.metadata or {}).get("_agno", {}).get("page", {}).get("path") == path
    ]
    return int(row.created_at or 0)


def story(db: Any, restarted: Any, web: OfflineSite) -> list[Any]:
    """Set up, sync three times (one page failing, then fixed and another changed, then one
    removed) and once more unchanged, reading and searching between; everything agno answers."""
    knowledge = page_knowledge(db)
    knowledge.setup()
    knowledge.setup()  # a second start takes agno's read-only "already set up" path
    seen: list[Any] = []

    # 1. /limits.md is listed but cannot be fetched: a partial sync, its catalog row marked failed.
    web.served = site(FIRST)
    del web.served["https://docs.example.com/limits.md"]
    seen.append(knowledge.sync_pages(url=INDEX))
    seen.append(catalog(db))
    seen.append(knowledge.read_page("/install.md"))
    seen.append(knowledge.read_page("/install.md", offset=10, max_chars=20))
    seen.append(knowledge.read_full_page("/guides/search.md"))
    seen.append(knowledge.list_pages())
    seen.append(knowledge.list_pages(prefix="/guides/"))
    seen.append(knowledge.grep_pages("pgvector", ignore_case=True))
    seen.append(knowledge.grep_pages("pgvector"))  # case matters by default: no match
    seen.append(knowledge.search_pages("hybrid keyword ranks"))
    seen.append([(d.name, d.content, d.meta_data["path"]) for d in knowledge.search("how do I install agno")])
    seen.append(knowledge.inspect_page_source())
    first_install = created(db, "/install.md")

    # 2. /limits.md is served now and /install.md changed: both published, the failure cleared.
    web.served = site({**FIRST, "/install.md": ("Install", INSTALL + "\nThen restart the server.\n")})
    seen.append(knowledge.sync_pages(url=INDEX))
    seen.append(catalog(db))
    seen.append(knowledge.read_page("/install.md"))
    seen.append(knowledge.grep_pages("restart"))
    seen.append(created(db, "/install.md") == first_install)  # a republished page keeps its created_at

    # 3. /guides/search.md left the index: pruned from the catalog, the files and the chunks.
    web.served = site({"/install.md": FIRST["/install.md"], "/limits.md": FIRST["/limits.md"]})
    web.served["https://docs.example.com/install.md"] = INSTALL + "\nThen restart the server.\n"
    seen.append(knowledge.sync_pages(url=INDEX))
    with pytest.raises(PageNotFound):
        knowledge.read_page("/guides/search.md")
    seen.append(catalog(db))
    seen.append(knowledge.list_pages())
    seen.append(knowledge.search_pages("hybrid keyword ranks"))

    # 4. Another process starts on the same database (a db object that has not touched it yet):
    #    setup finds everything in place; nothing changed, so nothing but the attempts is written.
    knowledge = page_knowledge(restarted)
    knowledge.setup()
    seen.append(knowledge.sync_pages(url=INDEX))
    seen.append(catalog(restarted))

    async def asynchronously() -> list[Any]:
        return [
            await knowledge.asearch_pages("four megabytes"),
            await knowledge.aread_page("/limits.md"),
            await knowledge.alist_pages(),
        ]

    seen.extend(asyncio.run(asynchronously()))
    return seen


def test_pages_sync_read_and_search_on_our_db_as_on_agnos(two_databases: tuple[URL, URL], web: OfflineSite) -> None:
    ours_url, agnos_url = two_databases
    # Two db objects per side: the second plays a process started later on the same database.
    dbs = [make("ours", ours_url), make("ours", ours_url), make("agno", agnos_url), make("agno", agnos_url)]
    try:
        mine, theirs = story(dbs[0], dbs[1], web), story(dbs[2], dbs[3], web)
        # The index agno's page store added to our knowledge table is not drift.
        migrate.check(ours_url.render_as_string(hide_password=False), schema="ai")
    finally:
        for db in dbs:
            db.db_engine.dispose()
    assert len(mine) == len(theirs)
    for step, (got, expected) in enumerate(zip(mine, theirs)):
        assert got == expected, f"step {step}"

    first, first_catalog = mine[0], {row["name"]: row for row in mine[1]}
    assert (first.status, first.updated, first.failed, first.failed_paths) == ("partial", 2, 1, ("/limits.md",))
    assert (
        first_catalog["Limits"]["status"] == "failed"
        and first_catalog["Limits"]["status_message"] == "page_sync_failed"
    )
    assert first_catalog["docs"]["type"] == "source" and first_catalog["Install"]["size"] == len(INSTALL)
    assert mine[2].text == INSTALL and mine[3].text == INSTALL[10:30] and mine[4] == SEARCH
    assert [p.path for p in mine[5].pages] == ["/guides/search.md", "/install.md"]
    assert [p.path for p in mine[6].pages] == ["/guides/search.md"]
    assert [m.line_number for m in mine[7].matches] == [3] and mine[8].matches == ()
    assert mine[9].results[0].path == "/guides/search.md"
    assert mine[10][0][2] == "/install.md"

    second, second_catalog = mine[12], {row["name"]: row for row in mine[13]}
    assert (second.status, second.updated, second.failed) == ("completed", 2, 0)
    # agno's publication writes every field: the earlier failure's message is cleared, not kept.
    assert second_catalog["Limits"]["status"] == "completed" and second_catalog["Limits"]["status_message"] is None
    assert mine[14].text.endswith("Then restart the server.\n") and mine[14].revision != mine[2].revision
    assert [m.path for m in mine[15].matches] == ["/install.md"] and mine[16] is True

    third = mine[17]
    assert (third.status, third.updated, third.deleted) == ("completed", 0, 1)
    assert sorted(row["name"] for row in mine[18]) == ["Install", "Limits", "docs"]
    assert [p.path for p in mine[19].pages] == ["/install.md", "/limits.md"]
    assert all(hit.path != "/guides/search.md" for hit in mine[20].results)

    def pages(listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [row for row in listed if row["type"] == "page"]

    assert mine[21].status == "unchanged" and pages(mine[22]) == pages(mine[18])
    assert [row["metadata"]["_agno"]["sync"]["status"] for row in mine[22] if row["type"] == "source"] == ["unchanged"]
    assert mine[23].results[0].path == "/limits.md" and mine[24].text == LIMITS and len(mine[25].pages) == 2


def upsert_story(db: Any, url: URL) -> list[Any]:
    """``_upsert_knowledge_content_on`` as the page coordinator uses it: on its own connection, in
    its own transaction, with every field written."""
    table = db._get_table(table_type="knowledge", create_table_if_not_found=True)
    engine = sa.create_engine(url)  # the coordinator's own pool, no execution options of ours
    failed = KnowledgeRow(
        id="p1",
        name="Page",
        description="Documentation page",
        type="page",
        linked_to="docs",
        metadata={"_agno": {"source_url": "https://docs.example.com/p1.md"}},
        status="failed",
        status_message="page_sync_failed",
        created_at=100,
        updated_at=100,
    )
    published = failed.model_copy(
        update={"status": "completed", "status_message": None, "size": 7, "created_at": 200, "updated_at": 200}
    )
    seen: list[Any] = []
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            db._upsert_knowledge_content_on(conn, table, failed)
            seen.append(conn.execute(sa.select(table.c.status).where(table.c.id == "p1")).scalar_one())
            transaction.rollback()  # the caller's rollback takes the row with it
        seen.append(db.get_knowledge_content("p1"))
        with engine.begin() as conn:
            db._upsert_knowledge_content_on(conn, table, failed)
        seen.append(db.get_knowledge_content("p1"))
        with engine.begin() as conn:
            db._upsert_knowledge_content_on(conn, table, published)
        seen.append(db.get_knowledge_content("p1"))
    finally:
        engine.dispose()
    return seen


def test_the_catalog_upsert_runs_in_the_callers_transaction_as_agnos(postgres_url: URL) -> None:
    rendered = postgres_url.render_as_string(hide_password=False)
    ours, agnos = PostgresDb(db_url=rendered), AgnoPostgresDb(db_url=rendered, db_schema="agno_ref")
    try:
        mine, theirs = upsert_story(ours, postgres_url), upsert_story(agnos, postgres_url)
    finally:
        ours.db_engine.dispose()
        agnos.db_engine.dispose()
    assert mine == theirs
    assert mine[0] == "failed" and mine[1] is None
    assert (mine[2].status, mine[2].status_message) == ("failed", "page_sync_failed")
    # Every field is written (the None clears the old message); created_at keeps its first value.
    assert (mine[3].status, mine[3].status_message, mine[3].size, mine[3].created_at) == ("completed", None, 7, 100)


def test_the_catalog_upsert_refuses_bad_input_before_writing(postgres_url: URL) -> None:
    db = PostgresDb(db_url=postgres_url.render_as_string(hide_password=False))
    table = db._get_table(table_type="knowledge", create_table_if_not_found=True)
    assert table is not None
    good = KnowledgeRow(id="p1", name="Page", description="Documentation page", type="page")
    elsewhere = sa.Table(table.name, sa.MetaData(schema="other"), *(sa.Column(c.name, c.type) for c in table.c))
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            with pytest.raises(ValueError, match=r"agno_knowledge\.id.*U\+0000"):
                db._upsert_knowledge_content_on(conn, table, good.model_copy(update={"id": "p\x00"}))
            with pytest.raises(ValueError, match=r"other\.agno_knowledge is not this db's knowledge table"):
                db._upsert_knowledge_content_on(conn, elsewhere, good)
            # Refused before any statement: the caller's transaction goes on and commits.
            db._upsert_knowledge_content_on(conn, table, good)
        rows, total = db.get_knowledge_contents()
        assert total == 1 and rows[0].id == "p1"
    finally:
        engine.dispose()
        db.db_engine.dispose()


@pytest.mark.parametrize("kind", ["ours", "agno"])
def test_the_page_store_refuses_an_async_db_as_agno_refuses_its_own(kind: str) -> None:
    rendered = "postgresql+psycopg://postgres@127.0.0.1:9/never_connected"  # refused before any connection
    db = AsyncPostgresDb(db_url=rendered) if kind == "ours" else AgnoAsyncPostgresDb(db_url=rendered)
    backend = DbFileSystem(db_url=rendered, db_schema="pages")
    files = FileSystem(backend, namespace="docs")
    vectors = PgVector(table_name="page_chunks", schema="pages", db_url=rendered, embedder=PageEmbedder(dimensions=32))
    try:
        with pytest.raises(ValueError, match="synchronous PostgresDb contents_db"):
            Knowledge(name="docs", contents_db=db, vector_db=vectors, page_store=files)
    finally:
        backend.db_engine.dispose()
        vectors.db_engine.dispose()

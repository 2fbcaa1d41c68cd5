"""``SqlVectorDb``: agno's ``VectorDb`` on the migrated chunk table, sync and async.

Construction and plumbing only: the methods are ``repositories.vectors.methods`` (each written
once, its ``async_`` twin derived), the plumbing is the db classes' own (``core.storage``,
``core.operation``). The design is described in the package docstring.
"""

from __future__ import annotations

import asyncio
import copy
import functools
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any, ClassVar, TypeVar

from agno.knowledge.embedder import Embedder
from agno.utils.string import generate_id
from agno.vectordb.base import VectorDb
from agno.vectordb.distance import Distance
from agno.vectordb.search import SearchType
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from agno_models.engine import create_async_engine, create_engine, sync_url
from agno_models.layout import DEFAULT_NAMES, TableNames
from agno_models.migration_context import ensure_vector_table
from repositories.core.asyncdb import async_twin
from repositories.core.dialects import dialect_for
from repositories.core.operation import (
    Call,
    Operation,
    Program,
    run_async,
    run_procedure,
    run_procedure_sync,
    run_sync,
)
from repositories.core.storage import SERVER_SCHEMA, AsyncConnect, QueryEngines, SchemaGate, Storage, sqlite_url
from repositories.vectors import chunkops
from repositories.vectors import search as s
from repositories.vectors.backends import backend_for
from repositories.vectors.base import Base
from repositories.vectors.checks import integer_in, text_argument
from repositories.vectors.exact import EmbeddingCache
from repositories.vectors.methods import VectorMethods

T = TypeVar("T")

DEFAULT_EF_SEARCH = 100
MAX_DIMENSIONS = 16000  # pgvector's limit for a stored vector

_AsyncVectorMethods = async_twin(VectorMethods, "_AsyncVectorMethods", rename=lambda name: f"async_{name}")


class SqlVectorDb(VectorMethods, _AsyncVectorMethods, VectorDb):  # type: ignore[misc, valid-type]
    """agno's ``VectorDb`` on the agno-models chunk table, for SQLite, PostgreSQL and MySQL/MariaDB.

    ``table_name`` names the knowledge base (agno's PgVector makes a table of that name; here it is
    the ``knowledge_base`` key of the shared, migrated chunk table). Connect with ``db_url``,
    ``db_engine`` (sync or async), or ``db=`` one of this package's db classes to share its engine,
    schema and table names.
    """

    expected_dialect: ClassVar[str | None] = None

    def __init__(
        self,
        table_name: str,
        *,
        db_url: str | URL | None = None,
        db_engine: Engine | AsyncEngine | None = None,
        db: Any = None,
        db_schema: str | None = None,
        embedder: Embedder | None = None,
        search_type: SearchType | str = SearchType.vector,
        distance: Distance | str = Distance.cosine,
        vector_score_weight: float = 0.5,
        reranker: Any = None,
        similarity_threshold: float | None = None,
        name: str | None = None,
        description: str | None = None,
        id: str | None = None,
        auto_upgrade: bool = True,
        hnsw_m: int = 16,
        hnsw_ef_construction: int = 64,
        ef_search: int = DEFAULT_EF_SEARCH,
        maintenance_work_mem: str = "512MB",
        rrf_k: int = 60,
    ) -> None:
        self.table_name = text_argument("table_name", table_name)
        engine, url, names, db_schema, auto_upgrade, gate = _connection(
            db=db, db_url=db_url, db_engine=db_engine, db_schema=db_schema, auto_upgrade=auto_upgrade
        )
        dialect = dialect_for(url.get_backend_name())
        if self.expected_dialect is not None and dialect.name != self.expected_dialect:
            raise ValueError(f"{type(self).__name__} needs a {self.expected_dialect} database, got {dialect.name}")
        self._storage = storage = Storage.make(
            dialect_name=dialect.name, db_schema=db_schema, default_schema=SERVER_SCHEMA if dialect.has_schemas else None,
            names=names, auto_upgrade=auto_upgrade,
        )
        super().__init__(
            id=id or generate_id(f"{url.render_as_string(hide_password=True)}#{db_schema}#{table_name}"),
            name=name, description=description, similarity_threshold=similarity_threshold,
        )
        self.dialect = dialect.name
        self.db_schema = storage.schema
        self.auto_upgrade = auto_upgrade
        self.table_names = names
        self._url = url
        self._given_sync = engine if isinstance(engine, Engine) else None
        self._given_async = engine if isinstance(engine, AsyncEngine) else None
        self._owned_sync: Engine | None = None
        self._owned_async: AsyncEngine | None = None
        self._schema = gate or SchemaGate(storage)  # a db's own: its first use migrates for both
        self._ready = False

        if embedder is None:
            from agno.knowledge.embedder.openai import OpenAIEmbedder  # agno's default

            embedder = OpenAIEmbedder()
        self.embedder = embedder
        dimensions = embedder.dimensions
        if not isinstance(dimensions, int) or isinstance(dimensions, bool) or not 1 <= dimensions <= MAX_DIMENSIONS:
            raise ValueError(f"embedder.dimensions must be an integer from 1 to {MAX_DIMENSIONS}, got {dimensions!r}")
        self.dimensions = dimensions
        self.search_type = SearchType(search_type)
        self.distance = Distance(distance)
        if not 0.0 <= float(vector_score_weight) <= 1.0:
            raise ValueError(f"vector_score_weight must be between 0 and 1, got {vector_score_weight}")
        self.vector_score_weight = float(vector_score_weight)
        self.reranker = reranker
        self.hnsw_m = integer_in("hnsw_m", hnsw_m, 2, 100)
        self.hnsw_ef_construction = integer_in("hnsw_ef_construction", hnsw_ef_construction, 2 * hnsw_m, 1000)
        self.ef_search = integer_in("ef_search", ef_search, 1, 1000)
        self.rrf_k = integer_in("rrf_k", rrf_k, 1, 10_000)
        self.maintenance_work_mem = maintenance_work_mem
        self._base = Base(
            ctx=storage.ctx, backend=backend_for(dialect), name=self.table_name, dimensions=dimensions,
            distance=self.distance, schema=storage.schema, hnsw_m=hnsw_m, hnsw_ef_construction=hnsw_ef_construction,
            ef_search=ef_search, maintenance_work_mem=maintenance_work_mem, cache=EmbeddingCache(dimensions),
        )

    # --- engines: the one given, and its twin made from the same URL when the other kind is used --

    @property
    def sync_engine(self) -> Engine:
        if self._given_sync is not None:
            return self._given_sync
        if self._owned_sync is None:
            self._owned_sync = create_engine(sync_url(self._url))
        return self._owned_sync

    @property
    def async_engine(self) -> AsyncEngine:
        if self._given_async is not None:
            return self._given_async
        if self._owned_async is None:
            self._owned_async = create_async_engine(self._url)
        return self._owned_async

    @functools.cached_property
    def _query_engines(self) -> QueryEngines:
        return QueryEngines(self.sync_engine, self._storage)

    # --- the executors, as the db classes run them -------------------------------------------

    def _connect(self, writes: bool) -> AbstractContextManager[Connection]:
        return self._query_engines.connect(writes)

    def _aconnect(self, writes: bool) -> AsyncConnect:
        return AsyncConnect(self.async_engine, self._storage.options(writes=writes))

    def _run(self, op: Operation[T]) -> T:
        if not self._ready:
            self._prepare()
        return run_sync(self._connect, op)  # reruns on a pooled connection the server closed

    async def _arun(self, op: Operation[T]) -> T:
        if not self._ready:
            await self._aprepare()
        return await run_async(self._aconnect, op)

    def _preparation(self, *, force_recreate: bool = False) -> Program[None]:
        """Schema on first use, then the base's search structures (an index, FTS5's mirror)."""
        gate, engine = self._schema, lambda: self.sync_engine
        yield Call(sync=lambda: gate.ensure(engine), asynchronous=lambda: gate.aensure(engine))
        yield Call(sync=self._ensure_chunk_table, asynchronous=lambda: asyncio.to_thread(self._ensure_chunk_table))
        yield self._bare(chunkops.prepare_base(self._base, force_recreate=force_recreate))
        self._ready = True

    def _ensure_chunk_table(self) -> None:
        # A migration on a server without pgvector left the chunk table out; create it now that
        # the store is used (it raises the missing-extension error if pgvector is still missing).
        with self.sync_engine.begin() as conn:
            ensure_vector_table(conn, self.table_names, schema=self.db_schema)

    def _prepare(self, *, force_recreate: bool = False) -> None:
        run_procedure_sync(self._preparation(force_recreate=force_recreate), self._run)

    async def _aprepare(self, *, force_recreate: bool = False) -> None:
        await run_procedure(self._preparation(force_recreate=force_recreate), self._arun)

    def _prepare_call(self, *, force_recreate: bool = False) -> Call:
        return Call(sync=lambda: self._prepare(force_recreate=force_recreate),
                    asynchronous=lambda: self._aprepare(force_recreate=force_recreate))

    def _bare(self, op: Operation[Any]) -> Call:
        """``op`` without schema-on-first-use (a check that must create nothing)."""
        return Call(sync=lambda: run_sync(self._connect, op), asynchronous=lambda: run_async(self._aconnect, op))

    def _after_drop(self) -> None:
        self._base.cache.forget()
        self._ready = False

    def __deepcopy__(self, memo: dict[int, Any]) -> SqlVectorDb:
        # agno deep-copies agents (and their knowledge) per run: share engines and caches, keep
        # settings such as search_type per copy.
        return copy.copy(self)

    def close(self) -> None:
        if self._owned_sync is not None:
            self._owned_sync.dispose()

    async def aclose(self) -> None:
        self.close()
        if self._owned_async is not None:
            await self._owned_async.dispose()

    # --- the rest of agno's VectorDb, and the query plan -------------------------------------

    def get_supported_search_types(self) -> list[str]:
        return [SearchType.vector, SearchType.keyword, SearchType.hybrid]

    def upsert_available(self) -> bool:
        return True

    def explain(
        self, query: str, limit: int = 10, filters: Any = None, user_id: str | None = None,
        search_type: SearchType | str | None = None,
    ) -> str:
        """PostgreSQL only: the plan of this store's query (vector: the base's HNSW index; keyword:
        the GIN full-text index; hybrid: both, one after the other)."""
        plan = replace(self._plan(query, limit, filters, user_id), search_type=SearchType(search_type or self.search_type))
        vector = None
        if plan.search_type != SearchType.keyword:
            vector = self._query_vector(self.embedder.get_embedding(query))
        text: str = self._run(s.explain(self._base, vector=vector, plan=plan))
        return text


def _connection(
    *, db: Any, db_url: str | URL | None, db_engine: Engine | AsyncEngine | None, db_schema: str | None,
    auto_upgrade: bool,
) -> tuple[Engine | AsyncEngine | None, URL, TableNames, str | None, bool, SchemaGate | None]:
    """(the engine given or None, its URL, table names, schema, auto_upgrade, the db's schema gate)."""
    names, gate = DEFAULT_NAMES, None
    if db is not None:
        from repositories.core.db import StorageConfig

        if db_url is not None or db_engine is not None or db_schema is not None:
            raise ValueError("pass db alone: its engine, schema and table names are used")
        if not isinstance(db, StorageConfig):
            raise ValueError("db must be one of repositories' db classes (SqliteDb, PostgresDb, MySQLDb, or async)")
        db_engine, db_schema, names, auto_upgrade = db.db_engine, db.db_schema, db.table_names, db.auto_upgrade
        gate = db._schema
    if (db_url is None) == (db_engine is None):
        raise ValueError("provide exactly one of db_url, db_engine or db")
    if db_engine is not None:
        return db_engine, db_engine.url, names, db_schema, auto_upgrade, gate
    return None, make_url(db_url), names, db_schema, auto_upgrade, gate  # type: ignore[arg-type]


class SqliteVectorDb(SqlVectorDb):
    """The vector store on SQLite: exact search with NumPy, keywords with FTS5.

    ``db_file`` (default ``./agno.db``, like ``SqliteDb``), ``db_url``, ``db_engine`` or ``db``.
    """

    expected_dialect = "sqlite"

    def __init__(self, table_name: str, *, db_file: str | None = None, **kwargs: Any) -> None:
        given = any(kwargs.get(k) is not None for k in ("db_url", "db_engine", "db"))
        if db_file is not None or not given:
            if given:
                raise ValueError("provide exactly one of db_file, db_url, db_engine or db")
            kwargs["db_url"] = sqlite_url(db_file)
        super().__init__(table_name, **kwargs)


class PgVectorDb(SqlVectorDb):
    """The vector store on PostgreSQL with pgvector: a partial HNSW index per knowledge base,
    keyword search on a GIN-indexed tsvector, hybrid by reciprocal-rank fusion. Tables live in
    ``db_schema`` (default ``ai``, as in agno and ``PostgresDb``)."""

    expected_dialect = "postgresql"


class MySQLVectorDb(SqlVectorDb):
    """The vector store on MySQL/MariaDB: exact search with NumPy, keywords with InnoDB FULLTEXT.
    ``db_schema`` is the database (default ``ai``, as in ``MySQLDb``)."""

    expected_dialect = "mysql"


__all__ = ["DEFAULT_EF_SEARCH", "MySQLVectorDb", "PgVectorDb", "SqlVectorDb", "SqliteVectorDb"]

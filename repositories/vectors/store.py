"""``SqlVectorDb``: agno's ``VectorDb`` on the migrated chunk table, sync and async.

The design is described in the package docstring (``repositories/vectors/__init__.py``).
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import md5
from typing import Any, ClassVar, TypeVar

import numpy as np
import sqlalchemy as sa
from agno.knowledge.document import Document
from agno.knowledge.embedder import Embedder
from agno.utils.string import generate_id
from agno.vectordb.base import VectorDb, aembed_before_replace, retrievable_documents
from agno.vectordb.distance import Distance
from agno.vectordb.score import score_to_distance_threshold
from agno.vectordb.search import SearchType
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ColumnElement

from agno_models.engine import create_async_engine, create_engine, json_dumps, json_dumps_postgres, sync_url
from agno_models.layout import DEFAULT_NAMES, TableNames
from agno_models.migration_context import ensure_vector_table
from agno_models.types import ID_LENGTH
from repositories.core.context import Ctx
from repositories.core.dialects import dialect_family, dialect_for
from repositories.core.operation import Bound, Operation, run_async, run_sync, unit
from repositories.core.schema import ensure_schema
from repositories.core.tables import TableSet
from repositories.core.values import checked
from repositories.vectors import operations as ops
from repositories.vectors import pgwire
from repositories.vectors import sql as q
from repositories.vectors.exact import EmbeddingCache

T = TypeVar("T")

DEFAULT_EF_SEARCH = 100
MAX_DIMENSIONS = 16000  # pgvector's limit for a stored vector


# --- executors: the repository executors, plus the vector store's special steps -----------------


class _DirectRows:
    """A ``Direct`` step's rows, read like a SQLAlchemy result's ``.all()``."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def all(self) -> list[tuple[Any, ...]]:
        return self.rows


def _direct_sql(conn: Connection, step: q.Direct, cache: dict[Any, str]) -> str:
    sql = cache.get(step.key)
    if sql is None:
        schemas = conn.get_execution_options().get("schema_translate_map")
        compiled = step.statement.compile(dialect=conn.dialect, schema_translate_map=schemas,
                                          render_schema_translate=bool(schemas))
        sql = cache[step.key] = compiled.string
    return sql


def _direct_error(conn: Connection, sql: str, parameters: dict[str, Any], error: Exception) -> sa.exc.DBAPIError:
    """The driver's error as SQLAlchemy would raise it (so conflicts still read as transient)."""
    fairy = conn.connection
    lost = conn.dialect.is_disconnect(error, fairy.dbapi_connection, None)
    if lost:
        conn.invalidate(error)
    return sa.exc.DBAPIError.instance(sql, parameters, error, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect,
                                      connection_invalidated=lost)


class _SyncSteps:
    """A connection for ``run_sync`` that also runs ``CopyRows`` and ``Direct`` steps."""

    def __init__(self, conn: Connection, compiled: dict[Any, str]) -> None:
        self.conn, self.compiled = conn, compiled

    def __enter__(self) -> _SyncSteps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def begin(self) -> Any:
        return self.conn.begin()

    def execute(self, step: Any, parameters: Any = None) -> Any:
        if isinstance(step, q.Direct):
            return self._direct(step)
        if isinstance(step, q.CopyRows):
            driver = self.conn.connection.driver_connection
            with driver.cursor() as cursor, cursor.copy(step.sql) as copy_in:
                copy_in.write(step.payload)
            return q.StepResult(step.count)
        if parameters is not None:
            return self.conn.execute(step, parameters)
        return self.conn.execute(step)

    def _direct(self, step: q.Direct) -> _DirectRows:
        conn, parameters = self.conn, step.parameters
        sql = _direct_sql(conn, step, self.compiled)
        cursor = conn.connection.driver_connection.cursor()
        try:
            conn.dispatch.before_cursor_execute(conn, cursor, sql, parameters, None, False)
            cursor.execute(sql, parameters)
            rows = cursor.fetchall() if cursor.description is not None else []
            conn.dispatch.after_cursor_execute(conn, cursor, sql, parameters, None, False)
        except conn.dialect.loaded_dbapi.Error as error:
            raise _direct_error(conn, sql, parameters, error) from error
        finally:
            cursor.close()
        return _DirectRows(rows)


class _AsyncSteps:
    """The same for ``run_async``, on an ``AsyncConnection`` (psycopg's async COPY on PostgreSQL)."""

    def __init__(self, engine: AsyncEngine, options: dict[str, Any], compiled: dict[Any, str]) -> None:
        self.engine, self.options, self.compiled = engine, options, compiled
        self.conn: AsyncConnection | None = None

    async def __aenter__(self) -> _AsyncSteps:
        conn = await self.engine.connect()
        if conn.dialect.name == "postgresql":
            raw = await conn.get_raw_connection()
            pgwire.registered(raw.driver_connection, raw.info)
        self.conn = await conn.execution_options(**self.options) if self.options else conn
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.conn is not None
        await self.conn.close()

    def begin(self) -> Any:
        assert self.conn is not None
        return self.conn.begin()

    async def execute(self, step: Any, parameters: Any = None) -> Any:
        assert self.conn is not None
        if isinstance(step, q.Direct):
            return await self._direct(step)
        if isinstance(step, q.CopyRows):
            raw = await self.conn.get_raw_connection()
            driver = raw.driver_connection
            async with driver.cursor() as cursor, cursor.copy(step.sql) as copy_in:
                await copy_in.write(step.payload)
            return q.StepResult(step.count)
        if parameters is not None:
            return await self.conn.execute(step, parameters)
        return await self.conn.execute(step)

    async def _direct(self, step: q.Direct) -> _DirectRows:
        assert self.conn is not None
        conn, parameters = self.conn.sync_connection, step.parameters
        assert conn is not None
        sql = _direct_sql(conn, step, self.compiled)
        raw = await self.conn.get_raw_connection()
        cursor = raw.driver_connection.cursor()
        try:
            conn.dispatch.before_cursor_execute(conn, cursor, sql, parameters, None, False)
            await cursor.execute(sql, parameters)
            rows = await cursor.fetchall() if cursor.description is not None else []
            conn.dispatch.after_cursor_execute(conn, cursor, sql, parameters, None, False)
        except conn.dialect.loaded_dbapi.Error as error:
            lost = conn.dialect.is_disconnect(error, raw.dbapi_connection, None)
            if lost:
                await self.conn.invalidate(error)
            raise sa.exc.DBAPIError.instance(sql, parameters, error, conn.dialect.loaded_dbapi.Error,
                                             dialect=conn.dialect, connection_invalidated=lost) from error
        finally:
            await cursor.close()
        return _DirectRows(rows)


# --- validation ----------------------------------------------------------------------------------


def _text_argument(name: str, value: Any, *, limit: int = ID_LENGTH) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    if "\x00" in value:
        raise ValueError(f"{name} contains the character U+0000 (NUL), which cannot be stored")
    if len(value) > limit:
        raise ValueError(f"{name} is {len(value)} characters long; at most {limit} are allowed")
    return value


def _optional_text(name: str, value: Any) -> str | None:
    return None if value is None else _text_argument(name, value)


def _vector(value: Any, dimensions: int, what: str) -> np.ndarray:
    """``value`` as a float32 vector of ``dimensions`` finite numbers, or a ValueError naming ``what``."""
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} is not a vector of numbers: {error}") from None
    if array.ndim != 1:
        raise ValueError(f"{what} must be a 1-D vector, got shape {array.shape}")
    if array.shape[0] != dimensions:
        raise ValueError(f"{what} has {array.shape[0]} dimensions; this knowledge base stores {dimensions}")
    finite = np.isfinite(array)
    if not finite.all():
        position = int(np.argmin(finite))
        raise ValueError(f"{what} has {array[position]} at position {position}; only finite numbers can be stored")
    return array


@dataclass(frozen=True)
class _Plan:
    """A validated search: what to look for and the SQL condition every candidate must meet."""

    query: str
    limit: int
    where: ColumnElement[bool] | None
    terms: list[str]
    search_type: SearchType


class SqlVectorDb(VectorDb):
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
        self.table_name = _text_argument("table_name", table_name)
        self._given_sync, self._given_async, url, names, db_schema, auto_upgrade = self._resolve_connection(
            db=db, db_url=db_url, db_engine=db_engine, db_schema=db_schema, auto_upgrade=auto_upgrade
        )
        self.dialect = dialect_family(url.get_backend_name())
        if self.expected_dialect is not None and self.dialect != self.expected_dialect:
            raise ValueError(f"{type(self).__name__} needs a {self.expected_dialect} database, got {self.dialect}")
        super().__init__(
            id=id or generate_id(f"{url.render_as_string(hide_password=True)}#{db_schema}#{table_name}"),
            name=name, description=description, similarity_threshold=similarity_threshold,
        )
        self._url = url
        self.db_schema = db_schema if db_schema is not None else (None if self.dialect == "sqlite" else "ai")
        if self.dialect == "sqlite" and self.db_schema is not None:
            raise ValueError("SQLite has no schemas; use a separate database file instead of db_schema")
        self.auto_upgrade = auto_upgrade
        self.table_names: TableNames = names

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
        _check_range("hnsw_m", hnsw_m, 2, 100)
        _check_range("hnsw_ef_construction", hnsw_ef_construction, 2 * hnsw_m, 1000)
        _check_range("ef_search", ef_search, 1, 1000)
        _check_range("rrf_k", rrf_k, 1, 10_000)
        self.hnsw_m, self.hnsw_ef_construction, self.ef_search = hnsw_m, hnsw_ef_construction, ef_search
        self.maintenance_work_mem = maintenance_work_mem
        self.rrf_k = rrf_k

        self._ctx = Ctx(tables=TableSet.for_names(names), dialect=dialect_for(self.dialect))
        self._base = ops.Base(
            ctx=self._ctx, name=self.table_name, dimensions=dimensions, distance=self.distance, schema=self.db_schema,
            hnsw_m=hnsw_m, hnsw_ef_construction=hnsw_ef_construction, ef_search=ef_search,
            maintenance_work_mem=maintenance_work_mem, cache=EmbeddingCache(dimensions),
        )
        self._sync_engine_owned: Engine | None = None
        self._async_engine_owned: AsyncEngine | None = None
        self._lock = threading.Lock()
        self._ready = False
        self._compiled: dict[Any, str] = {}  # q.Direct statements' SQL, by shape

    @staticmethod
    def _resolve_connection(
        *, db: Any, db_url: str | URL | None, db_engine: Engine | AsyncEngine | None, db_schema: str | None,
        auto_upgrade: bool,
    ) -> tuple[Engine | None, AsyncEngine | None, URL, TableNames, str | None, bool]:
        if db is not None:
            from repositories.core.db import StorageConfig

            if db_url is not None or db_engine is not None or db_schema is not None:
                raise ValueError("pass db alone: its engine, schema and table names are used")
            if not isinstance(db, StorageConfig):
                raise ValueError("db must be one of repositories' db classes (SqliteDb, PostgresDb, MySQLDb, or async)")
            db_engine, db_schema, names, auto_upgrade = db.db_engine, db.db_schema, db.table_names, db.auto_upgrade
        else:
            names = DEFAULT_NAMES
        if (db_url is None) == (db_engine is None):
            raise ValueError("provide exactly one of db_url, db_engine or db")
        if db_engine is not None:
            url = db_engine.url
            sync = db_engine if isinstance(db_engine, Engine) else None
            async_ = db_engine if isinstance(db_engine, AsyncEngine) else None
            return sync, async_, url, names, db_schema, auto_upgrade
        return None, None, make_url(db_url), names, db_schema, auto_upgrade  # type: ignore[arg-type]

    # --- plumbing ----------------------------------------------------------------------------

    @property
    def sync_engine(self) -> Engine:
        if self._given_sync is not None:
            return self._given_sync
        if self._sync_engine_owned is None:
            self._sync_engine_owned = create_engine(sync_url(self._url))
        return self._sync_engine_owned

    @property
    def async_engine(self) -> AsyncEngine:
        if self._given_async is not None:
            return self._given_async
        if self._async_engine_owned is None:
            self._async_engine_owned = create_async_engine(self._url)
        return self._async_engine_owned

    def _options(self, writes: bool) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.db_schema is not None:
            options["schema_translate_map"] = {None: self.db_schema}
        if self.dialect == "sqlite" and writes:
            options["sqlite_begin"] = "IMMEDIATE"  # take the write lock up front, as SqlDb does
        return options

    def _connect(self, writes: bool) -> _SyncSteps:
        conn = self.sync_engine.connect()
        if self.dialect == "postgresql":
            fairy = conn.connection
            pgwire.registered(fairy.driver_connection, fairy.info)
        options = self._options(writes)
        return _SyncSteps(conn.execution_options(**options) if options else conn, self._compiled)

    def _aconnect(self, writes: bool) -> _AsyncSteps:
        return _AsyncSteps(self.async_engine, self._options(writes), self._compiled)

    def _prepare(self, *, force_recreate: bool = False) -> None:
        """Migrate to head (once, under the schema lock) and make this base's search structures."""
        with self._lock:
            ensure_schema(self.sync_engine, schema=self.db_schema, names=self.table_names, auto_upgrade=self.auto_upgrade)
            with self.sync_engine.begin() as conn:  # the chunk table, left out by a migration without pgvector
                ensure_vector_table(conn, self.table_names, schema=self.db_schema)
            run_sync(self._connect, ops.prepare_base(self._base, force_recreate=force_recreate))
            self._ready = True

    def _run(self, op: Operation[T]) -> T:
        if not self._ready:
            self._prepare()
        return run_sync(self._connect, op)  # reruns on a pooled connection the server closed

    async def _arun(self, op: Operation[T]) -> T:
        if not self._ready:
            # Alembic and the one-time DDL are synchronous: run them off the event loop.
            await asyncio.to_thread(self._prepare)
        return await run_async(self._aconnect, op)

    def __deepcopy__(self, memo: dict[int, Any]) -> SqlVectorDb:
        # agno deep-copies agents (and their knowledge) per run: share engines and caches, keep
        # settings such as search_type per copy.
        return copy.copy(self)

    def close(self) -> None:
        if self._sync_engine_owned is not None:
            self._sync_engine_owned.dispose()

    async def aclose(self) -> None:
        self.close()
        if self._async_engine_owned is not None:
            await self._async_engine_owned.dispose()

    # --- create / exists / drop / optimize -----------------------------------------------------

    def create(self) -> None:
        """Migrate the chunk table to head and make this base's index (ready before any row)."""
        self._prepare()

    async def async_create(self) -> None:
        await asyncio.to_thread(self._prepare)

    def exists(self) -> bool:
        """Whether the base's search structures exist: its HNSW index (PostgreSQL), the FTS5 mirror
        (SQLite, shared by every base), the migrated table (MySQL, nothing per base). Creates nothing."""
        return run_sync(self._connect, ops.base_exists(self._base))

    async def async_exists(self) -> bool:
        return await run_async(self._aconnect, ops.base_exists(self._base))

    def drop(self) -> None:
        """Delete this base's chunks and its vector indexes; other bases and the table stay."""
        self._run(ops.drop_base(self._base))
        self._after_drop()

    async def async_drop(self) -> None:
        await self._arun(ops.drop_base(self._base))
        self._after_drop()

    def _after_drop(self) -> None:
        self._base.cache.forget()
        self._ready = False

    def optimize(self, force_recreate: bool = False) -> None:
        """Make sure the base's index exists; ``force_recreate`` rebuilds it (and SQLite's FTS5 index)."""
        self._prepare(force_recreate=force_recreate)

    async def async_optimize(self, force_recreate: bool = False) -> None:
        await asyncio.to_thread(self._prepare, force_recreate=force_recreate)

    def get_supported_search_types(self) -> list[str]:
        return [SearchType.vector, SearchType.keyword, SearchType.hybrid]

    def upsert_available(self) -> bool:
        return True

    # --- existence checks ----------------------------------------------------------------------

    def _exists_op(self, condition: ColumnElement[bool]) -> Operation[bool]:
        return ops.chunk_exists(self._base, condition=condition)

    def _table(self) -> sa.Table:
        return self._ctx.tables.knowledge_embeddings

    def name_exists(self, name: str) -> bool:
        return self._run(self._exists_op(self._table().c.name == _text_argument("name", name, limit=255)))

    async def async_name_exists(self, name: str) -> bool:  # type: ignore[override]
        return await self._arun(self._exists_op(self._table().c.name == _text_argument("name", name, limit=255)))

    def id_exists(self, id: str) -> bool:
        return self._run(self._exists_op(self._table().c.id == _text_argument("id", id)))

    async def async_id_exists(self, id: str) -> bool:
        return await self._arun(self._exists_op(self._table().c.id == _text_argument("id", id)))

    def _hash_condition(self, content_hash: str, user_id: str | None) -> ColumnElement[bool]:
        table = self._table()
        content_hash = _text_argument("content_hash", content_hash)
        return sa.and_(table.c.content_hash == content_hash, q.owner_bucket(table, _optional_text("user_id", user_id)))

    def content_hash_exists(self, content_hash: str, user_id: str | None = None) -> bool:
        return self._run(self._exists_op(self._hash_condition(content_hash, user_id)))

    async def async_content_hash_exists(self, content_hash: str, user_id: str | None = None) -> bool:
        return await self._arun(self._exists_op(self._hash_condition(content_hash, user_id)))

    def get_count(self) -> int:
        return self._run(ops.count_chunks(self._base))

    async def async_get_count(self) -> int:
        return await self._arun(ops.count_chunks(self._base))

    # --- writes --------------------------------------------------------------------------------

    def _embed(self, documents: list[Document]) -> None:
        """Embed the documents that carry no embedding yet; precomputed ones are kept as they are."""
        pending = [d for d in documents if d.embedding is None or len(d.embedding) == 0]
        if not pending:
            return
        batch = getattr(self.embedder, "get_embeddings_batch_and_usage", None)
        if getattr(self.embedder, "enable_batch", False) is True and batch is not None:
            embeddings, usages = batch([d.content for d in pending])
            for i, document in enumerate(pending):
                document.embedding = embeddings[i] if i < len(embeddings) else None
                document.usage = usages[i] if i < len(usages) else None
            return
        for document in pending:
            document.embed(embedder=self.embedder)

    async def _aembed(self, documents: list[Document]) -> None:
        for document in documents:
            if document.embedding is not None and len(document.embedding) == 0:
                document.embedding = None
        await aembed_before_replace(documents, self.embedder)

    def _vectors(self, documents: Sequence[Document]) -> np.ndarray:
        """The documents' embeddings as one float32 matrix, converted and checked for the whole batch."""
        if not documents:
            return np.zeros((0, self.dimensions), np.float32)
        try:
            matrix = np.asarray([d.embedding for d in documents], dtype=np.float32)
        except (TypeError, ValueError):
            matrix = None  # ragged or not numbers: the loop below names the document
        if matrix is None or matrix.shape != (len(documents), self.dimensions) or not np.isfinite(matrix).all():
            for index, document in enumerate(documents):
                _vector(document.embedding, self.dimensions, f"the embedding of document {index} ({document.name!r})")
            raise ValueError(f"the embeddings are not {len(documents)} vectors of {self.dimensions} numbers")
        return matrix

    def _rows(
        self, content_hash: str, documents: Sequence[Document], filters: dict[str, Any] | None, user_id: str | None
    ) -> ops.Chunks:
        """Validated rows (one per distinct chunk id) and their embeddings, before anything is written."""
        content_hash = _text_argument("content_hash", content_hash)
        user_id = _optional_text("user_id", user_id)
        if filters is not None and not isinstance(filters, dict):
            raise ValueError(f"filters must be a dict, got {type(filters).__name__}")
        dumps = json_dumps_postgres if self.dialect == "postgresql" else json_dumps
        filters_json = None if filters is None else dumps(filters)
        documents = list(documents)
        vectors = self._vectors(documents)
        now = datetime.now(UTC)
        table = self._table()
        # By chunk id: a chunk repeated within one call is written once (its last version).
        by_id: dict[str, tuple[dict[str, Any], int, str, str | None]] = {}
        for index, document in enumerate(documents):
            what = f"document {index} ({document.name!r})"
            if not isinstance(document.content, str):
                raise ValueError(f"{what} has no text content")
            content = document.content.replace("\x00", "\ufffd")  # as agno's PgVector does
            record_id = _record_id(document.id or md5(content.encode()).hexdigest(), content_hash, user_id)
            meta_data = dict(document.meta_data or {})
            if filters:
                meta_data.update(filters)
            try:  # the JSON text is kept: PostgreSQL's COPY sends it as it is
                meta_json = dumps(meta_data)
                usage_json = None if document.usage is None else dumps(document.usage)
            except (TypeError, ValueError) as error:
                raise ValueError(f"{what}: {error}") from None
            row = {
                "knowledge_base": self.table_name, "id": record_id, "name": document.name, "meta_data": meta_data,
                "filters": filters, "content": content, "dimensions": self.dimensions, "usage": document.usage,
                "content_hash": content_hash, "content_id": document.content_id, "user_id": user_id,
                "created_at": now, "updated_at": now,
            }
            for column, limit in _STRING_LIMITS:
                value = row[column]
                if value is None:
                    continue
                if not isinstance(value, str):
                    raise ValueError(f"{what}: {column} must be a string, got {type(value).__name__}")
                if len(value) > limit or "\x00" in value:
                    try:
                        checked(table, {column: value})  # the shared message for the same problem
                    except ValueError as error:
                        raise ValueError(f"{what}: {error}") from None
            by_id[record_id] = (row, index, meta_json, usage_json)
        kept = list(by_id.values())
        positions = [index for _, index, _, _ in kept]
        if len(positions) != len(documents):
            vectors = vectors[positions]
        return ops.Chunks(
            rows=[row for row, _, _, _ in kept], vectors=vectors,
            json=[(meta_json, filters_json, usage_json) for _, _, meta_json, usage_json in kept],
        )

    def _write_op(
        self, content_hash: str, documents: list[Document], filters: dict[str, Any] | None, user_id: str | None,
        *, replace: bool,
    ) -> Operation[int]:
        chunks = self._rows(content_hash, retrievable_documents(documents), filters, user_id)
        return ops.write_chunks(
            self._base, chunks=chunks, replace=(content_hash, user_id) if replace else None, upsert=replace
        )

    def insert(
        self, content_hash: str, documents: list[Document], filters: dict[str, Any] | None = None,
        user_id: str | None = None,
    ) -> None:
        """Embed (where needed) and store chunks; a chunk id already stored is an error, as in agno."""
        self._embed(documents)
        self._run(self._write_op(content_hash, documents, filters, user_id, replace=False))

    async def async_insert(
        self, content_hash: str, documents: list[Document], filters: dict[str, Any] | None = None,
        user_id: str | None = None,
    ) -> None:
        await self._aembed(documents)
        await self._arun(self._write_op(content_hash, documents, filters, user_id, replace=False))

    def upsert(
        self, content_hash: str, documents: list[Document], filters: dict[str, Any] | None = None,
        user_id: str | None = None,
    ) -> None:
        """Replace the owner's chunks of ``content_hash`` with ``documents``, in one transaction."""
        self._embed(documents)
        self._run(self._write_op(content_hash, documents, filters, user_id, replace=True))

    async def async_upsert(
        self, content_hash: str, documents: list[Document], filters: dict[str, Any] | None = None,
        user_id: str | None = None,
    ) -> None:
        await self._aembed(documents)
        await self._arun(self._write_op(content_hash, documents, filters, user_id, replace=True))

    def _metadata_op(self, content_id: str, metadata: dict[str, Any]) -> Operation[int]:
        content_id = _text_argument("content_id", content_id)
        if not isinstance(metadata, dict):
            raise ValueError(f"metadata must be a dict, got {type(metadata).__name__}")
        (json_dumps_postgres if self.dialect == "postgresql" else json_dumps)(metadata)
        return ops.merge_metadata(self._base, content_id=content_id, metadata=metadata, now=datetime.now(UTC))

    def update_metadata(self, content_id: str, metadata: dict[str, Any]) -> None:
        """Merge ``metadata`` into the meta_data of every chunk of ``content_id``; ``filters`` becomes it."""
        self._run(self._metadata_op(content_id, metadata))

    async def async_update_metadata(self, content_id: str, metadata: dict[str, Any]) -> None:
        await self._arun(self._metadata_op(content_id, metadata))

    # --- deletes: True once the statement ran (agno's callers read False as "could not delete") --

    def _delete_op(self, condition: ColumnElement[bool] | None) -> Operation[int]:
        return ops.delete_chunks(self._base, condition=condition)

    def _metadata_condition(self, metadata: dict[str, Any]) -> ColumnElement[bool]:
        if not isinstance(metadata, dict) or not metadata:
            raise ValueError("delete_by_metadata needs a non-empty dict; use delete() to delete every chunk")
        return q.contains(self.dialect, self._table().c.meta_data, metadata)

    def _content_condition(self, content_id: str, user_id: str | None) -> ColumnElement[bool]:
        table = self._table()
        condition = table.c.content_id == _text_argument("content_id", content_id)
        if user_id is not None:  # an owner's delete leaves shared chunks alone
            condition = sa.and_(condition, table.c.user_id == _text_argument("user_id", user_id))
        return condition

    def delete(self) -> bool:
        self._run(self._delete_op(None))
        return True

    async def async_delete(self) -> bool:
        await self._arun(self._delete_op(None))
        return True

    def delete_by_id(self, id: str) -> bool:
        self._run(self._delete_op(self._table().c.id == _text_argument("id", id)))
        return True

    async def async_delete_by_id(self, id: str) -> bool:
        await self._arun(self._delete_op(self._table().c.id == _text_argument("id", id)))
        return True

    def delete_by_name(self, name: str) -> bool:
        self._run(self._delete_op(self._table().c.name == _text_argument("name", name, limit=255)))
        return True

    async def async_delete_by_name(self, name: str) -> bool:
        await self._arun(self._delete_op(self._table().c.name == _text_argument("name", name, limit=255)))
        return True

    def delete_by_metadata(self, metadata: dict[str, Any]) -> bool:
        self._run(self._delete_op(self._metadata_condition(metadata)))
        return True

    async def async_delete_by_metadata(self, metadata: dict[str, Any]) -> bool:
        await self._arun(self._delete_op(self._metadata_condition(metadata)))
        return True

    def delete_by_content_id(self, content_id: str, user_id: str | None = None) -> bool:
        self._run(self._delete_op(self._content_condition(content_id, user_id)))
        return True

    async def async_delete_by_content_id(self, content_id: str, user_id: str | None = None) -> bool:
        await self._arun(self._delete_op(self._content_condition(content_id, user_id)))
        return True

    # --- search --------------------------------------------------------------------------------

    def _plan(self, query: str, limit: int, filters: Any, user_id: str | None) -> _Plan:
        if not isinstance(query, str) or not query.strip():
            raise ValueError("query must be a non-empty string")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
            raise ValueError(f"limit must be an integer from 1 to 1000, got {limit!r}")
        table = self._table()
        where = [
            q.owner_scope(table, _optional_text("user_id", user_id)),
            q.metadata_filter(self.dialect, table.c.meta_data, filters),
        ]
        conditions = [c for c in where if c is not None]
        return _Plan(
            query=query, limit=limit, where=sa.and_(*conditions) if conditions else None,
            terms=q.keyword_terms(query), search_type=SearchType(self.search_type),
        )

    def _query_vector(self, embedding: Any) -> np.ndarray:
        if embedding is None or len(embedding) == 0:
            raise ValueError("the embedder returned no embedding for the query")
        return _vector(embedding, self.dimensions, "the query embedding")

    def _max_distance(self) -> float | None:
        if self.similarity_threshold is None:
            return None
        threshold = score_to_distance_threshold(self.similarity_threshold, self.distance)
        # Our inner-product "distance" is the negative inner product (pgvector's <#>).
        return -threshold if self.distance == Distance.max_inner_product else threshold

    def _search_op(self, plan: _Plan, vector: np.ndarray | None) -> Operation[list[ops.Hit]]:
        if plan.search_type == SearchType.keyword:
            return ops.keyword_search(self._base, terms=plan.terms, query_text=plan.query, where=plan.where,
                                      limit=plan.limit, min_score=self.similarity_threshold)
        assert vector is not None
        if plan.search_type == SearchType.hybrid:
            return ops.hybrid_search(
                self._base, query=vector, terms=plan.terms, query_text=plan.query, where=plan.where, limit=plan.limit,
                candidates=max(2 * plan.limit, 20), max_distance=self._max_distance(),
                vector_weight=self.vector_score_weight, rrf_k=self.rrf_k,
            )
        return ops.vector_search(self._base, query=vector, where=plan.where, limit=plan.limit,
                                 max_distance=self._max_distance())

    def _documents(self, query: str, hits: list[ops.Hit]) -> list[Document]:
        documents = []
        for hit in hits:
            row = hit.row
            meta_data = dict(row.meta_data or {})
            meta_data["similarity_score"] = hit.score
            documents.append(Document(
                id=row.id, name=row.name, meta_data=meta_data, content=row.content, embedder=self.embedder,
                embedding=None if row.embedding is None else row.embedding.tolist(), usage=row.usage,
                content_id=row.content_id,
            ))
        reranker = self.reranker
        if reranker is not None and documents:
            documents = reranker.rerank(query=query, documents=documents)
        return documents

    def search(self, query: str, limit: int = 5, filters: Any = None, user_id: str | None = None) -> list[Document]:
        """Top ``limit`` chunks by ``search_type``; ``filters`` and ``user_id`` are applied in SQL."""
        plan = self._plan(query, limit, filters, user_id)
        vector = None
        if plan.search_type != SearchType.keyword:
            vector = self._query_vector(self.embedder.get_embedding(query))
        return self._documents(query, self._run(self._search_op(plan, vector)))

    async def async_search(
        self, query: str, limit: int = 5, filters: Any = None, user_id: str | None = None
    ) -> list[Document]:
        plan = self._plan(query, limit, filters, user_id)
        vector = None
        if plan.search_type != SearchType.keyword:
            try:
                embedding = await self.embedder.async_get_embedding(query)
            except NotImplementedError:
                embedding = await asyncio.to_thread(self.embedder.get_embedding, query)
            vector = self._query_vector(embedding)
        return self._documents(query, await self._arun(self._search_op(plan, vector)))

    def explain(
        self, query: str, limit: int = 10, filters: Any = None, user_id: str | None = None,
        search_type: SearchType | str | None = None,
    ) -> str:
        """PostgreSQL only: the plan of this store's query (vector: the base's HNSW index; keyword:
        the GIN full-text index; hybrid: both, one after the other)."""
        if self.dialect != "postgresql":
            raise ValueError("explain() shows PostgreSQL plans; SQLite and MySQL search exactly with NumPy")
        plan = self._plan(query, limit, filters, user_id)
        kind = SearchType(search_type or self.search_type)
        vector = None if kind == SearchType.keyword else self._query_vector(self.embedder.get_embedding(query))
        return self._run(_explain(self._base, vector, plan, kind))


# The chunk columns a document supplies that have a length limit (see agno_models.types).
_STRING_LIMITS = (("name", 255), ("content_id", ID_LENGTH), ("user_id", ID_LENGTH))


def _record_id(base_id: str, content_hash: str, user_id: str | None) -> str:
    """agno's PgVector record id: the content hash (and owner) folded in, so ids never collide."""
    record_id = md5(f"{base_id}_{content_hash}".encode()).hexdigest()
    return record_id if user_id is None else md5(f"{record_id}_{user_id}".encode()).hexdigest()


def _check_range(name: str, value: Any, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")


@unit(writes=False)
def _explain(base: ops.Base, vector: np.ndarray | None, plan: _Plan, kind: SearchType) -> ops.Steps:
    plans: list[str] = []
    if vector is not None:
        yield ops.pg_search_settings(base, plan.limit)
        statement = ops.pg_vector_select(base, plan.where, rows=kind == SearchType.vector)
        plans.extend((yield Bound(q.Explain(statement), ops.vector_params(vector, plan.limit))).scalars().all())
    if kind != SearchType.vector and plan.terms:
        statement = ops.keyword_select(base, plan.terms, plan.query, plan.where, plan.limit)
        plans.extend((yield q.Explain(statement)).scalars().all())
    return "\n".join(plans)


class SqliteVectorDb(SqlVectorDb):
    """The vector store on SQLite: exact search with NumPy, keywords with FTS5.

    ``db_file`` (default ``./agno.db``, like ``SqliteDb``), ``db_url``, ``db_engine`` or ``db``.
    """

    expected_dialect = "sqlite"

    def __init__(self, table_name: str, *, db_file: str | None = None, **kwargs: Any) -> None:
        if db_file is not None or not any(kwargs.get(k) is not None for k in ("db_url", "db_engine", "db")):
            from pathlib import Path

            if any(kwargs.get(k) is not None for k in ("db_url", "db_engine", "db")):
                raise ValueError("provide exactly one of db_file, db_url, db_engine or db")
            kwargs["db_url"] = f"sqlite:///{Path(db_file or 'agno.db').resolve()}"
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

"""The vector store's operations: each query written once, run by the sync or the async executor.

Like every repository module, an operation yields statements and receives their results. Bulk
writes off PostgreSQL are core ``Bound`` steps (executemany); two extra kinds of step exist
here (see :mod:`repositories.vectors.sql`): ``CopyRows`` (binary COPY on PostgreSQL) and
``Direct`` (cached SQL on the cursor); the vector store's executor runs them on the same
connection, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import sqlalchemy as sa
from agno.vectordb.distance import Distance
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import NullType, UserDefinedType

from repositories.core.dialect import Ctx, locked
from repositories.core.operation import Bound, operation
from repositories.vectors import pgcopy, pgwire
from repositories.vectors import sql as q
from repositories.vectors.exact import EmbeddingCache

Steps = Generator[Any, Any, Any]

# Fewer rows than this go as one multi-row INSERT; COPY's setup costs more than it saves.
COPY_THRESHOLD = 64
# A PostgreSQL load of at least this many rows, and at least as many as the base holds, rebuilds
# the base's HNSW index after the COPY instead of inserting into it row by row (below this the
# rebuild's fixed costs and its table lock are not worth it).
BULK_REBUILD_ROWS = 1000
COPY_ROWS = 5000  # rows per COPY payload: one encoded batch in memory at a time, not the whole load
# SQLite allows 32,766 bound parameters per statement; a chunk of ids stays far below that.
ID_CHUNK = 500


@dataclass
class Facts:
    """What the store learns about the server when it prepares a base (read when an operation runs)."""

    vector_schema: str | None = None  # PostgreSQL: the schema holding pgvector's types and operators
    iterative_scan: bool = False  # pgvector >= 0.8
    statements: dict[Any, Any] = field(default_factory=dict)  # statement shapes built once (need the above)


@dataclass(frozen=True)
class Base:
    """One knowledge base: where its chunks live and how they are compared."""

    ctx: Ctx
    name: str
    dimensions: int
    distance: Distance
    schema: str | None
    hnsw_m: int
    hnsw_ef_construction: int
    ef_search: int
    maintenance_work_mem: str
    cache: EmbeddingCache = field(compare=False)
    facts: Facts = field(compare=False, default_factory=Facts)

    @property
    def table(self) -> sa.Table:
        return self.ctx.tables.knowledge_embeddings

    @property
    def dialect(self) -> str:
        return self.ctx.dialect

    def predicate(self) -> ColumnElement[bool]:
        """This base's rows. On PostgreSQL the name is inlined: a partial index is only chosen when
        the planner sees the literal its predicate names (a prepared generic plan would not)."""
        if self.dialect == "postgresql":
            # Quoted here rather than literal_execute, so a compiled statement needs no per-call rendering.
            return self.table.c.knowledge_base == sa.literal_column(q.pg_literal(self.name), sa.String())
        return self.table.c.knowledge_base == self.name

    def vector_predicate(self) -> ColumnElement[bool]:
        return sa.and_(
            self.predicate(),
            self.table.c.dimensions == sa.literal_column(str(int(self.dimensions))),
            self.table.c.embedding.is_not(None),
        )


def _where(*conditions: ColumnElement[bool] | None) -> ColumnElement[bool]:
    return sa.and_(*[c for c in conditions if c is not None])


# --- setup ---------------------------------------------------------------------------------------


@operation(writes=True)
def prepare_base(base: Base, *, force_recreate: bool = False) -> Steps:
    """Make the per-base search structures: the HNSW index (PostgreSQL) or the FTS5 mirror (SQLite)."""
    table = base.table.name
    if base.dialect == "postgresql":
        extension = (yield sa.text(
            "SELECT extnamespace::regnamespace::text, extversion FROM pg_extension WHERE extname = 'vector'"
        )).first()
        if extension is None:
            raise RuntimeError("the pgvector extension is missing; run the agno-models migrations (alembic upgrade head)")
        # The migrations create the extension in the table set's schema when it is new there, so
        # its types and operators are named with their schema rather than found on search_path.
        base.facts.vector_schema = extension[0]
        base.facts.iterative_scan = _version(extension[1]) >= (0, 8)
        base.facts.statements.clear()
        if q.vector_kind(base.dimensions) is None:
            return False  # beyond HNSW's limits: searches are exact
        name = q.vector_index_name(table, base.name, base.distance, base.dimensions)
        # Two processes creating the same index at once would collide in the catalog.
        yield sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))").bindparams(name=name)
        yield sa.text(f"SET LOCAL maintenance_work_mem = {q.pg_literal(base.maintenance_work_mem)}")
        if force_recreate:
            yield sa.text(f"DROP INDEX IF EXISTS {q.qualified(base.schema, name)}")
        yield sa.text(q.create_vector_index_sql(
            schema=base.schema, table=table, knowledge_base=base.name, distance=base.distance,
            dimensions=base.dimensions, m=base.hnsw_m, ef_construction=base.hnsw_ef_construction,
            type_schema=base.facts.vector_schema,
        ))
        return True
    if base.dialect == "sqlite":
        present = (yield sa.text("SELECT 1 FROM sqlite_master WHERE name = :n").bindparams(n=q.fts_name(table))).first()
        for ddl in q.fts_ddl(table):
            yield sa.text(ddl)
        if present is None or force_recreate:
            for statement in q.fts_rebuild(table):  # chunks written before the mirror existed
                yield sa.text(statement)
        return True
    if force_recreate:
        yield sa.text(f"OPTIMIZE TABLE `{table}`")  # rebuilds InnoDB's FULLTEXT index
    return True


@operation(writes=False)
def base_exists(base: Base) -> Steps:
    """Whether ``prepare_base`` has run: the base's HNSW index, the FTS5 mirror, or (MySQL) the table."""
    table = base.table.name
    if base.dialect == "postgresql":
        target = table
        if q.vector_kind(base.dimensions) is not None:
            target = q.vector_index_name(table, base.name, base.distance, base.dimensions)
        found = (yield sa.text("SELECT to_regclass(:n)").bindparams(n=q.qualified(base.schema, target))).scalar()
        return found is not None
    if base.dialect == "sqlite":
        found = (yield sa.text("SELECT 1 FROM sqlite_master WHERE name = :n").bindparams(n=q.fts_name(table))).first()
        return found is not None
    found = (yield sa.text(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = COALESCE(:s, DATABASE()) AND table_name = :t"
    ).bindparams(s=base.schema, t=table)).first()
    return found is not None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


@operation(writes=True)
def drop_base(base: Base) -> Steps:
    """Delete the base's chunks and, on PostgreSQL, every vector index it had."""
    deleted = (yield sa.delete(base.table).where(base.predicate())).rowcount
    if base.dialect == "postgresql":
        pattern = q.base_index_pattern(base.table.name, base.name)
        names = (yield sa.text(
            "SELECT indexname FROM pg_indexes WHERE schemaname = COALESCE(:s, current_schema()) AND indexname LIKE :p"
        ).bindparams(s=base.schema, p=pattern)).scalars().all()
        for name in names:
            yield sa.text(f"DROP INDEX IF EXISTS {q.qualified(base.schema, name)}")
    return deleted


# --- writes --------------------------------------------------------------------------------------


def _updatable(table: sa.Table) -> list[str]:
    return [c.name for c in table.c if c.name not in ("knowledge_base", "id", "created_at")]


def _upsert_statement(ctx: Ctx, table: sa.Table) -> Any:
    """INSERT ... ON CONFLICT (knowledge_base, id) DO UPDATE, for executemany (no VALUES bound)."""
    keep = _updatable(table)
    stmt = (postgresql.insert if ctx.dialect == "postgresql" else sqlite.insert)(table)
    return stmt.on_conflict_do_update(index_elements=["knowledge_base", "id"], set_={c: stmt.excluded[c] for c in keep})


@dataclass(frozen=True)
class Chunks:
    """Validated chunk rows, their embeddings (one float32 row each) and, per row, the JSON text of
    meta_data, filters and usage (made while validating; COPY sends it as it is)."""

    rows: list[dict[str, Any]]
    vectors: np.ndarray
    json: list[tuple[str, str | None, str | None]]


@operation(writes=True)
def write_chunks(
    base: Base,
    *,
    chunks: Chunks,
    replace: tuple[str, str | None] | None,
    upsert: bool,
) -> Steps:
    """Write validated chunk rows in one transaction.

    ``replace=(content_hash, user_id)`` first deletes that owner's chunks of the content hash
    (agno's upsert), so a re-ingested document never leaves stale chunks behind; ``upsert``
    overwrites rows whose (base, id) exists instead of failing on them.
    """
    table = base.table
    rows, vectors = chunks.rows, chunks.vectors
    if replace is not None:
        content_hash, user_id = replace
        yield sa.delete(table).where(base.predicate(), table.c.content_hash == content_hash, q.owner_bucket(table, user_id))
    if not rows:
        return 0
    if base.dialect == "postgresql" and len(rows) >= COPY_THRESHOLD:
        return (yield from _pg_bulk_write(base, chunks, upsert))
    if base.dialect == "mysql":
        # aiomysql cannot bind bytes with PyMySQL 1.2 (its bytes escaper is gone): send hex text.
        insert: Any = mysql.insert(table).values(embedding=sa.func.UNHEX(sa.bindparam("embedding_hex")))
        if upsert:
            insert = insert.on_duplicate_key_update([(c, insert.inserted[c]) for c in _updatable(table)])
        little = vectors.astype("<f4", copy=False)
        bound = [{**row, "embedding_hex": little[i].tobytes().hex()} for i, row in enumerate(rows)]
        for row in bound:
            row.pop("embedding", None)
        yield Bound(insert, bound)
        return len(rows)
    statement = _upsert_statement(base.ctx, table) if upsert else sa.insert(table)
    bound = [{**row, "embedding": vectors[i]} for i, row in enumerate(rows)]
    yield Bound(statement, bound)
    return len(rows)


def _copy(sql: str, chunks: Chunks) -> Steps:
    """COPY the chunks in payloads of COPY_ROWS rows (one transaction, bounded memory)."""
    rows = chunks.rows
    for start in range(0, len(rows), COPY_ROWS):
        end = start + COPY_ROWS
        payload = pgcopy.encode(rows[start:end], chunks.vectors[start:end], chunks.json[start:end])
        yield q.CopyRows(sql, payload, len(rows[start:end]))


def _pg_bulk_write(base: Base, chunks: Chunks, upsert: bool) -> Steps:
    """Binary COPY of the rows; a load at least as big as the base rebuilds its HNSW index.

    Inserting into an HNSW index costs 1-3 ms a row (one graph search each); building it afresh
    after the load costs about a fifth of that per row, in memory and with parallel workers.

    The index is dropped and rebuilt inside the write's transaction, so no session ever sees the
    base without it (no exact scans, no half-built graph). The price: DROP INDEX takes the chunk
    table's ACCESS EXCLUSIVE lock until the load commits, so reads and writes of every base wait
    for the COPY and the build (about 0.4 s per 1,000 rows of 384 dimensions on two cores). Only
    loads at least as big as the base do this, so the wait is shorter than the same load into the
    live index would take; smaller writes go into the live index and block nobody.
    """
    table = base.table
    target = q.qualified(base.schema, table.name)
    rows = chunks.rows
    rebuild = False
    if q.vector_kind(base.dimensions) is not None and len(rows) >= BULK_REBUILD_ROWS:
        existing = (yield sa.select(sa.func.count()).select_from(table).where(base.predicate())).scalar() or 0
        rebuild = len(rows) >= existing
    if rebuild:
        name = q.vector_index_name(table.name, base.name, base.distance, base.dimensions)
        yield sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))").bindparams(name=name)
        yield sa.text(f"DROP INDEX IF EXISTS {q.qualified(base.schema, name)}")
    if not upsert:
        yield from _copy(f"COPY {target} ({pgcopy.column_list()}) FROM STDIN (FORMAT BINARY)", chunks)
    else:
        # COPY cannot resolve conflicts: load a temporary table, then merge it in one statement.
        yield sa.text(f"CREATE TEMPORARY TABLE IF NOT EXISTS agno_chunks_in (LIKE {target}) ON COMMIT DROP")
        yield from _copy(f"COPY agno_chunks_in ({pgcopy.column_list()}) FROM STDIN (FORMAT BINARY)", chunks)
        updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c, _ in pgcopy.COLUMNS if c in _updatable(table))
        yield sa.text(
            f"INSERT INTO {target} ({pgcopy.column_list()}) SELECT {pgcopy.column_list()} FROM agno_chunks_in "
            f"ON CONFLICT (knowledge_base, id) DO UPDATE SET {updates}"
        )
        yield sa.text("DROP TABLE agno_chunks_in")
    if rebuild:
        yield sa.text(f"SET LOCAL maintenance_work_mem = {q.pg_literal(base.maintenance_work_mem)}")
        yield sa.text(q.create_vector_index_sql(
            schema=base.schema, table=table.name, knowledge_base=base.name, distance=base.distance,
            dimensions=base.dimensions, m=base.hnsw_m, ef_construction=base.hnsw_ef_construction,
            type_schema=base.facts.vector_schema,
        ))
    if len(rows) >= BULK_REBUILD_ROWS:
        # Fresh statistics, so the very next searches are planned on the index, not a sequential
        # scan of a table the planner still thinks is small (autovacuum would get there later).
        yield sa.text(f"ANALYZE {target} (knowledge_base, user_id, content_hash)")
    return len(rows)


@operation(writes=True)
def delete_chunks(base: Base, *, condition: ColumnElement[bool] | None) -> Steps:
    return (yield sa.delete(base.table).where(_where(base.predicate(), condition))).rowcount


@operation(writes=False)
def chunk_exists(base: Base, *, condition: ColumnElement[bool]) -> Steps:
    found = (yield sa.select(sa.literal(1)).where(base.predicate(), condition).limit(1)).first()
    return found is not None


@operation(writes=False)
def count_chunks(base: Base) -> Steps:
    return int((yield sa.select(sa.func.count()).select_from(base.table).where(base.predicate())).scalar() or 0)


@operation(writes=True)
def merge_metadata(base: Base, *, content_id: str, metadata: dict[str, Any], now: Any) -> Steps:
    """agno's update_metadata: merge ``metadata`` into each chunk's meta_data, set ``filters`` to it.

    The merge happens here rather than in SQL because the three JSON merge functions disagree
    (MySQL's JSON_MERGE_PATCH deletes keys set to null; PostgreSQL's ``||`` keeps them).
    """
    table = base.table
    rows = (yield locked(base.ctx, sa.select(table.c.id, table.c.meta_data).where(
        base.predicate(), table.c.content_id == content_id))).all()
    if not rows:
        return 0
    updates = [{"b_id": row.id, "b_meta": {**(row.meta_data or {}), **metadata}} for row in rows]
    statement = (
        sa.update(table)
        .where(table.c.knowledge_base == base.name, table.c.id == sa.bindparam("b_id"))
        .values(meta_data=sa.bindparam("b_meta", type_=table.c.meta_data.type), filters=metadata, updated_at=now)
    )
    yield Bound(statement, updates)
    return len(rows)


# --- search --------------------------------------------------------------------------------------


class PgVectorType(UserDefinedType[Any]):
    """``vector(n)`` / ``halfvec(n)`` named with pgvector's schema, for casts in queries."""

    cache_ok = True

    def __init__(self, kind: str, dimensions: int, schema: str | None) -> None:
        self.kind, self.dimensions, self.schema = kind, dimensions, schema

    def get_col_spec(self, **kw: Any) -> str:
        return f"{self.schema + '.' if self.schema else ''}{self.kind}({self.dimensions})"


def _fetch_columns(base: Base) -> list[ColumnElement[Any]]:
    """What a hit returns; on PostgreSQL the embedding in pgvector's binary form (see ``pgwire``)."""
    table = base.table
    embedding: ColumnElement[Any] = table.c.embedding
    if base.dialect == "postgresql":
        embedding = pgwire.binary_embedding(table.c.embedding, base.facts.vector_schema)
    return [table.c.id, table.c.name, table.c.meta_data, table.c.content, embedding, table.c.usage,
            table.c.content_id, table.c.content_hash, table.c.user_id]


def pg_vector_select(base: Base, where: ColumnElement[bool] | None, *, rows: bool = False) -> sa.Select[Any]:
    """The ordered vector query, shaped so the base's partial HNSW index serves it: the same cast
    (to the same type) as the index expression, the operator of its operator class, its predicate.

    Bound at execution (``vector_params``): ``query_vector`` and ``top_k``. ``rows`` selects the
    whole hit (one statement for a vector search) rather than ids and distances. Without filters the
    statement is built once per base and reused, so a search only binds values.
    """
    key = ("vector", rows)
    if where is None and key in base.facts.statements:
        return base.facts.statements[key]
    table = base.table
    schema = base.facts.vector_schema
    kind = PgVectorType(q.vector_kind(base.dimensions) or "vector", base.dimensions, schema)
    operator = q.OPERATOR[base.distance]
    # The parameter is a pgwire.QueryVector (a binary vector); its type comes from the cast around it.
    query: ColumnElement[Any] = sa.cast(sa.bindparam("query_vector", type_=NullType()),
                                        PgVectorType("vector", base.dimensions, schema))
    if kind.kind != "vector":
        query = sa.cast(query, kind)
    distance = sa.cast(table.c.embedding, kind).op(f"OPERATOR({schema}.{operator})" if schema else operator,
                                                  return_type=sa.Float)(query)
    columns = _fetch_columns(base) if rows else [table.c.id]
    statement = (
        sa.select(*columns, distance.label("distance"))
        .where(_where(base.vector_predicate(), where))
        .order_by(distance)
        .limit(sa.bindparam("top_k", type_=sa.Integer()))
    )
    if where is None:
        base.facts.statements[key] = statement
    return statement


def vector_params(query: np.ndarray, limit: int) -> dict[str, Any]:
    return {"query_vector": pgwire.QueryVector(query), "top_k": limit}


def pg_search_settings(base: Base, limit: int) -> Any:
    """``SET LOCAL`` of the HNSW settings for this query, in one round trip."""
    ef_search = min(max(base.ef_search, limit), 1000)
    # pgvector >= 0.8: with filters, keep walking the graph until `limit` rows pass them.
    iterative = ", set_config('hnsw.iterative_scan', 'strict_order', true)" if base.facts.iterative_scan else ""
    return sa.text(f"SELECT set_config('hnsw.ef_search', '{int(ef_search)}', true){iterative}")


class HitRow(NamedTuple):
    """A vector hit: the columns of ``_fetch_columns``, then its distance."""

    id: str
    name: str | None
    meta_data: Any
    content: str | None
    embedding: np.ndarray | None
    usage: Any
    content_id: str | None
    content_hash: str | None
    user_id: str | None
    distance: float


def _pg_vector_leg(base: Base, query: np.ndarray, where: ColumnElement[bool] | None, limit: int,
                   *, rows: bool = False) -> Steps:
    """Rows nearest first: ``(id, distance)`` tuples, or ``HitRow``s when ``rows``."""
    settings = pg_search_settings(base, limit)
    stmt = pg_vector_select(base, where, rows=rows)
    params = vector_params(query, limit)
    # Unfiltered searches (the statement shape is fixed) skip SQLAlchemy's per-statement execution.
    key = ("vector", rows, base.facts.vector_schema, base.ef_search, base.facts.iterative_scan)
    if where is None:
        yield q.Direct(settings, {}, ("settings", limit, *key))
        found = (yield q.Direct(stmt, params, key)).all()
    else:
        yield settings
        found = (yield Bound(stmt, params)).all()
    if len(found) < limit:
        # Fewer than asked: the graph walk ran out (very selective filters), or fewer rows match.
        # An expression the index cannot serve makes the same query exact.
        distance = stmt.selected_columns.distance
        exact = stmt.order_by(None).order_by(distance + 0)
        found = (yield Bound(exact, params)).all()
    if not rows:
        return [(row[0], float(row[-1])) for row in found]
    return [HitRow(*r[:4], _embedding(r[4]), *r[5:9], float(r[9])) for r in found]


def _embedding(value: Any) -> np.ndarray | None:
    """A hit's embedding: decoded already (SQLAlchemy's result), or ``vector_send`` bytes (the driver's)."""
    return pgwire.decode(value) if isinstance(value, bytes | memoryview) else value


def _updated_at_index(table: sa.Table) -> str:
    (index,) = [i for i in table.indexes if [c.name for c in i.columns] == ["knowledge_base", "updated_at"]]
    return str(index.name)


def _sync_cache(base: Base) -> Steps:
    """Bring the base's embedding cache in line with the database (see ``exact.py``)."""
    table = base.table
    stamp = sa.type_coerce(table.c.updated_at, NullType())  # compared for equality only: skip conversion
    # Over the base alone, so the (knowledge_base, updated_at) index answers it without the table.
    # MariaDB prefers the clustered primary key here (reading every chunk, ~1 s at 100,000): name it.
    check = sa.select(sa.func.count(), sa.func.max(stamp)).select_from(table).where(base.predicate())
    check = check.with_hint(table, f"FORCE INDEX ({_updated_at_index(table)})", dialect_name="mysql")
    fingerprint = tuple((yield check).one())
    cache = base.cache
    if cache.fingerprint == fingerprint:
        return
    live = (yield sa.select(table.c.id, stamp).where(base.vector_predicate())).all()
    pairs = [(row[0], row[1]) for row in live]
    stale = cache.stale(pairs)
    blob = sa.type_coerce(table.c.embedding, sa.LargeBinary())
    width = 4 * base.dimensions
    for start in range(0, len(stale), ID_CHUNK):
        chunk = stale[start : start + ID_CHUNK]
        got = (yield sa.select(table.c.id, stamp, blob).where(base.vector_predicate(), table.c.id.in_(chunk))).all()
        if any(len(row[2]) != width for row in got):
            raise ValueError(f"knowledge base {base.name!r} holds an embedding that is not {base.dimensions} float32s")
        matrix = np.frombuffer(b"".join(row[2] for row in got), dtype="<f4").reshape(len(got), base.dimensions)
        cache.put([row[0] for row in got], [row[1] for row in got], matrix)
    if cache.retain([chunk_id for chunk_id, _ in pairs]):
        cache.fingerprint = fingerprint


def _exact_vector_leg(base: Base, query: np.ndarray, where: ColumnElement[bool] | None, limit: int) -> Steps:
    # No lock is held across the reads (the generator may run on an event loop); two syncs racing
    # each other repeat the same reads, and a cache left inconsistent forgets its fingerprint.
    yield from _sync_cache(base)
    if where is None:
        return base.cache.top(None, query, limit, base.distance)
    candidates = (yield sa.select(base.table.c.id).where(base.vector_predicate(), where)).scalars().all()
    return base.cache.top(candidates, query, limit, base.distance)


def vector_leg(base: Base, query: np.ndarray, where: ColumnElement[bool] | None, limit: int) -> Steps:
    """``[(id, distance)]``, nearest first: HNSW on PostgreSQL, NumPy elsewhere."""
    if base.dialect == "postgresql":
        return (yield from _pg_vector_leg(base, query, where, limit))
    return (yield from _exact_vector_leg(base, query, where, limit))


def keyword_select(base: Base, terms: Sequence[str], query_text: str, where: ColumnElement[bool] | None,
                   limit: int) -> sa.Select[Any]:
    table = base.table
    if base.dialect == "postgresql":
        tsv, any_words = q.pg_tsvector(table), q.pg_any_words(terms)
        rank = sa.func.ts_rank_cd(tsv, any_words)
        return (
            sa.select(table.c.id, rank.label("rank"))
            .where(_where(base.predicate(), where), tsv.op("@@")(any_words))
            .order_by(tsv.op("@@")(q.pg_all_words(terms)).desc(), rank.desc(), table.c.id)
            .limit(limit)
        )
    if base.dialect == "mysql":
        match = mysql.match(table.c.content, against=q.mysql_any_words(terms, query_text)).in_boolean_mode()
        return (
            sa.select(table.c.id, match.label("rank"))
            .where(_where(base.predicate(), where), match > 0)
            .order_by(match.desc(), table.c.id)
            .limit(limit)
        )
    fts_name = q.fts_name(table.name)
    fts_ref = sa.literal_column(q._quote_sqlite(fts_name))
    fts = sa.table(fts_name, sa.column("rowid"), sa.column("knowledge_base"), sa.column("chunk_id"))
    bm25 = sa.func.bm25(fts_ref)
    joined = fts.join(table, sa.and_(
        sa.literal_column(f"{q._quote_sqlite(table.name)}.rowid") == fts.c.rowid,
        table.c.knowledge_base == fts.c.knowledge_base,
        table.c.id == fts.c.chunk_id,
    ))
    return (
        sa.select(table.c.id, (-bm25).label("rank"))
        .select_from(joined)
        .where(fts_ref.op("MATCH")(q.sqlite_any_words(terms)), fts.c.knowledge_base == base.name,
               _where(base.predicate(), where))
        .order_by(bm25, table.c.id)
        .limit(limit)
    )


def keyword_leg(base: Base, terms: Sequence[str], query_text: str, where: ColumnElement[bool] | None,
                limit: int) -> Steps:
    """``[(id, rank)]``, best first; no terms (only stopwords) means no keyword hits."""
    if not terms:
        return []
    rows = (yield keyword_select(base, terms, query_text, where, limit)).all()
    return [(row.id, float(row.rank)) for row in rows]


def _fetch(base: Base, ids: Sequence[str]) -> Steps:
    """The chunks with these ids, by id (one query per 500 ids)."""
    table = base.table
    columns = _fetch_columns(base)
    found: dict[str, Any] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = list(ids[start : start + ID_CHUNK])
        for row in (yield sa.select(*columns).where(base.predicate(), table.c.id.in_(chunk))).all():
            found[row.id] = row
    return found


@dataclass(frozen=True)
class Hit:
    row: Any
    score: float  # agno's 0-1 similarity_score


@operation(writes=False)
def vector_search(base: Base, *, query: np.ndarray, where: ColumnElement[bool] | None, limit: int,
                  max_distance: float | None) -> Steps:
    from agno.vectordb.score import normalize_score

    if base.dialect == "postgresql":  # one statement: the index scan returns the hits themselves
        found = yield from _pg_vector_leg(base, query, where, limit, rows=True)
        ranked = [(row.id, row.distance) for row in found]
        rows = {row.id: row for row in found}
    else:
        ranked = yield from vector_leg(base, query, where, limit)
        rows = yield from _fetch(base, [i for i, _ in ranked])
    if max_distance is not None:
        ranked = [(i, d) for i, d in ranked if d <= max_distance]
    hits = []
    for chunk_id, distance in ranked:
        raw = -distance if base.distance == Distance.max_inner_product else distance
        hits.append(Hit(rows[chunk_id], normalize_score(raw, base.distance)))
    return hits


@operation(writes=False)
def keyword_search(base: Base, *, terms: list[str], query_text: str, where: ColumnElement[bool] | None,
                   limit: int, min_score: float | None) -> Steps:
    ranked = yield from keyword_leg(base, terms, query_text, where, limit)
    scored = [(i, q.scaled_rank(base.dialect, rank)) for i, rank in ranked]
    if min_score is not None:
        scored = [(i, s) for i, s in scored if s >= min_score]
    rows = yield from _fetch(base, [i for i, _ in scored])
    return [Hit(rows[i], s) for i, s in scored]


@operation(writes=False)
def hybrid_search(base: Base, *, query: np.ndarray, terms: list[str], query_text: str,
                  where: ColumnElement[bool] | None, limit: int, candidates: int,
                  max_distance: float | None, vector_weight: float, rrf_k: int) -> Steps:
    """Reciprocal-rank fusion of the vector and keyword candidate lists (see the package docs)."""
    nearest = yield from vector_leg(base, query, where, candidates)
    if max_distance is not None:
        nearest = [(i, d) for i, d in nearest if d <= max_distance]
    keyword = yield from keyword_leg(base, terms, query_text, where, candidates)
    weights = (2.0 * vector_weight, 2.0 * (1.0 - vector_weight))
    fused: dict[str, float] = {}
    first_seen: dict[str, tuple[int, int]] = {}
    for leg, (ranked, weight) in enumerate(((nearest, weights[0]), (keyword, weights[1]))):
        for rank, (chunk_id, _) in enumerate(ranked, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (rrf_k + rank)
            first_seen.setdefault(chunk_id, (rank, leg))
    # Best fused score first; ties go to the better single-list rank, then the vector list, then id.
    order = sorted(fused, key=lambda i: (-fused[i], first_seen[i], i))[:limit]
    best_possible = sum(weights) / (rrf_k + 1)
    rows = yield from _fetch(base, order)
    return [Hit(rows[i], min(1.0, fused[i] / best_possible)) for i in order]

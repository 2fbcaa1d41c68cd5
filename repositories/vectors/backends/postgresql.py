"""PostgreSQL with pgvector: a partial HNSW index per base, binary COPY for bulk writes, keywords
on the GIN-indexed ``to_tsvector('english', content)`` of migration 0002."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from repositories.vectors import hnsw, pgcopy, pgwire
from repositories.vectors import pgindex as ix
from repositories.vectors.backends.base import Backend, Steps
from repositories.vectors.base import Base, Chunks, updatable, where
from repositories.vectors.steps import CopyRows

# Fewer rows than this go as one multi-row INSERT; COPY's setup costs more than it saves.
COPY_THRESHOLD = 64
# A load of at least this many rows, and at least as many as the base holds, rebuilds the base's
# HNSW index after the COPY instead of inserting into it row by row (below this the rebuild's
# fixed costs and its table lock are not worth it).
BULK_REBUILD_ROWS = 1000
COPY_ROWS = 5000  # rows per COPY payload: one encoded batch in memory at a time, not the whole load
TS_CONFIG = "english"  # fixed in the GIN index expression (migration 0002)


def tsvector(table: sa.Table) -> ColumnElement[Any]:
    """Exactly the GIN index's expression, so the planner can use the index."""
    return sa.func.to_tsvector(
        sa.literal_column(f"'{TS_CONFIG}'::regconfig"), sa.func.coalesce(table.c.content, sa.literal_column("''"))
    )


def _index_lock(base: Base) -> sa.TextClause:
    # Two processes creating the same index at once would collide in the catalog.
    name = ix.vector_index_name(base.table.name, base.name, base.distance, base.dimensions)
    return sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))").bindparams(name=name)


def _build_index(base: Base) -> Steps:
    yield sa.text(f"SET LOCAL maintenance_work_mem = {ix.pg_literal(base.maintenance_work_mem)}")
    yield sa.text(ix.create_vector_index_sql(
        schema=base.schema, table=base.table.name, knowledge_base=base.name, distance=base.distance,
        dimensions=base.dimensions, m=base.hnsw_m, ef_construction=base.hnsw_ef_construction,
        type_schema=base.facts.vector_schema,
    ))


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


class PostgreSQLBackend(Backend):
    strategy = hnsw.STRATEGY
    rank_scale = 0.1

    def base_predicate(self, base: Base) -> ColumnElement[bool]:
        # The name is inlined: a partial index is only chosen when the planner sees the literal its
        # predicate names (a prepared generic plan would not). Quoted here rather than
        # literal_execute, so a compiled statement needs no per-call rendering.
        return base.table.c.knowledge_base == sa.literal_column(ix.pg_literal(base.name), sa.String())

    def embedding_column(self, base: Base) -> ColumnElement[Any]:
        return pgwire.binary_embedding(base.table.c.embedding, base.facts.vector_schema)  # bytes, not text

    def prepare(self, base: Base, *, force_recreate: bool) -> Steps:
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
        if ix.vector_kind(base.dimensions) is None:
            return False  # beyond HNSW's limits: searches are exact
        yield _index_lock(base)
        if force_recreate:
            name = ix.vector_index_name(base.table.name, base.name, base.distance, base.dimensions)
            yield sa.text(f"DROP INDEX IF EXISTS {ix.qualified(base.schema, name)}")
        yield from _build_index(base)
        return True

    def exists(self, base: Base) -> Steps:
        target = base.table.name
        if ix.vector_kind(base.dimensions) is not None:
            target = ix.vector_index_name(target, base.name, base.distance, base.dimensions)
        found = (yield sa.text("SELECT to_regclass(:n)").bindparams(n=ix.qualified(base.schema, target))).scalar()
        return found is not None

    def drop(self, base: Base) -> Steps:
        """Every vector index the base had (any metric or dimension)."""
        names = (yield sa.text(
            "SELECT indexname FROM pg_indexes WHERE schemaname = COALESCE(:s, current_schema()) AND indexname LIKE :p"
        ).bindparams(s=base.schema, p=ix.base_index_pattern(base.table.name, base.name))).scalars().all()
        for name in names:
            yield sa.text(f"DROP INDEX IF EXISTS {ix.qualified(base.schema, name)}")

    def write(self, base: Base, chunks: Chunks, *, upsert: bool) -> Steps:
        if len(chunks.rows) < COPY_THRESHOLD:
            return (yield from super().write(base, chunks, upsert=upsert))
        return (yield from _bulk_write(base, chunks, upsert))

    def keyword_select(self, base: Base, terms: Sequence[str], query_text: str, where_: ColumnElement[bool] | None,
                       limit: int) -> sa.Select[Any]:
        table = base.table
        config: sa.ColumnClause[Any] = sa.literal_column(f"'{TS_CONFIG}'::regconfig")
        tsv, any_words = tsvector(table), sa.func.websearch_to_tsquery(config, " or ".join(terms))
        rank = sa.func.ts_rank_cd(tsv, any_words)
        return (
            sa.select(table.c.id, rank.label("rank"))
            .where(where(base.predicate(), where_), tsv.op("@@")(any_words))
            .order_by(tsv.op("@@")(sa.func.plainto_tsquery(config, " ".join(terms))).desc(), rank.desc(), table.c.id)
            .limit(limit)
        )


def _copy(sql: str, chunks: Chunks) -> Steps:
    """COPY the chunks in payloads of COPY_ROWS rows (one transaction, bounded memory)."""
    rows = chunks.rows
    for start in range(0, len(rows), COPY_ROWS):
        end = start + COPY_ROWS
        payload = pgcopy.encode(rows[start:end], chunks.vectors[start:end], chunks.json[start:end])
        yield CopyRows(sql, payload, len(rows[start:end]))


def _bulk_write(base: Base, chunks: Chunks, upsert: bool) -> Steps:
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
    target = ix.qualified(base.schema, table.name)
    rows = chunks.rows
    rebuild = False
    if ix.vector_kind(base.dimensions) is not None and len(rows) >= BULK_REBUILD_ROWS:
        existing = (yield sa.select(sa.func.count()).select_from(table).where(base.predicate())).scalar() or 0
        rebuild = len(rows) >= existing
    if rebuild:
        name = ix.vector_index_name(table.name, base.name, base.distance, base.dimensions)
        yield _index_lock(base)
        yield sa.text(f"DROP INDEX IF EXISTS {ix.qualified(base.schema, name)}")
    columns = pgcopy.column_list()
    if not upsert:
        yield from _copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT BINARY)", chunks)
    else:
        # COPY cannot resolve conflicts: load a temporary table, then merge it in one statement.
        yield sa.text(f"CREATE TEMPORARY TABLE IF NOT EXISTS agno_chunks_in (LIKE {target}) ON COMMIT DROP")
        yield from _copy(f"COPY agno_chunks_in ({columns}) FROM STDIN (FORMAT BINARY)", chunks)
        updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c, _ in pgcopy.COLUMNS if c in updatable(table))
        yield sa.text(
            f"INSERT INTO {target} ({columns}) SELECT {columns} FROM agno_chunks_in "
            f"ON CONFLICT (knowledge_base, id) DO UPDATE SET {updates}"
        )
        yield sa.text("DROP TABLE agno_chunks_in")
    if rebuild:
        yield from _build_index(base)
    if len(rows) >= BULK_REBUILD_ROWS:
        # Fresh statistics, so the very next searches are planned on the index, not a sequential
        # scan of a table the planner still thinks is small. All columns: autovacuum's own ANALYZE
        # (soon after a load) covers the embedding too, which moves the index's estimated cost, so
        # a partial one would give plans that change under the user a moment later.
        yield sa.text(f"ANALYZE {target}")
    return len(rows)

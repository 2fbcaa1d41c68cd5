"""Knowledge embeddings: agno's ``VectorDb`` on the migrated chunk table, for all three databases.

    from agno.knowledge import Knowledge
    from repositories import PostgresDb, PgVectorDb
    db = PostgresDb(db_url=url)
    knowledge = Knowledge(contents_db=db, vector_db=PgVectorDb("my_kb", db=db, search_type="hybrid"))

``PgVectorDb``, ``SqliteVectorDb`` and ``MySQLVectorDb`` implement ``agno.vectordb.base.VectorDb``
with sync and async twins of every method (``search``/``async_search``, ...), agno's dict and
FilterExpr metadata filters, and ``user_id`` scoping (a user sees their chunks and shared ones).

What is stored
    Chunks live in ``agno_knowledge_embeddings`` (model ``KnowledgeEmbedding``): content, meta_data
    and filters JSON, content hash, content_id, name, user_id, embedding, timestamps. agno's PgVector
    makes one table per knowledge base with a fixed ``vector(n)`` column; here all bases share one
    table keyed by ``(knowledge_base, id)`` (``knowledge_base`` is agno's ``table_name``), with an
    untyped ``vector`` column. That keeps the whole schema under Alembic: a new base is rows, not
    DDL, and ``alembic check`` stays clean however many bases exist.

Vector search
    PostgreSQL: each base gets a *partial* HNSW index on a cast to its dimension, made by
    ``create()`` (so it exists before the first row, unlike agno's PgVector, which builds none until
    ``optimize()``)::

        CREATE INDEX vix_<digest>_cos_384 ON agno_knowledge_embeddings
        USING hnsw ((embedding::vector(384)) vector_cosine_ops) WITH (m = 16, ef_construction = 64)
        WHERE knowledge_base = 'my_kb' AND dimensions = 384

    Queries repeat the cast and the predicate (the base name inlined, so even a prepared statement
    can use the index); ``explain()`` shows the plan. The query vector is bound in pgvector's binary
    form and hits come back with ``vector_send(embedding)`` (bytes, not text to parse); an
    unfiltered search is built and compiled once and run on the driver's cursor (see ``pgwire``). Cosine by default; ``distance=Distance.l2`` or
    ``Distance.max_inner_product`` select ``vector_l2_ops`` / ``vector_ip_ops``. Above 2,000
    dimensions the index casts to ``halfvec`` (up to 4,000); beyond that searches are exact.
    ``ef_search`` (default 100, pgvector's is 40 and agno's PgVector sets 5) is set per query with
    ``SET LOCAL hnsw.ef_search = max(ef_search, limit)``; with pgvector 0.8+ iterative index scans
    keep filtered queries going, and a query that still returns fewer than ``limit`` rows is rerun
    exactly, so a top-10 query returns 10 rows whenever 10 rows match.
    SQLite and MySQL have no vector index: search is exact (cosine, L2 or inner product over
    float32 embeddings with NumPy). SQL picks the candidates (base, owner, metadata filters), and
    their embeddings come from an in-process cache checked against each row's ``updated_at``.

Keyword search
    The query's words (lower-cased, English stopwords dropped); a chunk matches when it holds any
    of them. PostgreSQL: ``to_tsvector('english', coalesce(content, ''))`` with a GIN index
    (migration 0002), chunks holding every word first, then ``ts_rank_cd``. MySQL: an InnoDB
    FULLTEXT index in boolean mode (each word also asked for capitalized and upper-cased, because
    the binary collation makes FULLTEXT case-sensitive). SQLite: an FTS5 table (porter stemming)
    kept in step by triggers, ranked by bm25; it is created on first use, not by the migrations.

Hybrid search
    Reciprocal-rank fusion of the two candidate lists (each ``max(2 * limit, 20)`` deep, filters
    applied in both)::

        score(chunk) = 2w / (k + rank_vector) + 2(1 - w) / (k + rank_keyword)

    with ``k = rrf_k`` (60) and ``w = vector_score_weight`` (0.5: both lists count the same); a
    chunk missing from a list gets nothing from it. Rank fusion needs no common scale between
    cosine similarity and a text rank, and a chunk found only by an exact rare word still ranks
    high. ``similarity_score`` is the fused score divided by its maximum (first in both lists).

Writes
    ``insert``/``upsert`` validate every chunk before writing (dimension, NaN, JSON, lengths) and
    write in one transaction; ``upsert`` replaces the owner's chunks of the content hash, so a
    re-ingested document never duplicates. Chunks arriving with embeddings are not re-embedded:
    precomputed embeddings take the bulk path, binary COPY on PostgreSQL and executemany elsewhere.
    On PostgreSQL a load of at least 1,000 chunks and at least as many as the base holds drops the
    base's HNSW index, COPYs and rebuilds it in the same transaction (other sessions wait for the
    table meanwhile; see ``backends.postgresql._bulk_write``); smaller writes go into the live index.
    Errors propagate; a dimension mismatch, an empty query or a NaN is a ValueError.

Modules
    ``store.py`` construction and plumbing (the db classes' ``core.storage`` and executors);
    ``methods.py`` agno's methods, each one ``@procedure`` whose ``async_`` twin is derived;
    ``documents.py`` / ``checks.py`` documents to validated rows; ``chunkops.py`` and ``search.py``
    the operations; ``backends/`` what each database does its own way (keyword query, per-base
    structures, bulk writes); ``hnsw.py`` / ``exact.py`` the two vector search strategies;
    ``filters.py`` metadata filters (on ``Dialect.json_*``); ``pgindex.py``, ``pgcopy.py``,
    ``pgwire.py``, ``steps.py`` PostgreSQL's index DDL, COPY encoding, binary vectors, and the
    special steps (COPY, raw cursor) the core executors hand their connection.
"""

from agno_models.extras import require

require("numpy", needed_for="agno-models knowledge bases (SqliteVectorDb, MySQLVectorDb, PgVectorDb)")

from repositories.vectors.embedder import HashingEmbedder  # noqa: E402 - after the extra check
from repositories.vectors.store import DEFAULT_EF_SEARCH, MySQLVectorDb, PgVectorDb, SqliteVectorDb, SqlVectorDb  # noqa: E402

__all__ = ["DEFAULT_EF_SEARCH", "HashingEmbedder", "MySQLVectorDb", "PgVectorDb", "SqlVectorDb", "SqliteVectorDb"]

"""Vector store: agno's PgVector against raw pgvector SQL on the same table and index.

For each data set (clustered: points around centres, like real embeddings; uniform random, the
hard case for HNSW, reported beside it) and size:
- insert: agno's ``PgVector.insert`` of every chunk (1,000 per call, agno's batches of 100), and
  the raw baseline, psycopg ``COPY ... FROM STDIN (FORMAT BINARY)`` of the same rows into a table
  with the same definition;
- index: the HNSW index build (cosine), timed once;
- search: top-10 for the same queries at several ``hnsw.ef_search`` values. The raw baseline
  replays, through psycopg on one open connection, exactly the statements the store sent for a
  search (captured from its engine: the same ``SET LOCAL hnsw.ef_search``, the same SELECT with
  the same columns), with the query vector swapped in. recall@10 is against NumPy brute force.

The section marked OURS below runs our vector store (repositories/vectors, ``PgVectorDb``) the
same way, when it exists; its raw baseline replays our store's own SQL the same way. Its insert is
one ``insert()`` of every chunk (a bulk load, as the COPY is), and its raw baseline is a psycopg
COPY of the same rows into a copy of our table (same columns and indexes, its GIN full-text index
included), with the base's partial HNSW index built afterwards by the same CREATE INDEX. Rates are
reported without the index build (against COPY alone) and with it (against COPY plus build).
"""

from __future__ import annotations

import gc
import hashlib
import importlib.util
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.timing import Samples

QUERY_PREFIX = "query "
CHUNK_PREFIX = "chunk "
CHUNKS_PER_INSERT = 1_000
TOP_K = 10


# --- data ----------------------------------------------------------------------------------------


def make_data(kind: str, n: int, dim: int, queries: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """(chunks, queries), unit-norm float32; ``clustered`` has ~200 points per centre."""
    rng = np.random.default_rng(seed)
    if kind == "clustered":
        centres = rng.standard_normal((max(8, n // 200), dim)).astype(np.float32)
        points = centres[rng.integers(0, len(centres), n + queries)]
        data = points + 0.6 * rng.standard_normal((n + queries, dim)).astype(np.float32)
    elif kind == "uniform":
        data = rng.uniform(-1, 1, (n + queries, dim)).astype(np.float32)
    else:
        raise ValueError(f"unknown vector data {kind!r}")
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return data[:n], data[n:]


def exact_top_k(chunks: np.ndarray, queries: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """Indices of the ``k`` most cosine-similar chunks per query (NumPy brute force)."""
    out = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), 64):
        sims = queries[start : start + 64] @ chunks.T
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        order = np.take_along_axis(sims, top, axis=1).argsort(axis=1)[:, ::-1]
        out[start : start + 64] = np.take_along_axis(top, order, axis=1)
    return out


def chunk_text(i: int) -> str:
    # ~500 characters, as a chunk of a document; the prefix lets the embedder find its vector.
    body = f"Section {i % 97} of document {i // 50}: " + ("refund policy and delivery terms apply " * 12)
    return f"{CHUNK_PREFIX}{i}: {body[:480]}"


def chunk_index(text: str) -> int:
    return int(text[len(CHUNK_PREFIX) : text.index(":")])


def make_embedder(chunks: np.ndarray, queries: np.ndarray) -> Any:
    """An agno Embedder that 'embeds' a chunk or query text by looking its vector up."""
    from agno.knowledge.embedder.base import Embedder

    class LookupEmbedder(Embedder):
        def get_embedding(self, text: str) -> list[float]:
            if text.startswith(QUERY_PREFIX):
                return queries[int(text[len(QUERY_PREFIX) :])].tolist()
            return chunks[chunk_index(text)].tolist()

        def get_embedding_and_usage(self, text: str) -> tuple[list[float], dict[str, Any] | None]:
            return self.get_embedding(text), None

    embedder = LookupEmbedder()
    embedder.dimensions = chunks.shape[1]
    return embedder


def documents(start: int, stop: int) -> list[Any]:
    from agno.knowledge.document import Document

    return [Document(content=chunk_text(i), name=f"chunk-{i}", meta_data={"page": i % 50, "source": f"doc-{i // 50}"},
                     content_id=f"content-{i // 50}") for i in range(start, stop)]


# --- results -------------------------------------------------------------------------------------


@dataclass
class Search:
    ef: int
    samples: dict[str, Samples] = field(default_factory=dict)
    recall: dict[str, float] = field(default_factory=dict)
    same_ids: dict[str, float] = field(default_factory=dict)  # share of queries where raw returned the same ids


@dataclass
class VectorResult:
    backend: str
    kind: str
    n: int
    dim: int
    insert_rate: dict[str, float] = field(default_factory=dict)  # rows per second
    index_seconds: dict[str, float] = field(default_factory=dict)
    searches: list[Search] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- the raw baseline ----------------------------------------------------------------------------


class Replay:
    """Capture the statements a store sends for one search, and replay them on a bare psycopg connection."""

    def __init__(self, engine: Any, conninfo: dict[str, Any]) -> None:
        import psycopg
        from pgvector.psycopg import register_vector

        self.engine = engine
        self.conn = psycopg.connect(**conninfo)
        register_vector(self.conn)  # vectors come back as NumPy arrays, as through SQLAlchemy
        self.wire = _pgwire()
        if self.wire is not None:  # our store binds the query vector in binary: replay it the same way
            self.wire.register(self.conn.adapters)
        self.statements: list[tuple[str, Any]] = []

    def capture(self, search: Callable[[], Any], query: np.ndarray) -> None:
        import sqlalchemy as sa
        from pgvector import Vector

        captured: list[tuple[str, Any]] = []

        def listen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            captured.append((statement, parameters))

        sa.event.listen(self.engine, "before_cursor_execute", listen)
        try:
            search()
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", listen)
        marker = Vector._to_db(query)
        self.statements = []
        for statement, parameters in captured:
            if statement.strip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SELECT 1")):
                continue
            slots = {}
            if isinstance(parameters, dict):
                # The query vector, bound in pgvector's text form (agno) or binary (ours: a
                # pgwire.QueryVector): swapped per query on replay, in the same form.
                slots = {k: _vector_slot(v, marker) for k, v in parameters.items()}
            self.statements.append((statement, (parameters, slots)))
        if not any(any(slots.values()) for _, (_, slots) in self.statements):
            raise RuntimeError("could not find the query vector among the search's parameters")
        # A store that fetches rows by the ids its index query returned (WHERE id IN (...)): those
        # parameters are found by a dry run and fed, on replay, with the ids this replay's query found.
        self.chained: list[list[str]] = [[] for _ in self.statements]
        previous: list[Any] = []
        with self.conn.cursor() as cur:
            for i, (statement, (parameters, _)) in enumerate(self.statements):
                if parameters and previous:
                    found = {row[0] for row in previous}
                    self.chained[i] = [k for k, v in parameters.items() if isinstance(v, str) and v in found]
                cur.execute(statement, parameters or None)
                previous = cur.fetchall() if cur.description is not None else previous
        self.conn.commit()

    def search(self, query: np.ndarray) -> list[Any]:
        from pgvector import Vector

        forms = {"text": Vector._to_db(query)}
        if self.wire is not None:
            forms["binary"] = self.wire.QueryVector(query)
        rows: list[Any] = []
        with self.conn.cursor() as cur:
            for (statement, (parameters, slots)), chained in zip(self.statements, self.chained, strict=True):
                params = ({k: (forms[slots[k]] if slots.get(k) else v) for k, v in parameters.items()}
                          if parameters else None)
                if chained and params is not None:
                    ids = [row[0] for row in rows] or [None]
                    for j, key in enumerate(chained):
                        params[key] = ids[min(j, len(ids) - 1)]  # fewer ids: repeat one, IN is a set
                cur.execute(statement, params)
                if cur.description is not None:
                    rows = cur.fetchall()
        self.conn.commit()
        return rows

    def close(self) -> None:
        self.conn.close()


def _pgwire() -> Any:
    """Our store's binary query-vector binding (repositories.vectors.pgwire), when it exists."""
    if importlib.util.find_spec("repositories.vectors") is None:
        return None
    from repositories.vectors import pgwire

    return pgwire


def _vector_slot(value: Any, marker: str) -> str | None:
    """How a captured parameter carries the query vector: pgvector's text form, our binary form, or not."""
    if isinstance(value, str) and value == marker:
        return "text"
    wire = _pgwire()
    if wire is not None and isinstance(value, wire.QueryVector):
        return "binary"
    return None


def copy_rows(conninfo: dict[str, Any], table: str, chunks: np.ndarray, content_hash: str) -> float:
    """COPY every chunk into ``table`` (binary); returns seconds. Rows as agno writes them."""
    import psycopg
    from pgvector.psycopg import register_vector
    from psycopg.types.json import Jsonb

    with psycopg.connect(**conninfo) as conn:
        register_vector(conn)
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
            f"COPY {table} (id, name, meta_data, filters, content, embedding, content_hash, content_id) "
            "FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["varchar", "varchar", "jsonb", "jsonb", "text", "vector", "varchar", "varchar"])
            for i in range(len(chunks)):
                content = chunk_text(i)
                row_id = hashlib.md5(f"{hashlib.md5(content.encode()).hexdigest()}_{content_hash}".encode()).hexdigest()
                copy.write_row((row_id, f"chunk-{i}", Jsonb({"page": i % 50, "source": f"doc-{i // 50}"}), None,
                                content, chunks[i], content_hash, f"content-{i // 50}"))
        conn.commit()
        return time.perf_counter() - start


def copy_rows_ours(conninfo: dict[str, Any], store: Any, chunks: np.ndarray, content_hash: str) -> tuple[float, float]:
    """The raw baseline for our insert: psycopg's binary COPY of the rows our store writes into a
    copy of our chunk table (same columns and indexes, without the base's HNSW index), then that
    index built with the store's own CREATE INDEX and maintenance_work_mem. (seconds, seconds)."""
    from datetime import UTC, datetime

    import psycopg
    from pgvector.psycopg import register_vector
    from psycopg.types.json import Jsonb

    from repositories.vectors import pgcopy
    from repositories.vectors import pgindex as q

    base = store._base
    schema, source = store.db_schema, base.table.name
    target = f"{source}_raw_copy"
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'DROP TABLE IF EXISTS "{schema}"."{target}"')
        conn.execute(f'CREATE TABLE "{schema}"."{target}" (LIKE "{schema}"."{source}" INCLUDING ALL)')
        for (name,) in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s "
                                    "AND indexdef LIKE '%%USING hnsw%%'", (schema, target)).fetchall():
            conn.execute(f'DROP INDEX "{schema}"."{name}"')
    with psycopg.connect(**conninfo) as conn:
        register_vector(conn)
        now = datetime.now(UTC)
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
            f'COPY "{schema}"."{target}" ({pgcopy.column_list()}) FROM STDIN WITH (FORMAT BINARY)'
        ) as copy:
            copy.set_types(["text", "text", "text", "jsonb", "jsonb", "text", "int4", "vector", "jsonb", "text", "text",
                            "text", "timestamptz", "timestamptz"])
            for i in range(len(chunks)):
                content = chunk_text(i)
                row_id = hashlib.md5(f"{hashlib.md5(content.encode()).hexdigest()}_{content_hash}".encode()).hexdigest()
                copy.write_row((base.name, row_id, f"chunk-{i}", Jsonb({"page": i % 50, "source": f"doc-{i // 50}"}),
                                None, content, base.dimensions, chunks[i], None, content_hash, f"content-{i // 50}",
                                None, now, now))
        conn.commit()
        copied = time.perf_counter() - start
        start = time.perf_counter()
        conn.execute(f"SET LOCAL maintenance_work_mem = {q.pg_literal(base.maintenance_work_mem)}")
        conn.execute(q.create_vector_index_sql(
            schema=schema, table=target, knowledge_base=base.name, distance=base.distance, dimensions=base.dimensions,
            m=base.hnsw_m, ef_construction=base.hnsw_ef_construction, type_schema=base.facts.vector_schema,
        ).replace(q.vector_index_name(source, base.name, base.distance, base.dimensions), f"{target}_hnsw"))
        conn.commit()
        built = time.perf_counter() - start
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'DROP TABLE "{schema}"."{target}"')
    return copied, built


def build_hnsw(conninfo: dict[str, Any], table: str, name: str, args: Any) -> float:
    """agno's HNSW index (cosine), with literal values; returns seconds."""
    import psycopg

    with psycopg.connect(**conninfo, autocommit=True) as conn:
        start = time.perf_counter()
        conn.execute(f'CREATE INDEX "{name}" ON {table} USING hnsw (embedding vector_cosine_ops) '
                     f"WITH (m = {int(args.hnsw_m)}, ef_construction = {int(args.hnsw_ef_construction)})")
        return time.perf_counter() - start


# --- running -------------------------------------------------------------------------------------


def run(site: Any, args: Any, *, section: Callable[[str], Any], report: Any, log: Callable[[str], None]) -> list[
        VectorResult]:
    import psycopg

    from bench.backends import psycopg_params

    results = []
    conninfo = psycopg_params(site.url)
    # agno's HNSW() sets maintenance_work_mem with a bind parameter, which PostgreSQL refuses over
    # psycopg 3 ("SET maintenance_work_mem = $1"): give the database agno's value instead, so the
    # graph is built in memory as agno intends, and build with an empty configuration.
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{conninfo["dbname"]}" SET maintenance_work_mem = \'2GB\'')
    for kind in args.vector_data:
        for n in args.vector_sizes:
            with section(f"vectors {kind} {n}") as sec:
                results.append(_one(site, args, kind, n, conninfo, log))
            report.sections.append((sec.name, sec.seconds, sec.peak_mb))
            gc.collect()
    return results


def _one(site: Any, args: Any, kind: str, n: int, conninfo: dict[str, Any], log: Callable[[str], None]) -> VectorResult:
    from agno.vectordb.distance import Distance
    from agno.vectordb.pgvector import HNSW, PgVector

    result = VectorResult(site.backend, kind, n, args.vector_dim)
    chunks, queries = make_data(kind, n, args.vector_dim, args.vector_queries)
    truth = exact_top_k(chunks, queries)
    embedder = make_embedder(chunks, queries)
    url = site.url.render_as_string(hide_password=False)
    table = f"chunks_{kind}_{n}"

    def index(ef: int = 40) -> Any:
        return HNSW(m=args.hnsw_m, ef_construction=args.hnsw_ef_construction, ef_search=ef, configuration={})

    agno = PgVector(table_name=table, schema="vec_agno", db_url=url, embedder=embedder, vector_index=index(),
                    distance=Distance.cosine)
    agno.drop()
    agno.create()
    # The raw COPY target: a second table with agno's exact definition (same columns, same btree indexes).
    copy_target = PgVector(table_name=f"{table}_copy", schema="vec_raw", db_url=url, embedder=embedder,
                           vector_index=index(), distance=Distance.cosine)
    copy_target.drop()
    copy_target.create()

    start = time.perf_counter()
    for group, first in enumerate(range(0, n, CHUNKS_PER_INSERT)):
        agno.insert(content_hash=f"hash-{kind}-{group}", documents=documents(first, min(n, first + CHUNKS_PER_INSERT)))
    result.insert_rate["agno"] = n / (time.perf_counter() - start)
    seconds = copy_rows(conninfo, f'"vec_raw"."{table}_copy"', chunks, f"hash-{kind}")
    result.insert_rate["raw COPY"] = n / seconds
    copy_target.drop()
    result.index_seconds["agno"] = build_hnsw(conninfo, f'"vec_agno"."{table}"', f"{table}_hnsw_index", args)
    result.notes.append("HNSW index built with the SQL of agno's PgVector.optimize(), run by psycopg: agno's own "
                        "call binds m/ef_construction and maintenance_work_mem as parameters, which PostgreSQL "
                        "refuses over psycopg 3 (syntax error at $1)")
    log(f"   {kind} {n}: insert agno {result.insert_rate['agno']:.0f} rows/s, raw COPY "
        f"{result.insert_rate['raw COPY']:.0f} rows/s; HNSW build {result.index_seconds['agno']:.1f} s")

    stores: dict[str, tuple[Callable[[int, int], list[int]], Replay]] = {}
    replay = Replay(agno.db_engine, conninfo)
    stores["agno"] = (_agno_search(agno), replay)

    # ==== OURS: repositories/vectors (PgVectorDb) =================================================
    # Runs only when our vector store exists. Same chunks, same embedder, same HNSW parameters. Our
    # store makes its (partial) HNSW index in create(), before the first row; a bulk load (one
    # insert() of every chunk, as the COPY is one load) drops it, COPYs and rebuilds it in the same
    # transaction. The rebuild is timed from the CREATE INDEX statement, so the rate is reported
    # without it (against raw COPY into a copy of our table) and with it (against COPY + build).
    ours = _ours_pg(url, table, embedder, args, result)
    if ours is not None:
        store = ours[args.ef_search[0]]
        build = _Stopwatch(store.sync_engine, "CREATE INDEX")
        start = time.perf_counter()
        with build:
            store.insert(content_hash=f"hash-{kind}", documents=documents(0, n))
        total = time.perf_counter() - start
        result.insert_rate["ours"] = n / (total - build.seconds)
        result.insert_rate["ours incl. index"] = n / total
        result.index_seconds["ours"] = build.seconds
        copied, built = copy_rows_ours(conninfo, store, chunks, f"hash-{kind}")
        result.insert_rate["raw COPY (ours)"] = n / copied
        result.insert_rate["raw COPY + index (ours)"] = n / (copied + built)
        result.index_seconds["raw COPY (ours)"] = built
        result.notes.append(
            "ours: one insert() of every chunk; 'ours' excludes the HNSW rebuild inside it (compare COPY alone), "
            "'ours incl. index' includes it (compare COPY + build); ours' raw COPY loads a copy of our table "
            "(same indexes: GIN full-text and btrees), agno's raw COPY loads agno's table")
        result.notes.append(f"{kind} {n}: raw COPY into our table {result.insert_rate['raw COPY (ours)']:.0f} rows/s, "
                            f"then its HNSW build {built:.1f} s")
        log(f"   {kind} {n}: insert ours {result.insert_rate['ours']:.0f} rows/s + HNSW rebuild {build.seconds:.1f} s "
            f"({result.insert_rate['ours incl. index']:.0f} rows/s in all); raw COPY into our table "
            f"{result.insert_rate['raw COPY (ours)']:.0f} rows/s + build {built:.1f} s")

        def ours_search(query: int, ef: int) -> list[int]:
            return [int(d.name.split("-")[1]) for d in ours[ef].search(f"{QUERY_PREFIX}{query}", limit=TOP_K)]

        stores["ours"] = (ours_search, Replay(ours[args.ef_search[0]].sync_engine, conninfo))
    # ==== end OURS ==================================================================================

    try:
        for ef in args.ef_search:
            result.searches.append(_search_at(ef, stores, queries, truth, agno))
            s = result.searches[-1]
            log(f"   ef_search {ef:>4}: " + "  ".join(f"{k} p50 {v.p50 * 1e3:.2f} ms" for k, v in s.samples.items())
                + "  recall " + " ".join(f"{k}={v:.3f}" for k, v in s.recall.items()))
    finally:
        for _, rep in stores.values():
            rep.close()
        if ours is not None:
            ours[args.ef_search[0]].drop()
            ours[args.ef_search[0]].sync_engine.dispose()
        agno.drop()
        agno.db_engine.dispose()
        copy_target.db_engine.dispose()
    return result


def run_exact(site: Any, args: Any, *, section: Callable[[str], Any], report: Any,
              log: Callable[[str], None]) -> list[VectorResult]:
    """OURS on SQLite and MariaDB: exact NumPy search (no vector index there), insert rate and latency."""
    if importlib.util.find_spec("repositories.vectors") is None:
        return []
    from repositories.vectors import MySQLVectorDb, SqliteVectorDb

    cls = SqliteVectorDb if site.backend == "sqlite" else MySQLVectorDb
    results = []
    for kind in args.vector_data:
        for n in args.vector_sizes:
            with section(f"vectors {site.backend} {kind} {n}") as sec:
                result = VectorResult(site.backend, kind, n, args.vector_dim)
                chunks, queries = make_data(kind, n, args.vector_dim, args.vector_queries)
                truth = exact_top_k(chunks, queries)
                store = cls(f"chunks_{kind}_{n}", db=site.ours, embedder=make_embedder(chunks, queries))
                store.drop()
                store.create()
                start = time.perf_counter()
                for group, first in enumerate(range(0, n, CHUNKS_PER_INSERT)):
                    store.insert(content_hash=f"hash-{kind}-{group}",
                                 documents=documents(first, min(n, first + CHUNKS_PER_INSERT)))
                result.insert_rate["ours"] = n / (time.perf_counter() - start)
                search = Search(0, {"ours": Samples()})
                store.search(f"{QUERY_PREFIX}0", limit=TOP_K)  # loads the embedding cache once
                found = []
                for q in range(len(queries)):
                    start = time.perf_counter()
                    docs = store.search(f"{QUERY_PREFIX}{q}", limit=TOP_K)
                    search.samples["ours"].add(time.perf_counter() - start)
                    found.append([int(d.name.split("-")[1]) for d in docs])
                search.recall["ours"] = float(np.mean([len(set(f) & set(t.tolist())) / TOP_K
                                                       for f, t in zip(found, truth, strict=True)]))
                result.searches.append(search)
                store.drop()
                log(f"   {site.backend} {kind} {n}: insert ours {result.insert_rate['ours']:.0f} rows/s, exact "
                    f"search p50 {search.samples['ours'].p50 * 1e3:.2f} ms, recall {search.recall['ours']:.3f}")
                results.append(result)
            report.sections.append((sec.name, sec.seconds, sec.peak_mb))
    return results


class _Stopwatch:
    """Seconds spent in the statements an engine runs that start with ``prefix``, while entered."""

    def __init__(self, engine: Any, prefix: str) -> None:
        self.engine, self.prefix, self.seconds = engine, prefix, 0.0
        self._started: list[float] = []

    def _before(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        started = self._started.pop()
        if statement.lstrip().startswith(self.prefix):
            self.seconds += time.perf_counter() - started

    def __enter__(self) -> _Stopwatch:
        import sqlalchemy as sa

        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        import sqlalchemy as sa

        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)


def _agno_search(store: Any) -> Callable[[int, int], list[int]]:
    def search(query: int, ef: int) -> list[int]:
        store.vector_index.ef_search = ef
        return [int(d.name.split("-")[1]) for d in store.search(f"{QUERY_PREFIX}{query}", limit=TOP_K)]

    return search


def _search_at(ef: int, stores: dict[str, tuple[Callable[[int, int], list[int]], Replay]], queries: np.ndarray,
               truth: np.ndarray, agno: Any) -> Search:
    result = Search(ef)
    for name, (search, replay) in stores.items():
        search(0, ef)  # warm up, and capture the SQL this store sends at this ef_search
        replay.capture(lambda: search(0, ef), queries[0])  # noqa: B023 - called right here
        result.samples[name] = Samples()
        result.samples[f"raw ({name})"] = Samples()
        found, same = [], 0
        for q in range(len(queries)):
            calls = [(name, lambda: search(q, ef)), (f"raw ({name})", lambda: replay.search(queries[q]))]  # noqa: B023
            if q % 2:
                calls.reverse()
            answers = {}
            for label, call in calls:
                start = time.perf_counter()
                answers[label] = call()
                result.samples[label].add(time.perf_counter() - start)
            found.append(answers[name])
            raw_names = [int(_name_of(row).split("-")[1]) for row in answers[f"raw ({name})"]]
            same += sorted(raw_names) == sorted(answers[name])  # a store may re-order rows in Python
        result.recall[name] = float(np.mean([len(set(f) & set(t.tolist())) / TOP_K for f, t in zip(found, truth)]))
        result.same_ids[name] = same / len(queries)
    return result


def _name_of(row: Sequence[Any]) -> str:
    return next(v for v in row if isinstance(v, str) and v.startswith("chunk-"))


def _ours_pg(url: str, table: str, embedder: Any, args: Any, result: VectorResult) -> dict[int, Any] | None:
    """OURS: our PgVectorDb for this knowledge base, one per ef_search value (sharing one engine), or
    None while the vector store does not exist."""
    if importlib.util.find_spec("repositories.vectors") is None:
        result.notes.append("ours: repositories/vectors does not exist yet; not measured")
        return None
    from repositories.vectors import PgVectorDb

    stores: dict[int, Any] = {}
    first = None
    for ef in args.ef_search:
        connection = {"db_url": url} if first is None else {"db_engine": first.sync_engine}
        store = PgVectorDb(table, **connection, db_schema="vec_ours", embedder=embedder, hnsw_m=args.hnsw_m,
                           hnsw_ef_construction=args.hnsw_ef_construction, ef_search=ef)
        if first is None:
            first = store
            store.drop()
            store.create()
        stores[ef] = store
    return stores


# --- report --------------------------------------------------------------------------------------


def render(results: Sequence[VectorResult], *, markdown: bool) -> str:
    from bench.report import (
        MAX_SEARCH_OVER_RAW,
        MIN_INSERT_RATE_OF_COPY,
        MIN_RECALL,
        markdown_table,
        ratio,
        text_table,
        x,
    )

    table = markdown_table if markdown else text_table
    insert_rows, search_rows, notes = [], [], []
    # Each store's rate against its raw baseline: agno's against COPY into agno's table; ours
    # against COPY into a copy of our table, without and with the HNSW build.
    baselines = {"agno": ("raw COPY", "agno"), "ours": ("raw COPY (ours)", "ours"),
                 "ours incl. index": ("raw COPY + index (ours)", "")}
    for r in results:
        for name, (baseline, index_key) in baselines.items():
            if name in r.insert_rate:
                copy_rate = r.insert_rate.get(baseline, r.insert_rate.get("raw COPY", math.nan))
                share = ratio(r.insert_rate[name], copy_rate)
                met = "ok" if share >= MIN_INSERT_RATE_OF_COPY else "MISS"
                if math.isnan(copy_rate):
                    met = "n/a"  # no COPY off PostgreSQL
                index = r.index_seconds.get(index_key)
                insert_rows.append([r.backend, r.kind, str(r.n), name, f"{r.insert_rate[name]:.0f}",
                                    "-" if math.isnan(copy_rate) else f"{copy_rate:.0f}", x(share),
                                    met if name.startswith("ours") else "n/a",
                                    f"{index:.1f}" if index is not None else "-"])
        for s in r.searches:
            for name in ("agno", "ours"):
                if name not in s.samples:
                    continue
                own, raw = s.samples[name], s.samples.get(f"raw ({name})")
                recall = s.recall[name]
                if raw is None:  # the exact path: no raw baseline, recall must be 1
                    search_rows.append([r.backend, r.kind, str(r.n), "exact", name, f"{own.p50 * 1e3:.2f}",
                                        f"{own.p95 * 1e3:.2f}", "-", "-", "-", f"{recall:.3f}", "-",
                                        "ok" if recall >= MIN_RECALL else "MISS"])
                    continue
                over = ratio(own.p50, raw.p50)
                ok = over <= MAX_SEARCH_OVER_RAW and recall >= MIN_RECALL
                search_rows.append([r.backend, r.kind, str(r.n), str(s.ef), name, f"{own.p50 * 1e3:.2f}",
                                    f"{own.p95 * 1e3:.2f}", f"{raw.p50 * 1e3:.2f}", f"{raw.p95 * 1e3:.2f}", x(over),
                                    f"{recall:.3f}", f"{s.same_ids[name]:.2f}",
                                    ("ok" if ok else "MISS") if name == "ours" else "n/a"])
        notes += r.notes
    parts = [
        table(("backend", "data", "chunks", "store", "insert rows/s", "raw rows/s", "rate/raw", "target",
               "HNSW build s"), insert_rows),
        table(("backend", "data", "chunks", "ef_search", "store", "p50 ms", "p95 ms", "raw p50 ms", "raw p95 ms",
               "p50/raw", "recall@10", "same ids as raw", "target"), search_rows),
    ]
    if notes:
        parts.append("\n".join(dict.fromkeys(notes)))
    return "\n\n".join(parts)


def as_json(results: Sequence[VectorResult]) -> list[dict[str, Any]]:
    return [
        {
            "backend": r.backend, "kind": r.kind, "n": r.n, "dim": r.dim, "insert_rows_per_s": r.insert_rate,
            "index_seconds": r.index_seconds,
            "notes": r.notes,
            "searches": [{"ef_search": s.ef, "recall": s.recall, "same_ids": s.same_ids,
                          **{f"{k}_p50_ms": v.p50 * 1e3 for k, v in s.samples.items()},
                          **{f"{k}_p95_ms": v.p95 * 1e3 for k, v in s.samples.items()}} for s in r.searches],
        }
        for r in results
    ]

"""Profile our PgVectorDb's insert and search with pyinstrument (``pip install pyinstrument`` first).

    .venv/bin/python -m bench.profile_vectors [--chunks 5000] [--queries 200] [--out DIR]

Starts the embedded PostgreSQL and writes three text profiles on clustered chunks (the
benchmark's data): a bulk load of ``--chunks`` chunks in one ``insert()`` into an empty base (COPY,
then the base's HNSW index rebuilt), one insert of 1,000 more chunks (maintained in the index row
by row), and the searches at ef_search 40. Also prints how much of each was spent waiting on the
database, and how much of that building the index.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench import vectors as v
from bench.backends import psycopg_params, start_embedded_postgres


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_vectors")
    parser.add_argument("--chunks", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "agno-bench-profiles")
    args = parser.parse_args(argv)

    import psycopg
    import sqlalchemy as sa
    from pyinstrument import Profiler

    from repositories.vectors import PgVectorDb

    cleanup: list = []
    try:
        url = start_embedded_postgres(cleanup)
        with psycopg.connect(**psycopg_params(url), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
        chunks, queries = v.make_data("clustered", args.chunks + 1_000, 384, args.queries)
        store = PgVectorDb("profiled", db_url=url.render_as_string(hide_password=False), db_schema="vec_ours",
                           embedder=v.make_embedder(chunks, queries), hnsw_ef_construction=200, ef_search=40)
        store.create()
        waited = [0.0]
        building = [0.0]
        started: list[float] = []

        def before(conn: object, cursor: object, statement: str, *_: object) -> None:
            started.append(time.perf_counter())

        def after(conn: object, cursor: object, statement: str, *_: object) -> None:
            seconds = time.perf_counter() - started.pop()
            waited[0] += seconds
            if statement.startswith("CREATE INDEX"):
                building[0] += seconds

        sa.event.listen(store.sync_engine, "before_cursor_execute", before)
        sa.event.listen(store.sync_engine, "after_cursor_execute", after)
        args.out.mkdir(parents=True, exist_ok=True)
        for name, work in (
            ("bulk", lambda: store.insert(content_hash="bulk", documents=v.documents(0, args.chunks))),
            ("insert", lambda: store.insert(content_hash="more", documents=v.documents(args.chunks,
                                                                                         args.chunks + 1_000))),
            ("search", lambda: [store.search(f"{v.QUERY_PREFIX}{q}", limit=v.TOP_K) for q in range(args.queries)]),
        ):
            waited[0] = building[0] = 0.0
            profiler = Profiler(interval=0.0005)
            start = time.perf_counter()
            profiler.start()
            work()
            profiler.stop()
            total = time.perf_counter() - start
            path = args.out / f"vectors-{name}.txt"
            path.write_text(profiler.output_text(unicode=False, color=False))
            # COPY runs on psycopg's cursor directly: its time is the rest of the operation's.
            print(f"{name}: {total:.2f} s, of which {waited[0]:.2f} s in statements SQLAlchemy saw "
                  f"({building[0]:.2f} s building the HNSW index); profile in {path}")
        store.sync_engine.dispose()
    finally:
        for step in reversed(cleanup):
            step()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

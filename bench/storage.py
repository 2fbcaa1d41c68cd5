"""Sessions, runs and memories: the data set, the operations, and their measurement.

Every operation is the same sequence of agno-protocol calls on each implementation (our class,
agno's class, the raw driver), with the same input objects. Each repetition uses its own
fixture rows (a fresh session to append to, another session to read), so no implementation is
timed on a row another call of the same operation just touched, and agno's per-session
run-object cache is as cold as ours.
"""

from __future__ import annotations

import gc
import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from agno.db.base import SessionType

from bench.backends import Site
from bench.payloads import Payloads
from bench.timing import Samples, timed

BASE_TIME = 1_700_000_000
FIXTURE_USER = "fixture-user"
BULK_USER = "bulk-user"
IMPORT_USER = "import-user"
IMPLEMENTATIONS = ("ours", "agno", "raw")


@dataclass(frozen=True)
class Sizes:
    sessions: int = 10_000
    users: int = 100
    runs_per_session: int = 5
    memories: int = 50_000
    memory_users: int = 500
    bulk_sessions: int = 200
    bulk_runs: int = 5
    bulk_memories: int = 1_000
    page_size: int = 20
    short_runs: int = 5
    long_runs: int = 50

    @property
    def sessions_per_user(self) -> int:
        return max(1, self.sessions // self.users)

    @property
    def memories_per_user(self) -> int:
        return max(1, self.memories // self.memory_users)

    @property
    def last_page(self) -> int:
        return -(-self.sessions_per_user // self.page_size)


@dataclass
class Op:
    """One benchmarked operation: ``make(slot)`` builds its inputs and returns the call to time."""

    key: str
    label: str
    group: str
    make: Callable[[int], Callable[[Any], Any]]
    heavy: bool = False
    # What differs about this op on some implementation (shown with the result), if anything.
    caveat: Callable[[dict[str, Any]], str] = field(default=lambda dbs: "")


@dataclass
class Result:
    backend: str
    op: Op
    samples: dict[str, Samples] = field(default_factory=dict)
    note: str = ""
    statements: dict[str, int] = field(default_factory=dict)  # per call, counted on the warm-up call


def users(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(count)]


# --- the data set ------------------------------------------------------------------------------


class DataSet:
    """Background rows (the issue's sizes) plus the fixture rows each repetition consumes."""

    def __init__(self, payloads: Payloads, sizes: Sizes, slots: int) -> None:
        self.payloads, self.sizes, self.slots = payloads, sizes, slots

    def _session_with_runs(self, sid: str, user: str, created_at: int, runs: int, template: int) -> tuple[
            dict[str, Any], list[dict[str, Any]]]:
        pay = self.payloads
        row = pay.session_row(pay.agent_session(session_id=sid, user_id=user, created_at=created_at, template=template))
        run_rows = []
        for n in range(runs):
            data = pay.run_dict(run_id=f"{sid}-r{n}", session_id=sid, user_id=user, created_at=created_at + 60 * n,
                                template=template + n)
            run_rows.append({
                "run_id": data["run_id"], "session_id": sid, "run_type": "agent", "agent_id": data["agent_id"],
                "team_id": None, "workflow_id": None, "user_id": user, "parent_run_id": None,
                "status": data["status"], "run_index": n, "run_data": data, "created_at": data["created_at"],
                "updated_at": data["created_at"],
            })
        return row, run_rows

    def sessions(self) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Every session row with its run rows: the users' sessions, then the fixtures."""
        s = self.sizes
        for u, user in enumerate(users("u", s.users)):
            for j in range(s.sessions_per_user):
                yield self._session_with_runs(f"s-{user}-{j:05d}", user, BASE_TIME + 3600 * j + u,
                                              s.runs_per_session, u + j)
        t = BASE_TIME - 86_400
        for k in range(self.slots):
            yield self._session_with_runs(f"upd-{k}", FIXTURE_USER, t + k, 0, k)
            yield self._session_with_runs(f"app{s.short_runs}-{k}", FIXTURE_USER, t + k, s.short_runs, k)
            yield self._session_with_runs(f"app{s.long_runs}-{k}", FIXTURE_USER, t + k, s.long_runs, k)
            yield self._session_with_runs(f"get{s.short_runs}-{k}", FIXTURE_USER, t + k, s.short_runs, k)
            yield self._session_with_runs(f"get{s.long_runs + s.short_runs}-{k}", FIXTURE_USER, t + k,
                                          s.long_runs + s.short_runs, k)
        for j in range(s.bulk_sessions):
            yield self._session_with_runs(f"bulk-{j:04d}", BULK_USER, t + j, 0, j)

    def memories(self) -> Iterator[dict[str, Any]]:
        s = self.sizes
        for u, user in enumerate(users("m", s.memory_users)):
            for j in range(s.memories_per_user):
                memory = self.payloads.memory(memory_id=f"m-{user}-{j:04d}", user_id=user,
                                              created_at=BASE_TIME + 600 * j + u, template=u + j)
                yield self.payloads.memory_row(memory)


def load(site: Site, data: DataSet, log: Callable[[str], None]) -> None:
    """Write the data set into the raw tables, copy it into ours and agno's, then ANALYZE.

    The rows are written by the raw driver with explicit columns, and copied inside the server
    over the columns each table set really has, so the loader keeps working while our models
    gain columns (a column it does not know takes its server default).
    """
    raw = site.raw
    from_analytics = {"model_id", "created_date"} <= set(site.columns("raw", "agno_runs"))
    raw.analytics = from_analytics and "run_count" in site.columns("raw", "agno_sessions")
    start = time.perf_counter()
    sessions: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    counts = {"sessions": 0, "runs": 0, "memories": 0}

    def flush() -> None:
        raw.insert_rows("sessions", sessions)
        raw.insert_rows("runs", runs)
        sessions.clear()
        runs.clear()

    for row, run_rows in data.sessions():
        sessions.append(row)
        runs.extend(run_rows)
        counts["sessions"] += 1
        counts["runs"] += len(run_rows)
        if len(runs) >= 1000 or len(sessions) >= 1000:
            flush()
    flush()
    memories: list[dict[str, Any]] = []
    for row in data.memories():
        memories.append(row)
        counts["memories"] += 1
        if len(memories) >= 2000:
            raw.insert_rows("memories", memories)
            memories.clear()
    raw.insert_rows("memories", memories)
    log(f"   loaded {counts['sessions']} sessions, {counts['runs']} runs, {counts['memories']} memories in "
        f"{time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    for table in ("agno_sessions", "agno_runs", "agno_memories"):
        source = site.columns("raw", table)
        for target in ("ours", "agno"):
            wanted = set(site.columns(target, table))
            site.copy(site.qualified("raw", table), site.qualified(target, table), [c for c in source if c in wanted])
    site.analyze()
    log(f"   copied into ours and agno's tables and analyzed in {time.perf_counter() - start:.1f} s")


# --- operations --------------------------------------------------------------------------------


def session_ops(pay: Payloads, s: Sizes) -> list[Op]:
    now = int(time.time())
    list_users = users("u", s.users)
    fixture_time = BASE_TIME - 86_400

    def run(run_id: str, sid: str, user: str, n: int) -> Any:
        return pay.run_output(run_id=run_id, session_id=sid, user_id=user, created_at=now + n, template=n)

    def save_new(slot: int) -> Callable[[Any], Any]:
        sid = f"new-{slot}"
        runs = [run(f"{sid}-r{i}", sid, FIXTURE_USER, i) for i in range(s.short_runs)]
        session = pay.agent_session(session_id=sid, user_id=FIXTURE_USER, created_at=now, template=slot, runs=runs)

        def call(db: Any) -> Any:
            stored = db.upsert_session(session)
            for i, r in enumerate(runs):
                db.upsert_run(r, session_id=sid, user_id=FIXTURE_USER, run_index=i)
            return stored.session_id

        return call

    def update(slot: int) -> Callable[[Any], Any]:
        session = pay.agent_session(session_id=f"upd-{slot}", user_id=FIXTURE_USER, created_at=fixture_time + slot,
                                    template=slot, revision=slot + 1)
        return lambda db: db.upsert_session(session).session_id

    def bulk_upsert(slot: int) -> Callable[[Any], Any]:
        batch = [pay.agent_session(session_id=f"bulk-{j:04d}", user_id=BULK_USER, created_at=fixture_time + j,
                                   template=j, revision=slot + 1) for j in range(s.bulk_sessions)]
        return lambda db: len(db.upsert_sessions(batch))

    def bulk_import(slot: int) -> Callable[[Any], Any]:
        batch, runs = [], []
        for j in range(s.bulk_sessions):
            sid = f"imp-{slot}-{j:04d}"
            batch.append(pay.agent_session(session_id=sid, user_id=IMPORT_USER, created_at=now - j, template=j))
            runs.extend((sid, i, run(f"{sid}-r{i}", sid, IMPORT_USER, j + i)) for i in range(s.bulk_runs))

        def call(db: Any) -> Any:
            stored = db.upsert_sessions(batch, preserve_updated_at=True)
            for sid, i, r in runs:
                db.upsert_run(r, session_id=sid, user_id=IMPORT_USER, run_index=i)
            return len(stored)

        return call

    def append(existing: int) -> Callable[[int], Callable[[Any], Any]]:
        def make(slot: int) -> Callable[[Any], Any]:
            sid = f"app{existing}-{slot}"
            new = run(f"{sid}-new", sid, FIXTURE_USER, existing)
            return lambda db: db.upsert_run(new, session_id=sid, user_id=FIXTURE_USER, run_index=existing)

        return make

    def get(runs: int) -> Callable[[int], Callable[[Any], Any]]:
        def make(slot: int) -> Callable[[Any], Any]:
            sid = f"get{runs}-{slot}"

            def call(db: Any) -> Any:
                session = db.get_session(sid, SessionType.AGENT, user_id=FIXTURE_USER)
                return session.session_id, [r.run_id for r in session.runs]

            return call

        return make

    def page(number: int, include_runs: bool) -> Callable[[int], Callable[[Any], Any]]:
        def make(slot: int) -> Callable[[Any], Any]:
            user = list_users[slot % len(list_users)]

            def call(db: Any) -> Any:
                extra = {"include_runs": include_runs} if _takes(db.get_sessions, "include_runs") else {}
                rows, total = db.get_sessions(session_type=SessionType.AGENT, user_id=user, limit=s.page_size,
                                              page=number, sort_by="created_at", sort_order="desc",
                                              deserialize=False, **extra)
                return total, [(r["session_id"], len(r["runs"] or []) if include_runs else None) for r in rows]

            return call

        return make

    ops = [
        Op("save_session", f"save new session + {s.short_runs} runs", "sessions", save_new),
        Op("update_session", "update a session row", "sessions", update),
        Op("bulk_upsert", f"bulk upsert {s.bulk_sessions} sessions", "sessions", bulk_upsert),
        Op("bulk_import", f"bulk import {s.bulk_sessions} sessions x {s.bulk_runs} runs", "sessions", bulk_import,
           heavy=True),
        Op("append_short", f"append run to session of {s.short_runs}", "sessions", append(s.short_runs)),
        Op("append_long", f"append run to session of {s.long_runs}", "sessions", append(s.long_runs)),
        Op("get_short", f"get session ({s.short_runs} runs)", "sessions", get(s.short_runs)),
        Op("get_long", f"get session ({s.long_runs + s.short_runs} runs)", "sessions", get(s.long_runs + s.short_runs)),
    ]
    for include_runs in (False, True):
        suffix = "with runs" if include_runs else "no runs"
        key = "runs" if include_runs else "rows"
        for name, number in (("first", 1), ("last", s.last_page), ("past", s.last_page + 1)):
            what = {"first": "page 1", "last": f"last page ({number})", "past": "past the end"}[name]
            ops.append(Op(f"list_{name}_{key}", f"list by user, {what}, {suffix}", "sessions",
                          page(number, include_runs), caveat=(lambda dbs: "") if include_runs else _no_include_runs))
    return ops


def _takes(method: Any, parameter: str) -> bool:
    return parameter in inspect.signature(method).parameters


def _no_include_runs(dbs: dict[str, Any]) -> str:
    lacking = [name for name, db in dbs.items() if not _takes(db.get_sessions, "include_runs")]
    return f"{', '.join(lacking)}: get_sessions has no include_runs here, so it reads the runs too" if lacking else ""


def memory_ops(pay: Payloads, s: Sizes) -> list[Op]:
    now = int(time.time())
    list_users = users("m", s.memory_users)

    def upsert_one(slot: int) -> Callable[[Any], Any]:
        memory = pay.memory(memory_id=f"mem-new-{slot}", user_id=list_users[0], created_at=now, template=slot)
        return lambda db: db.upsert_user_memory(memory).memory_id

    def bulk(slot: int) -> Callable[[Any], Any]:
        batch = [pay.memory(memory_id=f"mem-bulk-{slot}-{j:05d}", user_id=list_users[j % len(list_users)],
                            created_at=now, template=j) for j in range(s.bulk_memories)]
        return lambda db: len(db.upsert_memories(batch))

    def listing(slot: int) -> Callable[[Any], Any]:
        user = list_users[(slot + 1) % len(list_users)]
        # Sorted: rows with equal updated_at come back in any order from agno's class.
        return lambda db: sorted(m.memory_id for m in db.get_user_memories(user_id=user, sort_by="updated_at",
                                                                             sort_order="desc"))

    return [
        Op("memory_upsert", "upsert one memory", "memories", upsert_one),
        Op("memory_bulk", f"bulk upsert {s.bulk_memories} memories", "memories", bulk, heavy=True),
        Op("memory_list", f"list a user's memories (~{s.memories_per_user})", "memories", listing),
    ]


# --- measuring ---------------------------------------------------------------------------------


def measure(site: Site, ops: list[Op], *, repeat: int, heavy_repeat: int, log: Callable[[str], None],
            implementations: tuple[str, ...] = IMPLEMENTATIONS) -> list[Result]:
    """Time every op on every implementation, interleaved and in rotating order, after one warm-up."""
    dbs = {name: db for name, db in site.implementations().items() if name in implementations}
    results = []
    for op in ops:
        n = heavy_repeat if op.heavy else repeat
        result = Result(site.backend, op, {name: Samples() for name in dbs}, note=op.caveat(dbs))
        warm = op.make(0)
        answers = {}
        for name, db in dbs.items():
            with count_statements(db) as counted:
                answers[name] = repr(warm(db))
            result.statements[name] = counted()
        notes = [result.note]
        if "ours" in result.statements and "raw" in result.statements and (
                result.statements["ours"] != result.statements["raw"]):
            notes.append(f"ours sent {result.statements['ours']} statements and raw {result.statements['raw']}: "
                         "bench/raw.py no longer sends what ours sends")
            log(f"   WARNING {op.key}: {notes[-1]}")
        if "raw" in answers and "ours" in answers and answers["raw"] != answers["ours"]:
            # The raw baseline must do what ours does; a difference is a bug in one of them.
            notes.append(f"ours and raw differ: ours={answers['ours'][:80]} raw={answers['raw'][:80]}")
            log(f"   WARNING {op.key}: {notes[-1]}")
        if "agno" in answers and "ours" in answers and answers["agno"] != answers["ours"]:
            notes.append(f"agno answers differently: agno={answers['agno'][:80]} ours={answers['ours'][:80]}")
        result.note = "; ".join(n for n in notes if n)
        names = list(dbs)
        # Everything alive now is set-up: freeze it, so the collection before each call (which
        # keeps a collection of an earlier call's garbage out of the timing) scans little.
        gc.collect()
        gc.freeze()
        try:
            for rep in range(1, n + 1):
                call = op.make(rep)
                order = names[rep % len(names):] + names[: rep % len(names)]
                for name in order:
                    gc.collect()
                    result.samples[name].add(timed(lambda: call(dbs[name])))  # noqa: B023 - called at once
        finally:
            gc.unfreeze()
        results.append(result)
        cells = "  ".join(f"{name} {result.samples[name].p50 * 1e3:8.2f} ms" for name in names)
        log(f"   {op.label:<48} {cells}")
    return results


_TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def count_statements(db: Any) -> Iterator[Callable[[], int]]:
    """Count the statements ``db`` sends inside the block (transaction control not counted)."""
    if hasattr(db, "statements"):  # the raw driver counts its own
        before = db.statements
        yield lambda: db.statements - before
        return
    import sqlalchemy as sa

    count = 0

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        nonlocal count
        if not statement.lstrip().upper().startswith(_TRANSACTION):
            count += 1

    engine = db.db_engine
    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        yield lambda: count
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)


def profile_ours(site: Site, ops: list[Op], *, keys: set[str], first_slot: int, calls: int,
                 out: Callable[[str, str], None]) -> None:
    """Run ``calls`` more calls of each chosen op on our class under pyinstrument; ``out(name, text)``."""
    from pyinstrument import Profiler

    for op in ops:
        if "all" not in keys and op.key not in keys:
            continue
        prepared = [op.make(first_slot + i) for i in range(calls)]
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for call in prepared:
            call(site.ours)
        profiler.stop()
        out(f"{site.backend}-{op.key}", profiler.output_text(unicode=False, color=False, show_all=False))

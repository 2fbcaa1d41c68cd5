"""agno's sandbox coordination (``agno.sandbox.postgres``, ``agno.sandbox.coordinator``) on our
PostgresDb and AsyncPostgresDb, side by side with agno's own classes on the same scenario.

agno's store reads and writes our sessions, runs and sandbox bindings tables itself, through
``_get_table``: a whole turn (claim, bind a computer, stage the result and the checkpoint,
confirm the shutdown, commit), a run the turn holds that cannot be deleted, the next turn, and a
session delete that tells the coordinator which computer and checkpoints it leaves behind.
PostgreSQL 15 without pgvector: nothing here needs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.base import SessionType
from agno.db.postgres import AsyncPostgresDb as AgnoAsyncPostgresDb
from agno.db.postgres import PostgresDb as AgnoPostgresDb
from agno.db.postgres.schemas import default_sandbox_table_name
from agno.sandbox import _harness
from agno.sandbox.base import ExecResult, Sandbox, SandboxError, SandboxHandle
from agno.sandbox.checkpoint import FileCheckpointStore
from agno.sandbox.coordinator import SandboxCoordinator
from agno.sandbox.postgres import SandboxRunFinished, SandboxSessionBusy, _SandboxStore
from sqlalchemy.engine import URL

from repositories import AsyncPostgresDb, PostgresDb

KINDS = ["ours", "ours-async", "agno", "agno-async"]


def make(kind: str, url: URL, **tables: Any) -> Any:
    # agno's classes in a schema of their own: both table sets fit in one database.
    schema = "agno_ref" if kind.startswith("agno") else "ai"
    cls = {"ours": PostgresDb, "ours-async": AsyncPostgresDb, "agno": AgnoPostgresDb,
           "agno-async": AgnoAsyncPostgresDb}[kind]
    rendered = url.render_as_string(hide_password=False)
    return cls(db_url=rendered, db_schema=schema, **tables)


async def close(db: Any) -> None:
    if isinstance(db.db_engine, sa.Engine):
        db.db_engine.dispose()
    else:
        await db.db_engine.dispose()


class RecordingSandbox(Sandbox):
    """A provider that only remembers what it was asked to destroy: the store never execs."""

    def __init__(self) -> None:
        self.destroyed: list[str] = []

    async def acreate(self, session_id: str, **_: Any) -> SandboxHandle:
        raise NotImplementedError

    async def aget(self, provider_ref: str) -> SandboxHandle | None:
        return None

    async def aexec(self, handle: SandboxHandle, argv: Any, **_: Any) -> ExecResult:
        raise NotImplementedError

    async def astop(self, handle: SandboxHandle) -> None:
        return None

    async def adestroy(self, handle: SandboxHandle) -> None:
        self.destroyed.append(handle.provider_ref)


class Transfer:
    def __init__(self, store: FileCheckpointStore) -> None:
        self.store = store


def prepared(run_id: str, status: str = "RUNNING") -> dict[str, Any]:
    return {"run_id": run_id, "session_id": "s1", "agent_id": "a1", "user_id": "u1", "queue_attempt": None,
            "status": status, "input": {"input_content": f"say {run_id}"}, "created_at": 1000}


def staged(run_id: str) -> dict[str, Any]:
    return {"run": {"run_id": run_id, "session_id": "s1", "agent_id": "a1", "user_id": "u1", "status": "COMPLETED",
                    "content": f"echo {run_id}", "messages": [{"role": "user", "content": f"say {run_id}"}]},
            "session": {"session_id": "s1", "user_id": "u1", "session_data": {"claude_session_id": "native-1"}}}


async def call(db: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    result = getattr(db, name)(*args, **kwargs)
    return await result if asyncio.iscoroutine(result) else result


async def turn(store: _SandboxStore, run_id: str, checkpoints: FileCheckpointStore, tmp: Any, *,
               keep_warm: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """One sandbox turn through the store: what the coordinator does around the provider calls."""
    state = await store.aclaim(agent_id="a1", session_id="s1", user_id="u1", run_id=run_id, owner="coordinator-1",
                               prepared_run=prepared(run_id))
    lease, claimed = state.lease, state.record
    computer = SandboxHandle(f"computer-{run_id}", "c", "a1", "s1", claimed["generation"], "running", "digest")
    await store.aset_computer(lease, computer)
    await store.astage_result(lease, staged(run_id))
    (tmp / run_id).write_text(f"workspace after {run_id}")
    reference = await checkpoints.aput(tmp / run_id)
    await store.astage_checkpoint(lease, reference)
    if not keep_warm:
        await store.aconfirm_stopped(lease, computer.provider_ref)
    run = await store.acommit(lease, keep_computer_until=9e9 if keep_warm else None)
    return {"epoch": lease.epoch, "phase": claimed["phase"]}, run


async def scenario(db: Any, tmp: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    checkpoints = FileCheckpointStore(tmp / "checkpoints")
    provider = RecordingSandbox()
    coordinator = SandboxCoordinator(db, provider, Transfer(checkpoints))  # type: ignore[arg-type]
    coordinator.agent_ids.add("a1")
    store = coordinator.store

    # First turn, and a run the turn holds: deleting it alone is refused, as agno's class refuses it.
    first = await store.aclaim(agent_id="a1", session_id="s1", user_id="u1", run_id="r1", owner="coordinator-1",
                               prepared_run=prepared("r1"))
    seen["first claim"] = (first.lease.epoch, first.record["phase"])
    seen["delete held run"] = await call(db, "delete_run", "r1")
    seen["delete held runs"] = await call(db, "delete_runs", ["r1"])
    try:
        await store.aclaim(agent_id="a1", session_id="s1", user_id="u1", run_id="other", owner="coordinator-2",
                           prepared_run=prepared("other"))
    except SandboxSessionBusy as busy:
        seen["second owner"] = ("busy", busy.run_id)
    computer = SandboxHandle("computer-r1", "c", "a1", "s1", first.record["generation"], "running", "digest")
    await store.aset_computer(first.lease, computer)
    await store.astage_result(first.lease, staged("r1"))
    (tmp / "r1").write_text("workspace after r1")
    checkpoint = await checkpoints.aput(tmp / "r1")
    await store.astage_checkpoint(first.lease, checkpoint)
    await store.aconfirm_stopped(first.lease, "computer-r1")
    run = await store.acommit(first.lease)
    seen["commit"] = (run["status"], run["content"], run["metadata"]["sandbox"]["checkpoint"] == vars(checkpoint))
    try:
        await store.aclaim(agent_id="a1", session_id="s1", user_id="u1", run_id="r1", owner="coordinator-1")
    except SandboxRunFinished as finished:
        seen["reclaim finished"] = finished.run["status"]

    # What agno's readers see: our get_session, our run listing, the session's sandbox state.
    session = await call(db, "get_session", "s1", SessionType.AGENT, user_id="u1")
    seen["session runs"] = [(r.run_id, str(r.status), r.content) for r in session.runs]
    seen["session sandbox"] = (session.session_data["sandbox"]["run_id"], session.session_data["sandbox"]["native"])

    # The next turn on the same session keeps its computer warm; then the session is deleted.
    claimed, second = await turn(store, "r2", checkpoints, tmp, keep_warm=True)
    seen["second turn"] = (claimed["epoch"], claimed["phase"], second["status"])
    seen["warm computers"] = await store.aexpired_warm(9e9 + 1)
    seen["delete run after turn"] = await call(db, "delete_run", "r1")
    db.sandbox_coordinators = [coordinator]  # what agno's harness does when it builds one
    seen["delete session"] = await call(db, "delete_session", "s1", user_id="u1")
    seen["destroyed"] = provider.destroyed
    seen["checkpoints left"] = sorted(p.name for p in (tmp / "checkpoints").rglob("*") if p.is_file())
    table = db.sandbox_table_name
    engine = db.db_engine
    query = sa.text(f'SELECT count(*) FROM "{db.db_schema}"."{table}"')
    if isinstance(engine, sa.Engine):
        with engine.connect() as conn:
            seen["bindings left"] = conn.execute(query).scalar_one()
    else:
        async with engine.connect() as conn:
            seen["bindings left"] = (await conn.execute(query)).scalar_one()
    return seen


@pytest.fixture
def url(postgres_without_pgvector_url: URL) -> Iterator[URL]:
    yield postgres_without_pgvector_url


def observe(kind: str, url: URL, tmp: Any) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        db = make(kind, url)
        try:
            return await scenario(db, tmp)
        finally:
            await close(db)

    tmp.mkdir()
    return asyncio.run(go())


@pytest.mark.parametrize("ours", ["ours", "ours-async"])
def test_a_sandbox_session_on_our_db_matches_agnos_own(ours: str, url: URL, tmp_path: Any) -> None:
    mine = observe(ours, url, tmp_path / "ours")
    theirs = observe(ours.replace("ours", "agno"), url, tmp_path / "agno")
    assert mine == theirs
    # The story itself, so a scenario that stopped doing anything would fail too.
    assert mine["delete held run"] is False and mine["second owner"] == ("busy", "r1")
    assert mine["session runs"] == [("r1", "RunStatus.completed", "echo r1")]
    assert mine["second turn"][1:] == ("executing", "COMPLETED")
    assert mine["warm computers"] == [("s1", "a1", "u1")]
    assert mine["delete run after turn"] is True and mine["delete session"] is True
    assert mine["destroyed"] == ["computer-r2"] and mine["checkpoints left"] == [] and mine["bindings left"] == 0


def test_the_gates_admit_our_postgres_classes_and_nothing_of_agnos_is_inherited() -> None:
    assert issubclass(PostgresDb, AgnoPostgresDb) and issubclass(AsyncPostgresDb, AgnoAsyncPostgresDb)
    for ours in (PostgresDb, AsyncPostgresDb):
        assert not any(c.__module__.startswith("agno.db.postgres") for c in ours.__mro__)


def test_the_harness_checks_and_validates_the_tables_on_our_db(url: URL) -> None:
    class Agent:
        def __init__(self, db: Any) -> None:
            self.db = db

    db = make("ours", url)
    try:
        _harness._check_db(Agent(db))  # type: ignore[arg-type]
        asyncio.run(_SandboxStore(db)._ensure_tables())
    finally:
        db.db_engine.dispose()


@pytest.mark.parametrize("session_table", ["team_sessions", "s" * 50])  # the second needs agno's digest
def test_the_bindings_follow_a_renamed_session_table_as_in_agno(session_table: str, url: URL) -> None:
    db = make("ours", url, session_table=session_table, runs_table="team_runs")
    try:
        assert db.sandbox_table_name == default_sandbox_table_name(session_table)
        agnos = AgnoPostgresDb(db_url="postgresql+psycopg://x@h/d", session_table=session_table, runs_table="team_runs")
        assert db.sandbox_table_name == agnos.sandbox_table_name
        store = _SandboxStore(db)
        asyncio.run(store._ensure_tables())  # agno's own shape checks: keys, foreign keys, cascades
        assert store.bindings.name == db.sandbox_table_name
        explicit = make("ours", url, session_table=session_table, runs_table="team_runs", sandbox_table="my_bindings")
        assert explicit.sandbox_table_name == "my_bindings"
        assert explicit._get_table("sandbox_bindings", create_table_if_not_found=True).name == "my_bindings"
        explicit.db_engine.dispose()
    finally:
        db.db_engine.dispose()


def checkpoint_story(db: Any, tmp: Any) -> list[Any]:
    from agno.sandbox.postgres_checkpoints import PostgresCheckpointStore

    store = PostgresCheckpointStore(db)
    tmp.mkdir()
    (tmp / "archive").write_bytes(b"workspace bytes " * 100)
    reference = store.put(tmp / "archive")
    store.verify(reference)
    with store.open_archive(reference) as path:
        back = path.read_bytes()
    store.delete(reference)
    try:
        store.verify(reference)
        gone = False
    except SandboxError:
        gone = True
    return [reference.size, back == (tmp / "archive").read_bytes(), gone]


def test_checkpoints_stored_in_our_db_as_in_agnos(url: URL, tmp_path: Any) -> None:
    ours, agnos = make("ours", url), make("agno", url)
    try:
        mine, theirs = checkpoint_story(ours, tmp_path / "ours"), checkpoint_story(agnos, tmp_path / "agno")
    finally:
        ours.db_engine.dispose()
        agnos.db_engine.dispose()
    assert mine == theirs == [1600, True, True]

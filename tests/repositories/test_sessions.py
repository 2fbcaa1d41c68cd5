"""Sessions and runs on every backend: agno's storage contract, ownership, ordering, concurrency."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from agno.db.base import SessionType
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from agno.run.agent import RunOutput
from agno.run.base import RunStatus
from agno.run.team import TeamRunOutput
from agno.session import AgentSession, TeamSession, WorkflowSession

from repositories import OwnershipError
from repositories.core.db import SqlDb


def agent_session(session_id: str, user_id: str | None = "u1", *, agent_id: str = "a1", created_at: int | None = None,
                  name: str | None = None) -> AgentSession:
    data: dict[str, Any] = {"session_state": {"n": 1}}
    if name is not None:
        data["session_name"] = name
    return AgentSession(session_id=session_id, agent_id=agent_id, user_id=user_id, session_data=data,
                        created_at=created_at, metadata={"m": "é"})


def run(run_id: str, session_id: str, content: str = "x", **kwargs: Any) -> RunOutput:
    return RunOutput(run_id=run_id, session_id=session_id, agent_id="a1", content=content, **kwargs)


# --- sessions ---------------------------------------------------------------------------------


def test_session_round_trip_keeps_every_field(db: SqlDb) -> None:
    session = agent_session("s1", created_at=1_700_000_000)
    session.summary = None
    stored = db.upsert_session(session)
    assert isinstance(stored, AgentSession)
    got = db.get_session("s1", SessionType.AGENT)
    assert isinstance(got, AgentSession)
    assert (got.session_id, got.agent_id, got.user_id) == ("s1", "a1", "u1")
    assert got.session_data == {"session_state": {"n": 1}}
    assert got.metadata == {"m": "é"}
    assert got.created_at == 1_700_000_000
    assert got.runs == []


def test_team_and_workflow_sessions_keep_their_kind(db: SqlDb) -> None:
    db.upsert_session(TeamSession(session_id="t", team_id="team-1", user_id="u1", team_data={"k": 1}))
    db.upsert_session(WorkflowSession(session_id="w", workflow_id="wf-1", user_id="u1", workflow_data={"k": 2}))
    team = db.get_session("t", SessionType.TEAM)
    workflow = db.get_session("w", SessionType.WORKFLOW)
    assert isinstance(team, TeamSession) and team.team_id == "team-1" and team.team_data == {"k": 1}
    assert isinstance(workflow, WorkflowSession) and workflow.workflow_data == {"k": 2}
    raw = db.get_session("t", None, deserialize=False)
    assert raw["session_type"] == "team" and raw["agent_id"] is None


def test_upsert_updates_but_never_changes_type_or_creation_time(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1", created_at=100))
    changed = agent_session("s1", created_at=999)
    changed.session_data = {"session_state": {"n": 2}}
    db.upsert_session(changed)
    raw = db.get_session("s1", None, deserialize=False)
    assert raw["session_data"] == {"session_state": {"n": 2}}
    assert raw["created_at"] == 100
    assert raw["updated_at"] >= int(time.time()) - 5


def test_a_session_of_one_user_is_never_read_or_overwritten_by_another(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1", user_id="alice"))
    assert db.get_session("s1", user_id="bob") is None
    intruder = agent_session("s1", user_id="bob")
    intruder.session_data = {"stolen": True}
    with pytest.raises(OwnershipError, match="session 's1' belongs to another user"):
        db.upsert_session(intruder)
    with pytest.raises(OwnershipError, match=r"sessions \['s1'\] belong to another user"):
        db.upsert_sessions([agent_session("s9", user_id="bob"), intruder])
    assert db.get_session("s9") is None  # the batch is refused whole
    assert db.rename_session("s1", None, "hacked", user_id="bob") is None
    assert db.delete_session("s1", user_id="bob") is False
    db.delete_sessions(["s1"], user_id="bob")
    kept = db.get_session("s1", user_id="alice", deserialize=False)
    assert kept["session_data"] == {"session_state": {"n": 1}}
    assert kept["user_id"] == "alice"


def test_an_unowned_session_is_claimed_by_its_first_user(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1", user_id=None))
    assert db.upsert_session(agent_session("s1", user_id="alice")) is not None
    assert db.get_session("s1", user_id="alice") is not None


def test_get_sessions_filters(db: SqlDb) -> None:
    db.upsert_session(agent_session("a", user_id="u1", agent_id="agent-x", created_at=100, name="Trip to Zürich"))
    db.upsert_session(agent_session("b", user_id="u2", agent_id="agent-y", created_at=200, name="groceries"))
    db.upsert_session(TeamSession(session_id="c", team_id="agent-x", user_id="u1", created_at=300))

    def ids(**filters: Any) -> list[str]:
        rows, total = db.get_sessions(deserialize=False, sort_by="created_at", sort_order="asc", **filters)
        assert total == len(rows)
        return [r["session_id"] for r in rows]

    assert ids() == ["a", "b", "c"]
    assert ids(user_id="u1") == ["a", "c"]
    assert ids(session_type=SessionType.AGENT) == ["a", "b"]
    assert ids(component_id="agent-x") == ["a", "c"]
    assert ids(component_id="agent-x", session_type=SessionType.TEAM) == ["c"]
    assert ids(start_timestamp=150, end_timestamp=300) == ["b", "c"]
    assert ids(session_name="zürich") == ["a"]
    assert ids(session_name="nothing") == []


def test_get_sessions_pagination_is_stable_and_counts_everything(db: SqlDb) -> None:
    for i in range(7):
        db.upsert_session(agent_session(f"s{i}", created_at=1000 + i // 2))  # ties on purpose
    pages = [db.get_sessions(deserialize=False, sort_by="created_at", limit=3, page=p) for p in (1, 2, 3, 4)]
    seen = [r["session_id"] for rows, _ in pages for r in rows]
    assert sorted(seen) == [f"s{i}" for i in range(7)]  # no row twice, none missing
    assert [len(rows) for rows, _ in pages] == [3, 3, 1, 0]
    assert {total for _, total in pages} == {7}
    newest_first = [r["created_at"] for r in pages[0][0]]
    assert newest_first == sorted(newest_first, reverse=True)


def test_get_sessions_bad_arguments_are_refused(db: SqlDb) -> None:
    with pytest.raises(ValueError, match="page"):
        db.get_sessions(page=2)
    with pytest.raises(ValueError, match="cannot sort agno_sessions by 'nope'"):
        db.get_sessions(sort_by="nope")


def test_get_sessions_attaches_runs_or_not(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    db.upsert_run(run("r1", "s1"), session_id="s1", user_id="u1", run_index=0)
    (with_runs,) = db.get_sessions()
    assert [r.run_id for r in with_runs.runs] == ["r1"]
    rows, _ = db.get_sessions(deserialize=False, include_runs=False)
    assert rows[0]["runs"] is None


def test_rename_session(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    renamed = db.rename_session("s1", SessionType.AGENT, "Nouveau nom")
    assert renamed.session_data == {"session_state": {"n": 1}, "session_name": "Nouveau nom"}
    assert db.rename_session("missing", None, "x") is None
    assert db.rename_session("s1", SessionType.TEAM, "x") is None


def test_upsert_sessions_in_bulk_with_mixed_kinds(db: SqlDb) -> None:
    sessions = [agent_session("a1"), TeamSession(session_id="t1", team_id="t", user_id="u1"), agent_session("a2")]
    stored = db.upsert_sessions(sessions, deserialize=False)
    assert sorted(s["session_id"] for s in stored) == ["a1", "a2", "t1"]
    old = agent_session("a1")
    old.updated_at = 42
    db.upsert_sessions([old], preserve_updated_at=True)
    assert db.get_session("a1", None, deserialize=False)["updated_at"] == 42
    with pytest.raises(ValueError, match="more than once"):
        db.upsert_sessions([agent_session("d"), agent_session("d")])


def test_delete_session_deletes_its_runs(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    db.upsert_session(agent_session("s2"))
    db.upsert_run(run("r1", "s1"), session_id="s1", user_id="u1")
    db.upsert_run(run("r2", "s2"), session_id="s2", user_id="u1")
    assert db.delete_session("s1") is True
    assert db.delete_session("s1") is False
    assert db.get_run("r1") is None
    assert db.get_run("r2") is not None
    db.delete_sessions(["s2"])
    assert db.get_runs(deserialize=False) == ([], 0)


def test_insert_session_if_absent(db: SqlDb) -> None:
    assert db.insert_session_if_absent(agent_session("s1")) is True
    assert db.insert_session_if_absent(agent_session("s1", user_id="other")) is False
    assert db.get_session("s1", None, deserialize=False)["user_id"] == "u1"


def test_reassign_session_owner_only_when_idle(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1", user_id="alice"))
    db.upsert_run(run("r1", "s1", status=RunStatus.running), session_id="s1", user_id="alice")
    assert db.reassign_session_owner("s1", previous_user_id="alice", user_id="bob") is False
    db.upsert_run(run("r1", "s1", status=RunStatus.completed), session_id="s1", user_id="alice")
    assert db.reassign_session_owner("s1", previous_user_id="mallory", user_id="bob") is False
    assert db.reassign_session_owner("s1", previous_user_id="alice", user_id="bob") is True
    assert db.get_session("s1", user_id="bob") is not None


# --- runs -------------------------------------------------------------------------------------


def test_runs_come_back_in_run_index_order_and_honour_runs_limit(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    for i in (2, 0, 1):
        db.upsert_run(run(f"r{i}", "s1", content=f"c{i}"), session_id="s1", user_id="u1", run_index=i)
    db.upsert_run(run("member", "s1", parent_run_id="r2"), session_id="s1", user_id="u1", run_index=3)
    db.upsert_run(run("failed", "s1", status=RunStatus.error), session_id="s1", user_id="u1", run_index=4)
    full = db.get_session("s1")
    assert [r.run_id for r in full.runs] == ["r0", "r1", "r2", "member", "failed"]
    last_two = db.get_session("s1", runs_limit=2)
    # Member sub-runs and skipped statuses do not count toward history, exactly as in agno.
    assert [r.run_id for r in last_two.runs] == ["r1", "r2"]
    assert db.get_session("s1", runs_limit=0).runs == []


def test_upsert_run_updates_in_place_and_keeps_its_index(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    db.upsert_run(run("r1", "s1", status=RunStatus.running), session_id="s1", user_id="u1", run_index=0)
    db.upsert_run(run("r1", "s1", content="final", status=RunStatus.completed), session_id="s1", user_id="u1")
    rows, total = db.get_runs(session_id="s1", deserialize=False)
    assert total == 1
    assert (rows[0]["run_index"], rows[0]["status"], rows[0]["run_data"]["content"]) == (0, "COMPLETED", "final")


def test_a_stale_run_index_moves_to_the_end_instead_of_losing_the_run(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    db.upsert_run(run("r1", "s1"), session_id="s1", user_id="u1", run_index=0)
    db.upsert_run(run("r2", "s1"), session_id="s1", user_id="u1", run_index=0)  # computed from a stale session
    db.upsert_run(run("r3", "s1"), session_id="s1", user_id="u1")  # no index at all
    rows, _ = db.get_runs(session_id="s1", deserialize=False)
    assert [(r["run_id"], r["run_index"]) for r in rows] == [("r1", 0), ("r2", 1), ("r3", 2)]


def test_runs_respect_ownership(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1", user_id="alice"))
    db.upsert_session(agent_session("s2", user_id="alice"))
    db.upsert_run(run("r1", "s1"), session_id="s1", user_id="alice")
    with pytest.raises(OwnershipError, match="belongs to another user"):
        db.upsert_run(run("r2", "s1"), session_id="s1", user_id="bob")
    with pytest.raises(OwnershipError, match="belongs to session 's1'"):
        db.upsert_run(run("r1", "s2"), session_id="s2", user_id="alice")
    with pytest.raises(LookupError, match="does not exist"):
        db.upsert_run(run("r9", "nope"), session_id="nope", user_id="alice")
    assert db.get_runs(deserialize=False)[1] == 1


def test_get_runs_filters_sorting_and_deserialization(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    db.upsert_session(TeamSession(session_id="t1", team_id="team", user_id="u2"))
    db.upsert_run(run("r1", "s1", status=RunStatus.completed), session_id="s1", user_id="u1")
    db.upsert_run(run("r2", "s1", status=RunStatus.error), session_id="s1", user_id="u1")
    db.upsert_run(TeamRunOutput(run_id="t-r1", session_id="t1", team_id="team"), session_id="t1", user_id="u2")
    assert [r.run_id for r in db.get_runs(session_id="s1")] == ["r1", "r2"]
    assert isinstance(db.get_run("t-r1"), TeamRunOutput)
    assert db.get_run("t-r1", deserialize=False)["run_type"] == "team"
    assert [r.run_id for r in db.get_runs(status=RunStatus.error)] == ["r2"]
    assert [r.run_id for r in db.get_runs(user_id="u2")] == ["t-r1"]
    assert [r.run_id for r in db.get_runs(team_id="team")] == ["t-r1"]
    rows, total = db.get_runs(deserialize=False, limit=2, page=2, sort_by="run_id", sort_order="asc")
    assert total == 3 and [r["run_id"] for r in rows] == ["t-r1"]


def test_delete_runs(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    for i in range(3):
        db.upsert_run(run(f"r{i}", "s1"), session_id="s1", user_id="u1")
    assert db.delete_run("r0") is True
    assert db.delete_run("r0") is False
    db.delete_runs(["r1", "r2", "unknown"])
    assert db.get_session("s1").runs == []


def test_cancel_pending_run_only_cancels_the_expected_status(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    db.upsert_run(run("r1", "s1", content=None, status=RunStatus.pending), session_id="s1", user_id="u1")
    assert db.cancel_pending_run("r1", session_id="s1", reason="server restart", expected_status="RUNNING") is False
    assert db.cancel_pending_run("r1", session_id="s1", reason="server restart", user_id="other") is False
    # As in agno, no user id matches only runs stored without one.
    assert db.cancel_pending_run("r1", session_id="s1", reason="server restart") is False
    assert db.cancel_pending_run("r1", session_id="s1", reason="server restart", user_id="u1") is True
    stored = db.get_run("r1", deserialize=False)
    assert stored["status"] == "CANCELLED"
    assert stored["run_data"]["status"] == "CANCELLED" and stored["run_data"]["content"] == "server restart"
    assert db.cancel_pending_run("r1", session_id="s1", reason="again", user_id="u1") is False


def test_queue_worker_primitives(db: SqlDb) -> None:
    from agno.run.status_persist import RunPersistOutcome

    assert db.append_run_to_session_if_absent("s1", run("r1", "s1").to_dict(), user_id="u1") is None
    db.insert_session_if_absent(agent_session("s1"))
    pending = run("r1", "s1", content=None, status=RunStatus.pending).to_dict()
    assert db.append_run_to_session_if_absent("s1", pending, user_id="u1") is True
    assert db.append_run_to_session_if_absent("s1", run("r1", "s1").to_dict(), user_id="u1") is False
    outcome = db.update_run_in_session("s1", "r1", {"status": "running"}, expected_attempt=2, user_id="u1")
    assert outcome == RunPersistOutcome.UPDATED
    stale = db.update_run_in_session("s1", "r1", {"status": "running"}, expected_attempt=1, user_id="u1")
    assert stale == RunPersistOutcome.STALE_ATTEMPT
    assert db.update_run_in_session("s1", "r1", {"status": "running"}, user_id="intruder") == RunPersistOutcome.MISSING
    done = db.update_run_in_session("s1", "r1", {"status": "completed"}, content_if_absent="done", user_id="u1",
                                    session_data={"session_state": {"x": 1}})
    assert done == RunPersistOutcome.UPDATED
    assert db.update_run_in_session("s1", "r1", {"status": "running"}, user_id="u1") == RunPersistOutcome.TERMINAL_REFUSED
    assert db.update_run_in_session("s1", "nope", {"status": "running"}, user_id="u1") == RunPersistOutcome.MISSING
    stored = db.get_run("r1", deserialize=False)
    assert stored["status"] == "COMPLETED" and stored["run_data"]["content"] == "done"
    assert db.get_session("s1").session_data == {"session_state": {"x": 1}}


def test_eight_threads_appending_to_one_session_store_every_run_once(db: SqlDb) -> None:
    db.upsert_session(agent_session("s1"))
    errors: list[BaseException] = []
    per_thread = 6

    def append(worker: int) -> None:
        try:
            for i in range(per_thread):
                # Every writer believes it is appending at index i: the worst case of stale sessions.
                db.upsert_run(run(f"w{worker}-{i}", "s1"), session_id="s1", user_id="u1", run_index=i)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=append, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows, total = db.get_runs(session_id="s1", deserialize=False)
    assert total == 8 * per_thread
    assert sorted(r["run_id"] for r in rows) == sorted(f"w{w}-{i}" for w in range(8) for i in range(per_thread))
    assert sorted(r["run_index"] for r in rows) == list(range(8 * per_thread))


def test_eight_writers_saving_turns_as_agno_agents_do_lose_and_duplicate_nothing(db: SqlDb) -> None:
    """agno's Agent saves a turn as upsert_session then upsert_run, with the run's index in its own
    copy of the session: 8 writers doing so at once (none created the session first) contend for
    the session row in both calls. agno's own classes store duplicate indexes here."""
    from agno.session._utils import resolve_run_index

    per_writer = 4
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def save_turns(worker: int) -> None:
        try:
            session = agent_session("s1")
            barrier.wait()
            for i in range(per_writer):
                turn = run(f"w{worker}-{i}", "s1")
                session.upsert_run(turn)
                db.upsert_session(session)
                db.upsert_run(turn, session_id="s1", user_id="u1", run_index=resolve_run_index(session, turn))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=save_turns, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows, total = db.get_runs(session_id="s1", deserialize=False)
    assert total == 8 * per_writer
    assert sorted(r["run_id"] for r in rows) == sorted(f"w{w}-{i}" for w in range(8) for i in range(per_writer))
    assert sorted(r["run_index"] for r in rows) == list(range(8 * per_writer))
    assert len(db.get_session("s1").runs) == 8 * per_writer


def one_session(kind: str, session_data: dict[str, Any] | None = None) -> AgentSession | TeamSession | WorkflowSession:
    data = session_data or {"session_state": {"n": 1}}
    if kind == "agent":
        return AgentSession(session_id="s1", agent_id="a1", user_id="u1", session_data=data, created_at=1)
    if kind == "team":
        return TeamSession(session_id="s1", team_id="t1", user_id="u1", session_data=data, created_at=1)
    return WorkflowSession(session_id="s1", workflow_id="w1", user_id="u1", session_data=data, created_at=1)


def one_run(kind: str, run_id: str) -> Any:
    if kind == "agent":
        return run(run_id, "s1")
    if kind == "team":
        return TeamRunOutput(run_id=run_id, session_id="s1", team_id="t1", content="x")
    from agno.run.workflow import WorkflowRunOutput

    return WorkflowRunOutput(run_id=run_id, session_id="s1", workflow_id="w1", content="x")


@pytest.mark.parametrize("kind", ["agent", "team", "workflow"])
def test_concurrent_upserts_of_one_session_are_last_writer_wins_whole(db: SqlDb, kind: str) -> None:
    """As in agno: each upsert writes the whole session_data, so the last writer's state wins.

    A key one writer put in session_state does not survive the other writer's later upsert
    (agno's classes behave the same: they overwrite the column); never a mix of two writers'
    documents, never an error, and the runs (written by upsert_run, not upsert_session) are never
    lost by a concurrent session write. The same for agent, team and workflow sessions.
    """
    db.upsert_session(one_session(kind))
    errors: list[BaseException] = []
    rounds = 8
    barrier = threading.Barrier(3)

    def write_state(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(rounds):
                db.upsert_session(one_session(kind, {"session_state": {"writer": worker, "round": i,
                                                                       f"only_{worker}": True}}))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def append_runs() -> None:
        try:
            barrier.wait()
            for i in range(rounds):
                db.upsert_run(one_run(kind, f"r{i}"), session_id="s1", user_id="u1")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write_state, args=(w,)) for w in (1, 2)]
    threads.append(threading.Thread(target=append_runs))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stored = db.get_session("s1", user_id="u1")
    assert type(stored) is type(one_session(kind))
    state = stored.session_data["session_state"]
    writer = state["writer"]
    assert state == {"writer": writer, "round": rounds - 1, f"only_{writer}": True}  # one writer's whole document
    assert sorted(r.run_id for r in stored.runs) == sorted(f"r{i}" for i in range(rounds))


# --- agno's own SQLite db as the reference for return shapes ----------------------------------


def test_shapes_match_agnos_own_sqlite_db(db: SqlDb, tmp_path: Path) -> None:
    reference = AgnoSqliteDb(db_file=str(tmp_path / "agno-reference.db"))

    def scenario(target: Any) -> dict[str, Any]:
        target.upsert_session(agent_session("s1", created_at=100, name="first"))
        target.upsert_session(TeamSession(session_id="t1", team_id="tm", user_id="u1", created_at=200))
        target.upsert_run(run("r1", "s1", content="hello"), session_id="s1", user_id="u1", run_index=0)
        rows, total = target.get_sessions(deserialize=False, sort_by="created_at", sort_order="asc")
        runs, run_total = target.get_runs(session_id="s1", deserialize=False)
        return {
            "session_keys": [sorted(set(r) - {"runs"}) for r in rows],
            "sessions": [(r["session_id"], r["session_type"], r["user_id"], r["created_at"]) for r in rows],
            "total": total,
            "runs": [(r["run_id"], r["run_index"], r["run_type"], r["run_data"]["content"]) for r in runs],
            "run_keys": [sorted(r) for r in runs],
            "run_total": run_total,
            "get_session": type(target.get_session("s1", SessionType.AGENT)).__name__,
            "renamed": target.rename_session("s1", SessionType.AGENT, "second").session_data["session_name"],
            "raw_runs": [r["run_id"] for r in target.get_session("s1", None, deserialize=False)["runs"]],
        }

    ours, theirs = scenario(db), scenario(reference)
    # agno keeps a legacy `runs` column on its sessions table; ours has no such column.
    theirs["session_keys"] = [[k for k in keys if k != "runs"] for keys in theirs["session_keys"]]
    assert ours == theirs


def test_insert_session_if_absent_has_exactly_one_winner(db: SqlDb) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(6)

    def insert(user: int) -> None:
        barrier.wait()
        results.append(db.insert_session_if_absent(agent_session("race", user_id=f"u{user}")))

    threads = [threading.Thread(target=insert, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True]


def test_values_a_column_cannot_hold_are_refused_before_writing(db: SqlDb) -> None:
    with pytest.raises(ValueError, match="session_id is 129 characters long"):
        db.upsert_session(agent_session("x" * 129))
    db.upsert_session(agent_session("s1"))
    with pytest.raises(ValueError, match="run_id is 200 characters long"):
        db.upsert_run(run("r" * 200, "s1"), session_id="s1", user_id="u1")
    assert db.get_sessions(deserialize=False)[1] == 1

"""Approvals on every backend: agno's contract, filters and paging, the atomic status guard."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from agno.db.schemas.approval import Approval
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from agno.run.base import RunStatus

from repositories.core.db import SqlDb

NOW = int(time.time())


def approval(id: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("run_id", f"run-{id}")
    fields.setdefault("session_id", "sess-1")
    fields.setdefault("created_at", NOW - 100)
    fields.setdefault("tool_args", {"path": "/tmp/é", "n": [1, 2]})
    return Approval(id=id, **fields).to_dict()


@pytest.fixture
def agno_db(tmp_path: Path) -> AgnoSqliteDb:
    return AgnoSqliteDb(db_file=str(tmp_path / "agno_reference.db"))


def test_create_and_get_round_trip(db: SqlDb) -> None:
    data = approval("a1", user_id="alice", requirements=[{"tool": "rm"}], context={"why": "cleanup"}, expires_at=NOW)
    assert db.create_approval(data) == data
    assert db.get_approval("a1") == data
    assert db.get_approval("missing") is None


def test_create_fills_in_the_timestamps_agno_fills_in(db: SqlDb) -> None:
    data = {k: v for k, v in approval("a1").items() if k not in ("created_at", "updated_at")}
    created = db.create_approval(data)
    assert abs(created["created_at"] - int(time.time())) <= 2
    assert created["updated_at"] == created["created_at"]
    assert db.get_approval("a1") == created


@pytest.mark.parametrize(
    ("change", "message"),
    [({"run_id": None}, "run_id"), ({"bogus": 1}, "bogus"), ({"status": None}, "status")],
)
def test_create_refuses_malformed_rows_before_writing(db: SqlDb, change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        db.create_approval({**approval("a1"), **change})
    assert db.get_approvals() == ([], 0)


def test_same_calls_give_the_same_results_as_agnos_sqlite_db(db: SqlDb, agno_db: AgnoSqliteDb) -> None:
    def scenario(target: Any) -> list[Any]:
        out: list[Any] = [
            target.create_approval(approval("a1", user_id="alice", created_at=NOW - 30)),
            target.create_approval(approval("a2", user_id="bob", agent_id="ag", created_at=NOW - 20)),
            target.create_approval(approval("a3", status="approved", source_type="team", created_at=NOW - 10)),
            target.get_approval("a1"),
            target.get_approvals(),
            target.get_approvals(status="pending", limit=1, page=2),
            target.get_approvals(agent_id="ag"),
            target.get_pending_approval_count(),
            target.get_pending_approval_count(user_id="alice"),
            target.update_approval("a1", expected_status="approved", status="rejected"),
            target.update_approval("a1", expected_status="pending", status="approved", resolved_by="admin"),
            target.update_approval_run_status("run-a2", RunStatus.completed),
            target.delete_approval("a3"),
            target.delete_approval("a3"),
            target.get_approvals(),
        ]
        return out

    def without_update_time(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != "updated_at"}
        if isinstance(value, tuple):
            return [without_update_time(v) for v in value[0]], value[1]
        return value

    ours, theirs = scenario(db), scenario(agno_db)
    for index, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        assert without_update_time(mine) == without_update_time(reference), f"call #{index} differs"


def test_get_approvals_filters_orders_and_pages(db: SqlDb) -> None:
    for i in range(5):  # same second: the id breaks the tie, newest first
        db.create_approval(approval(f"a{i}", created_at=NOW, user_id="alice" if i % 2 else "bob"))
    db.create_approval(
        approval(
            "special", created_at=NOW - 500, status="approved", source_type="workflow", approval_type="audit",
            pause_type="user_input", agent_id="ag", team_id="tm", workflow_id="wf", user_id="carol",
            schedule_id="sch", run_id="run-x",
        )
    )
    rows, total = db.get_approvals()
    assert total == 6 and [r["id"] for r in rows] == ["a4", "a3", "a2", "a1", "a0", "special"]
    assert [r["id"] for r in db.get_approvals(limit=4, page=2)[0]] == ["a0", "special"]
    assert db.get_approvals(limit=4, page=3) == ([], 6)
    filters: dict[str, str] = {
        "status": "approved", "source_type": "workflow", "approval_type": "audit", "pause_type": "user_input",
        "agent_id": "ag", "team_id": "tm", "workflow_id": "wf", "user_id": "carol", "schedule_id": "sch",
        "run_id": "run-x",
    }
    for name, value in filters.items():
        found, count = db.get_approvals(**{name: value})
        assert count == 1 and [r["id"] for r in found] == ["special"], name
        assert db.get_approvals(**{name: "nope"}) == ([], 0), name
    alice, count = db.get_approvals(user_id="alice", status="pending")
    assert count == 2 and {r["id"] for r in alice} == {"a1", "a3"}
    with pytest.raises(ValueError, match="page"):
        db.get_approvals(page=0)


def test_update_applies_changes_and_stamps_updated_at(db: SqlDb) -> None:
    db.create_approval(approval("a1"))
    updated = db.update_approval("a1", status="approved", resolved_by="admin", resolution_data={"ok": True})
    assert updated is not None
    assert (updated["status"], updated["resolved_by"]) == ("approved", "admin")
    assert updated["resolution_data"] == {"ok": True}
    assert updated["updated_at"] >= NOW
    assert db.get_approval("a1") == updated
    # Writing the same values again within the same second still counts as a match (MySQL's
    # affected-rows would say 0 without FOUND_ROWS).
    assert db.update_approval("a1", status="approved") == db.get_approval("a1")
    assert db.update_approval("missing", status="approved") is None


def test_update_refuses_unknown_or_required_columns(db: SqlDb) -> None:
    db.create_approval(approval("a1"))
    before = db.get_approval("a1")
    with pytest.raises(ValueError, match="bogus"):
        db.update_approval("a1", bogus=1)
    with pytest.raises(ValueError, match="'id'"):
        db.update_approval("a1", id="a2")
    with pytest.raises(ValueError, match="session_id"):
        db.update_approval("a1", session_id=None)
    assert db.get_approval("a1") == before


def test_expected_status_guards_the_transition(db: SqlDb) -> None:
    db.create_approval(approval("a1"))
    assert db.update_approval("a1", expected_status="approved", status="rejected") is None
    assert db.get_approval("a1")["status"] == "pending"
    assert db.update_approval("a1", expected_status="pending", status="approved")["status"] == "approved"
    assert db.update_approval("a1", expected_status="pending", status="rejected") is None
    assert db.get_approval("a1")["status"] == "approved"


def test_concurrent_resolutions_let_exactly_one_win(db: SqlDb) -> None:
    db.create_approval(approval("a1"))
    resolvers = 8
    barrier = threading.Barrier(resolvers)
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def resolve(who: str) -> None:
        try:
            barrier.wait()
            results[who] = db.update_approval("a1", expected_status="pending", status="approved", resolved_by=who)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=resolve, args=(f"r{i}",)) for i in range(resolvers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    winners = [who for who, result in results.items() if result is not None]
    assert len(results) == resolvers and len(winners) == 1
    assert db.get_approval("a1")["resolved_by"] == winners[0]


def test_delete_approval(db: SqlDb) -> None:
    db.create_approval(approval("a1"))
    db.create_approval(approval("a2"))
    assert db.delete_approval("a1") is True
    assert db.delete_approval("a1") is False
    assert db.get_approval("a1") is None and db.get_approval("a2") is not None


def test_pending_count_counts_pending_only_and_per_user(db: SqlDb) -> None:
    db.create_approval(approval("a1", user_id="alice"))
    db.create_approval(approval("a2", user_id="alice"))
    db.create_approval(approval("a3", user_id="alice", status="approved"))
    db.create_approval(approval("a4", user_id="bob"))
    db.create_approval(approval("a5"))
    assert db.get_pending_approval_count() == 4
    assert db.get_pending_approval_count(user_id="alice") == 2
    assert db.get_pending_approval_count(user_id="nobody") == 0


def test_update_approval_run_status_touches_every_approval_of_the_run(db: SqlDb) -> None:
    db.create_approval(approval("a1", run_id="run-1"))
    db.create_approval(approval("a2", run_id="run-1"))
    db.create_approval(approval("a3", run_id="run-2"))
    assert db.update_approval_run_status("run-1", RunStatus.completed) == 2
    assert [db.get_approval(a)["run_status"] for a in ("a1", "a2", "a3")] == ["COMPLETED", "COMPLETED", None]
    assert db.update_approval_run_status("run-2", "ERROR") == 1  # type: ignore[arg-type]
    assert db.get_approval("a3")["run_status"] == "ERROR"
    assert db.update_approval_run_status("missing", RunStatus.paused) == 0
    with pytest.raises(ValueError, match="run_status"):
        db.update_approval_run_status("run-1", "finished")  # type: ignore[arg-type]
    assert db.get_approval("a1")["run_status"] == "COMPLETED"

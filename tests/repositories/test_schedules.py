"""Schedules and schedule runs on every backend: agno's contract, name uniqueness, ownership, claims."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.schemas.scheduler import Schedule, ScheduleRun
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from agno.db.utils import is_unique_violation

from repositories.core.db import SqlDb
from repositories.schedules import ScheduleNameTaken

NOW = int(time.time())


def schedule(id: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "cron_expr": "*/5 * * * *",
        "endpoint": "/agents/a1/runs",
        "payload": {"message": "héllo", "nested": {"n": [1, 2]}},
        "created_at": NOW - 1000,
    }
    base.update(fields)
    return Schedule(id=id, name=name or f"name-{id}", **base).to_dict()


def schedule_run(id: str, schedule_id: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("created_at", NOW - 500)
    return ScheduleRun(id=id, schedule_id=schedule_id, **fields).to_dict()


def insert_raw(db: SqlDb, table: sa.Table, row: dict[str, Any]) -> None:
    """Insert bypassing the repository, to exercise the database's own constraints."""
    with db.Session() as session:
        session.execute(sa.insert(table).values(**row))
        session.commit()


@pytest.fixture
def agno_db(tmp_path: Path) -> AgnoSqliteDb:
    return AgnoSqliteDb(db_file=str(tmp_path / "agno_reference.db"))


# --- round trips and agno parity --------------------------------------------------------------


def test_create_returns_and_stores_every_field(db: SqlDb) -> None:
    data = schedule("s1", user_id="alice", description="d", next_run_at=NOW + 60, managed_by="studio")
    created = db.create_schedule(data)
    assert created == data
    assert "unowned_name" not in created
    assert db.get_schedule("s1") == data
    assert db.get_schedule("s1", user_id="alice") == data
    assert db.get_schedule("missing") is None


def test_same_calls_give_the_same_results_as_agnos_sqlite_db(db: SqlDb, agno_db: AgnoSqliteDb) -> None:
    def scenario(target: Any) -> list[Any]:
        out: list[Any] = []
        out.append(target.create_schedule(schedule("s1", user_id="alice", next_run_at=NOW - 10, created_at=NOW - 30)))
        out.append(target.create_schedule(schedule("s2", next_run_at=NOW + 3600, created_at=NOW - 20)))
        out.append(target.create_schedule(schedule("s3", user_id="bob", enabled=False, created_at=NOW - 10)))
        out.append(target.get_schedule("s1"))
        out.append(target.get_schedule("s1", user_id="bob"))
        out.append(target.get_schedule_by_name("name-s2"))
        out.append(target.get_schedule_by_name("name-s1"))  # owned by alice: not in the unowned bucket
        out.append(target.get_schedules())
        out.append(target.get_schedules(enabled=True, limit=1, page=2))
        out.append(target.get_schedules(user_id="alice"))
        updated = target.update_schedule("s1", user_id="alice", description="new", enabled=True)
        out.append({k: v for k, v in updated.items() if k != "updated_at"})
        out.append(target.update_schedule("s1", user_id="bob", description="stolen"))
        out.append(target.stamp_schedule_provenance("s2", managed_by="studio", target_type="agent"))
        out.append(target.disable_schedules_for_target("agent", "a1", reason="archived"))
        for run_id, at in (("r1", NOW - 5), ("r2", NOW - 1)):
            run = schedule_run(run_id, "s1", triggered_at=at, user_id="alice", created_at=at - 1)
            out.append(target.create_schedule_run(run))
        out.append(target.update_schedule_run("r1", status="success", completed_at=NOW - 2))
        out.append(target.get_schedule_run("r1", user_id="bob"))
        out.append(target.get_schedule_runs("s1"))
        out.append(target.get_latest_schedule_runs(["s1", "s2"]))
        out.append(target.delete_schedule_runs("s1", before=NOW))
        out.append(target.delete_schedule("s1", user_id="bob"))
        out.append(target.delete_schedule("s1", user_id="alice"))
        out.append(target.get_schedule_runs("s1"))
        return out

    ours, theirs = scenario(db), scenario(agno_db)
    for index, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        if isinstance(mine, dict):
            mine = {k: v for k, v in mine.items() if k != "updated_at"}
            reference = {k: v for k, v in reference.items() if k != "updated_at"}
        if isinstance(mine, tuple):
            mine = ([{k: v for k, v in r.items() if k != "updated_at"} for r in mine[0]], mine[1])
            reference = ([{k: v for k, v in r.items() if k != "updated_at"} for r in reference[0]], reference[1])
        assert mine == reference, f"call #{index} differs"


def test_claim_returns_the_same_row_as_agno(db: SqlDb, agno_db: AgnoSqliteDb) -> None:
    for target in (db, agno_db):
        target.create_schedule(schedule("s1", next_run_at=NOW - 10))
    ours, theirs = db.claim_due_schedule("w1"), agno_db.claim_due_schedule("w1")
    assert ours is not None and theirs is not None
    assert ours.keys() == theirs.keys()
    assert abs(ours.pop("locked_at") - theirs.pop("locked_at")) <= 2
    assert ours == theirs


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cron_expr": None}, "cron_expr"),
        ({"bogus": 1}, "bogus"),
        ({"unowned_name": "x"}, "unowned_name"),
        ({"enabled": None}, "enabled"),
    ],
)
def test_create_refuses_malformed_rows_before_writing(db: SqlDb, change: dict[str, Any], message: str) -> None:
    data = {**schedule("s1"), **change}
    with pytest.raises(ValueError, match=message):
        db.create_schedule(data)
    assert db.get_schedules() == ([], 0)


def test_create_refuses_a_row_without_required_keys(db: SqlDb) -> None:
    data = schedule("s1")
    del data["endpoint"]
    with pytest.raises(ValueError, match="endpoint"):
        db.create_schedule(data)
    assert db.get_schedule("s1") is None


# --- names ------------------------------------------------------------------------------------


def test_duplicate_names_raise_an_integrity_error_agno_recognises(db: SqlDb) -> None:
    db.create_schedule(schedule("s1", "daily", user_id="alice"))
    db.create_schedule(schedule("s2", "daily"))
    db.create_schedule(schedule("s3", "daily", user_id="bob"))  # another owner: its own bucket
    for duplicate in (schedule("s4", "daily", user_id="alice"), schedule("s5", "daily")):
        with pytest.raises(ScheduleNameTaken, match="Schedule with name 'daily' already exists") as caught:
            db.create_schedule(duplicate)
        assert isinstance(caught.value, sa.exc.IntegrityError)
        assert is_unique_violation(caught.value)
    assert db.get_schedules()[1] == 3


def test_the_database_itself_refuses_duplicate_names(db: SqlDb) -> None:
    """The backstop for two creates racing past the name check: both unique constraints."""
    table = db.tables.schedules
    db.create_schedule(schedule("s1", "daily", user_id="alice"))
    db.create_schedule(schedule("s2", "daily"))
    with pytest.raises(sa.exc.IntegrityError):
        insert_raw(db, table, schedule("s3", "daily", user_id="alice"))
    with pytest.raises(sa.exc.IntegrityError):
        insert_raw(db, table, schedule("s4", "daily"))
    insert_raw(db, table, schedule("s5", "daily", user_id="carol"))
    assert db.get_schedules()[1] == 3


def test_rename_onto_a_taken_name_raises_and_changes_nothing(db: SqlDb) -> None:
    db.create_schedule(schedule("s1", "a", user_id="alice"))
    db.create_schedule(schedule("s2", "b", user_id="alice"))
    db.create_schedule(schedule("s3", "c", user_id="bob"))
    with pytest.raises(ScheduleNameTaken):
        db.update_schedule("s2", name="a")
    with pytest.raises(ScheduleNameTaken):
        db.update_schedule("s2", user_id="alice", name="a", description="lost")
    assert db.get_schedule("s2")["name"] == "b" and db.get_schedule("s2")["description"] is None
    assert db.update_schedule("s2", name="c")["name"] == "c"  # bob's name: another bucket
    assert db.update_schedule("s2", name="c")["name"] == "c"  # renaming onto itself is no conflict


def test_get_schedule_by_name_stays_in_one_owner_bucket(db: SqlDb) -> None:
    db.create_schedule(schedule("s1", "daily", user_id="alice"))
    assert db.get_schedule_by_name("daily") is None
    assert db.get_schedule_by_name("daily", user_id="bob") is None
    assert db.get_schedule_by_name("daily", user_id="alice")["id"] == "s1"
    db.create_schedule(schedule("s2", "daily"))
    assert db.get_schedule_by_name("daily")["id"] == "s2"


# --- listing ----------------------------------------------------------------------------------


def test_get_schedules_filters_orders_and_pages(db: SqlDb) -> None:
    # Five schedules in the same second: the id decides among them, newest created_at first.
    for i in range(5):
        db.create_schedule(schedule(f"s{i}", user_id="alice" if i % 2 else None, enabled=i != 4, created_at=NOW))
    db.create_schedule(schedule("old", created_at=NOW - 9999))
    rows, total = db.get_schedules()
    assert total == 6 and [r["id"] for r in rows] == ["s4", "s3", "s2", "s1", "s0", "old"]
    assert [r["id"] for r in db.get_schedules(limit=2, page=1)[0]] == ["s4", "s3"]
    assert db.get_schedules(limit=4, page=2) == ([db.get_schedule("s0"), db.get_schedule("old")], 6)
    assert db.get_schedules(limit=4, page=3) == ([], 6)
    assert [r["id"] for r in db.get_schedules(enabled=False)[0]] == ["s4"]
    assert db.get_schedules(enabled=True)[1] == 5
    alice, count = db.get_schedules(user_id="alice")
    assert count == 2 and {r["user_id"] for r in alice} == {"alice"}
    assert db.get_schedules(user_id="nobody") == ([], 0)
    with pytest.raises(ValueError, match="page"):
        db.get_schedules(page=0)


# --- updates, deletes, provenance ------------------------------------------------------------


def test_update_writes_the_mutable_surface_only(db: SqlDb) -> None:
    db.create_schedule(schedule("s1", user_id="alice", enabled=False, disabled_reason="archived"))
    updated = db.update_schedule("s1", user_id="alice", enabled=True, payload={"k": [1]}, timezone="Europe/Paris")
    assert updated["enabled"] is True and updated["disabled_reason"] is None  # enabling retires the reason
    assert updated["payload"] == {"k": [1]} and updated["timezone"] == "Europe/Paris"
    assert updated["updated_at"] >= NOW
    for forbidden in ({"locked_by": "w"}, {"locked_at": 1}, {"managed_by": "x"}, {"created_at": 1}):
        with pytest.raises(ValueError, match="cannot modify"):
            db.update_schedule("s1", **forbidden)
    with pytest.raises(ValueError, match="name"):
        db.update_schedule("s1", name=None)
    assert db.get_schedule("s1") == updated


def test_update_never_touches_another_users_schedule(db: SqlDb) -> None:
    db.create_schedule(schedule("s1", user_id="alice"))
    before = db.get_schedule("s1")
    assert db.update_schedule("s1", user_id="bob", description="stolen") is None
    assert db.update_schedule("missing", description="x") is None
    assert db.get_schedule("s1") == before


def test_delete_removes_the_schedule_and_its_runs_for_its_owner_only(db: SqlDb) -> None:
    db.create_schedule(schedule("s1", user_id="alice"))
    db.create_schedule(schedule("s2", user_id="alice"))
    db.create_schedule_run(schedule_run("r1", "s1", user_id="alice"))
    db.create_schedule_run(schedule_run("r2", "s2", user_id="alice"))
    assert db.delete_schedule("s1", user_id="bob") is False
    assert db.get_schedule_run("r1") is not None
    assert db.delete_schedule("s1", user_id="alice") is True
    assert db.get_schedule("s1") is None and db.get_schedule_run("r1") is None
    assert db.get_schedule_run("r2") is not None
    assert db.delete_schedule("s1") is False


def test_disable_schedules_for_target_matches_provenance_and_endpoints(db: SqlDb) -> None:
    db.create_schedule(schedule("tagged", endpoint="/teams/t/runs", user_id="alice"))
    db.stamp_schedule_provenance("tagged", target_type="agent", target_id="a1")
    db.create_schedule(schedule("plain", endpoint="/agents/a1/runs", user_id="bob"))
    db.create_schedule(schedule("slash", endpoint="/agents/a1/runs/"))
    db.create_schedule(schedule("off", endpoint="/agents/a1/runs", enabled=False, disabled_reason="manual"))
    db.create_schedule(schedule("other-type", endpoint="/teams/a1/runs"))
    db.create_schedule(schedule("other-id", endpoint="/agents/a10/runs"))
    assert db.disable_schedules_for_target("agent", "a1", reason="target_archived:agent:a1") == 3
    for sid in ("tagged", "plain", "slash"):
        row = db.get_schedule(sid)
        assert row["enabled"] is False and row["disabled_reason"] == "target_archived:agent:a1"
    assert db.get_schedule("off")["disabled_reason"] == "manual"
    assert db.get_schedule("other-type")["enabled"] is True and db.get_schedule("other-id")["enabled"] is True
    assert db.disable_schedules_for_target("agent", "a1") == 0


def test_stamp_schedule_provenance(db: SqlDb) -> None:
    db.create_schedule(schedule("s1", user_id="alice"))
    assert db.stamp_schedule_provenance("s1", managed_by="studio", created_by_run_id="run-1") is True
    row = db.get_schedule("s1")
    assert (row["managed_by"], row["created_by_run_id"], row["user_id"]) == ("studio", "run-1", "alice")
    assert row["updated_at"] >= NOW
    with pytest.raises(ValueError, match="user_id"):
        db.stamp_schedule_provenance("s1", user_id="bob")
    assert db.stamp_schedule_provenance("missing", managed_by="studio") is False


# --- claiming ---------------------------------------------------------------------------------


def test_claim_takes_the_most_overdue_claimable_schedule(db: SqlDb) -> None:
    # Times relative to now, not to the module's import: a long suite would age the fresh claim.
    NOW = int(time.time())  # noqa: N806
    db.create_schedule(schedule("later", next_run_at=NOW - 10))
    db.create_schedule(schedule("first", next_run_at=NOW - 100))
    db.create_schedule(schedule("future", next_run_at=NOW + 3600))
    db.create_schedule(schedule("disabled", next_run_at=NOW - 1000, enabled=False))
    db.create_schedule(schedule("unarmed", next_run_at=None))
    db.create_schedule(schedule("held", next_run_at=NOW - 1000))
    db.create_schedule(schedule("stale", next_run_at=NOW - 5))
    with db.Session() as session:  # two live claims: one fresh, one past the grace period
        table = db.tables.schedules
        session.execute(sa.update(table).where(table.c.id == "held").values(locked_by="w0", locked_at=NOW))
        session.execute(sa.update(table).where(table.c.id == "stale").values(locked_by="w0", locked_at=NOW - 600))
        session.commit()

    first = db.claim_due_schedule("w1", lock_grace_seconds=300)
    assert first is not None and first["id"] == "first"
    assert first["locked_by"] == "w1" and abs(first["locked_at"] - int(time.time())) <= 2
    assert db.get_schedule("first") == first
    assert db.claim_due_schedule("w2")["id"] == "later"
    stale = db.claim_due_schedule("w3")
    assert stale["id"] == "stale" and stale["locked_by"] == "w3"
    assert db.claim_due_schedule("w4") is None
    assert db.get_schedule("held")["locked_by"] == "w0"
    # With no grace at all, every claim made before now counts as stale.
    time.sleep(1.1)
    assert db.claim_due_schedule("w5", lock_grace_seconds=0) is not None
    with pytest.raises(ValueError, match="lock_grace_seconds"):
        db.claim_due_schedule("w6", lock_grace_seconds=-1)


def test_concurrent_workers_claim_each_due_schedule_exactly_once(db: SqlDb) -> None:
    due = [f"due-{i:02d}" for i in range(24)]
    for i, sid in enumerate(due):
        db.create_schedule(schedule(sid, next_run_at=NOW - 100 + i))
    db.create_schedule(schedule("future", next_run_at=NOW + 3600))
    db.create_schedule(schedule("disabled", next_run_at=NOW - 100, enabled=False))

    workers = 8
    barrier = threading.Barrier(workers)
    claims: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    guard = threading.Lock()

    def work(worker: str) -> None:
        try:
            barrier.wait()
            while True:
                claimed = db.claim_due_schedule(worker)
                if claimed is None:
                    return
                with guard:
                    claims.append((claimed["id"], worker))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    counts = Counter(sid for sid, _ in claims)
    assert sorted(counts) == due
    assert set(counts.values()) == {1}, f"claimed more than once: {[s for s, n in counts.items() if n > 1]}"
    for sid, worker in claims:
        assert db.get_schedule(sid)["locked_by"] == worker
    assert db.get_schedule("future")["locked_by"] is None and db.get_schedule("disabled")["locked_by"] is None


def test_release_is_fenced_on_the_claim_and_never_rearms_an_on_demand_schedule(db: SqlDb) -> None:
    db.create_schedule(schedule("s1", next_run_at=NOW - 10))
    claim = db.claim_due_schedule("w1")
    assert claim is not None
    assert db.release_schedule("s1", NOW + 300, worker_id="w2") is False
    assert db.release_schedule("s1", NOW + 300, worker_id="w1", locked_at=claim["locked_at"] - 1) is False
    assert db.get_schedule("s1")["locked_by"] == "w1"
    assert db.release_schedule("s1", NOW + 300, worker_id="w1", locked_at=claim["locked_at"]) is True
    row = db.get_schedule("s1")
    assert (row["locked_by"], row["locked_at"], row["next_run_at"]) == (None, None, NOW + 300)
    assert db.release_schedule("s1") is True  # no next_run_at: keeps the stored one
    assert db.get_schedule("s1")["next_run_at"] == NOW + 300
    db.update_schedule("s1", cron_expr="")
    assert db.release_schedule("s1", NOW + 600) is True
    assert db.get_schedule("s1")["next_run_at"] is None
    assert db.release_schedule("missing", NOW) is False


# --- schedule runs ----------------------------------------------------------------------------


def test_schedule_run_round_trip_and_updates(db: SqlDb) -> None:
    db.create_schedule(schedule("s1", user_id="alice"))
    data = schedule_run("r1", "s1", user_id="alice", triggered_at=NOW, input={"q": "é"}, requirements=[{"a": 1}])
    assert db.create_schedule_run(data) == data
    assert db.get_schedule_run("r1") == data and db.get_schedule_run("r1", user_id="alice") == data
    assert db.get_schedule_run("r1", user_id="bob") is None
    updated = db.update_schedule_run("r1", status="success", completed_at=NOW + 5, output={"ok": True})
    assert updated == {**data, "status": "success", "completed_at": NOW + 5, "output": {"ok": True}}
    assert db.update_schedule_run("r1") == updated
    assert db.update_schedule_run("missing", status="failed") is None
    with pytest.raises(ValueError, match="bogus"):
        db.update_schedule_run("r1", bogus=1)
    with pytest.raises(ValueError, match="status"):
        db.update_schedule_run("r1", status=None)
    with pytest.raises(ValueError, match="id"):
        db.update_schedule_run("r1", id="r2")
    assert db.get_schedule_run("r1") == updated


def test_a_run_needs_an_existing_schedule_and_its_required_fields(db: SqlDb) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        db.create_schedule_run(schedule_run("r1", "missing"))
    db.create_schedule(schedule("s1"))
    bad = schedule_run("r1", "s1")
    bad["status"] = None
    with pytest.raises(ValueError, match="status"):
        db.create_schedule_run(bad)
    assert db.get_schedule_runs("s1") == ([], 0)


def test_get_schedule_runs_pages_newest_first_for_the_owner(db: SqlDb) -> None:
    db.create_schedule(schedule("s1", user_id="alice"))
    db.create_schedule(schedule("s2", user_id="alice"))
    for i in range(5):
        db.create_schedule_run(schedule_run(f"r{i}", "s1", user_id="alice", created_at=NOW + i))
    db.create_schedule_run(schedule_run("other", "s2", user_id="alice"))
    rows, total = db.get_schedule_runs("s1")
    assert total == 5 and [r["id"] for r in rows] == ["r4", "r3", "r2", "r1", "r0"]
    assert [r["id"] for r in db.get_schedule_runs("s1", limit=2, page=3)[0]] == ["r0"]
    assert db.get_schedule_runs("s1", limit=2, page=4) == ([], 5)
    assert db.get_schedule_runs("s1", user_id="bob") == ([], 0)
    assert db.get_schedule_runs("s1", user_id="alice")[1] == 5


def test_get_latest_schedule_runs_picks_one_run_per_schedule(db: SqlDb) -> None:
    for sid in ("s1", "s2", "s3"):
        db.create_schedule(schedule(sid))
    db.create_schedule_run(schedule_run("a-old", "s1", triggered_at=NOW - 50, created_at=NOW))
    db.create_schedule_run(schedule_run("a-new", "s1", triggered_at=NOW - 10, created_at=NOW - 100))
    # Same trigger time: created_at, then id decide.
    db.create_schedule_run(schedule_run("b-1", "s2", triggered_at=NOW, created_at=NOW - 5))
    db.create_schedule_run(schedule_run("b-2", "s2", triggered_at=NOW, created_at=NOW - 1))
    db.create_schedule_run(schedule_run("b-3", "s2", triggered_at=NOW, created_at=NOW - 1))
    latest = db.get_latest_schedule_runs(["s1", "s2", "s3", "missing"])
    assert set(latest) == {"s1", "s2"}
    assert latest["s1"]["id"] == "a-new" and latest["s2"]["id"] == "b-3"
    assert latest["s1"] == db.get_schedule_run("a-new")
    assert db.get_latest_schedule_runs([]) == {}


def test_untriggered_runs_sort_as_postgresql_does(db: SqlDb) -> None:
    """PostgreSQL's DESC puts NULL first (agno's reference); every backend agrees."""
    db.create_schedule(schedule("s1"))
    db.create_schedule_run(schedule_run("triggered", "s1", triggered_at=NOW))
    db.create_schedule_run(schedule_run("untriggered", "s1", triggered_at=None))
    assert db.get_latest_schedule_runs(["s1"])["s1"]["id"] == "untriggered"


def test_delete_schedule_runs_expires_only_completed_history(db: SqlDb) -> None:
    db.create_schedule(schedule("s1"))
    db.create_schedule(schedule("s2"))
    db.create_schedule_run(schedule_run("old", "s1", completed_at=NOW - 100))
    db.create_schedule_run(schedule_run("edge", "s1", completed_at=NOW))
    db.create_schedule_run(schedule_run("running", "s1", completed_at=None, created_at=NOW - 9999))
    db.create_schedule_run(schedule_run("elsewhere", "s2", completed_at=NOW - 100))
    assert db.delete_schedule_runs("s1", before=NOW) == 1
    assert db.get_schedule_run("old") is None
    assert all(db.get_schedule_run(r) is not None for r in ("edge", "running", "elsewhere"))
    assert db.delete_schedule_runs("s1", before=NOW) == 0

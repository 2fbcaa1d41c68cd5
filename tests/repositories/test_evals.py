"""Eval runs on every backend: round trips, every list filter, sorting, pages, ownership, races."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.schemas.evals import EvalFilterType, EvalRunRecord, EvalType
from agno.db.sqlite import SqliteDb as AgnoSqliteDb

from repositories import OwnershipError
from repositories.core.db import SqlDb

COLUMNS = {
    "run_id", "eval_type", "eval_data", "eval_input", "name", "agent_id", "team_id", "workflow_id", "model_id",
    "model_provider", "evaluated_component_name", "user_id", "created_at", "updated_at",
}


def record(run_id: str, **fields: Any) -> EvalRunRecord:
    values: dict[str, Any] = {
        "eval_type": EvalType.ACCURACY, "eval_data": {"score": 1.5, "results": [{"ok": True}]},
        "eval_input": {"input": run_id}, "name": f"eval {run_id}",
    }
    values.update(fields)
    return EvalRunRecord(run_id=run_id, **values)


def set_created_at(target: Any, run_id: str, created_at: int) -> None:
    """Give a run a known creation time (create_eval_run stamps the clock's)."""
    table = target._get_table("evals")
    engine = target._engine_for_queries() if isinstance(target, SqlDb) else target.db_engine
    with engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.run_id == run_id).values(created_at=created_at))


@pytest.fixture
def agno_db(tmp_path: Path) -> Iterator[AgnoSqliteDb]:
    reference = AgnoSqliteDb(db_file=str(tmp_path / "agno-reference.db"))
    yield reference
    reference.db_engine.dispose()


# --- create and get ---------------------------------------------------------------------------


def test_create_then_get_round_trips(db: SqlDb) -> None:
    original = record("r1", agent_id="agent-1", model_id="gpt", model_provider="openai",
                      evaluated_component_name="Helper", eval_type=EvalType.PERFORMANCE)
    assert db.create_eval_run(original) is original
    got = db.get_eval_run("r1")
    assert isinstance(got, EvalRunRecord)
    assert got.model_dump() == original.model_dump()
    raw = db.get_eval_run("r1", deserialize=False)
    assert isinstance(raw, dict) and set(raw) == COLUMNS
    assert raw["eval_type"] == "performance" and raw["user_id"] is None
    assert raw["created_at"] == raw["updated_at"] and raw["created_at"] > 1_600_000_000
    assert db.get_eval_run("missing") is None


def test_a_run_without_eval_input_is_stored_as_agno_does(db: SqlDb) -> None:
    db.create_eval_run(record("r1", eval_input=None))
    got = db.get_eval_run("r1")
    assert isinstance(got, EvalRunRecord) and got.eval_input is None
    assert db.get_eval_runs(deserialize=False)[1] == 1


def test_create_refuses_bad_input_before_writing(db: SqlDb) -> None:
    with pytest.raises(ValueError, match="name is 256 characters long"):
        db.create_eval_run(record("r2", name="n" * 256))
    assert db.get_eval_runs(deserialize=False) == ([], 0)


def test_creating_an_existing_run_id_fails(db: SqlDb) -> None:
    db.create_eval_run(record("r1"))
    with pytest.raises(sa.exc.IntegrityError):
        db.create_eval_run(record("r1", name="again"))
    got = db.get_eval_run("r1")
    assert isinstance(got, EvalRunRecord) and got.name == "eval r1"


def test_get_is_scoped_to_the_owner(db: SqlDb) -> None:
    db.create_eval_run(record("r1"))
    db.create_eval_run(record("unowned"))
    db.update_eval_run_user_id("r1", "alice")
    assert db.get_eval_run("r1", user_id="alice") is not None
    assert db.get_eval_run("r1", user_id="bob") is None
    assert db.get_eval_run("unowned", user_id="alice") is None  # no owner is nobody's, as in agno
    assert db.get_eval_run("unowned") is not None


# --- listing ----------------------------------------------------------------------------------


@pytest.fixture
def listed(db: SqlDb) -> SqlDb:
    runs = [
        record("a1", agent_id="agent-1", model_id="m1", eval_type=EvalType.ACCURACY),
        record("a2", agent_id="agent-2", model_id="m2", eval_type=EvalType.PERFORMANCE),
        record("t1", team_id="team-1", model_id="m1", eval_type=EvalType.RELIABILITY),
        record("w1", workflow_id="wf-1", eval_type=EvalType.AGENT_AS_JUDGE),
        record("a3", agent_id="agent-1", model_id="m2", eval_type=EvalType.ACCURACY),
    ]
    for created_at, run in enumerate(runs, start=100):
        db.create_eval_run(run)
        set_created_at(db, run.run_id, created_at)
    db.update_eval_run_user_id("a1", "alice")
    db.update_eval_run_user_id("t1", "alice")
    db.update_eval_run_user_id("a2", "bob")
    return db


def run_ids(runs: Any) -> list[str]:
    assert isinstance(runs, list) and all(isinstance(r, EvalRunRecord) for r in runs)
    return [r.run_id for r in runs]


def test_list_defaults_to_newest_first(listed: SqlDb) -> None:
    assert run_ids(listed.get_eval_runs()) == ["a3", "w1", "t1", "a2", "a1"]
    # As in agno, sort_order alone does not change the default order.
    assert run_ids(listed.get_eval_runs(sort_order="asc")) == ["a3", "w1", "t1", "a2", "a1"]
    assert run_ids(listed.get_eval_runs(sort_by="created_at", sort_order="asc")) == ["a1", "a2", "t1", "w1", "a3"]
    assert run_ids(listed.get_eval_runs(sort_by="run_id", sort_order="asc")) == ["a1", "a2", "a3", "t1", "w1"]
    with pytest.raises(ValueError, match="sort"):
        listed.get_eval_runs(sort_by="no_such_column")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"agent_id": "agent-1"}, ["a3", "a1"]),
        ({"team_id": "team-1"}, ["t1"]),
        ({"workflow_id": "wf-1"}, ["w1"]),
        ({"model_id": "m1"}, ["t1", "a1"]),
        ({"filter_type": EvalFilterType.AGENT}, ["a3", "a2", "a1"]),
        ({"filter_type": EvalFilterType.TEAM}, ["t1"]),
        ({"filter_type": "workflow"}, ["w1"]),
        ({"eval_type": [EvalType.ACCURACY]}, ["a3", "a1"]),
        ({"eval_type": [EvalType.PERFORMANCE, EvalType.AGENT_AS_JUDGE]}, ["w1", "a2"]),
        ({"eval_type": []}, ["a3", "w1", "t1", "a2", "a1"]),  # an empty list is no filter
        ({"user_id": "alice"}, ["t1", "a1"]),
        ({"user_id": "carol"}, []),
        ({"user_id": "alice", "filter_type": EvalFilterType.AGENT}, ["a1"]),
        ({"agent_id": "agent-1", "model_id": "m2", "eval_type": [EvalType.ACCURACY]}, ["a3"]),
    ],
)
def test_list_filters(listed: SqlDb, filters: dict[str, Any], expected: list[str]) -> None:
    assert run_ids(listed.get_eval_runs(**filters)) == expected
    raw, total = listed.get_eval_runs(deserialize=False, **filters)
    assert [r["run_id"] for r in raw] == expected and total == len(expected)
    assert all(isinstance(r, dict) and set(r) == COLUMNS for r in raw)


def test_list_pages(listed: SqlDb) -> None:
    assert run_ids(listed.get_eval_runs(limit=2, page=1)) == ["a3", "w1"]
    assert run_ids(listed.get_eval_runs(limit=2, page=3)) == ["a1"]  # last page
    assert run_ids(listed.get_eval_runs(limit=2, page=4)) == []  # past the end
    assert run_ids(listed.get_eval_runs(limit=2)) == ["a3", "w1"]
    raw, total = listed.get_eval_runs(limit=2, page=2, deserialize=False)
    assert [r["run_id"] for r in raw] == ["t1", "a2"] and total == 5
    # Past the end the total is still the real one (agno answers 0 there).
    assert listed.get_eval_runs(limit=2, page=4, deserialize=False) == ([], 5)
    with pytest.raises(ValueError, match="page"):
        listed.get_eval_runs(page=2)
    with pytest.raises(ValueError, match="page"):
        listed.get_eval_runs(limit=2, page=0)


def test_list_refuses_unknown_types(listed: SqlDb) -> None:
    with pytest.raises(ValueError, match="unknown eval_type 'nope'"):
        listed.get_eval_runs(eval_type=["nope"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="unknown filter_type 'model'"):
        listed.get_eval_runs(filter_type="model")  # type: ignore[arg-type]


# --- rename, owner, delete --------------------------------------------------------------------


def test_rename(listed: SqlDb) -> None:
    renamed = listed.rename_eval_run("w1", "new name")
    assert isinstance(renamed, EvalRunRecord) and renamed.name == "new name"
    raw = listed.rename_eval_run("a1", "alice's", deserialize=False, user_id="alice")
    assert isinstance(raw, dict) and raw["name"] == "alice's" and raw["updated_at"] >= raw["created_at"]
    assert listed.rename_eval_run("missing", "x") is None
    with pytest.raises(ValueError, match="name is 300 characters long"):
        listed.rename_eval_run("w1", "n" * 300)


def test_rename_by_another_user_changes_nothing(listed: SqlDb) -> None:
    before = listed.get_eval_run("a1", deserialize=False)
    assert listed.rename_eval_run("a1", "hijacked", user_id="bob") is None
    assert listed.rename_eval_run("w1", "hijacked", user_id="bob") is None  # unowned is not bob's either
    assert listed.get_eval_run("a1", deserialize=False) == before
    after = listed.get_eval_run("w1")
    assert isinstance(after, EvalRunRecord) and after.name == "eval w1"


def test_update_owner(listed: SqlDb) -> None:
    listed.update_eval_run_user_id("w1", "carol")
    assert listed.get_eval_run("w1", user_id="carol") is not None
    listed.update_eval_run_user_id("w1", "carol")  # stamping the same owner again is fine
    with pytest.raises(OwnershipError):
        listed.update_eval_run_user_id("w1", "mallory")
    assert listed.get_eval_run("w1", user_id="carol") is not None
    assert listed.get_eval_run("w1", user_id="mallory") is None
    assert listed.update_eval_run_user_id("missing", "carol") is None


def test_concurrent_owner_stamps_leave_one_owner(db: SqlDb) -> None:
    ids = [f"race-{i}" for i in range(6)]
    for run_id in ids:
        db.create_eval_run(record(run_id))
    barrier = threading.Barrier(2)
    won: dict[str, list[str]] = {"alice": [], "bob": []}
    errors: list[BaseException] = []

    def stamp(user: str) -> None:
        for run_id in ids:
            try:
                barrier.wait(timeout=30)
                db.update_eval_run_user_id(run_id, user)
                won[user].append(run_id)
            except OwnershipError:
                pass
            except BaseException as error:  # noqa: BLE001 - surfaced below
                errors.append(error)

    threads = [threading.Thread(target=stamp, args=(user,)) for user in won]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for run_id in ids:
        raw = db.get_eval_run(run_id, deserialize=False)
        assert isinstance(raw, dict)
        assert [user for user, runs in won.items() if run_id in runs] == [raw["user_id"]]


def test_delete_one_and_many(listed: SqlDb) -> None:
    assert listed.delete_eval_run("w1") is None
    assert listed.get_eval_run("w1") is None
    listed.delete_eval_run("missing")  # a no-op
    # Scoped: only the user's own runs go; bob's and unowned ones stay.
    listed.delete_eval_runs(["a1", "a2", "a3"], user_id="alice")
    assert run_ids(listed.get_eval_runs()) == ["a3", "t1", "a2"]
    listed.delete_eval_runs([])
    listed.delete_eval_runs(["a2", "a3", "missing"])
    assert run_ids(listed.get_eval_runs()) == ["t1"]


def test_user_ids_differing_only_in_case_are_different_users(db: SqlDb) -> None:
    # MySQL's default collations would fold 'ALICE' into 'alice': our columns compare exactly.
    db.create_eval_run(record("r1"))
    db.update_eval_run_user_id("r1", "alice")
    assert db.get_eval_run("r1", user_id="ALICE") is None


# --- same answers as agno's own SqliteDb ------------------------------------------------------


def test_same_answers_as_agno_sqlite(db: SqlDb, agno_db: AgnoSqliteDb) -> None:
    runs = [
        record("a1", agent_id="agent-1", model_id="m1"),
        record("t1", team_id="team-1", eval_type=EvalType.RELIABILITY, evaluated_component_name="Team"),
        record("w1", workflow_id="wf-1", eval_type=EvalType.PERFORMANCE, eval_input={"nested": {"k": [1, None]}}),
    ]
    for target in (db, agno_db):
        for created_at, run in enumerate(runs, start=10):
            assert target.create_eval_run(run) is run
            set_created_at(target, run.run_id, created_at)
        target.update_eval_run_user_id("a1", "alice")
        target.update_eval_run_user_id("t1", "bob")

    def normalized(value: Any) -> Any:
        # updated_at is the clock's at create/rename time: compare its presence, not its value.
        if isinstance(value, dict) and "updated_at" in value:
            return {**value, "updated_at": value["updated_at"] is not None}
        if isinstance(value, EvalRunRecord):
            return value.model_dump()
        if isinstance(value, (list, tuple)):
            return type(value)(normalized(v) for v in value)
        return value

    def answers(target: Any) -> list[Any]:
        results: list[Any] = []
        for run_id in ("a1", "t1", "missing"):
            for user in (None, "alice"):
                for deserialize in (True, False):
                    results.append(target.get_eval_run(run_id, deserialize=deserialize, user_id=user))
        for kwargs in (
            {},
            {"deserialize": False},
            {"user_id": "alice", "deserialize": False},
            {"filter_type": EvalFilterType.TEAM},
            {"eval_type": [EvalType.ACCURACY, EvalType.PERFORMANCE], "deserialize": False},
            {"sort_by": "created_at", "sort_order": "asc", "limit": 2, "page": 1, "deserialize": False},
        ):
            got = target.get_eval_runs(**kwargs)
            results.append(got if isinstance(got, list) else (list(got[0]), got[1]))
        results.append(target.rename_eval_run("a1", "renamed", deserialize=False, user_id="alice"))
        results.append(target.rename_eval_run("a1", "nope", user_id="bob"))
        target.delete_eval_runs(["a1", "t1"], user_id="bob")
        results.append(target.get_eval_runs(deserialize=False))
        return [normalized(r) for r in results]

    ours, theirs = answers(db), answers(agno_db)
    assert ours == theirs
    assert ours[0] is not None and ours[-1][1] == 2  # the comparison covers real data

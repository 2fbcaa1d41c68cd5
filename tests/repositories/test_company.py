"""Company storage on every backend, sync and async: agno's results, its rules, owners, bad input.

The same scenario runs on our db and on agno's own class (its SqliteDb, and on PostgreSQL runs its
PostgresDb too; agno's MySQLDb has no Company storage). Results must be equal once the clock is
taken out: timestamps the methods stamp become "set" / None, transition times are dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from sqlalchemy.engine import URL

from repositories.core.db import SqlDb

T = 1_700_000_000  # creation times are the caller's: fixed (and past), so orders are deterministic
STAMPED = {"updated_at", "deleted_at", "accepted_at"}


def product(id: str, *, user_id: str | None = None, created_at: int = T, **fields: Any) -> dict[str, Any]:
    return {"id": id, "name": f"Product {id}", "purpose": "why", "user_id": user_id, "metadata": None,
            "created_at": created_at, "updated_at": None, "deleted_at": None, **fields}


def source(id: str, product_id: str, *, reference: str = "docs/guide.md", **fields: Any) -> dict[str, Any]:
    return {"id": id, "product_id": product_id, "type": "markdown", "reference": reference, "credential_ref": None,
            "user_id": None, "config": {"paths": ["guide.md"]}, "created_at": T, "updated_at": None,
            "deleted_at": None, **fields}


def project(id: str, product_id: str, *, status: str = "proposed", created_at: int = T, **fields: Any) -> dict[str, Any]:
    return {"id": id, "product_id": product_id, "name": f"Project {id}", "outcome": None, "status": status,
            "user_id": None, "transitions": [], "target_date": None, "created_at": created_at, "updated_at": None,
            "deleted_at": None, **fields}


def task(id: str, product_id: str, project_id: str | None, *, created_at: int = T, **fields: Any) -> dict[str, Any]:
    return {"id": id, "product_id": product_id, "project_id": project_id, "title": f"Task {id}", "brief": "do it",
            "status": "backlog", "user_id": None, "origin": "human", "routine_id": None, "session_id": f"session-{id}",
            "transitions": [], "evidence": None, "created_at": created_at, "updated_at": None, "deleted_at": None,
            **fields}


def clockless(value: Any, key: str | None = None) -> Any:
    """``value`` without what the clock decides: stamped times become whether they are set."""
    if isinstance(value, dict):
        return {k: clockless(v, k) for k, v in value.items() if not (k == "created_at" and "target" in value)}
    if isinstance(value, list | tuple):
        return [clockless(v) for v in value]
    if key in STAMPED:
        return "set" if value is not None else None
    return value


def attempt(out: list[Any], call: Any) -> Any:
    """Record what ``call`` returns, or the ValueError it raises (agno's message and payload)."""
    try:
        result = call()
    except ValueError as error:
        out.append(("ValueError", error.args[0]))
        return None
    out.append(result)
    return result


ROUTINE = {"routine_id": "r1", "policy": "auto", "max_acceptances": 1}


def scenario(db: Any) -> list[Any]:
    """Every Company method, as agno's managers call them, with the answers each one gives."""
    out: list[Any] = []

    def do(call: Any) -> Any:
        return attempt(out, call)

    # Products
    do(lambda: db.create_product(product("p1", user_id="alice", metadata={"team": "core"})))
    do(lambda: db.create_product(product("p2", user_id="bob", created_at=T + 1)))
    do(lambda: db.create_product(product("p3", created_at=T + 2)))
    do(lambda: db.get_product("p1"))
    do(lambda: db.get_product("p1", user_id="bob"))
    do(lambda: db.get_products())
    do(lambda: db.get_products(user_id="alice"))
    do(lambda: db.get_products(limit=2, page=2, sort_order="asc"))
    do(lambda: db.update_product("p2", name="Renamed", purpose=None))
    do(lambda: db.get_products(sort_by="updated_at", limit=1))
    do(lambda: db.update_product("p1", user_id="bob", name="Stolen"))
    do(lambda: db.add_product_routine("p1", "sched-1"))
    do(lambda: db.add_product_routine("p1", "sched-1"))  # linked once
    do(lambda: db.add_product_routine("p1", "sched-2"))
    do(lambda: db.update_product("p1", metadata={"team": "platform"}))  # keeps the routine links
    do(lambda: db.add_product_routine("missing", "sched-3"))
    # Sources
    do(lambda: db.create_source(source("s1", "p1")))
    do(lambda: db.create_source(source("s1-again", "p1", config={"paths": ["guide.md"], "metadata": {"run": 1}}),
                                reuse=True))
    do(lambda: db.create_source(source("s1-other", "p1", config={"paths": ["other.md"]}), reuse=True))
    do(lambda: db.create_source(source("s2", "p2", reference="notes/a.md", created_at=T + 5)))
    do(lambda: db.create_source(source("s3", "p1", reference="notes/b.md", user_id="alice", created_at=T + 5)))
    do(lambda: db.get_source("s1"))
    do(lambda: db.get_sources())
    do(lambda: db.get_sources(product_id="p1", limit=1, page=2))
    do(lambda: db.get_sources(user_id="alice"))
    do(lambda: db.update_source("s1", config={"paths": ["a.md", "b.md"]}))
    do(lambda: db.update_source("s1", credential_ref="not a name"))
    do(lambda: db.update_source("s3", user_id="bob", config=None))
    do(lambda: db.delete_source("s1"))
    do(lambda: db.delete_source("s1"))
    do(lambda: db.get_source("s1"))
    do(lambda: db.get_sources(product_id="p1", include_deleted=True))
    do(lambda: db.restore_source("s1", user_id="bob"))
    do(lambda: db.restore_source("s1"))
    do(lambda: db.restore_source("s1"))
    # Projects
    do(lambda: db.create_project(project("pr1", "p1")))
    do(lambda: db.create_project(project("pr1", "p1", name="Reused"), reuse=True))
    do(lambda: db.create_project(project("pr1", "p2"), reuse=True))
    do(lambda: db.create_project(project("pr2", "p1", created_at=T + 1, user_id="alice")))
    do(lambda: db.create_project(project("pr3", "p2", created_at=T + 2)))
    do(lambda: db.create_project(project("pr-x", "missing")))
    do(lambda: db.get_project("pr2", user_id="alice"))
    do(lambda: db.get_projects())
    do(lambda: db.get_projects(product_id="p1", status="proposed", sort_order="asc"))
    do(lambda: db.update_project("pr1", name="First", target_date=T + 99, expected_status="proposed"))
    do(lambda: db.update_project("pr1", name="Ignored", expected_status="active"))
    do(lambda: db.transition_project("pr1", "active", "Approved", accepted_by="alice"))
    do(lambda: db.transition_project("pr1", "proposed", "Back"))
    do(lambda: db.transition_project("pr2", "cancelled", "Not now", user_id="bob"))
    # Tasks
    do(lambda: db.create_task(task("t1", "p1", "pr1")))
    do(lambda: db.create_task(task("t2", "p1", "pr1", created_at=T + 1, dedupe_key="k1", routine_id="r1",
                                   origin="routine", user_id="alice")))
    do(lambda: db.create_task(task("t2-again", "p1", "pr1", created_at=T + 1, dedupe_key="k1")))
    do(lambda: db.create_task(task("t3", "p1", "pr1", created_at=T + 2, routine_id="r1", origin="routine")))
    do(lambda: db.create_task(task("t4", "p2", "pr3", created_at=T + 3)))
    do(lambda: db.create_task(task("t-x", "p2", "pr1")))
    do(lambda: db.update_task("t1", title="First task", evidence=[{"url": "x"}]))
    do(lambda: db.update_task("t4", project_id="pr1"))
    do(lambda: db.update_task("t1", status="done"))
    ready = do(lambda: db.transition_task("t1", "ready", "Accepted", accepted_by="alice", executor_type="agent",
                                          executor_id="helper"))
    do(lambda: db.update_task("t1", title="Too late"))
    do(lambda: db.transition_task("t1", "done", "Skip ahead"))
    do(lambda: db.start_task_run("t1", 1, [], user_id="alice"))  # stale observation
    do(lambda: db.start_task_run("t1", 2, ready["transitions"], user_id="alice"))
    started = do(lambda: db.start_task_run("t1", 1, ready["transitions"], user_id="alice", run_db_id="runs-db"))
    do(lambda: db.complete_task_run("t1", "wrong-job", {"status": "COMPLETED"}))
    do(lambda: db.complete_task_run("t1", started["job_id"], {"status": "COMPLETED", "content": "ok"},
                                    expected_transitions=started["transitions"], checkout={"branch": "b1"}))
    do(lambda: db.complete_task_run("t1", started["job_id"], {"status": "COMPLETED"}))  # recorded already
    # A routine's task accepted automatically, once within its budget
    t2 = db.get_task("t2")
    do(lambda: db.transition_task("t2", "ready", "Routine accepts", executor_type="agent", executor_id="helper",
                                  expected_updated_at=t2["updated_at"], auto_accept=ROUTINE))
    t3 = db.get_task("t3")
    do(lambda: db.transition_task("t3", "ready", "Routine accepts", executor_type="agent", executor_id="helper",
                                  expected_updated_at=t3["updated_at"], auto_accept=ROUTINE))
    do(lambda: db.transition_task("t3", "ready", "Accept", executor_type="agent", executor_id="helper",
                                  expected_updated_at=T - 5))  # someone else wrote it since
    do(lambda: db.transition_task("t3", "ready", "Accept", accepted_by="bob", executor_type="team",
                                  executor_id="crew", user_id="bob"))
    do(lambda: db.transition_task("t3", "ready", "Accept", accepted_by="bob", executor_type="team", executor_id="crew"))
    do(lambda: db.count_company_acceptances("r1", "auto", "none"))
    do(lambda: db.count_company_acceptances("r1", "auto", "t2"))
    do(lambda: db.count_company_acceptances("r1", "auto", "none", user_id="bob"))
    t3 = db.get_task("t3")
    run3 = do(lambda: db.start_task_run("t3", 1, t3["transitions"]))
    do(lambda: db.complete_task_run("t3", run3["job_id"], {"status": "ERROR", "error": "boom"}))
    for args in [{}, {"failed": True}, {"failed": False}, {"status": "in_review"}, {"product_id": "p1", "limit": 2},
                 {"project_id": "pr3"}, {"session_id": started["session_id"]}, {"user_id": "alice"},
                 {"sort_by": "updated_at", "sort_order": "asc"}]:
        do(lambda args=args: db.get_tasks(**args))
    do(lambda: db.get_product_counts(["p1", "p2", "missing"]))
    do(lambda: db.get_project_counts(["pr1", "pr3", "missing"]))
    do(lambda: db.get_product_counts([]))
    # Archive and restore
    do(lambda: db.delete_product("p1"))  # t1 in review, t3 in progress: refused with the tasks
    do(lambda: db.delete_project("pr1"))
    do(lambda: db.transition_project("pr1", "done", "Finished"))  # open tasks
    do(lambda: db.transition_task("t3", "cancelled", "Give up"))
    do(lambda: db.transition_task("t1", "cancelled", "Give up"))
    do(lambda: db.transition_task("t2", "cancelled", "Give up"))
    do(lambda: db.delete_task("t2", user_id="bob"))
    do(lambda: db.delete_task("t2", updated_before=T))  # cancelled just now: not old enough
    do(lambda: db.delete_task("t2"))
    do(lambda: db.get_task("t2"))
    do(lambda: db.get_task("t2", include_deleted=True))
    do(lambda: db.restore_task("t2", user_id="bob"))
    do(lambda: db.restore_task("t2"))
    do(lambda: db.delete_product("p1", user_id="bob"))
    do(lambda: db.delete_product("p1"))
    do(lambda: db.get_product("p1"))
    do(lambda: db.get_products(include_deleted=True))
    do(lambda: db.get_tasks(include_deleted=True))
    do(lambda: db.get_projects(include_deleted=True))
    do(lambda: db.get_project("pr1", include_deleted=True))
    do(lambda: db.create_task(task("t-late", "p1", None)))
    do(lambda: db.restore_project("pr1"))  # its product is archived
    do(lambda: db.restore_product("p1", user_id="bob"))
    do(lambda: db.restore_product("p1"))
    do(lambda: db.restore_product("p1"))
    do(lambda: db.get_tasks(product_id="p1"))
    do(lambda: db.get_projects(product_id="p1"))
    do(lambda: db.create_task(task("t5", "p1", "pr1", created_at=T + 4)))
    do(lambda: db.transition_project("pr1", "done", "Finished"))  # t5 is open
    do(lambda: db.delete_project("pr1", updated_before=2 * T))  # active, not finished
    do(lambda: db.transition_task("t5", "cancelled", "Not needed"))
    done = do(lambda: db.transition_project("pr1", "done", "Finished", accepted_by="alice"))
    assert done is not None and done["status"] == "done", out[-5:]
    do(lambda: db.delete_project("pr1", updated_before=done["updated_at"]))  # not older than the cutoff
    do(lambda: db.delete_project("pr1", user_id="bob"))
    do(lambda: db.delete_project("pr1"))
    do(lambda: db.get_tasks(project_id="pr1", include_deleted=True))
    do(lambda: db.restore_project("pr1", user_id="bob"))
    do(lambda: db.restore_project("pr1"))
    do(lambda: db.get_tasks(project_id="pr1"))
    # A project completed automatically by a routine
    do(lambda: db.create_project(project("pr4", "p3", status="active", created_at=T + 9)))
    pr4 = db.get_project("pr4")
    do(lambda: db.transition_project("pr4", "done", "Routine completes", expected_updated_at=pr4["updated_at"],
                                     auto_accept={**ROUTINE, "max_acceptances": 5}))
    do(lambda: db.count_company_acceptances("r1", "auto", "none"))
    do(lambda: db.transition_project("pr3", "active", "Go", auto_accept=ROUTINE))
    return clockless(out)


@pytest.fixture
def agno_sqlite(tmp_path: Path) -> AgnoSqliteDb:
    return AgnoSqliteDb(db_file=str(tmp_path / "agno_reference.db"))


@pytest.fixture
def agno_postgres(backend: str, fresh_url: URL) -> Iterator[Any]:
    """agno's own PostgresDb, in its own schema of the test database (PostgreSQL runs only)."""
    if backend != "postgresql":
        pytest.skip("agno's PostgresDb runs on PostgreSQL")
    from agno.db.postgres import PostgresDb as AgnoPostgresDb

    reference = AgnoPostgresDb(db_url=fresh_url.render_as_string(hide_password=False), db_schema="agno_reference")
    yield reference
    reference.db_engine.dispose()


def test_every_method_answers_as_agnos_sqlite_db(db: SqlDb, agno_sqlite: AgnoSqliteDb) -> None:
    ours, theirs = scenario(db), scenario(agno_sqlite)
    assert len(ours) == len(theirs)
    for index, (mine, agnos) in enumerate(zip(ours, theirs, strict=True)):
        assert mine == agnos, f"step {index}"


def test_every_method_answers_as_agnos_postgres_db(db: SqlDb, agno_postgres: Any) -> None:
    ours, theirs = scenario(db), scenario(agno_postgres)
    for index, (mine, agnos) in enumerate(zip(ours, theirs, strict=True)):
        assert mine == agnos, f"step {index}"


# --- bad input, owners, concurrent writers ------------------------------------------------------


def seeded(db: Any) -> dict[str, Any]:
    """Alice's product with a source, an active project and a backlog task; returns the task."""
    db.create_product(product("p1", user_id="alice"))
    db.create_source(source("s1", "p1", user_id="alice"))
    db.create_project(project("pr1", "p1", user_id="alice"))
    db.transition_project("pr1", "active", "Approved")
    return db.create_task(task("t1", "p1", "pr1", user_id="alice"))  # type: ignore[no-any-return]


def everything(db: Any) -> list[Any]:
    """Every stored Company row, archived ones included (for "nothing changed")."""
    big = {"limit": 1000, "include_deleted": True}
    return [db.get_products(**big), db.get_sources(**big), db.get_projects(**big), db.get_tasks(**big),
            db.get_product("p1", include_deleted=True), db.get_task("t1", include_deleted=True)]


BAD_CALLS = [
    (lambda db: db.create_product({"name": "no id"}), r"product_data is missing required value\(s\) for \['id'\]"),
    (lambda db: db.create_product("p9"), "product_data must be a dict"),
    (lambda db: db.create_product(product("p9", colour="red")), r"unknown column\(s\) \['colour'\]"),
    (lambda db: db.create_product(product("p9", name="n" * 300)), "name is 300 characters long"),
    (lambda db: db.create_product(product("p9", metadata={"archive_window_days": -1})), "archive_window_days"),
    (lambda db: db.create_product(product("p9", metadata=["x"])), "metadata must be a dictionary"),
    (lambda db: db.create_product(product("p9", created_at="today")), "created_at must be an integer"),
    (lambda db: db.update_product("p1", owner="bob"), "Unsupported product fields"),
    (lambda db: db.update_product("p1", name=" "), "name must be a non-empty string"),
    (lambda db: db.get_products(limit=0), "limit and page must be positive"),
    (lambda db: db.get_products(sort_by="name"), "sort_by must be created_at or updated_at"),
    (lambda db: db.get_tasks(sort_order="up"), "sort_order must be asc or desc"),
    (lambda db: db.get_product_counts("p1"), "product_ids must be a list of ids"),
    (lambda db: db.create_source(source("s9", "missing")), "Product is missing or archived"),
    (lambda db: db.create_source({"id": "s9", "product_id": "p1"}), r"missing required value\(s\) for \['reference', 'type'\]"),
    (lambda db: db.update_source("s1", type="ftp"), "Source type must be git, markdown or website"),
    (lambda db: db.create_project(project("pr9", "p1", status=None)), r"missing required value\(s\) for \['status'\]"),
    (lambda db: db.update_project("pr1", status="done"), "Unsupported project fields"),
    (lambda db: db.update_project("pr1", target_date="soon"), "target_date must be epoch seconds"),
    (lambda db: db.create_task(task("t9", "p1", "no-such-project")), "Project is missing or archived"),
    (lambda db: db.create_task(task("t9", "p1", "pr1", title=5)), "title must be a string"),
    (lambda db: db.create_task({"product_id": "p1"}), r"task_data is missing required value\(s\) for \['id'\]"),
    (lambda db: db.update_task("t1", status="done"), "Unsupported task fields"),
    (lambda db: db.transition_task("t1", "done", "Skip"), "Invalid task transition from backlog to done"),
    (lambda db: db.transition_task("t1", "ready", " "), "non-empty reason"),
    (lambda db: db.transition_task("t1", "ready", "Go", executor_type="robot", executor_id="r"), "Ready requires"),
    (lambda db: db.transition_task("t1", "ready", "Go", expected_updated_at="now"), "expected_updated_at must be"),
    (lambda db: db.transition_task("t1", "ready", "Go", auto_accept={"policy": "x"}), "auto_accept must be a dict"),
    (lambda db: db.transition_project("pr1", "proposed", "Back"), "Invalid project transition from active"),
    (lambda db: db.start_task_run("t1", 1, []), "Only accepted work can be started"),
    (lambda db: db.complete_task_run("t1", "job", "done"), "result must be a dict"),
    (lambda db: db.delete_project(5), "project_id must be a string"),
]


def test_bad_input_is_refused_and_nothing_changes(db: SqlDb) -> None:
    seeded(db)
    before = everything(db)
    for index, (call, message) in enumerate(BAD_CALLS):
        with pytest.raises(ValueError, match=message):
            call(db)
        assert everything(db) == before, f"bad call {index} changed something"


def test_another_users_records_are_never_read_changed_or_deleted(db: SqlDb) -> None:
    seeded(db)
    before = everything(db)
    for other in ("bob", "ALICE", "alice "):  # exact comparison, also on MySQL
        assert db.get_product("p1", user_id=other) is None
        assert db.get_source("s1", user_id=other) is None
        assert db.get_project("pr1", user_id=other) is None
        assert db.get_task("t1", user_id=other) is None
        for listing in (db.get_products, db.get_sources, db.get_projects, db.get_tasks):
            assert listing(user_id=other) == ([], 0)
        assert db.update_product("p1", user_id=other, name="Mine") is None
        assert db.update_source("s1", user_id=other, config=None) is None
        assert db.update_project("pr1", user_id=other, name="Mine") is None
        assert db.update_task("t1", user_id=other, title="Mine") is None
        assert db.transition_task("t1", "cancelled", "Mine", user_id=other) is None
        assert db.transition_project("pr1", "cancelled", "Mine", user_id=other) is None
        assert db.delete_task("t1", user_id=other) is False
        assert db.delete_source("s1", user_id=other) is False
        assert db.delete_project("pr1", user_id=other) is False
        assert db.delete_product("p1", user_id=other) is False
    assert everything(db) == before
    # The owner's own calls do what they say.
    assert db.update_task("t1", user_id="alice", title="Renamed")["title"] == "Renamed"
    assert db.delete_product("p1", user_id="alice") is True
    assert db.restore_product("p1", user_id="bob") is None
    assert db.restore_product("p1", user_id="alice")["deleted_at"] is None
    assert db.get_task("t1", user_id="alice")["deleted_at"] is None  # restored with its product


def test_two_workers_starting_one_attempt_reserve_it_once(db: SqlDb) -> None:
    import threading

    seeded(db)
    ready = db.transition_task("t1", "ready", "Accepted", executor_type="agent", executor_id="helper")
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def start() -> None:
        barrier.wait()
        results.append(db.start_task_run("t1", 1, ready["transitions"], user_id="worker"))

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    started = [r for r in results if r is not None]
    assert len(results) == 2 and len(started) == 1
    stored = db.get_task("t1")
    assert stored["status"] == "in_progress" and len(stored["transitions"]) == 2
    assert stored["job_id"] == started[0]["job_id"]

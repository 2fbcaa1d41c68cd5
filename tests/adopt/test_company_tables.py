"""Company tables agno's own class made are kept on adoption: same rows, ours works on them.

agno creates its ``agno_company_*`` tables on first use, so a database it wrote may hold them
beside its sessions. Revision 0008 keeps them (it creates only what is missing) instead of
failing the upgrade; agno's MySQLDb has no Company storage, so the test runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.base import SessionType
from agno.session import AgentSession
from sqlalchemy.engine import URL

from agno_models import migrate
from agno_models.engine import create_engine
from tests.adopt.conftest import agno_db, revision, schema_for
from tests.repositories.conftest import make_db
from tests.repositories.test_company import T, clockless, product, project, source, task


def write_company(db: Any) -> None:
    db.create_product(product("p1", user_id="alice", metadata={"team": "core"}))
    db.add_product_routine("p1", "sched-1")
    db.create_source(source("s1", "p1"))
    db.create_project(project("pr1", "p1"))
    db.transition_project("pr1", "active", "Approved", accepted_by="alice")
    db.create_task(task("t1", "p1", "pr1"))
    db.create_task(task("t2", "p1", "pr1", created_at=T + 1, dedupe_key="k1", routine_id="r1"))
    ready = db.transition_task("t1", "ready", "Accepted", executor_type="agent", executor_id="helper")
    db.start_task_run("t1", 1, ready["transitions"], user_id="alice")


def read_company(db: Any) -> list[Any]:
    return clockless([
        db.get_products(include_deleted=True), db.get_sources(include_deleted=True),
        db.get_projects(include_deleted=True), db.get_tasks(include_deleted=True),
        db.get_product_counts(["p1"]), db.get_project_counts(["pr1"]),
        db.count_company_acceptances("r1", "auto", "none"),
    ])


def test_company_tables_agno_made_are_kept_and_served(backend: str, db_url: URL) -> None:
    if backend == "mysql":
        pytest.skip("agno's MySQLDb has no Company storage")
    theirs = agno_db(backend, db_url)
    theirs.upsert_session(AgentSession(session_id="s1", agent_id="helper", user_id="alice", created_at=T))
    write_company(theirs)
    before = read_company(theirs)
    theirs.close()

    ours = make_db(backend, db_url)
    assert read_company(ours) == before  # the first call adopted agno's sessions and kept its company rows
    assert ours.get_session("s1", session_type=SessionType.AGENT) is not None
    # Our writes on agno's tables: its unique proposal key still holds, lifecycles go on.
    assert ours.create_task(task("t2-again", "p1", "pr1", dedupe_key="k1"))["id"] == "t2"
    running = ours.get_task("t1")
    done = ours.complete_task_run("t1", running["job_id"], {"status": "COMPLETED"})
    assert done["status"] == "in_review"
    ours.create_product(product("p2", created_at=T + 5))
    after = read_company(ours)
    ours.close()

    schema = schema_for(backend, db_url)
    assert revision(db_url, schema=schema) == migrate.head_revision()
    engine = create_engine(db_url)
    try:
        inspector = sa.inspect(engine)
        for table in ("agno_company_products", "agno_company_sources", "agno_company_projects", "agno_company_tasks"):
            indexed = Counter(tuple(i["column_names"]) for i in inspector.get_indexes(table, schema=schema))
            assert all(n == 1 for n in indexed.values()), f"{table}: an index on the same columns twice: {indexed}"
    finally:
        engine.dispose()

    back = agno_db(backend, db_url)  # agno's class reads what ours wrote
    assert read_company(back) == after
    back.close()

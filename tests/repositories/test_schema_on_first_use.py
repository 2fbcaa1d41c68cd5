"""Tables come from the migrations on first use: once, under a lock, or with a clear error."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import URL

from agno_models import migrate
from agno_models.engine import create_engine
from repositories import SchemaNotReadyError
from tests.repositories.conftest import make_db

ROOT = Path(__file__).resolve().parents[2]


def tables(url: URL, schema: str | None = None) -> set[str]:
    engine = create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names(schema=schema))
    finally:
        engine.dispose()


def schema_of(backend: str, url: URL) -> str | None:
    return {"sqlite": None, "postgresql": "ai", "mysql": url.database}[backend]


def test_first_call_migrates_to_head(backend: str, db_url: URL) -> None:
    db = make_db(backend, db_url)
    assert db.get_sessions(deserialize=False) == ([], 0)
    assert db.migrated_on_first_use is True
    assert "agno_sessions" in tables(db_url, schema_of(backend, db_url))
    again = make_db(backend, db_url)
    again.get_sessions()
    assert again.migrated_on_first_use is False
    db.close()
    again.close()


def test_without_auto_upgrade_a_database_behind_is_an_error(backend: str, db_url: URL) -> None:
    db = make_db(backend, db_url, auto_upgrade=False)
    with pytest.raises(SchemaNotReadyError, match="agno-models upgrade --url"):
        db.get_sessions()
    assert "agno_sessions" not in tables(db_url, schema_of(backend, db_url))
    db.close()


def test_custom_table_names_and_schema_are_migrated(backend: str, db_url: URL) -> None:
    schema = {"sqlite": None, "postgresql": "custom_schema", "mysql": f"{db_url.database}_c"}[backend]
    kwargs: dict[str, object] = {"session_table": "team_a_sessions", "memory_table": "team_a_memories"}
    if schema:
        kwargs["db_schema"] = schema
    db = make_db(backend, db_url, **kwargs)
    try:
        from agno.session import AgentSession

        db.upsert_session(AgentSession(session_id="s", agent_id="a", user_id="u"))
        db.upsert_run({"run_id": "r", "agent_id": "a", "session_id": "s"}, session_id="s", user_id="u")
        found = tables(db_url, schema)
        assert {"team_a_sessions", "team_a_sessions_runs", "team_a_memories"} <= found
        assert "agno_sessions" not in found
        engine = create_engine(db_url)
        with engine.connect() as conn:
            command.check(migrate.alembic_config(connection=conn, schema=schema, names=db.table_names))
        engine.dispose()
    finally:
        db.close()
        if backend == "mysql":
            engine = create_engine(db_url)
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{schema}`"))
            engine.dispose()


WORKER = """
import json, sys, time
sys.path.insert(0, {root!r})
from tests.repositories.conftest import make_db
from sqlalchemy.engine import make_url
start = float(sys.argv[1])
db = make_db({backend!r}, make_url({url!r}))
while time.time() < start:
    time.sleep(0.001)
db.get_sessions()
print(json.dumps({{"migrated": db.migrated_on_first_use}}))
"""


def test_processes_starting_together_migrate_once(backend: str, db_url: URL) -> None:
    code = WORKER.format(root=str(ROOT), backend=backend, url=db_url.render_as_string(hide_password=False))
    start = time.time() + 2.0
    workers = [
        subprocess.Popen([sys.executable, "-c", code, str(start)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["migrated"] for r in results) == [False, False, True]
    if backend == "sqlite":
        # The lock is the file's own: nothing but the database (and its WAL files) is left beside it.
        db_file = Path(db_url.database or "")
        assert {p.name for p in db_file.parent.iterdir()} <= {db_file.name, db_file.name + "-wal", db_file.name + "-shm"}

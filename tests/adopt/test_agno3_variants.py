"""Adoption of renamed table sets and other schemas; tables that are not agno's; duplicate run indexes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from agno.db.base import SessionType
from agno.db.schemas import UserMemory
from sqlalchemy.engine import URL

from agno_models import migrate
from agno_models.adopt import AdoptionError
from agno_models.engine import create_engine
from tests.adopt.agno_data import run_agents
from tests.adopt.conftest import agno_db, alembic_check, revision, schema_for
from tests.repositories.conftest import make_db

RENAMED = {
    "session_table": "my_sessions", "runs_table": "my_runs", "memory_table": "my_memories",
    "metrics_table": "my_metrics", "eval_table": "my_evals", "knowledge_table": "my_knowledge",
    "traces_table": "my_traces", "spans_table": "my_spans", "versions_table": "my_versions",
}


def _reads(db: object) -> dict[str, object]:
    sessions = db.get_sessions(session_type=SessionType.AGENT, deserialize=False)[0]  # type: ignore[attr-defined]
    return {
        "sessions": {s["session_id"]: db.get_session(s["session_id"], session_type=SessionType.AGENT).to_dict()  # type: ignore[attr-defined]
                     for s in sessions},
        "memories": sorted((m.memory_id, m.memory, m.user_id) for m in db.get_user_memories()),  # type: ignore[attr-defined]
    }


def test_a_renamed_table_set_in_another_schema_is_adopted(backend: str, db_url: URL) -> None:
    extra = {"db_schema": "custom"} if backend == "postgresql" else {}
    theirs = agno_db(backend, db_url, **RENAMED, **extra)
    run_agents(theirs)
    theirs.upsert_user_memory(UserMemory(memory="likes tea", topics=["food"], user_id="alice", memory_id="m1"))
    before = _reads(theirs)
    theirs.close()

    ours = make_db(backend, db_url, **RENAMED, **extra)
    assert _reads(ours) == before
    # Ids compare exactly after adoption on every backend (MySQL columns now binary NO PAD).
    assert ours.get_user_memories(user_id="ALICE ") == []
    assert [m.memory_id for m in ours.get_user_memories(user_id="alice")] == ["m1"]
    names = ours.table_names
    ours.close()
    schema = schema_for(backend, db_url, extra.get("db_schema"))
    assert revision(db_url, schema=schema, names=names) == migrate.head_revision()
    alembic_check(db_url, schema=schema, names=names)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names(schema=schema))
    engine.dispose()
    assert {"my_sessions", "my_runs", "my_memories"} <= tables and "agno_sessions" not in tables


def _columns(url: URL, table: str, schema: str | None) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = [c["name"] for c in sa.inspect(conn).get_columns(table, schema=schema)]
    engine.dispose()
    return names


def test_tables_agno_did_not_make_are_reported_and_left_alone(backend: str, db_url: URL) -> None:
    theirs = agno_db(backend, db_url)
    run_agents(theirs)
    theirs.close()
    schema = schema_for(backend, db_url)
    engine = create_engine(db_url)
    qualified = f"{schema}.agno_memories" if backend == "postgresql" else "agno_memories"
    with engine.begin() as conn:
        conn.execute(sa.text(f"ALTER TABLE {qualified} ADD COLUMN mood INTEGER"))
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {qualified.replace('agno_memories', 'agno_eval_runs')}"))
        conn.execute(sa.text(f"CREATE TABLE {qualified.replace('agno_memories', 'agno_eval_runs')} "
                             "(run_id INTEGER PRIMARY KEY, eval_type VARCHAR(20))"))
    engine.dispose()
    sessions_before = _columns(db_url, "agno_sessions", schema)

    ours = make_db(backend, db_url)
    with pytest.raises(AdoptionError) as caught:
        ours.get_sessions()
    ours.close()
    message = str(caught.value)
    assert "agno_memories.mood (INTEGER) is a column agno does not create" in message
    assert "agno_eval_runs.run_id is INTEGER (int); agno and agno-models store string there" in message
    assert "nothing was changed" in message
    assert _columns(db_url, "agno_sessions", schema) == sessions_before
    assert revision(db_url, schema=schema) is None


def test_duplicate_run_indexes_are_renumbered_in_agnos_reading_order(backend: str, db_url: URL) -> None:
    theirs = agno_db(backend, db_url)
    run_agents(theirs)
    schema = schema_for(backend, db_url)
    runs = f"{schema}.agno_runs" if backend == "postgresql" else "agno_runs"
    engine = create_engine(db_url)
    with engine.begin() as conn:  # what concurrent agno writers can leave: one index twice
        conn.execute(sa.text(f"UPDATE {runs} SET run_index = 0 WHERE session_id = 's1'"))
    engine.dispose()
    order = [r.run_id for r in theirs.get_session("s1", session_type=SessionType.AGENT).runs]
    theirs.close()

    ours = make_db(backend, db_url)
    assert [r.run_id for r in ours.get_session("s1", user_id="ada").runs] == order
    rows, total = ours.get_runs(session_id="s1", deserialize=False)
    ours.close()
    assert sorted(r["run_index"] for r in rows) == list(range(total)) and total == 3

"""agno 2.x databases (runs as a JSON array in sessions.runs), loaded from snapshots agno 2.x wrote."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL

from agno_models import migrate
from agno_models.engine import create_engine
from tests.adopt.conftest import alembic_check, revision, schema_for
from tests.adopt.snapshots import expected, load
from tests.repositories.conftest import make_db


def _read(db: Any, want: dict[str, Any]) -> dict[str, Any]:
    sessions = {}
    for session_id, was in want["sessions"].items():
        session = db.get_session(session_id, user_id=was["user_id"])
        sessions[session_id] = {
            "type": session.session_type if hasattr(session, "session_type") else was["type"],
            "user_id": session.user_id,
            "session_state": (session.session_data or {}).get("session_state"),
            "summary": session.summary.summary if getattr(session, "summary", None) else None,
            "runs": [[r.run_id, r.content, getattr(r.status, "value", r.status), getattr(r, "parent_run_id", None)]
                     for r in session.runs or []],
        }
    memories = sorted([m.memory_id, m.memory, m.topics, m.user_id] for m in db.get_user_memories())
    return {"sessions": sessions, "memories": memories}


def test_an_agno2_snapshot_reads_as_agno2_wrote_it(backend: str, db_url: URL) -> None:
    load(backend, db_url)
    want = expected(backend)
    ours = make_db(backend, db_url)
    got = _read(ours, want)
    ours.close()
    assert got == want
    schema = schema_for(backend, db_url)
    assert revision(db_url, schema=schema) == migrate.head_revision()
    alembic_check(db_url, schema=schema)
    engine = create_engine(db_url)
    sessions = f"{schema}.agno_sessions" if schema else "agno_sessions"
    with engine.connect() as conn:  # the old column is kept, with its data
        assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {sessions} WHERE runs IS NOT NULL")).scalar() == 5
    engine.dispose()

"""The per-turn read serves cached run objects, and never a stale one, whoever wrote the change.

Revision 0007's triggers version every run write; these tests write behind the db's back (a
second db object, a raw SQL statement, another process) and check the next read sees it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from agno.run.agent import RunOutput
from agno.session import AgentSession
from sqlalchemy.engine import URL

from repositories.core.db import SqlDb
from tests.repositories.conftest import make_db

ROOT = Path(__file__).resolve().parents[2]


def run(run_id: str, content: str = "x") -> RunOutput:
    return RunOutput(run_id=run_id, session_id="s", agent_id="a", content=content)


def session_with(db: SqlDb, runs: int) -> None:
    db.upsert_session(AgentSession(session_id="s", agent_id="a", user_id="u"))
    for i in range(runs):
        db.upsert_run(run(f"r{i:03}", f"turn {i}"), session_id="s", user_id="u")


def contents(db: SqlDb) -> list[str]:
    session = db.get_session(session_id="s", session_type=None, user_id="u")
    return [r.content for r in session.runs]


def test_an_unchanged_session_reuses_its_run_objects(db: SqlDb) -> None:
    session_with(db, 3)
    first = db.get_session(session_id="s", session_type=None).runs
    second = db.get_session(session_id="s", session_type=None).runs
    assert [r.content for r in second] == ["turn 0", "turn 1", "turn 2"]
    assert all(a is b for a, b in zip(first, second, strict=True))
    db.upsert_run(run("r003", "turn 3"), session_id="s", user_id="u")
    third = db.get_session(session_id="s", session_type=None).runs
    assert [r.content for r in third] == ["turn 0", "turn 1", "turn 2", "turn 3"]
    assert all(a is b for a, b in zip(first, third[:3], strict=True))  # only the new run was read


def test_writes_by_another_db_object_are_seen(backend: str, fresh_url: URL, db: SqlDb) -> None:
    session_with(db, 3)
    assert contents(db) == ["turn 0", "turn 1", "turn 2"]
    other = make_db(backend, fresh_url)  # another process's db, as far as this one knows
    try:
        other.upsert_run(run("r001", "edited"), session_id="s", user_id="u")
        other.upsert_run(run("r003", "turn 3"), session_id="s", user_id="u")
        assert contents(db) == ["turn 0", "edited", "turn 2", "turn 3"]
        other.delete_run("r000")
        assert contents(db) == ["edited", "turn 2", "turn 3"]
    finally:
        other.close()


def test_raw_sql_writes_are_seen_and_counted(db: SqlDb) -> None:
    session_with(db, 2)
    assert contents(db) == ["turn 0", "turn 1"]
    runs, sessions = db.tables.runs, db.tables.sessions
    with db._engine_for_queries().begin() as conn:
        stored = conn.execute(sa.select(runs.c.run_data).where(runs.c.run_id == "r001")).scalar_one()
        conn.execute(sa.update(runs).where(runs.c.run_id == "r001").values(run_data={**stored, "content": "by hand"}))
        conn.execute(sa.insert(runs).values(
            run_id="r002", session_id="s", run_type="agent", run_index=2, created_at=2_000_000_000,
            run_data={**stored, "run_id": "r002", "content": "inserted by hand"}))
    assert contents(db) == ["turn 0", "by hand", "inserted by hand"]
    with db._engine_for_queries().connect() as conn:
        count, last = conn.execute(sa.select(sessions.c.run_count, sessions.c.last_run_at)).one()
    assert (count, last) == (3, 2_000_000_000)  # the triggers keep the counters for every writer
    with db._engine_for_queries().begin() as conn:
        conn.execute(sa.delete(runs).where(runs.c.run_id == "r000"))
    assert contents(db) == ["by hand", "inserted by hand"]


def test_another_process_appending_between_reads_is_never_missed(backend: str, fresh_url: URL, db: SqlDb) -> None:
    session_with(db, 1)
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from agno.run.agent import RunOutput
        from sqlalchemy.engine import make_url
        from tests.repositories.conftest import make_db
        db = make_db({backend!r}, make_url(sys.argv[1]))
        db.upsert_run(RunOutput(run_id=sys.argv[2], session_id="s", agent_id="a", content=sys.argv[2]),
                      session_id="s", user_id="u")
        db.close()
    """)
    url = fresh_url.render_as_string(hide_password=False)
    expected = ["turn 0"]
    for i in range(2):
        assert contents(db) == expected  # cached now
        subprocess.run([sys.executable, "-c", script, url, f"p{i}"], check=True, cwd=ROOT, timeout=120)
        expected.append(f"p{i}")
        db.upsert_run(run(f"mine{i}", f"mine {i}"), session_id="s", user_id="u")
        expected.append(f"mine {i}")
        assert contents(db) == expected


def test_reads_that_are_not_the_per_turn_read_bypass_the_cache(db: SqlDb) -> None:
    session_with(db, 3)
    raw: Any = db.get_session(session_id="s", session_type=None, deserialize=False)
    assert [r["content"] for r in raw["runs"]] == ["turn 0", "turn 1", "turn 2"]
    limited = db.get_session(session_id="s", session_type=None, runs_limit=2)
    assert [r.content for r in limited.runs] == ["turn 1", "turn 2"]

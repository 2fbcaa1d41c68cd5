"""Small things agno's users rely on: ``_get_table`` hands out the real table (name and schema),
and ``SqliteDb(db_file=...)`` creates the file's missing folder."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from agno.session import AgentSession
from sqlalchemy.engine import URL

from agno_models.engine import create_engine
from repositories import SqliteDb
from tests.repositories.conftest import make_db


def test_a_query_built_from_get_table_runs_against_the_right_schema(backend: str, db_url: URL) -> None:
    db = make_db(backend, db_url, session_table="team_sessions")
    try:
        db.upsert_session(AgentSession(session_id="s1", agent_id="a1", user_id="u1", created_at=1, updated_at=1))
        table = db._get_table("sessions")
        assert table is not None and table.name == "team_sessions"
        assert table.schema == db.db_schema  # "ai" on PostgreSQL, the database on MySQL, None on SQLite
        assert db._get_table("sessions") is table
        plain = create_engine(db_url)  # no schema translation: the table must say where it lives
        try:
            with plain.connect() as conn:
                assert conn.execute(sa.select(table.c.session_id, table.c.user_id)).all() == [("s1", "u1")]
                runs = db._get_table("runs")
                joined = sa.select(sa.func.count()).select_from(table.outerjoin(runs))  # foreign keys resolve
                assert conn.execute(joined).scalar_one() == 1
        finally:
            plain.dispose()
        with db.Session() as session:  # agno's own tooling goes through db.Session
            assert session.execute(sa.select(table.c.session_id)).scalars().all() == ["s1"]
    finally:
        db.close()


def test_sqlite_db_file_creates_its_folder(tmp_path: Path) -> None:
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        db = SqliteDb(db_file="tmp/agents.db")
        db.upsert_session(AgentSession(session_id="s1", agent_id="a1", created_at=1, updated_at=1))
        assert (tmp_path / "tmp" / "agents.db").is_file()
        db.close()
    finally:
        os.chdir(here)

"""Revision 0007 on every dialect: run versions and session counters kept by triggers, for every
writer and every table set, a downgrade that removes them, and an upgrade that completes a
half-applied one."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import URL

from agno_models import migrate
from agno_models.engine import create_engine
from agno_models.layout import DEFAULT_NAMES, TableNames
from tests.test_migration_0003 import url_of


def insert_run(conn: sa.Connection, names: TableNames, run_id: str, session_id: str, created_at: int) -> None:
    conn.execute(sa.text(
        f"INSERT INTO {names.runs} (run_id, session_id, run_type, run_index, run_data, created_at) "
        f"VALUES (:r, :s, 'agent', :i, '{{}}', :c)"), {"r": run_id, "s": session_id, "i": created_at % 1000, "c": created_at})


def session_state(conn: sa.Connection, names: TableNames, session_id: str) -> tuple[int, int | None, int]:
    row = conn.execute(sa.text(f"SELECT run_count, last_run_at, runs_version FROM {names.sessions} WHERE session_id = :s"),
                       {"s": session_id}).one()
    return int(row[0]), row[1], int(row[2])


def exercise(engine: sa.Engine, names: TableNames) -> None:
    """Plain SQL writes, as another writer would send them: counters and versions follow."""
    with engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {names.sessions} (session_id, session_type, created_at) VALUES ('s', 'agent', 1)"))
        insert_run(conn, names, "r1", "s", 100)
        insert_run(conn, names, "r2", "s", 200)
    with engine.connect() as conn:
        count, last, version = session_state(conn, names, "s")
        assert (count, last) == (2, 200) and version >= 2
        versions = dict(conn.execute(sa.text(f"SELECT run_id, row_version FROM {names.runs}")).all())
        assert versions["r1"] < versions["r2"] <= version
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {names.runs} SET status = 'COMPLETED' WHERE run_id = 'r1'"))
    with engine.connect() as conn:
        updated = conn.execute(sa.text(f"SELECT row_version FROM {names.runs} WHERE run_id = 'r1'")).scalar_one()
        assert updated > versions["r2"] and session_state(conn, names, "s")[2] == updated
    with engine.begin() as conn:
        conn.execute(sa.text(f"DELETE FROM {names.runs} WHERE run_id = 'r2'"))
    with engine.connect() as conn:
        count, last, after_delete = session_state(conn, names, "s")
        assert (count, last) == (1, 100) and after_delete > updated


def test_triggers_keep_versions_and_counters_for_plain_sql_writers(db_url: URL) -> None:
    url = url_of(db_url)
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        exercise(engine, DEFAULT_NAMES)
    finally:
        engine.dispose()


def test_a_renamed_table_set_beside_the_default_one_gets_triggers_of_its_own(db_url: URL) -> None:
    url = url_of(db_url)
    custom = TableNames.prefixed("team_")
    migrate.upgrade(url)
    migrate.upgrade(url, names=custom)
    engine = create_engine(url)
    try:
        exercise(engine, custom)
        with engine.connect() as conn:
            assert conn.execute(sa.text(f"SELECT count(*) FROM {DEFAULT_NAMES.sessions}")).scalar_one() == 0
    finally:
        engine.dispose()


def test_downgrade_removes_the_triggers_and_a_repeated_upgrade_completes_a_half_applied_one(db_url: URL) -> None:
    url = url_of(db_url)
    migrate.upgrade(url)
    migrate.downgrade(url, revision="0004")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:  # plain writes work again without the columns or triggers
            conn.execute(sa.text("INSERT INTO agno_sessions (session_id, session_type, created_at) VALUES ('s', 'agent', 1)"))
            insert_run(conn, DEFAULT_NAMES, "r0", "s", 50)
            conn.execute(sa.text("DELETE FROM agno_sessions"))
            # What a killed upgrade leaves on MySQL, where DDL commits as it goes: the first column.
            conn.execute(sa.text("ALTER TABLE agno_sessions ADD COLUMN runs_version BIGINT NOT NULL DEFAULT 0"))
        migrate.upgrade(url)
        exercise(engine, DEFAULT_NAMES)
    finally:
        engine.dispose()

"""Revision 0009 on every dialect: the sandbox bindings table in agno's shape (deleting a session
deletes its binding, the run a binding holds cannot be deleted), for renamed table sets too, a
downgrade that removes it, and an upgrade that completes a half-applied one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from agno_models import migrate
from agno_models.engine import create_engine
from agno_models.layout import DEFAULT_NAMES, TableNames
from tests.test_migration_0003 import url_of
from tests.test_migration_0007 import insert_run


def exercise(engine: sa.Engine, names: TableNames) -> None:
    table = names.sandbox_bindings
    with engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {names.sessions} (session_id, session_type, created_at) VALUES ('s', 'agent', 1)"))
        insert_run(conn, names, "r1", "s", 100)
        conn.execute(sa.text(
            f"INSERT INTO {table} (namespace, session_id, agent_id, epoch, run_id, record) "
            f"VALUES ('ai.{names.sessions}', 's', 'a', 1, 'r1', '{{}}')"))
    # The run a binding holds cannot be deleted on its own.
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text(f"DELETE FROM {names.runs} WHERE run_id = 'r1'"))
    # Releasing it lets the run go; deleting the session deletes the binding.
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {table} SET run_id = NULL"))
        conn.execute(sa.text(f"DELETE FROM {names.runs} WHERE run_id = 'r1'"))
        conn.execute(sa.text(f"DELETE FROM {names.sessions} WHERE session_id = 's'"))
    with engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0


def sqlite_foreign_keys(engine: sa.Engine) -> None:
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))


def test_the_bindings_table_keeps_agnos_foreign_key_rules(db_url: URL) -> None:
    url = url_of(db_url)
    migrate.upgrade(url)
    engine = create_engine(url)
    sqlite_foreign_keys(engine)
    try:
        exercise(engine, DEFAULT_NAMES)
    finally:
        engine.dispose()


def test_a_renamed_table_set_gets_bindings_named_after_its_session_table(db_url: URL) -> None:
    url = url_of(db_url)
    custom = TableNames.prefixed("team_")
    assert custom.sandbox_bindings == "team_sessions_sandbox_bindings"
    migrate.upgrade(url)
    migrate.upgrade(url, names=custom)
    engine = create_engine(url)
    sqlite_foreign_keys(engine)
    try:
        exercise(engine, custom)
    finally:
        engine.dispose()


def test_downgrade_removes_the_table_and_a_repeated_upgrade_completes_a_half_applied_one(db_url: URL) -> None:
    url = url_of(db_url)
    migrate.upgrade(url)
    migrate.downgrade(url, revision="0008")
    engine = create_engine(url)
    sqlite_foreign_keys(engine)
    try:
        assert DEFAULT_NAMES.sandbox_bindings not in sa.inspect(engine).get_table_names()
        # What a killed upgrade leaves on MySQL, where DDL commits as it goes: the table, no index yet.
        migrate.upgrade(url)
        index = f"ix_{DEFAULT_NAMES.sandbox_bindings}_run_id"
        table, fk = DEFAULT_NAMES.sandbox_bindings, f"fk_{DEFAULT_NAMES.sandbox_bindings}_run_id"
        with engine.begin() as conn:
            if engine.dialect.name == "mysql":  # the foreign key needs an index: MySQL's own, then
                conn.execute(sa.text(f"ALTER TABLE {table} DROP FOREIGN KEY {fk}"))
                conn.execute(sa.text(f"DROP INDEX {index} ON {table}"))
                conn.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {fk} FOREIGN KEY (run_id) "
                                     f"REFERENCES {DEFAULT_NAMES.runs} (run_id)"))
            else:
                conn.execute(sa.text(f"DROP INDEX {index}"))
        migrate.stamp(url, revision="0008")
        migrate.upgrade(url)
        indexes = {i["name"] for i in sa.inspect(engine).get_indexes(DEFAULT_NAMES.sandbox_bindings)}
        assert index in indexes
        exercise(engine, DEFAULT_NAMES)
    finally:
        engine.dispose()

"""Revision 0004 on every dialect: the (session_id, created_at) run index, for renamed table sets
too, and a downgrade that drops only that index."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import URL

from agno_models import migrate
from agno_models.engine import create_engine
from agno_models.layout import DEFAULT_NAMES, TableNames
from tests.test_migration_0003 import RUNS, seed_legacy, url_of


def run_indexes(engine: sa.Engine, table: str) -> dict[str, list[str]]:
    return {ix["name"]: ix["column_names"] for ix in sa.inspect(engine).get_indexes(table)}


def test_upgrade_indexes_run_times_per_session_and_downgrade_drops_only_that(db_url: URL) -> None:
    url = url_of(db_url)
    migrate.upgrade(url, revision="0002")
    engine = create_engine(url)
    try:
        seed_legacy(engine)
        migrate.upgrade(url, revision="0003")
        before = run_indexes(engine, DEFAULT_NAMES.runs)
        migrate.upgrade(url, revision="0004")
        after = run_indexes(engine, DEFAULT_NAMES.runs)
        assert after == before | {"ix_agno_runs_session_id_created_at": ["session_id", "created_at"]}
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM agno_runs")).scalar_one() == RUNS

        migrate.downgrade(url, revision="0003")
        assert run_indexes(engine, DEFAULT_NAMES.runs) == before
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM agno_runs")).scalar_one() == RUNS
    finally:
        engine.dispose()


def test_a_renamed_table_set_gets_its_own_index(db_url: URL) -> None:
    names = TableNames(runs="team_runs", sessions="team_sessions")
    url = url_of(db_url)
    migrate.upgrade(url, names=names)
    engine = create_engine(url)
    try:
        assert run_indexes(engine, "team_runs")["ix_team_runs_session_id_created_at"] == ["session_id", "created_at"]
    finally:
        engine.dispose()

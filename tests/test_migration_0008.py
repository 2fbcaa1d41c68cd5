"""Revision 0008 on every dialect: the four Company tables appear, leave on a downgrade with
nothing else touched, and a half-applied upgrade (MySQL commits each DDL) is completed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

import agno_models
from agno_models import migrate
from agno_models.engine import create_engine
from agno_models.layout import DEFAULT_NAMES, TableNames
from tests.test_migration_0003 import url_of

KINDS = ("products", "sources", "projects", "tasks")


def company_tables(engine: sa.Engine, names: TableNames = DEFAULT_NAMES) -> set[str]:
    present = set(sa.inspect(engine).get_table_names())
    return {names[kind] for kind in KINDS} & present


def shape(engine: sa.Engine, table: str) -> tuple[set[str], set[tuple[str, ...]], set[tuple[str, ...]]]:
    """(columns, indexed column lists, unique column lists) of ``table``."""
    inspector = sa.inspect(engine)
    columns = {c["name"] for c in inspector.get_columns(table)}
    indexes = {tuple(i["column_names"]) for i in inspector.get_indexes(table) if not i.get("unique")}
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
    uniques |= {tuple(i["column_names"]) for i in inspector.get_indexes(table) if i.get("unique")}
    return columns, indexes, uniques


def test_up_creates_the_company_tables_and_down_removes_only_them(db_url: URL) -> None:
    url = url_of(db_url)
    migrate.upgrade(url, revision="0007")
    engine = create_engine(url)
    try:
        assert company_tables(engine) == set()
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO agno_sessions (session_id, session_type, created_at) VALUES ('s', 'agent', 1)"))
        migrate.upgrade(url)
        assert company_tables(engine) == {DEFAULT_NAMES[kind] for kind in KINDS}
        for kind in KINDS:  # exactly the model's columns
            model = agno_models.metadata.tables[DEFAULT_NAMES[kind]]
            assert shape(engine, model.name)[0] == {c.name for c in model.columns}
        _, indexes, uniques = shape(engine, "agno_company_tasks")
        assert ("product_id", "dedupe_key") in uniques and ("routine_id",) in indexes
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO agno_company_tasks (id, product_id, status, created_at, dedupe_key) VALUES ('t', 'p', 'backlog', 1, 'k')"))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # a proposal is stored once
            conn.execute(sa.text(
                "INSERT INTO agno_company_tasks (id, product_id, status, created_at, dedupe_key) VALUES ('t2', 'p', 'backlog', 1, 'k')"))

        migrate.downgrade(url, revision="0007")
        assert company_tables(engine) == set()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM agno_sessions")).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_renamed_table_set_gets_company_tables_of_its_own(db_url: URL) -> None:
    url = url_of(db_url)
    custom = TableNames.prefixed("team_")
    migrate.upgrade(url)
    migrate.upgrade(url, names=custom)
    engine = create_engine(url)
    try:
        assert company_tables(engine, custom) == {f"team_company_{kind}" for kind in KINDS}
        assert company_tables(engine) == {DEFAULT_NAMES[kind] for kind in KINDS}
    finally:
        engine.dispose()


def test_a_repeated_upgrade_completes_a_half_applied_one(db_url: URL) -> None:
    url = url_of(db_url)
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        full = {DEFAULT_NAMES[kind]: shape(engine, DEFAULT_NAMES[kind]) for kind in KINDS}
        # What a killed upgrade leaves on MySQL: two tables made, the second without its indexes.
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE agno_company_tasks"))
            conn.execute(sa.text("DROP TABLE agno_company_projects"))
        with engine.begin() as conn:
            conn.execute(sa.text("DROP INDEX ix_agno_company_sources_user_id" + (
                " ON agno_company_sources" if engine.dialect.name in ("mysql", "mariadb") else "")))
        migrate.stamp(url, revision="0007")
        migrate.upgrade(url)
        assert {name: shape(engine, name) for name in full} == full
    finally:
        engine.dispose()


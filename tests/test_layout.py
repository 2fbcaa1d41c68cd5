"""Renamed table sets: same tables, renamed parents, names re-derived from the convention."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

import agno_models
from agno_models.layout import DEFAULT_NAMES, TableNames, _clone, metadata_for


def ddl(metadata: MetaData, dialect: object) -> set[str]:
    lines: set[str] = set()
    for table in metadata.sorted_tables:
        lines |= {line.strip().rstrip(",") for line in str(CreateTable(table).compile(dialect=dialect)).splitlines()}
        lines |= {str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes}
    return lines


@pytest.mark.parametrize("dialect", [postgresql.dialect(), mysql.dialect(), sqlite.dialect()], ids=lambda d: d.name)
def test_identity_clone_reproduces_the_models_ddl(dialect: object) -> None:
    clone = MetaData(naming_convention=agno_models.NAMING_CONVENTION)
    for table in agno_models.metadata.sorted_tables:
        _clone(table, clone, {})
    assert ddl(clone, dialect) == ddl(agno_models.metadata, dialect)


def test_prefixed_set_renames_tables_keys_and_constraints() -> None:
    names = TableNames.prefixed("team_a_")
    metadata = metadata_for(names)
    assert set(metadata.tables) == set(names.as_dict().values())
    runs = metadata.tables["team_a_runs"]
    (fk,) = runs.foreign_keys
    assert fk.column.table.name == "team_a_sessions"
    assert fk.constraint is not None and fk.constraint.name == "fk_team_a_runs_session_id"
    every_name = {c.name for t in metadata.tables.values() for c in (*t.constraints, *t.indexes)}
    assert not any("agno_" in str(name) for name in every_name)


def test_default_names_use_the_shared_metadata() -> None:
    assert metadata_for(DEFAULT_NAMES) is agno_models.metadata
    assert DEFAULT_NAMES.version_table == "agno_models_version"
    assert TableNames.prefixed("x_").version_table != DEFAULT_NAMES.version_table


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"sessions": "agno_runs"}, "cannot both be named 'agno_runs'"),
        ({"sessions": ""}, "must be 1 to 63 characters"),
        ({"sesions": "x"}, "unknown table type"),
    ],
)
def test_bad_names_are_refused(mapping: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TableNames.from_mapping(mapping)


def _version_table_as_released(names: dict[str, str]) -> str:
    """How agno-models 0.1 named a custom set's version table: a digest of all 17 kinds' names."""
    import hashlib

    released = ("sessions", "runs", "memories", "knowledge", "knowledge_embeddings", "evals", "metrics", "traces",
                "spans", "schedules", "schedule_runs", "approvals", "learnings", "components", "component_configs",
                "component_links", "versions")
    digest = hashlib.sha256(repr(sorted((k, names[k]) for k in released)).encode()).hexdigest()[:10]
    return f"agno_models_version_{digest}"


def test_a_custom_sets_version_table_keeps_its_name_when_a_kind_is_added(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    import sqlalchemy as sa

    from agno_models import registry
    from agno_models.migrate import upgrade

    custom = TableNames(sessions="my_sessions", runs="my_sessions_runs", memories="my_memories")
    released = _version_table_as_released(custom.as_dict())
    assert custom.version_table == released
    url = f"sqlite:///{tmp_path}/custom.db"  # type: ignore[str-bytes-safe]
    upgrade(url, names=custom)

    # A later release registers a new kind: the same custom set must find the same version table.
    monkeypatch.setitem(registry.KINDS, "widgets", registry.TableKind("widgets", "agno_widgets", "widget_table", None))
    grown = TableNames(**custom.as_dict())
    assert grown.widgets == "agno_widgets"
    assert grown.version_table == released
    engine = sa.create_engine(url)
    try:
        assert sa.inspect(engine).has_table(grown.version_table)
    finally:
        engine.dispose()


def test_clone_keeps_check_constraints_and_index_options() -> None:
    from sqlalchemy import CheckConstraint, Column, Index, Integer, Table

    source = MetaData(naming_convention=agno_models.NAMING_CONVENTION)
    Table(
        "agno_widgets", source, Column("id", Integer, primary_key=True), Column("size", Integer),
        CheckConstraint("size >= 0", name="size_positive"), Index(None, "size", postgresql_using="brin"),
    )
    clone = MetaData(naming_convention=agno_models.NAMING_CONVENTION)
    copy = _clone(source.tables["agno_widgets"], clone, {"agno_widgets": "team_widgets"})
    dialect = postgresql.dialect()
    assert "CONSTRAINT ck_team_widgets_size_positive CHECK (size >= 0)" in str(CreateTable(copy).compile(dialect=dialect))
    (index,) = copy.indexes
    assert str(CreateIndex(index).compile(dialect=dialect)) == "CREATE INDEX ix_team_widgets_size ON team_widgets USING brin (size)"

"""Every keyword agno's db constructors accept is accepted by our class of the same name."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

import repositories
from tests.repositories.conftest import make_db

CLASSES = ["SqliteDb", "PostgresDb", "MySQLDb", "AsyncSqliteDb", "AsyncPostgresDb", "AsyncMySQLDb"]
AGNO_MODULES = {"Sqlite": "agno.db.sqlite", "Postgres": "agno.db.postgres", "MySQL": "agno.db.mysql"}
URLS = {"Sqlite": "sqlite:///{tmp}/k.db", "Postgres": "postgresql+psycopg://u@127.0.0.1:1/x",
        "MySQL": "mysql+pymysql://u@127.0.0.1:1/x"}
ASYNC_URLS = {"Sqlite": "sqlite+aiosqlite:///{tmp}/k.db", "Postgres": "postgresql+psycopg://u@127.0.0.1:1/x",
              "MySQL": "mysql+aiomysql://u@127.0.0.1:1/x"}


def family(name: str) -> str:
    return next(f for f in AGNO_MODULES if f in name)


def agno_class(name: str) -> type[Any]:
    return getattr(importlib.import_module(AGNO_MODULES[family(name)]), name)


def agno_keywords(name: str) -> list[str]:
    return [p for p in inspect.signature(agno_class(name).__init__).parameters if p != "self"]


def value_for(keyword: str) -> Any:
    if keyword.endswith("_table"):
        return f"custom_{keyword}"
    return {"create_schema": False, "id": "my-db", "db_schema": "ai2"}.get(keyword)


@pytest.mark.parametrize("name", CLASSES)
def test_every_agno_keyword_is_accepted(name: str, tmp_path: Path) -> None:
    """Constructed with all of agno's keywords at once (no connection is made at construction)."""
    url = (ASYNC_URLS if name.startswith("Async") else URLS)[family(name)].format(tmp=tmp_path)
    kwargs = {k: value_for(k) for k in agno_keywords(name) if k not in ("db_url", "db_engine", "db_file")}
    if family(name) == "Sqlite":
        kwargs.pop("db_schema", None)
    db = getattr(repositories, name)(db_url=url, **kwargs)
    try:
        assert db.id == "my-db"
        if "create_schema" in kwargs:
            assert db.create_schema is False
        # Each table keyword renames the table we store, or is kept under agno's attribute name.
        stored = {k.argument: db.table_names[k.kind] for k in __import__("agno_models").registry.kinds() if k.argument}
        for keyword in (k for k in kwargs if k.endswith("_table")):
            if keyword in stored:
                assert stored[keyword] == f"custom_{keyword}", keyword
            else:
                assert getattr(db, f"{keyword}_name") == f"custom_{keyword}", keyword
    finally:
        result = db.close()
        if inspect.isawaitable(result):
            asyncio.run(result)


@pytest.mark.parametrize("name", CLASSES)
def test_an_unknown_keyword_is_still_refused(name: str) -> None:
    with pytest.raises(TypeError, match="widget_table"):
        getattr(repositories, name)(db_url="sqlite:///:memory:", widget_table="w")


def test_agnos_sqlite_names_match_ours(tmp_path: Path) -> None:
    """Same keywords, same attribute values as agno's own SqliteDb (the names agno code reads)."""
    from agno.db.sqlite import SqliteDb as AgnoSqliteDb

    kwargs = {k: value_for(k) for k in agno_keywords("SqliteDb") if k.endswith("_table")}
    theirs = AgnoSqliteDb(db_file=str(tmp_path / "a.db"), **kwargs)
    ours = repositories.SqliteDb(db_file=str(tmp_path / "o.db"), **kwargs)
    attributes = [a for a in vars(theirs) if a.endswith("_table_name")]
    assert attributes
    assert {a: getattr(ours, a) for a in attributes} == {a: getattr(theirs, a) for a in attributes}
    ours.close()


def test_create_schema_false_refuses_a_missing_schema(backend: str, db_url: URL) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has no schemas")
    db = make_db(backend, db_url, db_schema="no_such_schema", create_schema=False)
    try:
        with pytest.raises(ValueError, match="'no_such_schema' does not exist and create_schema=False"):
            db.get_sessions()
    finally:
        db.close()
    engine = sa.create_engine(db_url)
    try:
        assert not sa.inspect(engine).has_schema("no_such_schema")
    finally:
        engine.dispose()

"""``db``: our agno db class for the backend under test, on a fresh, already migrated database.

Migrating 17 tables for every test would dominate the suite's time, so each backend is migrated
once per session into a template, and every test gets a fresh copy of it: a copied file on SQLite,
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, and on MySQL (which has no templates) the one
migrated database with every row deleted. Tests of migrating itself use ``db_url`` instead.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

import agno_models
from agno_models.engine import create_engine
from repositories import MySQLDb, PostgresDb, SqliteDb
from repositories.core.db import SqlDb


def make_db(backend: str, url: URL, **kwargs: object) -> SqlDb:
    text = url.render_as_string(hide_password=False)
    if backend == "sqlite":
        return SqliteDb(db_url=text, **kwargs)  # type: ignore[arg-type]
    if backend == "postgresql":
        return PostgresDb(db_url=text, **kwargs)  # type: ignore[arg-type]
    # A MySQL schema is a database: keep it the per-test one so runs never collide.
    kwargs.setdefault("db_schema", url.database)
    return MySQLDb(db_url=text, **kwargs)  # type: ignore[arg-type]


class Templates:
    """Migrated databases to copy from, made on first use, one per backend and session."""

    def __init__(self, request: pytest.FixtureRequest, root: Path) -> None:
        self.request, self.root = request, root
        self.made: dict[str, Any] = {}

    def _migrate(self, backend: str, url: URL) -> None:
        db = make_db(backend, url)
        db._ensure_schema()
        db.close()

    def sqlite(self) -> Path:
        if "sqlite" not in self.made:
            path = self.root / "template.db"
            self._migrate("sqlite", make_url(f"sqlite:///{path}"))
            self.made["sqlite"] = path
        return self.made["sqlite"]

    def postgresql(self) -> str:
        if "postgresql" not in self.made:
            from pytest_postgresql.janitor import DatabaseJanitor

            server = self.request.getfixturevalue("pg_server")
            name = f"tpl_{uuid.uuid4().hex[:12]}"
            janitor = DatabaseJanitor(user=str(server["user"]), host=str(server["host"]), port=int(server["port"]),
                                      dbname=name)
            janitor.init()  # no drop: the whole embedded server is deleted at the end of the session
            from tests.conftest import _pg_url

            self._migrate("postgresql", _pg_url(server, name))
            self.made["postgresql"] = name
        return self.made["postgresql"]

    def mysql(self) -> URL:
        if "mysql" not in self.made:
            admin: sa.Engine = self.request.getfixturevalue("mysql_admin")
            from tests.conftest import MYSQL_URL

            name = f"tpl_{uuid.uuid4().hex[:12]}"
            with admin.connect() as conn:
                conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))

            def drop() -> None:
                with admin.connect() as conn:
                    conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))

            self.request.addfinalizer(drop)
            url = make_url(MYSQL_URL).set(database=name)
            self._migrate("mysql", url)
            self.made["mysql"] = url
        return self.made["mysql"]


@pytest.fixture(scope="session")
def templates(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return Templates(request, tmp_path_factory.mktemp("templates"))


def _wipe(url: URL) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for table in reversed(agno_models.metadata.sorted_tables):  # children first
                conn.execute(table.delete())
    finally:
        engine.dispose()


@pytest.fixture
def fresh_url(request: pytest.FixtureRequest, backend: str, templates: Templates, tmp_path: Path) -> Iterator[URL]:
    """A URL to a fresh database already at the migration head."""
    if backend == "sqlite":
        path = tmp_path / "agno.db"
        shutil.copyfile(templates.sqlite(), path)
        yield make_url(f"sqlite:///{path}")
    elif backend == "postgresql":
        from pytest_postgresql.janitor import DatabaseJanitor

        from tests.conftest import _pg_url

        template = templates.postgresql()
        server = request.getfixturevalue("pg_server")
        name = f"t_{uuid.uuid4().hex[:12]}"
        with DatabaseJanitor(user=str(server["user"]), host=str(server["host"]), port=int(server["port"]),
                             dbname=name, template_dbname=template):
            yield _pg_url(server, name)
    else:
        url = templates.mysql()
        _wipe(url)
        yield url


@pytest.fixture
def db(backend: str, fresh_url: URL) -> Iterator[SqlDb]:
    instance = make_db(backend, fresh_url)
    yield instance
    instance.close()

"""``db``: our agno db class for the backend under test, on a fresh, already migrated database.

Every test that takes ``db`` runs twice per backend: on the sync class and on its async twin
(``flavour``), which sync test code drives through :class:`Blocking`. One suite, not a copy.

Migrating 17 tables for every test would dominate the suite's time, so each backend is migrated
once per session into a template, and every test gets a fresh copy of it: a copied file on SQLite,
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, and on MySQL (which has no templates) the one
migrated database with every row deleted. Tests of migrating itself use ``db_url`` instead.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

import agno_models
from agno_models.engine import create_engine, sync_url
from repositories import AsyncMySQLDb, AsyncPostgresDb, AsyncSqliteDb, MySQLDb, PostgresDb, SqliteDb
from repositories.core.asyncdb import AsyncSqlDb


CLASSES: dict[tuple[str, str], type[Any]] = {
    ("sqlite", "sync"): SqliteDb,
    ("postgresql", "sync"): PostgresDb,
    ("mysql", "sync"): MySQLDb,
    ("sqlite", "async"): AsyncSqliteDb,
    ("postgresql", "async"): AsyncPostgresDb,
    ("mysql", "async"): AsyncMySQLDb,
}


def make_db(backend: str, url: URL, *, flavour: str = "sync", **kwargs: object) -> Any:
    """Our db class for ``backend`` on ``url`` (PostgreSQL tables in schema ``ai``, as in agno)."""
    if backend == "mysql":
        # A MySQL schema is a database: keep it the per-test one so runs never collide.
        kwargs.setdefault("db_schema", url.database)
    return CLASSES[(backend, flavour)](db_url=url.render_as_string(hide_password=False), **kwargs)


def make_async_db(backend: str, url: URL, **kwargs: object) -> AsyncSqlDb:
    return make_db(backend, url, flavour="async", **kwargs)  # type: ignore[no-any-return]


class Blocking:
    """An async db driven from sync code: each coroutine runs on one private event loop.

    Calls from several threads at once interleave on that loop, so concurrency tests exercise
    the async executor under real contention.
    """

    def __init__(self, db: AsyncSqlDb) -> None:
        self._db = db
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._sync_engine: sa.Engine | None = None

    _OWN = frozenset({"_db", "_loop", "_thread", "_sync_engine"})

    def __setattr__(self, name: str, value: Any) -> None:
        # Tests that adjust the db's state (e.g. a refresh clock) adjust the async db itself.
        if name in self._OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self._db, name, value)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._db, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            return asyncio.run_coroutine_threadsafe(attr(*args, **kwargs), self._loop).result()

        return call

    @property
    def statement_engine(self) -> sa.Engine:
        """The engine the async one drives: statement events registered here see its queries."""
        return self._db.db_engine.sync_engine

    @property
    def db_engine(self) -> sa.Engine:
        return self._engine_for_queries()

    def _engine_for_queries(self) -> sa.Engine:
        """A plain sync engine on the same database, for tests that look at rows directly."""
        if self._sync_engine is None:
            self._sync_engine = create_engine(sync_url(self._db.db_engine.url)).execution_options(
                **self._db._translate()
            )
        return self._sync_engine

    @property
    def Session(self) -> Any:  # noqa: N802 - agno's attribute name
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(bind=self._engine_for_queries())

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._db.close(), self._loop).result()
        if self._sync_engine is not None:
            self._sync_engine.dispose()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


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


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db(backend: str, fresh_url: URL, flavour: str) -> Iterator[Any]:
    instance: Any = make_db(backend, fresh_url) if flavour == "sync" else Blocking(make_async_db(backend, fresh_url))
    yield instance
    instance.close()

"""``db``: our agno db class for the backend under test, on a fresh database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import URL

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


@pytest.fixture
def db(backend: str, db_url: URL) -> Iterator[SqlDb]:
    instance = make_db(backend, db_url)
    yield instance
    instance.close()

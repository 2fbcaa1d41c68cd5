"""Helpers for the adoption tests: agno's own db class on the test database, and Alembic's check."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy.engine import URL

from agno_models import migrate
from agno_models.engine import create_engine
from agno_models.layout import DEFAULT_NAMES, TableNames


def agno_db(backend: str, url: URL, **kwargs: Any) -> Any:
    """agno 3.1's own class for ``backend`` (PostgreSQL tables in ``ai``, as ours; MySQL in the test database)."""
    rendered = url.render_as_string(hide_password=False)
    if backend == "sqlite":
        from agno.db.sqlite import SqliteDb

        return SqliteDb(db_url=rendered, **kwargs)
    if backend == "postgresql":
        from agno.db.postgres import PostgresDb

        return PostgresDb(db_url=rendered, **kwargs)
    from agno.db.mysql import MySQLDb

    kwargs.setdefault("db_schema", url.database)
    return MySQLDb(db_url=rendered, **kwargs)


def schema_for(backend: str, url: URL, schema: str | None = None) -> str | None:
    if backend == "postgresql":
        return schema or "ai"
    return None  # MySQL: the URL's database; SQLite: none


def alembic_check(url: URL, *, schema: str | None, names: TableNames = DEFAULT_NAMES) -> None:
    """Alembic's comparison of models and database, through the env.py users run: raises on any difference."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            command.check(migrate.alembic_config(connection=conn, schema=schema, names=names))
    finally:
        engine.dispose()


def revision(url: URL, *, schema: str | None, names: TableNames = DEFAULT_NAMES) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return migrate.current_revision(conn, schema=schema, names=names)
    finally:
        engine.dispose()

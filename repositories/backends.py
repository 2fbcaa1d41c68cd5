"""The drop-in classes: same names and constructor arguments as agno's own SQL dbs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from repositories.approvals import ApprovalsMethods
from repositories.components import ComponentsMethods
from repositories.core.asyncdb import AsyncSqlDb, async_twin
from repositories.core.db import SqlDb
from repositories.evals import EvalsMethods
from repositories.knowledge import KnowledgeMethods
from repositories.learnings import LearningsMethods
from repositories.memories import MemoriesMethods
from repositories.metrics import MetricsMethods
from repositories.schedules import SchedulesMethods
from repositories.sessions import SessionMethods
from repositories.tracing import TracingMethods
from repositories.versions import VersionMethods


class _Methods(
    SessionMethods,
    MemoriesMethods,
    KnowledgeMethods,
    EvalsMethods,
    MetricsMethods,
    TracingMethods,
    SchedulesMethods,
    ApprovalsMethods,
    LearningsMethods,
    ComponentsMethods,
    VersionMethods,
):
    """Every method group, in one place so the three backends cannot drift apart."""


class SqliteDb(_Methods, SqlDb):
    """agno's ``SqliteDb``: ``db_file`` (default ``./agno.db``), ``db_url`` or ``db_engine``."""

    def __init__(
        self,
        db_file: str | None = None,
        db_engine: Engine | None = None,
        db_url: str | None = None,
        *,
        id: str | None = None,
        auto_upgrade: bool = True,
        **tables: Any,
    ) -> None:
        if db_engine is None and db_url is None:
            db_url = _sqlite_url(db_file)
        super().__init__(db_engine=db_engine, db_url=db_url, id=id, auto_upgrade=auto_upgrade, **tables)
        self.db_file = db_file


class PostgresDb(_Methods, SqlDb):
    """agno's ``PostgresDb``; tables live in ``db_schema`` (default ``ai``, as in agno)."""

    default_db_schema = "ai"

    def __init__(
        self,
        db_url: str | None = None,
        db_engine: Engine | None = None,
        db_schema: str | None = None,
        *,
        id: str | None = None,
        auto_upgrade: bool = True,
        **tables: Any,
    ) -> None:
        super().__init__(
            db_engine=db_engine, db_url=db_url, db_schema=db_schema, id=id, auto_upgrade=auto_upgrade, **tables
        )


class MySQLDb(_Methods, SqlDb):
    """agno's ``MySQLDb`` (MySQL and MariaDB); ``db_schema`` is the database (default ``ai``, as in agno)."""

    default_db_schema = "ai"

    def __init__(
        self,
        db_url: str | None = None,
        db_engine: Engine | None = None,
        db_schema: str | None = None,
        *,
        id: str | None = None,
        auto_upgrade: bool = True,
        **tables: Any,
    ) -> None:
        super().__init__(
            db_engine=db_engine, db_url=db_url, db_schema=db_schema, id=id, auto_upgrade=auto_upgrade, **tables
        )


_AsyncMethods = async_twin(_Methods, "_AsyncMethods")


def _sqlite_url(db_file: str | None) -> str:
    return f"sqlite:///{Path(db_file or 'agno.db').resolve()}"


class AsyncSqliteDb(_AsyncMethods, AsyncSqlDb):  # type: ignore[misc, valid-type]
    """agno's ``AsyncSqliteDb`` (aiosqlite): ``db_file`` (default ``./agno.db``), ``db_url`` or ``db_engine``."""

    def __init__(
        self,
        db_file: str | None = None,
        db_engine: AsyncEngine | None = None,
        db_url: str | None = None,
        *,
        id: str | None = None,
        auto_upgrade: bool = True,
        **tables: Any,
    ) -> None:
        if db_engine is None and db_url is None:
            db_url = _sqlite_url(db_file)
        super().__init__(db_engine=db_engine, db_url=db_url, id=id, auto_upgrade=auto_upgrade, **tables)
        self.db_file = db_file


class AsyncPostgresDb(_AsyncMethods, AsyncSqlDb):  # type: ignore[misc, valid-type]
    """agno's ``AsyncPostgresDb`` (psycopg 3 in async mode); ``db_schema`` defaults to ``ai``."""

    default_db_schema = "ai"

    def __init__(
        self,
        db_url: str | None = None,
        db_engine: AsyncEngine | None = None,
        db_schema: str | None = None,
        *,
        id: str | None = None,
        auto_upgrade: bool = True,
        **tables: Any,
    ) -> None:
        super().__init__(
            db_engine=db_engine, db_url=db_url, db_schema=db_schema, id=id, auto_upgrade=auto_upgrade, **tables
        )


class AsyncMySQLDb(_AsyncMethods, AsyncSqlDb):  # type: ignore[misc, valid-type]
    """agno's ``AsyncMySQLDb`` (aiomysql) for MySQL and MariaDB; ``db_schema`` defaults to ``ai``."""

    default_db_schema = "ai"

    def __init__(
        self,
        db_url: str | None = None,
        db_engine: AsyncEngine | None = None,
        db_schema: str | None = None,
        *,
        id: str | None = None,
        auto_upgrade: bool = True,
        **tables: Any,
    ) -> None:
        super().__init__(
            db_engine=db_engine, db_url=db_url, db_schema=db_schema, id=id, auto_upgrade=auto_upgrade, **tables
        )


__all__ = ["AsyncMySQLDb", "AsyncPostgresDb", "AsyncSqliteDb", "MySQLDb", "PostgresDb", "SqliteDb"]

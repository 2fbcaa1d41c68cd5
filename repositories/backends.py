"""The drop-in classes: same names and constructor arguments as agno's own SQL dbs, sync and async."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from repositories.approvals import ApprovalRepository
from repositories.authz import AuthzRepository
from repositories.components import ComponentConfigRepository, ComponentLinkRepository, ComponentRepository
from repositories.core.asyncdb import AsyncSqlDb, async_twin
from repositories.core.db import SqlDb
from repositories.core.storage import SERVER_SCHEMA, sqlite_url
from repositories.evals import EvalRepository
from repositories.jobs import JobRepository
from repositories.knowledge import KnowledgeRepository
from repositories.learnings import LearningRepository
from repositories.mcp_oauth import McpOAuthRepository
from repositories.memories import MemoryRepository
from repositories.metrics import MetricsRepository
from repositories.schedules import ScheduleRepository
from repositories.service_accounts import ServiceAccountRepository
from repositories.sessions import SessionRepository
from repositories.tracing import TracingRepository
from repositories.versions import VersionRepository


class _Methods(
    SessionRepository,
    MemoryRepository,
    KnowledgeRepository,
    EvalRepository,
    MetricsRepository,
    TracingRepository,
    ScheduleRepository,
    ApprovalRepository,
    LearningRepository,
    ComponentRepository,
    ComponentConfigRepository,
    ComponentLinkRepository,
    JobRepository,
    ServiceAccountRepository,
    AuthzRepository,
    McpOAuthRepository,
    VersionRepository,
):
    """Every entity's agno methods, in one place so the backends cannot drift apart."""


_AsyncMethods = async_twin(_Methods, "_AsyncMethods")


class _FileDb:
    """agno's SQLite constructor: ``db_file`` (default ``./agno.db``), ``db_url`` or ``db_engine``."""

    def __init__(
        self,
        db_file: str | None = None,
        db_engine: Engine | AsyncEngine | None = None,
        db_url: str | None = None,
        *,
        id: str | None = None,
        auto_upgrade: bool = True,
        **tables: Any,
    ) -> None:
        if db_engine is None and db_url is None:
            db_url = sqlite_url(db_file)
        super().__init__(db_engine=db_engine, db_url=db_url, id=id, auto_upgrade=auto_upgrade, **tables)  # type: ignore[call-arg]
        self.db_file = db_file


class _ServerDb:
    """agno's PostgreSQL/MySQL constructor; tables live in ``db_schema`` (default ``ai``, as in agno)."""

    default_db_schema = SERVER_SCHEMA

    def __init__(
        self,
        db_url: str | None = None,
        db_engine: Engine | AsyncEngine | None = None,
        db_schema: str | None = None,
        *,
        id: str | None = None,
        auto_upgrade: bool = True,
        **tables: Any,
    ) -> None:
        super().__init__(  # type: ignore[call-arg]
            db_engine=db_engine, db_url=db_url, db_schema=db_schema, id=id, auto_upgrade=auto_upgrade, **tables
        )


class SqliteDb(_FileDb, _Methods, SqlDb):
    """agno's ``SqliteDb``."""


class PostgresDb(_ServerDb, _Methods, SqlDb):
    """agno's ``PostgresDb`` (psycopg 3)."""


class MySQLDb(_ServerDb, _Methods, SqlDb):
    """agno's ``MySQLDb`` for MySQL and MariaDB (PyMySQL); ``db_schema`` is the database."""


class AsyncSqliteDb(_FileDb, _AsyncMethods, AsyncSqlDb):  # type: ignore[misc, valid-type]
    """agno's ``AsyncSqliteDb`` (aiosqlite)."""


class AsyncPostgresDb(_ServerDb, _AsyncMethods, AsyncSqlDb):  # type: ignore[misc, valid-type]
    """agno's ``AsyncPostgresDb`` (psycopg 3 in async mode)."""


class AsyncMySQLDb(_ServerDb, _AsyncMethods, AsyncSqlDb):  # type: ignore[misc, valid-type]
    """agno's ``AsyncMySQLDb`` (aiomysql) for MySQL and MariaDB; ``db_schema`` is the database."""


__all__ = ["AsyncMySQLDb", "AsyncPostgresDb", "AsyncSqliteDb", "MySQLDb", "PostgresDb", "SqliteDb"]

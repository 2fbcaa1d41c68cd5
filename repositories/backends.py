"""The drop-in classes: same names and constructor arguments as agno's own SQL dbs, sync and async."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from repositories.approvals import ApprovalRepository
from repositories.auth_tokens import AuthTokenRepository
from repositories.authz import AuthzRepository
from repositories.company import ProductRepository, ProjectRepository, SourceRepository, TaskRepository
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
from repositories.offloads import CompactionRepository, ToolResultRepository
from repositories.runs import RunRepository
from repositories.schedules import ScheduleRepository
from repositories.service_accounts import ServiceAccountRepository
from repositories.sessions import SessionRepository
from repositories.tracing import TracingRepository
from repositories.transcripts import TranscriptRepository
from repositories.versions import VersionRepository


class _Methods(
    SessionRepository,
    RunRepository,
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
    ToolResultRepository,
    CompactionRepository,
    TranscriptRepository,
    AuthTokenRepository,
    JobRepository,
    ServiceAccountRepository,
    AuthzRepository,
    McpOAuthRepository,
    ProductRepository,
    SourceRepository,
    ProjectRepository,
    TaskRepository,
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
            db_url = sqlite_url(db_file)  # its folder is created on first use, as agno's SqliteDb does
        # A mixin: super() is SqlDb or AsyncSqlDb in the classes below, not object.
        super().__init__(db_engine=db_engine, db_url=db_url, id=id, auto_upgrade=auto_upgrade, **tables)  # type: ignore[call-arg]
        self.db_file = db_file


class _ServerDb:
    """agno's PostgreSQL/MySQL constructor; tables live in ``db_schema`` (default ``ai``, as in agno)."""

    default_db_schema: ClassVar[str | None] = SERVER_SCHEMA  # StorageConfig's, overridden

    def __init__(
        self,
        db_url: str | None = None,
        db_engine: Engine | AsyncEngine | None = None,
        db_schema: str | None = None,
        *,
        id: str | None = None,
        create_schema: bool = True,
        auto_upgrade: bool = True,
        **tables: Any,
    ) -> None:
        # agno's create_schema=False: a missing db_schema is an error instead of being created.
        self.create_schema = create_schema
        super().__init__(  # type: ignore[call-arg]  # a mixin: super() is SqlDb or AsyncSqlDb below
            db_engine=db_engine, db_url=db_url, db_schema=db_schema, id=id, auto_upgrade=auto_upgrade, **tables
        )


class SqliteDb(_FileDb, _Methods, SqlDb):
    """agno's ``SqliteDb``."""

    agno_class = "agno.db.sqlite:SqliteDb"


class PostgresDb(_ServerDb, _Methods, SqlDb):
    """agno's ``PostgresDb`` (psycopg 3)."""

    agno_class = "agno.db.postgres:PostgresDb"


class MySQLDb(_ServerDb, _Methods, SqlDb):
    """agno's ``MySQLDb`` for MySQL and MariaDB (PyMySQL); ``db_schema`` is the database."""

    agno_class = "agno.db.mysql:MySQLDb"


# _AsyncMethods is made at import time (async_twin), so mypy sees it as a variable, not a class.
class AsyncSqliteDb(_FileDb, _AsyncMethods, AsyncSqlDb):  # type: ignore[misc, valid-type]
    """agno's ``AsyncSqliteDb`` (aiosqlite)."""

    agno_class = "agno.db.sqlite:AsyncSqliteDb"


class AsyncPostgresDb(_ServerDb, _AsyncMethods, AsyncSqlDb):  # type: ignore[misc, valid-type]
    """agno's ``AsyncPostgresDb`` (psycopg 3 in async mode)."""

    agno_class = "agno.db.postgres:AsyncPostgresDb"


class AsyncMySQLDb(_ServerDb, _AsyncMethods, AsyncSqlDb):  # type: ignore[misc, valid-type]
    """agno's ``AsyncMySQLDb`` (aiomysql) for MySQL and MariaDB; ``db_schema`` is the database."""

    agno_class = "agno.db.mysql:AsyncMySQLDb"


__all__ = ["AsyncMySQLDb", "AsyncPostgresDb", "AsyncSqliteDb", "MySQLDb", "PostgresDb", "SqliteDb"]


def _admit_to_agnos_capability_gates() -> None:
    """Make agno's ``isinstance`` gates admit our classes where the feature works with them.

    Each is registered as a virtual subclass of the agno class its features test for; no agno
    storage code is inherited, only ``isinstance`` answers yes:
    - PostgresDb under agno's PostgresDb, AsyncPostgresDb under agno's AsyncPostgresDb: the
      sandbox store and coordinator (they read and write the sessions, runs and sandbox bindings
      tables through ``_get_table``), the public surface (its limiter borrows ``db_engine``) and
      ``PgVector(db=...)``; agno's offload gate admits its PostgresDb too; the knowledge page
      store (``Knowledge(page_store=...)``) publishes its catalog rows with the knowledge
      repository's ``_upsert_knowledge_content_on`` on its own connection.
    - SqliteDb and MySQLDb under agno's SqliteDb, for tool-result offloading
      (``isinstance(db, (SqliteDb, PostgresDb))`` in agno/offload/setup.py), whose only other
      gate is a table-override cloner. The async SQLite and MySQL classes stay out: agno's
      result store and filesystem are sync.
    """
    from agno.db.postgres import AsyncPostgresDb as AgnoAsyncPostgresDb
    from agno.db.postgres import PostgresDb as AgnoPostgresDb
    from agno.db.sqlite import SqliteDb as AgnoSqliteDb

    AgnoSqliteDb.register(SqliteDb)
    AgnoSqliteDb.register(MySQLDb)
    AgnoPostgresDb.register(PostgresDb)
    AgnoAsyncPostgresDb.register(AsyncPostgresDb)  # type: ignore[type-abstract]


_admit_to_agnos_capability_gates()

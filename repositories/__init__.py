"""How agno-models is read and written: agno ``db`` classes over the ``agno_models`` tables.

    from repositories import SqliteDb, PostgresDb, MySQLDb
    agent = Agent(model=..., db=SqliteDb(db_file="agno.db"))
"""

import logging
from typing import TYPE_CHECKING, Any

from agno_models.errors import MaxAllowedPacketError
from repositories.backends import AsyncMySQLDb, AsyncPostgresDb, AsyncSqliteDb, MySQLDb, PostgresDb, SqliteDb
from repositories.core.schema import SchemaNotReadyError
from repositories.core.values import AlreadyExists, CommitOutcomeUnknown, MissingRowError, OwnershipError

# Silent unless the application configures logging (loggers: repositories.*).
logging.getLogger(__name__).addHandler(logging.NullHandler())

# The vector stores need NumPy (the [vectors] extra): imported on first use (__getattr__ below),
# so a core install imports the db classes without it.
_VECTORS = ("HashingEmbedder", "MySQLVectorDb", "PgVectorDb", "SqlVectorDb", "SqliteVectorDb")
__all__ = [
    "AlreadyExists",
    "AsyncMySQLDb",
    "AsyncPostgresDb",
    "AsyncSqliteDb",
    "CommitOutcomeUnknown",
    "HashingEmbedder",
    "MaxAllowedPacketError",
    "MissingRowError",
    "MySQLDb",
    "MySQLVectorDb",
    "OwnershipError",
    "PgVectorDb",
    "PostgresDb",
    "SchemaNotReadyError",
    "SqlVectorDb",
    "SqliteDb",
    "SqliteVectorDb",
]

if TYPE_CHECKING:
    from repositories.vectors import HashingEmbedder, MySQLVectorDb, PgVectorDb, SqliteVectorDb, SqlVectorDb


def __getattr__(name: str) -> Any:
    if name in _VECTORS:
        from repositories import vectors

        return getattr(vectors, name)
    raise AttributeError(f"module 'repositories' has no attribute {name!r}")

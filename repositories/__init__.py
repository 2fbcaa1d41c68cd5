"""How agno-models is read and written: agno ``db`` classes over the ``agno_models`` tables.

    from repositories import SqliteDb, PostgresDb, MySQLDb
    agent = Agent(model=..., db=SqliteDb(db_file="agno.db"))
"""

from repositories.backends import AsyncMySQLDb, AsyncPostgresDb, AsyncSqliteDb, MySQLDb, PostgresDb, SqliteDb
from repositories.core.schema import SchemaNotReadyError
from repositories.core.values import MissingRowError, OwnershipError
from repositories.vectors import HashingEmbedder, MySQLVectorDb, PgVectorDb, SqliteVectorDb, SqlVectorDb

__all__ = ["AsyncMySQLDb", "AsyncPostgresDb", "AsyncSqliteDb", "MissingRowError", "MySQLDb", "OwnershipError", "PostgresDb", "SchemaNotReadyError", "SqliteDb"]
__all__ += ["HashingEmbedder", "MySQLVectorDb", "PgVectorDb", "SqlVectorDb", "SqliteVectorDb"]

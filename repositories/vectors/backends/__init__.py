"""The vector store's backends, one per database family (see ``base.Backend``)."""

from __future__ import annotations

from repositories.core.dialects import Dialect
from repositories.vectors.backends.base import Backend
from repositories.vectors.backends.mysql import MySQLBackend
from repositories.vectors.backends.postgresql import PostgreSQLBackend
from repositories.vectors.backends.sqlite import SQLiteBackend

_BY_DIALECT: dict[str, Backend] = {"sqlite": SQLiteBackend(), "postgresql": PostgreSQLBackend(), "mysql": MySQLBackend()}


def backend_for(dialect: Dialect) -> Backend:
    return _BY_DIALECT[dialect.name]


__all__ = ["Backend", "backend_for"]

"""Where the three dialects differ, one module each; entity modules never test a dialect's name.

``ctx.dialect`` is one of these objects. A difference in SQL becomes a method here (or a compiled
construct), written once per dialect; adding a dialect is one more module beside these.
"""

from __future__ import annotations

from repositories.core.dialects.base import Dialect, Incoming
from repositories.core.dialects.mysql import MySQLDialect
from repositories.core.dialects.postgresql import PostgreSQLDialect
from repositories.core.dialects.sqlite import SQLiteDialect

_BY_NAME: dict[str, Dialect] = {d.name: d for d in (SQLiteDialect(), PostgreSQLDialect(), MySQLDialect())}


def dialect_family(name: str) -> str:
    """Our name for a SQLAlchemy dialect name (MariaDB is served by the MySQL dialect)."""
    if name in ("mysql", "mariadb"):
        return "mysql"
    if name not in _BY_NAME:
        raise ValueError(f"unsupported database dialect {name!r}; use SQLite, PostgreSQL or MySQL/MariaDB")
    return name


def dialect_for(name: str) -> Dialect:
    return _BY_NAME[dialect_family(name)]


__all__ = ["Dialect", "Incoming", "dialect_family", "dialect_for"]

"""Column types of revision 0001 (and of later revisions that reuse them). FROZEN.

A copy of what ``agno_models.types`` produced for DDL when 0001 was written: JSON as JSONB on
PostgreSQL, free text as LONGTEXT on MySQL, strings compared byte by byte (binary NO PAD
collations on MySQL, "C" on PostgreSQL), UTC timestamps, and the pgvector ``vector`` type.
Databases migrated long ago ran exactly this, so it must never change: editing
``agno_models.types`` later must not change what an applied revision does. A new type is a new
name here (or a new frozen module), never an edit.

Only the DDL-relevant parts are kept, plus the UTC conversion on write that revision 0003's
backfill relies on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, LargeBinary, String, Text
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

ID_LENGTH = 128
NAME_LENGTH = 255
KIND_LENGTH = 50
TIMESTAMP_TEXT_LENGTH = 128

_MYSQL = ("mysql", "mariadb")


def _exact_collation(dialect: Dialect) -> str:
    return "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"


class ExactString(TypeDecorator[str]):
    """VARCHAR(length), compared byte for byte on every dialect."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.VARCHAR(self.impl.length, collation=_exact_collation(dialect)))
        if dialect.name == "postgresql":
            return String(self.impl.length, collation="C")
        return String(self.impl.length)


class ExactText(TypeDecorator[str]):
    """Unbounded text compared byte for byte; LONGTEXT on MySQL."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.LONGTEXT(collation=_exact_collation(dialect)))
        if dialect.name == "postgresql":
            return Text(collation="C")
        return Text()


def json_type() -> TypeEngine[Any]:
    return JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def long_text() -> TypeEngine[str]:
    return ExactText()


def id_string() -> TypeEngine[str]:
    return ExactString(ID_LENGTH)


def name_string() -> TypeEngine[str]:
    return ExactString(NAME_LENGTH)


def kind_string() -> TypeEngine[str]:
    return ExactString(KIND_LENGTH)


def timestamp_text() -> TypeEngine[str]:
    return ExactString(TIMESTAMP_TEXT_LENGTH)


class UTCDateTime(TypeDecorator[datetime]):
    """timestamptz on PostgreSQL; naive UTC elsewhere (DATETIME(6) on MySQL)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone; pass an aware datetime")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)


class Vector(UserDefinedType[Any]):
    """pgvector's ``vector`` with its dimension left open (as pgvector's own VECTOR() renders it)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "VECTOR"


class Embedding(TypeDecorator[Any]):
    """pgvector ``vector`` on PostgreSQL, bytes (BLOB / LONGBLOB as LargeBinary renders) elsewhere."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Vector())
        return dialect.type_descriptor(LargeBinary())

"""Revision 0005's column types, frozen as they were when it was made. FROZEN: never change.

Byte-compared strings and text (binary NO PAD collation on MySQL, "C" on PostgreSQL, LONGTEXT
for free text on MySQL) and JSON (JSONB on PostgreSQL; ``None`` is SQL NULL).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

_MYSQL = ("mysql", "mariadb")


def _exact_collation(dialect: Dialect) -> str:
    return "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"


class ExactString(TypeDecorator[str]):
    """VARCHAR(length) compared byte for byte (binary NO PAD on MySQL, "C" on PostgreSQL)."""

    impl = sa.String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.VARCHAR(self.impl.length, collation=_exact_collation(dialect)))
        if dialect.name == "postgresql":
            return sa.String(self.impl.length, collation="C")
        return sa.String(self.impl.length)


class ExactText(TypeDecorator[str]):
    """Unbounded text compared byte for byte; LONGTEXT on MySQL."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.LONGTEXT(collation=_exact_collation(dialect)))
        if dialect.name == "postgresql":
            return sa.Text(collation="C")
        return sa.Text()


def id_string() -> ExactString:
    return ExactString(128)


def name_string() -> ExactString:
    return ExactString(255)


def kind_string() -> ExactString:
    return ExactString(50)


def json_type() -> TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def long_text() -> ExactText:
    return ExactText()

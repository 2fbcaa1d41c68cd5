"""SQLite (pysqlite, aiosqlite)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql import ColumnElement, FromClause, Select
from sqlalchemy.sql.dml import Insert

from repositories.core.dialects.base import Dialect, Incoming, Rows, Updates, _values, agno_fs_table
from repositories.core.dialects.postgresql import _on_conflict


class SQLiteDialect(Dialect):
    name = "sqlite"
    locks_rows = False  # the transaction holds the file's write lock (BEGIN IMMEDIATE)

    def upsert(
        self,
        table: sa.Table,
        rows: Rows,
        *,
        key: Sequence[str],
        update: Updates,
        only_if: Callable[[Incoming], ColumnElement[bool]] | None = None,
    ) -> Insert:
        return _on_conflict(sqlite.insert(table), rows, key=key, update=update, only_if=only_if)

    def payload_table(self) -> tuple[sa.TableClause, Select[Any]] | None:
        master = sa.table("sqlite_master", sa.column("type"), sa.column("name"))
        return agno_fs_table(None), sa.select(1).select_from(master).where(
            master.c.type == "table", master.c.name == "agno_fs"
        )

    def insert_ignore(self, table: sa.Table, rows: Rows, *, key: Sequence[str]) -> Insert:
        stmt = sqlite.insert(table).values(_values(rows)).on_conflict_do_nothing(index_elements=list(key))
        return stmt.execution_options(preserve_rowcount=True)

    def json_array_contains(self, column: sa.Column[Any], value: str) -> ColumnElement[bool]:
        each = sa.func.json_each(column).table_valued("value").alias()
        return sa.exists(sa.select(1).select_from(each).where(each.c.value == value))

    def is_json_array(self, column: sa.Column[Any]) -> ColumnElement[bool]:
        return sa.func.json_type(column) == "array"

    def json_array_elements(self, table: sa.Table, column: sa.Column[Any]) -> tuple[ColumnElement[Any], FromClause]:
        elements = sa.func.json_each(column).table_valued("value").alias(f"{column.name}_elements")
        return elements.c.value, table.join(elements, sa.true())

    def matches_any(self, text: ColumnElement[str], patterns: Sequence[str]) -> ColumnElement[bool]:
        # SQLite's LIKE folds ASCII only: each pattern becomes a GLOB with a [xX] class per cased character.
        return sa.or_(*[text.op("GLOB", is_comparison=True)(like_to_glob(p)) for p in patterns])


def like_to_glob(pattern: str) -> str:
    """The case-insensitive GLOB equivalent of a LIKE pattern whose escape character is ``\\``."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(_glob_literal(next(chars, "\\")))
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        else:
            out.append(_glob_literal(char))
    return "".join(out)


def _glob_literal(char: str) -> str:
    forms = sorted({f for f in (char, char.lower(), char.upper(), char.title(), char.casefold()) if len(f) == 1})
    if len(forms) > 1:
        return "[" + "".join(forms) + "]"
    return f"[{char}]" if char in "*?[" else char

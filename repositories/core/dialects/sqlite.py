"""SQLite (pysqlite, aiosqlite)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, FromClause, Select
from sqlalchemy.sql.dml import Insert

from repositories.core.dialects.base import Dialect, Incoming, Rows, Updates, Values, _values, agno_fs_table, json_path
from repositories.core.dialects.postgresql import _on_conflict

_process_locks: dict[str, threading.Lock] = {}


def _pragma(conn: Connection, setting: str) -> None:
    # On the driver: through SQLAlchemy it would open a transaction first.
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA {setting}")
    finally:
        cursor.close()


class SQLiteDialect(Dialect):
    name = "sqlite"

    migrates_in_lock_transaction = True

    @contextmanager
    def migration_lock(self, conn: Connection, key: str, *, timeout: int) -> Iterator[None]:
        """The file's write lock, from the check to the end of the upgrade (threads: a lock too).

        Alembic runs the revisions inside this transaction (SQLite DDL is transactional) and
        env.py commits it at the end, so another process's BEGIN IMMEDIATE waits until the schema
        is at head. No lock file is left beside the database.
        """
        with _process_locks.setdefault(key, threading.Lock()):
            if conn.in_transaction():
                conn.commit()
            _pragma(conn, f"busy_timeout = {timeout * 1000}")  # others may be migrating for a while
            options = conn.get_execution_options()
            conn.execution_options(sqlite_begin="IMMEDIATE")
            try:
                conn.begin()
                yield
            finally:
                if conn.in_transaction():
                    conn.rollback()  # an upgrade that failed half-way leaves nothing behind
                conn.execution_options(sqlite_begin=options.get("sqlite_begin", "DEFERRED"))
                _pragma(conn, "busy_timeout = 30000")  # the engine's own setting
    locks_rows = False  # the transaction holds the file's write lock (BEGIN IMMEDIATE)
    has_schemas = False
    json_kinds: ClassVar[Mapping[str, tuple[str, ...]]] = {"string": ("text",), "number": ("integer", "real"), "boolean": ("true", "false"), "null": ("null",),
                  "array": ("array",)}

    def begin_options(self, *, writes: bool) -> dict[str, Any]:
        # Take the write lock up front: a deferred transaction that reads and then writes can
        # fail with "database is locked" when another writer got in between.
        return {"sqlite_begin": "IMMEDIATE"} if writes else {}

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

    def insert_ignore(self, table: sa.Table, rows: Values, *, key: Sequence[str] | None) -> Insert:
        stmt = sqlite.insert(table).values(_values(rows)).on_conflict_do_nothing(
            index_elements=None if key is None else list(key)
        )
        return stmt.execution_options(preserve_rowcount=True)

    def epoch_now(self) -> ColumnElement[int]:
        return sa.cast(sa.func.strftime("%s", "now"), sa.BigInteger)

    def json_array_contains(self, column: sa.Column[Any], value: str | ColumnElement[str]) -> ColumnElement[bool]:
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

    def json_kind(self, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
        return sa.func.json_type(column, json_path(keys))

    def json_text(self, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
        return sa.func.json_extract(column, json_path(keys))

    def json_number(self, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
        return sa.case((self.json_is(column, keys, "number"), self.json_text(column, keys)), else_=sa.null())

    def json_equals(self, column: Any, keys: Sequence[str], value: Any) -> ColumnElement[bool]:
        if isinstance(value, bool):  # json_type says 'true' / 'false'; json_extract gives 1 / 0
            return self.json_kind(column, keys) == ("true" if value else "false")
        return super().json_equals(column, keys, value)

    def json_contains(self, column: Any, document: Mapping[str, Any]) -> ColumnElement[bool]:
        return sa.and_(sa.true(), *self._contains(column, [], document))

    def _contains(self, column: Any, keys: list[str], document: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        # No containment operator: each key of the document becomes its own typed condition.
        conditions: list[ColumnElement[bool]] = []
        for key, value in document.items():
            path = [*keys, key]
            if isinstance(value, Mapping):
                conditions.append(self.json_is(column, path, "null").is_not(None))  # the key exists
                conditions.extend(self._contains(column, path, value))
            elif isinstance(value, list):
                conditions.append(self.json_is(column, path, "array"))
                conditions.extend(_array_holds(column, path, element) for element in value)
            else:
                conditions.append(self.json_equals(column, path, value))
        return conditions


def _array_holds(column: Any, keys: Sequence[str], value: Any) -> ColumnElement[bool]:
    if isinstance(value, dict | list):
        raise ValueError("SQLite cannot filter on arrays of objects or arrays; use scalar array elements")
    each = sa.func.json_each(column, json_path(keys)).table_valued("value", "type").alias()
    if value is None:
        match: ColumnElement[bool] = each.c.type == "null"
    elif isinstance(value, bool):
        match = each.c.type == ("true" if value else "false")
    elif isinstance(value, int | float):
        match = sa.and_(each.c.type.in_(("integer", "real")), each.c.value == float(value))
    elif isinstance(value, str):
        match = sa.and_(each.c.type == "text", each.c.value == value)
    else:
        raise ValueError(f"cannot filter metadata on a value of type {type(value).__name__}: {value!r}")
    return sa.exists(sa.select(1).select_from(each).where(match))


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

"""MySQL and MariaDB (PyMySQL, aiomysql)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.sql.dml import Insert

from repositories.core.dialects.base import Dialect, Incoming, Rows, Updates, Values, _assignments, _values, json_path


class MySQLDialect(Dialect):
    name = "mysql"

    @contextmanager
    def migration_lock(self, conn: Connection, key: str, *, timeout: int) -> Iterator[None]:
        name = "agno_models_" + hashlib.sha256(key.encode()).hexdigest()[:40]  # lock names stop at 64 characters
        got = conn.execute(sa.text("SELECT GET_LOCK(:n, :t)"), {"n": name, "t": timeout}).scalar()
        if got != 1:
            raise TimeoutError(f"could not take the schema migration lock {name} within {timeout}s")
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT RELEASE_LOCK(:n)"), {"n": name})
            conn.commit()
    returns_upserted = False
    json_kinds: ClassVar[Mapping[str, tuple[str, ...]]] = {"string": ("STRING",), "number": ("INTEGER", "DOUBLE", "DECIMAL", "UNSIGNED INTEGER"),
                  "boolean": ("BOOLEAN",), "null": ("NULL",), "array": ("ARRAY",)}

    def upsert(
        self,
        table: sa.Table,
        rows: Rows,
        *,
        key: Sequence[str],
        update: Updates,
        only_if: Callable[[Incoming], ColumnElement[bool]] | None = None,
    ) -> Insert:
        stmt = mysql.insert(table)
        values = _values(rows)
        if values is not None:
            stmt = stmt.values(values)
        incoming: Incoming = lambda name: stmt.inserted[name]  # noqa: E731
        assignments = _assignments(update, incoming)
        if only_if is not None:
            # No WHERE on ON DUPLICATE KEY UPDATE: each assignment becomes IF(guard, new, old).
            # Assignments apply left to right and later ones see earlier results, so the columns
            # the guard reads are assigned last.
            guard = only_if(incoming)
            read = {c.name for c in _columns_of(guard) if c.table is table}
            ordered = sorted(assignments, key=lambda col: col in read)
            assignments = {col: sa.func.IF(guard, assignments[col], table.c[col]) for col in ordered}
        return stmt.on_duplicate_key_update(list(assignments.items()))

    def locked(self, stmt: sa.Select[Any], *, skip_locked: bool = False, of: sa.Table | None = None) -> sa.Select[Any]:
        # Every row the statement reads is locked (MariaDB has no OF): locking reads see the
        # latest committed rows, where a non-locking read of the same statement would open the
        # transaction's snapshot.
        return stmt.with_for_update(skip_locked=skip_locked)

    def insert_ignore(self, table: sa.Table, rows: Values, *, key: Sequence[str] | None) -> Insert:
        # INSERT IGNORE also demotes other errors to warnings: callers validate values (and make
        # sure referenced rows exist) before using it.
        stmt = mysql.insert(table).values(_values(rows)).prefix_with("IGNORE")
        return stmt.execution_options(preserve_rowcount=True)

    def epoch_now(self) -> ColumnElement[int]:
        return sa.cast(sa.func.UNIX_TIMESTAMP(), sa.BigInteger)

    def json_array_contains(self, column: sa.Column[Any], value: str | ColumnElement[str]) -> ColumnElement[bool]:
        return sa.func.JSON_CONTAINS(column, sa.func.JSON_QUOTE(value)) == 1

    def is_json_array(self, column: sa.Column[Any]) -> ColumnElement[bool]:
        return sa.func.JSON_TYPE(column) == "ARRAY"

    def json_array_elements(self, table: sa.Table, column: sa.Column[Any]) -> tuple[ColumnElement[Any], FromClause]:
        # MariaDB 10.6+ / MySQL 8: JSON_TABLE may read columns of the tables joined before it. A
        # binary collation keeps "Food" and "food" apart, as PostgreSQL, SQLite and Python do.
        spec: sa.ColumnClause[Any] = sa.literal_column("'$[*]' COLUMNS (value LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$')")
        elements = sa.func.JSON_TABLE(column, spec).table_valued("value").alias(f"{column.name}_elements")
        return elements.c.value, table.join(elements, sa.true())

    def bytewise(self, column: ColumnElement[str]) -> ColumnElement[str]:
        return column.collate("utf8mb4_bin")

    def matches_any(self, text: ColumnElement[str], patterns: Sequence[str]) -> ColumnElement[bool]:
        # The default collations also ignore accents ('e' would match 'é'): lower both sides and
        # compare under the binary collation.
        folded = sa.func.lower(text).collate("utf8mb4_bin")
        return sa.or_(*[folded.like(sa.func.lower(p), escape="\\") for p in patterns])

    def json_kind(self, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
        return sa.func.JSON_TYPE(sa.func.JSON_EXTRACT(column, json_path(keys)))

    def json_text(self, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
        return sa.func.JSON_UNQUOTE(sa.func.JSON_EXTRACT(column, json_path(keys)))

    def json_number(self, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
        value = sa.cast(self.json_text(column, keys), mysql.DOUBLE())
        return sa.case((self.json_is(column, keys, "number"), value), else_=sa.null())

    def json_contains(self, column: Any, document: Mapping[str, Any]) -> ColumnElement[bool]:
        _check_keys(document)
        return sa.func.JSON_CONTAINS(column, json.dumps(document, allow_nan=False)) == 1


def _check_keys(document: Mapping[str, Any]) -> None:
    for key, value in document.items():
        json_path([key])
        if isinstance(value, Mapping):
            _check_keys(value)


def _columns_of(expression: ColumnElement[Any]) -> list[sa.Column[Any]]:
    from sqlalchemy.sql.visitors import iterate

    return [node for node in iterate(expression) if isinstance(node, sa.Column)]

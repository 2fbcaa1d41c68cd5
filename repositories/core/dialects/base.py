"""What every dialect provides; the SQL that is the same everywhere is written here once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement, Executable, FromClause, Select
from sqlalchemy.sql.dml import Insert

Incoming = Callable[[str], ColumnElement[Any]]
Rows = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
Updates = Mapping[str, Callable[[Incoming], Any]] | Iterable[str]


def agno_fs_table(schema: str | None) -> sa.TableClause:
    """agno's ``agno_fs`` table (agno.fs.db), only the columns a payload delete needs."""
    return sa.table("agno_fs", sa.column("namespace"), sa.column("path"), schema=schema)


def _values(rows: Rows) -> list[Mapping[str, Any]] | None:
    return None if rows is None else [rows] if isinstance(rows, Mapping) else list(rows)


def _assignments(update: Updates, incoming: Incoming) -> dict[str, Any]:
    if isinstance(update, Mapping):
        return {col: make(incoming) for col, make in update.items()}
    return {col: incoming(col) for col in update}


class Dialect:
    """One database family's SQL for the few things the three write differently."""

    name: ClassVar[str]
    # SQLite has no row locks: its writers are serialized by BEGIN IMMEDIATE instead.
    locks_rows: ClassVar[bool] = True
    # INSERT ... ON CONFLICT ... RETURNING; MariaDB's RETURNING has no ON DUPLICATE KEY form.
    returns_upserted: ClassVar[bool] = True

    def upsert(
        self,
        table: sa.Table,
        rows: Rows,
        *,
        key: Sequence[str],
        update: Updates,
        only_if: Callable[[Incoming], ColumnElement[bool]] | None = None,
    ) -> Insert:
        """INSERT ... ON CONFLICT/DUPLICATE KEY UPDATE.

        ``update`` names the columns to overwrite with the incoming value, or maps a column to a
        function of ``incoming(column)`` (the would-be-inserted value). ``only_if(incoming)``
        guards the update (compare existing ``table.c`` with incoming values).

        ``rows=None`` builds the statement without values, to be cached and executed with the
        rows as parameters (``Bound``). Its update clause must then hold no bind parameter when
        it runs for several rows: PyMySQL's executemany leaves ON DUPLICATE KEY UPDATE unformatted.
        """
        raise NotImplementedError

    def insert_ignore(self, table: sa.Table, rows: Rows, *, key: Sequence[str]) -> Insert:
        """INSERT that keeps an existing row with the same key; its rowcount says how many were inserted."""
        raise NotImplementedError

    def exclusive(self, key: int) -> Executable | None:
        """A statement that holds a transaction-long lock on ``key``, where row locks cannot
        serialize the writers (nothing to lock yet); None where they can, or the file lock does."""
        return None

    def payload_table(self) -> tuple[sa.TableClause, Select[Any]] | None:
        """Where agno's default ``DbFileSystem`` keeps tool-result payloads in this database, and a
        query that returns a row when that table exists; None where agno's filesystem cannot run."""
        return None

    def locked(self, stmt: Select[Any], *, skip_locked: bool = False) -> Select[Any]:
        """``SELECT ... FOR UPDATE [SKIP LOCKED]`` where rows can be locked."""
        return stmt.with_for_update(skip_locked=skip_locked) if self.locks_rows else stmt

    def json_array_contains(self, column: sa.Column[Any], value: str) -> ColumnElement[bool]:
        """``value`` is an element of the JSON array in ``column``."""
        raise NotImplementedError

    def is_json_array(self, column: sa.Column[Any]) -> ColumnElement[bool]:
        raise NotImplementedError

    def json_array_elements(self, table: sa.Table, column: sa.Column[Any]) -> tuple[ColumnElement[Any], FromClause]:
        """(one element as text, the FROM that yields one row per element of each row's array).

        Only JSON arrays are expanded; a NULL or scalar value yields no rows.
        """
        raise NotImplementedError

    def bytewise(self, column: ColumnElement[str]) -> ColumnElement[str]:
        """``column`` compared character by character (code point order), whatever the collation.

        Linguistic collations sort '.' before '+' or skip punctuation, misordering ISO-8601
        texts such as ``12:00:00+00:00`` and ``12:00:00.5+00:00``.
        """
        return column

    def matches_any(self, text: ColumnElement[str], patterns: Sequence[str]) -> ColumnElement[bool]:
        """``text`` matches one of the LIKE ``patterns`` (``\\`` escapes), ignoring case, not accents."""
        return sa.or_(*[text.ilike(p, escape="\\") for p in patterns])

"""What every dialect provides; the SQL that is the same everywhere is written here once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, overload

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, Executable, FromClause, Select
from sqlalchemy.sql.dml import Insert

from agno_models.engine import json_dumps

Incoming = Callable[[str], ColumnElement[Any]]
Values = Mapping[str, Any] | Sequence[Mapping[str, Any]]
Rows = Values | None  # None: an upsert whose rows come with each execution
Updates = Mapping[str, Callable[[Incoming], Any]] | Iterable[str]


def agno_fs_table(schema: str | None) -> sa.TableClause:
    """agno's ``agno_fs`` table (agno.fs.db), only the columns a payload delete needs."""
    return sa.table("agno_fs", sa.column("namespace"), sa.column("path"), schema=schema)


@overload
def _values(rows: Values) -> list[Mapping[str, Any]]: ...
@overload
def _values(rows: None) -> None: ...
@overload
def _values(rows: Rows) -> list[Mapping[str, Any]] | None: ...
def _values(rows: Rows) -> list[Mapping[str, Any]] | None:
    return None if rows is None else [rows] if isinstance(rows, Mapping) else list(rows)


def _assignments(update: Updates, incoming: Incoming) -> dict[str, Any]:
    if isinstance(update, Mapping):
        return {col: make(incoming) for col, make in update.items()}
    return {col: incoming(col) for col in update}


class Dialect:
    """One database family's SQL for the few things the three write differently."""

    # Schema-on-first-use (repositories/core/schema.py): whether the migration lock is the
    # transaction the revisions run in (SQLite), and whether a migration leaves its connection's
    # search_path pointed at the schema (PostgreSQL).
    migrates_in_lock_transaction: ClassVar[bool] = False
    migration_sets_search_path: ClassVar[bool] = False

    def migration_lock(self, conn: Connection, key: str, *, timeout: int) -> AbstractContextManager[None]:
        """A lock across processes, held from the schema check to the end of the upgrade."""
        raise NotImplementedError

    name: ClassVar[str]
    # SQLite has no row locks: its writers are serialized by BEGIN IMMEDIATE instead.
    locks_rows: ClassVar[bool] = True
    # INSERT ... ON CONFLICT ... RETURNING; MariaDB's RETURNING has no ON DUPLICATE KEY form.
    returns_upserted: ClassVar[bool] = True
    # Whether tables can live in a schema (MySQL: a database) other than the connection's.
    has_schemas: ClassVar[bool] = True
    # The JSON type names ``json_kind`` returns, per kind of JSON value.
    json_kinds: ClassVar[Mapping[str, tuple[str, ...]]]

    def json_dumps(self, value: Any) -> str:
        """``value`` as the JSON text this database stores (or a ValueError saying why it cannot)."""
        return json_dumps(value)

    def begin_options(self, *, writes: bool) -> dict[str, Any]:
        """Execution options for an operation's transaction (SQLite: take the write lock up front)."""
        return {}

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

    def insert_ignore(self, table: sa.Table, rows: Values, *, key: Sequence[str] | None) -> Insert:
        """INSERT that keeps an existing row with the same key; its rowcount says how many were inserted.

        ``key=None`` skips a row that conflicts with any unique constraint (primary key included).
        """
        raise NotImplementedError

    def epoch_now(self) -> ColumnElement[int]:
        """The database's clock as integer epoch seconds: one clock for every replica's lease math."""
        raise NotImplementedError

    def transaction_lock(self, key: str) -> Executable | None:
        """A statement taking an exclusive lock on ``key`` until the transaction ends, or None.

        Only where concurrent writers are otherwise free to interleave: SQLite's write lock
        serializes whole transactions, and on MySQL a locking read of a range holds its gap.
        """
        return None

    def payload_table(self) -> tuple[sa.TableClause, Select[Any]] | None:
        """Where agno's default ``DbFileSystem`` keeps tool-result payloads in this database, and a
        query that returns a row when that table exists; None where agno's filesystem cannot run."""
        return None

    def locked(self, stmt: Select[Any], *, skip_locked: bool = False, of: sa.Table | None = None) -> Select[Any]:
        """``SELECT ... FOR UPDATE [OF of] [SKIP LOCKED]`` where rows can be locked.

        ``of`` locks only that table's rows (PostgreSQL cannot lock an outer join's nullable side).
        """
        if not self.locks_rows:
            return stmt
        return stmt.with_for_update(skip_locked=skip_locked, of=of)

    def json_array_contains(self, column: sa.Column[Any], value: str | ColumnElement[str]) -> ColumnElement[bool]:
        """``value`` (a string or a bound parameter) is an element of the JSON array in ``column``."""
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

    # --- typed access to a JSON document's values (metadata filters) -------------------------

    def json_kind(self, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
        """The JSON type name of the value at ``keys`` (NULL when absent), spelled as in ``json_kinds``."""
        raise NotImplementedError

    def json_text(self, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
        """The value at ``keys`` as text (a string unquoted)."""
        raise NotImplementedError

    def json_is(self, column: Any, keys: Sequence[str], kind: str) -> ColumnElement[bool]:
        return self.json_kind(column, keys).in_(self.json_kinds[kind])

    def json_number(self, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
        """The number at ``keys``, or NULL when the value there is not a number (so no cast can fail)."""
        value = sa.cast(self.json_text(column, keys), sa.Float())
        return sa.case((self.json_is(column, keys, "number"), value), else_=sa.null())

    def json_equals(self, column: Any, keys: Sequence[str], value: Any) -> ColumnElement[bool]:
        """Typed equality of the JSON value at ``keys`` with a Python scalar ("1" is not 1)."""
        if value is None:
            return self.json_is(column, keys, "null")
        if isinstance(value, bool):
            return sa.and_(self.json_is(column, keys, "boolean"), self.json_text(column, keys) == json.dumps(value))
        if isinstance(value, int | float):
            return self.json_number(column, keys) == float(value)
        if isinstance(value, str):
            return sa.and_(self.json_is(column, keys, "string"), self.json_text(column, keys) == value)
        raise ValueError(f"cannot filter metadata on a value of type {type(value).__name__}: {value!r}")

    def json_contains(self, column: Any, document: Mapping[str, Any]) -> ColumnElement[bool]:
        """``column`` holds ``document`` the way PostgreSQL's ``jsonb @>`` means it."""
        raise NotImplementedError


def json_path(keys: Sequence[str]) -> str:
    """A JSON path (``$."a"."b"``) for keys that can be written in one."""
    for key in keys:
        if not isinstance(key, str) or not key:
            raise ValueError(f"metadata filter keys must be non-empty strings, got {key!r}")
        if '"' in key or "\\" in key:
            raise ValueError(f"metadata filter key {key!r} contains a quote or backslash, which cannot be filtered on")
    return "$" + "".join(f'."{key}"' for key in keys)

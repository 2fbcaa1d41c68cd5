"""The few places where the three dialects differ in SQL; everything else is written once."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.dml import Insert

from repositories.core.tables import TableSet


S = TypeVar("S")


@dataclass(frozen=True)
class Ctx:
    """What an operation needs to build statements: the tables, the dialect's name, and the
    statements already built for them (see :meth:`shape`)."""

    tables: TableSet
    dialect: str  # "sqlite" | "postgresql" | "mysql"
    shapes: dict[Hashable, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def locks_rows(self) -> bool:
        # SQLite has no row locks: its writers are serialized by BEGIN IMMEDIATE instead.
        return self.dialect != "sqlite"

    @property
    def returns_upserted(self) -> bool:
        # INSERT ... ON CONFLICT ... RETURNING; MariaDB's RETURNING has no ON DUPLICATE KEY form.
        return self.dialect != "mysql"

    def shape(self, key: Hashable, build: Callable[[], S]) -> S:
        """The statement ``build()`` makes, built once per key and then reused.

        For hot paths: building expressions costs more than executing a cached statement, and a
        reused statement object makes SQLAlchemy's compiled-cache lookup a dictionary hit. The
        statement must take everything that varies between calls as bind parameters; ``key``
        names everything else it depends on. (Racing threads may both build: same result.)
        """
        found = self.shapes.get(key)
        if found is None:
            found = self.shapes[key] = build()
        return found


def dialect_family(name: str) -> str:
    if name in ("mysql", "mariadb"):
        return "mysql"
    if name not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database dialect {name!r}; use SQLite, PostgreSQL or MySQL/MariaDB")
    return name


Incoming = Callable[[str], ColumnElement[Any]]


def upsert(
    ctx: Ctx,
    table: sa.Table,
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
    *,
    key: Sequence[str],
    update: Mapping[str, Callable[[Incoming], Any]] | Iterable[str],
    only_if: Callable[[Incoming], ColumnElement[bool]] | None = None,
) -> Insert:
    """INSERT ... ON CONFLICT/DUPLICATE KEY UPDATE in the dialect's syntax.

    ``update`` names the columns to overwrite with the incoming value, or maps a column to a
    function of ``incoming(column)`` (the would-be-inserted value). ``only_if(incoming)`` guards
    the update (compare existing ``table.c`` with incoming values): PostgreSQL and SQLite use a
    WHERE clause; MySQL has none, so each assignment becomes ``IF(guard, new, old)``.

    ``rows=None`` builds the statement without values, to be cached (``Ctx.shape``) and executed
    with the rows as parameters (``Bound``). Its update clause must then hold no bind parameter
    when it runs for several rows: PyMySQL's executemany leaves ON DUPLICATE KEY UPDATE unformatted.
    """
    values = None if rows is None else list(rows) if not isinstance(rows, Mapping) else [rows]
    if ctx.dialect == "mysql":
        stmt = mysql.insert(table)
        incoming: Incoming = lambda name: stmt.inserted[name]  # noqa: E731
    else:
        dialect_insert = postgresql.insert if ctx.dialect == "postgresql" else sqlite.insert
        stmt = dialect_insert(table)
        incoming = lambda name: stmt.excluded[name]  # noqa: E731
    if values is not None:
        stmt = stmt.values(values)

    if isinstance(update, Mapping):
        assignments = {col: make(incoming) for col, make in update.items()}
    else:
        assignments = {col: incoming(col) for col in update}

    if ctx.dialect == "mysql":
        guard = only_if(incoming) if only_if is not None else None
        if guard is not None:
            # MySQL applies assignments left to right and later ones see earlier results, so the
            # columns the guard reads are assigned last, after every other guarded assignment.
            read = {c.name for c in _columns_of(guard) if c.table is table}
            ordered = sorted(assignments, key=lambda col: col in read)
            assignments = {col: sa.func.IF(guard, assignments[col], table.c[col]) for col in ordered}
        return stmt.on_duplicate_key_update(list(assignments.items()))
    where = only_if(incoming) if only_if is not None else None
    return stmt.on_conflict_do_update(index_elements=list(key), set_=assignments, where=where)


def _columns_of(expression: ColumnElement[Any]) -> list[sa.Column[Any]]:
    from sqlalchemy.sql.visitors import iterate

    return [node for node in iterate(expression) if isinstance(node, sa.Column)]


def insert_ignore(ctx: Ctx, table: sa.Table, rows: Mapping[str, Any] | Sequence[Mapping[str, Any]], *, key: Sequence[str]) -> Insert:
    """INSERT that keeps an existing row with the same key; its rowcount says how many were inserted.

    On MySQL this is INSERT IGNORE, which also demotes other errors to warnings: validate values
    (and make sure referenced rows exist) before using it there.
    """
    values = list(rows) if not isinstance(rows, Mapping) else [rows]
    if ctx.dialect == "mysql":
        stmt = mysql.insert(table).values(values).prefix_with("IGNORE")
    else:
        dialect_insert = postgresql.insert if ctx.dialect == "postgresql" else sqlite.insert
        stmt = dialect_insert(table).values(values).on_conflict_do_nothing(index_elements=list(key))
    # psycopg reports no rowcount for INSERT unless SQLAlchemy is asked to keep it.
    return stmt.execution_options(preserve_rowcount=True)


def locked(ctx: Ctx, stmt: Select[Any], *, skip_locked: bool = False) -> Select[Any]:
    """``SELECT ... FOR UPDATE [SKIP LOCKED]`` where rows can be locked (SQLite's write lock is the file's)."""
    if not ctx.locks_rows:
        return stmt
    return stmt.with_for_update(skip_locked=skip_locked)


def json_array_contains(ctx: Ctx, column: sa.Column[Any], value: str) -> ColumnElement[bool]:
    """``value`` is an element of the JSON array in ``column``."""
    if ctx.dialect == "postgresql":
        return column.op("@>")(sa.func.jsonb_build_array(value))
    if ctx.dialect == "mysql":
        return sa.func.JSON_CONTAINS(column, sa.func.JSON_QUOTE(value)) == 1
    each = sa.func.json_each(column).table_valued("value").alias()
    return sa.exists(sa.select(1).select_from(each).where(each.c.value == value))


def json_text(column: sa.Column[Any], key: str) -> ColumnElement[str]:
    """The string at ``column[key]`` (``->>`` / ``JSON_UNQUOTE(JSON_EXTRACT())`` / ``json_extract``)."""
    return column[key].as_string()

"""Schema operations that are safe to repeat, for the revisions. FROZEN: add, never change.

MySQL/MariaDB commit every DDL statement on their own, so a revision that fails half-way (a
conflicting object, a process killed during a backfill) leaves part of its objects behind while
the version table still names the revision before. Each operation here first looks at the real
database (SQLAlchemy's inspector, fresh every time) and does only what is missing, so the next
``upgrade`` completes the revision instead of failing on "Duplicate column name".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def _inspector(bind: Connection) -> sa.Inspector:
    # Unqualified names: env.py connects to (MySQL) or puts first on search_path (PostgreSQL) the schema.
    return sa.inspect(bind)


def has_table(bind: Connection, table: str) -> bool:
    return _inspector(bind).has_table(table)


def column_names(bind: Connection, table: str) -> set[str]:
    return {column["name"] for column in _inspector(bind).get_columns(table)}


def index_names(bind: Connection, table: str) -> set[str]:
    return {str(index["name"]) for index in _inspector(bind).get_indexes(table)}


def view_names(bind: Connection) -> set[str]:
    return set(_inspector(bind).get_view_names())


class RepeatableOp:
    """Alembic's ``op`` with ``create_table`` and ``create_index`` skipped when already there."""

    def __init__(self, op: Any) -> None:
        self._op = op

    def __getattr__(self, name: str) -> Any:
        return getattr(self._op, name)

    def create_table(self, name: str, *elements: Any, **kw: Any) -> None:
        if not has_table(self._op.get_bind(), name):
            self._op.create_table(name, *elements, **kw)

    def create_index(self, name: Any, table: str, columns: Any, **kw: Any) -> None:
        if str(name) not in index_names(self._op.get_bind(), table):
            self._op.create_index(name, table, columns, **kw)


def missing_columns(bind: Connection, table: str, columns: Iterable[sa.Column[Any]]) -> list[sa.Column[Any]]:
    present = column_names(bind, table)
    return [column for column in columns if column.name not in present]

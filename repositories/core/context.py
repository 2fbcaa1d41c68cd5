"""What an operation builds its statements from: the tables, the dialect, cached statements."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from repositories.core.dialects import Dialect
from repositories.core.tables import TableSet

S = TypeVar("S")


@dataclass(frozen=True)
class Ctx:
    """The tables of one table set, its database's :class:`Dialect`, and statements built once."""

    tables: TableSet
    dialect: Dialect
    shapes: dict[Hashable, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

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


def json_text(column: sa.Column[Any], key: str) -> ColumnElement[str]:
    """The string at ``column[key]`` (``->>`` / ``JSON_UNQUOTE(JSON_EXTRACT())`` / ``json_extract``)."""
    return column[key].as_string()

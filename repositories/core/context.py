"""What an operation builds its statements from: the tables, the dialect, cached statements."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from repositories.core.dialects import Dialect
from repositories.core.tables import TableSet

S = TypeVar("S")
P = ParamSpec("P")


@dataclass(frozen=True)
class Ctx:
    """The tables of one table set, its database's :class:`Dialect`, and statements built once."""

    tables: TableSet
    dialect: Dialect


def statement(build: Callable[P, S]) -> Callable[P, S]:
    """Build a statement once per distinct arguments, then reuse it.

    For hot paths: building expressions costs more than executing a cached statement, and a
    reused statement object makes SQLAlchemy's compiled-cache lookup a dictionary hit. The cache
    key is the builder and all of its arguments, so it cannot name less than the statement depends
    on, as long as the builder is a module-level function that reads nothing but its (hashable)
    arguments: everything that varies between calls is a bind parameter. A ``Ctx`` hashes by its
    tables and dialect, so every db object on the same table set shares the statements.
    """
    return functools.cache(build)  # type: ignore[return-value]


def json_text(column: sa.Column[Any], key: str) -> ColumnElement[str]:
    """The string at ``column[key]`` (``->>`` / ``JSON_UNQUOTE(JSON_EXTRACT())`` / ``json_extract``)."""
    text: ColumnElement[str] = column[key].as_string()
    return text

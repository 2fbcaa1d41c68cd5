"""Listing helpers every repository shares: sorting, pagination, counting, row dicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from agno.db.utils import validate_pagination
from sqlalchemy.engine import Row
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.elements import UnaryExpression

from repositories.core.context import statement


def sort_direction(*, descending: bool) -> Callable[[ColumnElement[Any]], UnaryExpression[Any]]:
    """``key.desc()`` or ``key.asc()``, for sorting several keys the same way."""
    return _descending if descending else _ascending


def _descending(key: ColumnElement[Any]) -> UnaryExpression[Any]:
    return key.desc()


def _ascending(key: ColumnElement[Any]) -> UnaryExpression[Any]:
    return key.asc()


def ordered(
    stmt: Select[Any],
    table: sa.Table,
    sort_by: str | None,
    sort_order: str | None,
    *,
    default: str | None = None,
) -> Select[Any]:
    """ORDER BY ``sort_by`` as agno does, plus the primary key so pages never overlap.

    ``updated_at`` falls back to ``created_at`` for rows never updated (agno's convention).
    An unknown column is refused rather than silently ignored.
    """
    column_name = sort_by or default
    keys = [c for c in table.primary_key.columns]
    if column_name is None:
        return stmt.order_by(*keys)
    if column_name not in table.c:
        choices = ", ".join(sorted(c.name for c in table.c))
        raise ValueError(f"cannot sort {table.name} by {column_name!r}; sortable columns: {choices}")
    if sort_order not in (None, "asc", "desc"):
        raise ValueError(f"sort_order must be 'asc' or 'desc', got {sort_order!r}")
    column: Any = table.c[column_name]
    if column_name == "updated_at" and "created_at" in table.c:
        column = sa.func.coalesce(table.c.updated_at, table.c.created_at)
    descending = sort_order != "asc"
    direction = sort_direction(descending=descending)
    return stmt.order_by(direction(column), *[direction(k) for k in keys])


# No table holds 2**62 rows: a larger limit or offset means "all" or "past the end" on every
# dialect, while the raw value would overflow SQLite's and PostgreSQL's 64-bit integers.
ROW_BOUND = 2**62


def paged(stmt: Select[Any], limit: int | None, page: int | None) -> Select[Any]:
    """LIMIT / OFFSET for agno's ``limit`` / ``page`` (validated), bound as 64-bit integers."""
    values = page_params(limit, page)
    return with_page(stmt, limit, page).params(values) if values else stmt


def page_params(limit: int | None, page: int | None) -> dict[str, int]:
    """Validate agno's ``limit`` / ``page`` and return the values :func:`with_page` binds."""
    for name, value in (("limit", limit), ("page", page)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"`{name}` must be an integer; got {type(value).__name__} {value!r}")
    validate_pagination(limit, page)
    if limit is not None and limit < 0:
        raise ValueError(f"`limit` must be >= 0; got {limit}")
    if limit is None:
        return {}
    bounded = min(limit, ROW_BOUND)
    if page is None:
        return {"limit": bounded}
    return {"limit": bounded, "offset": min((page - 1) * limit, ROW_BOUND)}


def with_page(stmt: Select[Any], limit: int | None, page: int | None) -> Select[Any]:
    """LIMIT / OFFSET as bind parameters, for a statement built once (values from :func:`page_params`).

    BigInteger: PostgreSQL would cast an INTEGER parameter to 32 bits and fail on page 10**9.
    """
    return with_page_shape(stmt, page_shape(limit, page))


def with_page_shape(stmt: Select[Any], paging: tuple[bool, bool]) -> Select[Any]:
    """:func:`with_page` from :func:`page_shape` (a statement cached by shape needs no values)."""
    limited, offset = paging
    if not limited:
        return stmt
    stmt = stmt.limit(sa.bindparam("limit", type_=sa.BigInteger))
    return stmt.offset(sa.bindparam("offset", type_=sa.BigInteger)) if offset else stmt


def sliced(stmt: Select[Any], *, limit: int | None, offset: int = 0) -> Select[Any]:
    """LIMIT / OFFSET from a row offset (not a page), validated and bound as 64-bit integers."""
    if limit is not None and limit < 0:
        raise ValueError(f"`limit` must be >= 0; got {limit}")
    if offset < 0:
        raise ValueError(f"`offset` must be >= 0; got {offset}")
    values: dict[str, int] = {}
    if limit is not None:
        stmt = stmt.limit(sa.bindparam("limit", type_=sa.BigInteger))
        values["limit"] = min(limit, ROW_BOUND)
    if offset:
        stmt = stmt.offset(sa.bindparam("offset", type_=sa.BigInteger))
        values["offset"] = min(offset, ROW_BOUND)
    return stmt.params(values) if values else stmt


def page_shape(limit: int | None, page: int | None) -> tuple[bool, bool]:
    """What of the paging changes a statement's SQL (not the values)."""
    return limit is not None, limit is not None and page is not None


LIKE_ESCAPE = "/"


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape :data:`LIKE_ESCAPE`) matching ``text`` literally anywhere: ``%`` and ``_`` are no wildcards."""
    e = LIKE_ESCAPE
    return "%" + text.replace(e, e + e).replace("%", e + "%").replace("_", e + "_") + "%"


@statement
def counted(filtered: Select[Any]) -> Select[Any]:
    """``count_of`` a statement built once (the cache key is that statement object)."""
    return count_of(filtered)


@statement
def page_of(
    filtered: Select[Any], table: sa.Table, sort_by: str | None, sort_order: str | None, paging: tuple[bool, bool]
) -> Select[Any]:
    """One page of a statement built once, sorted as agno sorts (see :func:`ordered`)."""
    return with_page_shape(ordered(filtered, table, sort_by, sort_order), paging)


def count_of(stmt: Select[Any]) -> Select[Any]:
    return sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())


def as_dict(row: Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)

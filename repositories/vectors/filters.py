"""agno's metadata filters and owner scoping as SQL conditions, written once for every dialect.

agno's dict filters mean JSON containment (PostgreSQL ``meta_data @> filters``): every key holds
that value, compared with its JSON type ("1" is not 1), and a list value means "the stored array
holds all of these". FilterExpr trees (EQ, NEQ, IN, GT, GTE, LT, LTE, CONTAINS, STARTSWITH, AND,
OR, NOT) compile to the same typed comparisons (``Dialect.json_*``). All of it is SQL, so filters
apply before the top-k.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from agno.filters import MAX_FILTER_DEPTH, FilterExpr
from sqlalchemy.sql import ColumnElement

from repositories.core.dialects import Dialect


def contains(dialect: Dialect, column: Any, document: Mapping[str, Any]) -> ColumnElement[bool]:
    """``column`` holds ``document`` the way PostgreSQL's ``jsonb @>`` means it."""
    if not isinstance(document, Mapping):
        raise ValueError(f"metadata filters must be a dict, got {type(document).__name__}")
    try:
        json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"metadata filter {document!r} is not JSON: {error}") from None
    return dialect.json_contains(column, document)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _string_at(dialect: Dialect, column: Any, key: str) -> ColumnElement[Any]:
    return sa.case((dialect.json_is(column, [key], "string"), dialect.json_text(column, [key])), else_=sa.null())


def _expression(dialect: Dialect, column: Any, node: Mapping[str, Any], depth: int) -> ColumnElement[bool]:
    if depth > MAX_FILTER_DEPTH:
        raise ValueError(f"filter expressions nest at most {MAX_FILTER_DEPTH} levels deep")
    op = node.get("op")
    if op in ("AND", "OR"):
        parts = [_expression(dialect, column, child, depth + 1) for child in node.get("conditions") or []]
        if not parts:
            raise ValueError(f"{op} filter needs at least one condition")
        return sa.and_(*parts) if op == "AND" else sa.or_(*parts)
    if op == "NOT":
        return sa.not_(sa.func.coalesce(_expression(dialect, column, node["condition"], depth + 1), sa.false()))
    key = node.get("key")
    if not isinstance(key, str):
        raise ValueError(f"filter {op} needs a string key, got {key!r}")
    if op == "EQ":
        return contains(dialect, column, {key: node.get("value")})
    if op == "NEQ":
        present = dialect.json_kind(column, [key]).is_not(None)
        return sa.and_(present, sa.not_(sa.func.coalesce(contains(dialect, column, {key: node.get("value")}), sa.false())))
    if op == "IN":
        values = node.get("values")
        if not isinstance(values, list | tuple):
            raise ValueError(f"IN filter on {key!r} needs a list of values, got {values!r}")
        if not values:
            return sa.false()
        return sa.or_(*[contains(dialect, column, {key: value}) for value in values])
    if op in ("GT", "GTE", "LT", "LTE"):
        value = node.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{op} filter on {key!r} compares numbers or strings, got {value!r}")
        if isinstance(value, str):
            left: ColumnElement[Any] = _string_at(dialect, column, key)
        else:
            left, value = dialect.json_number(column, [key]), float(value)
        return {"GT": left > value, "GTE": left >= value, "LT": left < value, "LTE": left <= value}[op]
    if op in ("CONTAINS", "STARTSWITH"):
        value = node.get("value")
        if not isinstance(value, str):
            raise ValueError(f"{op} filter on {key!r} needs a string, got {value!r}")
        text = sa.type_coerce(_string_at(dialect, column, key), sa.String())
        if op == "CONTAINS":  # agno documents CONTAINS as case-insensitive
            return sa.func.lower(text).like(f"%{_escape_like(value.lower())}%", escape="\\")
        return text.like(f"{_escape_like(value)}%", escape="\\")
    raise ValueError(f"unknown filter operator {op!r}")


def metadata_filter(dialect: Dialect, column: Any, filters: Any) -> ColumnElement[bool] | None:
    """agno's ``filters`` argument (a dict, a FilterExpr, or a list of them) as one SQL condition."""
    if filters is None:
        return None
    if isinstance(filters, Mapping):
        if "op" in filters and not isinstance(filters.get("op"), Mapping):
            return _expression(dialect, column, filters, 0)  # a FilterExpr in its dict form
        return contains(dialect, column, filters) if filters else None
    if isinstance(filters, FilterExpr):
        filters = [filters]
    if isinstance(filters, list | tuple):
        if not filters:
            return None
        nodes = [f.to_dict() if isinstance(f, FilterExpr) else f for f in filters]
        for node in nodes:
            if not isinstance(node, Mapping):
                raise ValueError(f"filters must be FilterExpr objects or their dict form, got {node!r}")
        return sa.and_(*[_expression(dialect, column, node, 0) for node in nodes])
    raise ValueError(f"filters must be a dict or a list of FilterExpr, got {type(filters).__name__}")


def owner_scope(table: sa.Table, user_id: str | None) -> ColumnElement[bool] | None:
    """agno's search scope: the user's own chunks plus shared ones (``user_id IS NULL``)."""
    if user_id is None:
        return None
    return sa.or_(table.c.user_id == user_id, table.c.user_id.is_(None))


def owner_bucket(table: sa.Table, user_id: str | None) -> ColumnElement[bool]:
    """Exactly one owner's chunks; None is the shared bucket (agno's content-hash semantics)."""
    return table.c.user_id.is_(None) if user_id is None else table.c.user_id == user_id

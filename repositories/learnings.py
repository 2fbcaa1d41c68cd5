"""Learnings: what agno's learning machine extracts (user profiles, user memories, session context,
entity memories, decision logs), one row per learning with its JSON ``content`` and ``metadata``.

The storage contract is agno 3.1's PostgresDb (same rows, same return shapes). On top of it:
- ``upsert_learning`` never changes a row owned by another user (or an unowned row from a
  user-scoped call, or an owned row from an unscoped one): it raises ``OwnershipError`` and
  writes nothing. Identity fields (type, owner, scope ids, ``created_at``) are fixed at insert.
- ``search_learnings`` matches in SQL on every dialect (the JSON content cast to text, then a
  case-insensitive LIKE with agno's own patterns); ``get_learnings_user_stats`` groups in SQL.
- every list has a deterministic order (the primary key breaks ties), so pages never overlap;
  ``get_learning`` returns the most recently updated match when several rows fit the filters.
- database errors propagate and bad arguments raise ``ValueError``; nothing becomes ``None``/``[]``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from agno.db.utils import learning_search_patterns
from sqlalchemy.dialects import mysql
from sqlalchemy.sql import ColumnElement, Select

from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict, count_of, ordered, paged, sort_direction
from repositories.core.repository import Repository
from repositories.core.values import checked, refuse_ownership

Filters = Mapping[str, str | None]

# Sort keys of get_learnings_user_stats (agno's names); the default comes first.
_USER_STATS_SORTS = ("last_learning_updated_at", "user_id")


# --- helpers ----------------------------------------------------------------------------------


def _require_text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _require_document(name: str, value: Any, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, dict):
        allowed = "a dict or None" if optional else "a dict"
        raise ValueError(f"{name} must be {allowed}, got {type(value).__name__}")


def _filtered(ctx: Ctx, stmt: Select[Any], filters: Filters) -> Select[Any]:
    """Equality filters on the scope columns; ``None`` means "any value", as in agno."""
    table = ctx.tables.learnings
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(table.c[name] == value)
    return stmt


def _recent_first(ctx: Ctx, stmt: Select[Any]) -> Select[Any]:
    # agno orders by updated_at DESC, whose NULL placement differs per dialect; falling back to
    # created_at (agno's own sorting convention) and breaking ties by id makes it one order.
    return ordered(stmt, ctx.tables.learnings, "updated_at", "desc")


def json_as_text(column: sa.Column[Any]) -> ColumnElement[str]:
    """A JSON column's document as text: ``::text`` on JSONB, ``CAST(.. AS CHAR)`` on MySQL."""
    # utf8mb4 whatever the connection's character set, so a utf8mb4 collation applies to it.
    return sa.cast(column, sa.Text().with_variant(mysql.CHAR(charset="utf8mb4"), "mysql", "mariadb"))


# --- single learnings -------------------------------------------------------------------------


# --- lists ------------------------------------------------------------------------------------


class LearningRepository(Repository):
    """agno's learning methods, each one operation."""

    @operation(writes=False, absent=None)
    def get_learning(
        self,
        learning_type: str,
        user_id: str | None = None,
        agent_id: str | None = None,
        team_id: str | None = None,
        session_id: str | None = None,
        namespace: str | None = None,
        entity_id: str | None = None,
        entity_type: str | None = None,
    ) -> Steps[dict[str, Any] | None]:
        filters = {"user_id": user_id, "agent_id": agent_id, "team_id": team_id, "session_id": session_id,
                   "namespace": namespace, "entity_id": entity_id, "entity_type": entity_type}
        ctx = self._ctx
        _require_text("learning_type", learning_type)
        table = ctx.tables.learnings
        stmt = _filtered(ctx, sa.select(table.c.content).where(table.c.learning_type == learning_type), filters)
        row = (yield _recent_first(ctx, stmt).limit(1)).first()
        return None if row is None else {"content": row.content}

    @operation(writes=True)
    def upsert_learning(
        self,
        id: str,
        learning_type: str,
        content: dict[str, Any],
        user_id: str | None = None,
        agent_id: str | None = None,
        team_id: str | None = None,
        session_id: str | None = None,
        namespace: str | None = None,
        entity_id: str | None = None,
        entity_type: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Steps[None]:
        scope = {"agent_id": agent_id, "team_id": team_id, "session_id": session_id, "namespace": namespace,
                 "entity_id": entity_id, "entity_type": entity_type}
        ctx = self._ctx
        _require_text("id", id)
        _require_text("learning_type", learning_type)
        _require_document("content", content, optional=False)
        _require_document("metadata", metadata, optional=True)
        table = ctx.tables.learnings
        now = int(time.time())
        row = checked(table, {
            "learning_id": id,
            "learning_type": learning_type,
            "user_id": user_id,
            **scope,
            "content": content,
            "metadata": metadata,
            "created_at": now,
            "updated_at": now,
        })
        # As agno: an existing row keeps its identity and creation time; content follows the caller.
        update = ["content", "metadata", "updated_at"]
        same_owner = lambda incoming: table.c.user_id.is_not_distinct_from(incoming("user_id"))  # noqa: E731
        yield ctx.dialect.upsert(table, row, key=["learning_id"], update=update, only_if=same_owner)
        # The guard left a foreign row untouched; say so rather than report a write that did not happen.
        owner = (yield sa.select(table.c.user_id).where(table.c.learning_id == id)).one()
        if owner.user_id != user_id:
            # Name neither owner: the message may reach the caller, who must not learn who owns the id.
            raise refuse_ownership(f"learning {id!r} belongs to another owner; it was left unchanged")

    @operation(writes=True, absent=False)
    def delete_learning(self, id: str) -> Steps[bool]:
        ctx = self._ctx
        table = ctx.tables.learnings
        return bool((yield sa.delete(table).where(table.c.learning_id == id)).rowcount)

    @operation(writes=False, absent=list)
    def get_learnings(
        self,
        learning_type: str | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        team_id: str | None = None,
        session_id: str | None = None,
        namespace: str | None = None,
        entity_id: str | None = None,
        entity_type: str | None = None,
        limit: int | None = None,
    ) -> Steps[list[dict[str, Any]]]:
        filters = {"learning_type": learning_type, "user_id": user_id, "agent_id": agent_id, "team_id": team_id,
                   "session_id": session_id, "namespace": namespace, "entity_id": entity_id,
                   "entity_type": entity_type}
        ctx = self._ctx
        table = ctx.tables.learnings
        stmt = paged(_recent_first(ctx, _filtered(ctx, sa.select(table), filters)), limit, None)
        return [as_dict(r) for r in (yield stmt).fetchall()]

    @operation(writes=True)
    def update_learning(self, id: str, content: dict[str, Any], metadata: dict[str, Any] | None = None) -> Steps[bool]:
        ctx = self._ctx
        _require_document("content", content, optional=False)
        _require_document("metadata", metadata, optional=True)
        table = ctx.tables.learnings
        checked(table, {"content": content, "metadata": metadata})
        stmt = (
            sa.update(table)
            .where(table.c.learning_id == id)
            .values(content=content, metadata=metadata, updated_at=int(time.time()))
        )
        return bool((yield stmt).rowcount)

    @operation(writes=True, absent=0)
    def delete_user_learnings(self, user_id: str, learning_type: str | None = None) -> Steps[int]:
        ctx = self._ctx
        if not isinstance(user_id, str):
            raise ValueError(f"user_id must be a string, got {user_id!r}")
        table = ctx.tables.learnings
        stmt = sa.delete(table).where(table.c.user_id == user_id)
        if learning_type is not None:
            stmt = stmt.where(table.c.learning_type == learning_type)
        return int((yield stmt).rowcount or 0)

    @operation(writes=False, absent=list)
    def search_learnings(
        self,
        query: str,
        learning_type: str | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        team_id: str | None = None,
        workflow_id: str | None = None,
        session_id: str | None = None,
        namespace: str | None = None,
        entity_id: str | None = None,
        entity_type: str | None = None,
        limit: int | None = None,
    ) -> Steps[list[dict[str, Any]]]:
        filters = {"learning_type": learning_type, "user_id": user_id, "agent_id": agent_id, "team_id": team_id,
                   "workflow_id": workflow_id, "session_id": session_id, "namespace": namespace,
                   "entity_id": entity_id, "entity_type": entity_type}
        ctx = self._ctx
        if not isinstance(query, str):
            raise ValueError(f"query must be a string, got {type(query).__name__}")
        table = ctx.tables.learnings
        patterns = learning_search_patterns(query)  # agno's: separators cross, "%" and backslash are literal
        stmt = paged(_recent_first(ctx, _filtered(ctx, sa.select(table), filters)), limit, None)
        if not patterns:
            return []  # nothing but wildcards and whitespace: agno matches nothing
        stmt = stmt.where(ctx.dialect.matches_any(json_as_text(table.c.content), patterns))
        return [as_dict(r) for r in (yield stmt).fetchall()]

    @operation(writes=False, absent=None)
    def get_learning_by_id(self, id: str) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        table = ctx.tables.learnings
        row = (yield sa.select(table).where(table.c.learning_id == id)).first()
        return None if row is None else as_dict(row)

    @operation(writes=False, absent=lambda a: ([], 0))
    def list_learnings(
        self,
        learning_type: str | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        team_id: str | None = None,
        session_id: str | None = None,
        namespace: str | None = None,
        entity_id: str | None = None,
        entity_type: str | None = None,
        include_global: bool = False,
        limit: int = 100,
        page: int = 1,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        filters = {"learning_type": learning_type, "agent_id": agent_id, "team_id": team_id,
                   "session_id": session_id, "namespace": namespace, "entity_id": entity_id,
                   "entity_type": entity_type}
        ctx = self._ctx
        table = ctx.tables.learnings
        stmt = _filtered(ctx, sa.select(table), filters)
        if user_id is not None:
            owned = table.c.user_id == user_id
            stmt = stmt.where(sa.or_(owned, table.c.user_id.is_(None)) if include_global else owned)
        # AgentOS documents that an unrecognised sort field falls back to the default order.
        sort_column = sort_by if sort_by is not None and sort_by in table.c else "updated_at"
        page_stmt = paged(ordered(stmt, table, sort_column, sort_order or "desc"), limit, page)
        total = (yield count_of(stmt)).scalar_one()
        rows = (yield page_stmt).fetchall()
        return [as_dict(r) for r in rows], int(total)

    @operation(writes=False, absent=lambda a: ([], 0))
    def get_learnings_user_stats(
        self,
        learning_type: str | None = None,
        limit: int | None = None,
        page: int | None = None,
        user_id: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        ctx = self._ctx
        table = ctx.tables.learnings
        sort_key = sort_by or _USER_STATS_SORTS[0]
        if sort_key not in _USER_STATS_SORTS:
            raise ValueError(f"cannot sort learning users by {sort_by!r}; use one of {', '.join(_USER_STATS_SORTS)}")
        if sort_order not in (None, "asc", "desc"):
            raise ValueError(f"sort_order must be 'asc' or 'desc', got {sort_order!r}")
        # A row never updated counts from its creation (agno's convention for updated_at).
        touched = sa.func.coalesce(table.c.updated_at, table.c.created_at)
        last_updated = sa.func.max(touched).label("last_learning_updated_at")
        stmt = sa.select(table.c.user_id, last_updated)
        if learning_type is not None:
            stmt = stmt.where(table.c.learning_type == learning_type)
        stmt = stmt.where(table.c.user_id == user_id if user_id is not None else table.c.user_id.is_not(None))
        stmt = stmt.group_by(table.c.user_id)

        total = (yield count_of(stmt)).scalar_one()
        direction = sort_direction(descending=sort_order != "asc")
        keys = [last_updated, table.c.user_id] if sort_key == "last_learning_updated_at" else [table.c.user_id]
        rows = (yield paged(stmt.order_by(*[direction(k) for k in keys]), limit, page)).fetchall()
        stats = [{"user_id": r.user_id, "last_learning_updated_at": r.last_learning_updated_at} for r in rows]
        return stats, int(total)

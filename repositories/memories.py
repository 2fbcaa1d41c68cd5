"""User memories: one row per memory (``memory`` its JSON body, ``topics`` a JSON list of strings).

The storage contract is agno 3.1's (``agno.db.schemas.memory.UserMemory`` in and out). On top of it:
- a memory owned by one user is never overwritten, read or deleted through another user's id: an
  upsert aimed at another user's ``memory_id`` leaves the row untouched and reports nothing stored
  (``None`` / left out of the bulk result); a memory nobody owns is claimed by its first owner;
- topic filters, distinct topics and per-user statistics are computed in SQL, one query each;
- ``search_content`` is a literal substring match (``%`` and ``_`` are not wildcards);
- database errors propagate; bad input raises ``ValueError`` before anything is written.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, NamedTuple
from uuid import uuid4

import sqlalchemy as sa
from agno.db.schemas.memory import UserMemory
from agno.utils.string import sanitize_postgres_string

from repositories.core.context import Ctx, statement
from repositories.core.operation import Bound, Steps, operation
from repositories.core.owned import owned_upsert
from repositories.core.query import (
    LIKE_ESCAPE,
    as_dict,
    contains_pattern,
    count_of,
    counted,
    page_of,
    page_params,
    page_shape,
    paged,
)
from repositories.core.repository import Repository
from repositories.core.values import checked, refuse_ownership

# --- rows -------------------------------------------------------------------------------------


def _check_id(name: str, value: Any, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value:
        raise ValueError(f"memory {name} must be a non-empty string, got {value!r}")


def _check_topics(topics: Any, *, what: str = "memory topics") -> None:
    if topics is None:
        return
    if isinstance(topics, str) or not isinstance(topics, list | tuple):
        raise ValueError(f"{what} must be a list of strings, got {type(topics).__name__} {topics!r}")
    bad = [t for t in topics if not isinstance(t, str)]
    if bad:
        raise ValueError(f"{what} must be strings; got {bad!r}")


def memory_row(memory: UserMemory, table: sa.Table) -> dict[str, Any]:
    """The table row for an agno ``UserMemory``; assigns a ``memory_id`` as agno does when missing."""
    if not isinstance(memory, UserMemory):
        raise ValueError(f"expected an agno UserMemory, got {type(memory).__name__}")
    if memory.memory is None:
        raise ValueError("a user memory needs its memory content (memory.memory is None)")
    if memory.memory_id is None:
        # agno assigns the id on the caller's object; so do we (callers read it back from there).
        memory.memory_id = str(uuid4())
    _check_id("memory_id", memory.memory_id, required=True)
    for name in ("user_id", "agent_id", "team_id"):
        _check_id(name, getattr(memory, name))
    _check_topics(memory.topics)
    created_at = memory.created_at if memory.created_at is not None else int(time.time())
    return checked(table, {
        "memory_id": memory.memory_id,
        "memory": memory.memory,
        # agno strips NUL from these on PostgreSQL (its text cannot hold it); doing it on every
        # dialect keeps a memory identical whichever database stores it.
        "input": sanitize_postgres_string(memory.input),
        "feedback": sanitize_postgres_string(memory.feedback),
        "user_id": memory.user_id,
        "agent_id": memory.agent_id,
        "team_id": memory.team_id,
        "topics": list(memory.topics) if memory.topics is not None else None,
        "created_at": created_at,
        "updated_at": memory.updated_at,
    })


def _finish(record: dict[str, Any], deserialize: bool | None) -> UserMemory | dict[str, Any]:
    return UserMemory.from_dict(record) if deserialize else record


def _upsert_rows(ctx: Ctx, rows: list[dict[str, Any]], *, touch: int | None) -> Steps[dict[str, dict[str, Any]]]:
    """Upsert memory rows; return the stored rows the caller owns, by memory_id.

    ``touch`` is the ``updated_at`` an existing row gets (None: the incoming row's own value).
    ``created_at`` is fixed at insert; ``user_id`` only ever changes from NULL to its first owner.
    """
    table = ctx.tables.memories
    return (yield from owned_upsert(ctx, table, rows, key="memory_id", fixed=("created_at",), touch=touch,
                                    returning=list(table.c)))


# --- distinct topics --------------------------------------------------------------------------


# --- operations -------------------------------------------------------------------------------


def _delete_user_memories(ctx: Ctx, *, memory_ids: Sequence[str], user_id: str | None) -> Steps[None]:
    table = ctx.tables.memories
    if isinstance(memory_ids, str):
        raise ValueError("memory_ids must be a list of ids, not a single string")
    ids = list(memory_ids)
    if not ids:
        return
    stmt = sa.delete(table).where(table.c.memory_id.in_(ids))
    if user_id is not None:
        stmt = stmt.where(table.c.user_id == user_id)
    yield stmt


class _MemoryFilters(NamedTuple):
    """Which of get_user_memories' filters a call uses (their values are bind parameters)."""

    owners: tuple[bool, bool, bool]  # user_id, agent_id, team_id given
    topics: int
    searched: bool


@statement
def _memories_filtered(ctx: Ctx, filters: _MemoryFilters) -> sa.Select[Any]:
    table = ctx.tables.memories
    stmt = sa.select(table)
    for column, present in zip((table.c.user_id, table.c.agent_id, table.c.team_id), filters.owners, strict=True):
        if present:
            stmt = stmt.where(column == sa.bindparam(column.name))
    if filters.topics:
        # A memory matches when it has any of the topics (an empty list filters nothing, as in agno).
        stmt = stmt.where(sa.or_(*[
            ctx.dialect.json_array_contains(table.c.topics, sa.bindparam(f"topic_{i}", type_=sa.String))
            for i in range(filters.topics)
        ]))
    if filters.searched:
        # agno searches the stored JSON text of the memory, case-insensitively.
        pattern = sa.bindparam("search_pattern", type_=sa.String)
        stmt = stmt.where(sa.cast(table.c.memory, sa.Text).ilike(pattern, escape=LIKE_ESCAPE))
    return stmt


class MemoryRepository(Repository):
    """agno's user-memory methods, each one operation."""

    @operation(writes=True)
    def clear_memories(self) -> Steps[None]:
        ctx = self._ctx
        yield sa.delete(ctx.tables.memories)

    @operation(writes=True, absent=None)
    def delete_user_memory(self, memory_id: str, user_id: str | None = None) -> Steps[None]:
        return (yield from _delete_user_memories(self._ctx, memory_ids=[memory_id], user_id=user_id))

    @operation(writes=True, absent=None)
    def delete_user_memories(self, memory_ids: list[str], user_id: str | None = None) -> Steps[None]:
        return (yield from _delete_user_memories(self._ctx, memory_ids=memory_ids, user_id=user_id))

    @operation(writes=False, absent=list)
    def get_all_memory_topics(self, user_id: str | None = None) -> Steps[list[str]]:
        ctx = self._ctx
        table = ctx.tables.memories
        topic, source = ctx.dialect.json_array_elements(table, table.c.topics)
        inner = sa.select(topic.label("topic")).select_from(source).where(table.c.topics.is_not(None))
        inner = inner.where(ctx.dialect.is_json_array(table.c.topics))
        if user_id is not None:
            inner = inner.where(table.c.user_id == user_id)
        # DISTINCT outside, so PostgreSQL's set-returning function is expanded before deduplication.
        topics = inner.subquery()
        stmt = sa.select(topics.c.topic).where(topics.c.topic.is_not(None)).distinct()
        # agno returns list(set(...)), in no particular order; a sorted list is one such order.
        return sorted((yield stmt).scalars().all())

    @operation(writes=False, absent=None)
    def get_user_memory(
        self, memory_id: str, deserialize: bool | None = True, user_id: str | None = None
    ) -> Steps[Any]:
        ctx = self._ctx
        table = ctx.tables.memories
        stmt = sa.select(table).where(table.c.memory_id == memory_id)
        if user_id is not None:
            stmt = stmt.where(table.c.user_id == user_id)
        row = (yield stmt).first()
        return None if row is None else _finish(as_dict(row), deserialize)

    @operation(writes=False, absent=lambda a: [] if a['deserialize'] else ([], 0))
    def get_user_memories(
        self,
        user_id: str | None = None,
        agent_id: str | None = None,
        team_id: str | None = None,
        topics: list[str] | None = None,
        search_content: str | None = None,
        limit: int | None = None,
        page: int | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        deserialize: bool | None = True,
    ) -> Steps[Any]:
        ctx = self._ctx
        _check_topics(topics, what="the topics filter")
        paging = page_params(limit, page)  # validates before any query
        owners = (user_id is not None, agent_id is not None, team_id is not None)
        topic_count = len(topics) if topics else 0
        searched = search_content is not None

        shape = _MemoryFilters(owners, topic_count, searched)
        listed = page_of(_memories_filtered(ctx, shape), ctx.tables.memories, sort_by, sort_order, page_shape(limit, page))
        params: dict[str, Any] = {"user_id": user_id, "agent_id": agent_id, "team_id": team_id,
                                  "search_pattern": None if search_content is None else contains_pattern(search_content), **paging}
        params.update({f"topic_{i}": t for i, t in enumerate(topics or ())})
        records = [as_dict(r) for r in (yield Bound(listed, params)).fetchall()]
        if deserialize:
            return [UserMemory.from_dict(r) for r in records]  # agno returns no count here: none is taken
        count = counted(_memories_filtered(ctx, shape))
        total = (yield Bound(count, params)).scalar_one()
        return records, total

    @operation(writes=False, absent=lambda a: ([], 0))
    def get_user_memory_stats(
        self, limit: int | None = None, page: int | None = None, user_id: str | None = None
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        ctx = self._ctx
        table = ctx.tables.memories
        last_updated = sa.func.max(table.c.updated_at)
        stmt = sa.select(
            table.c.user_id,
            sa.func.count(table.c.memory_id).label("total_memories"),
            last_updated.label("last_memory_updated_at"),
        )
        stmt = stmt.where(table.c.user_id == user_id if user_id is not None else table.c.user_id.is_not(None))
        stmt = stmt.group_by(table.c.user_id)
        # Most recently updated first (never-updated users last on every dialect); user_id breaks ties
        # so pages never overlap.
        ordered_stmt = stmt.order_by(last_updated.is_(None), last_updated.desc(), table.c.user_id.asc())
        page_stmt = paged(ordered_stmt, limit, page)
        total = (yield count_of(stmt)).scalar_one()
        rows = (yield page_stmt).fetchall()
        stats = [
            {
                "user_id": r.user_id,
                "total_memories": int(r.total_memories),
                "last_memory_updated_at": int(r.last_memory_updated_at) if r.last_memory_updated_at is not None else None,
            }
            for r in rows
        ]
        return stats, total

    @operation(writes=True)
    def upsert_user_memory(
        self, memory: UserMemory, deserialize: bool | None = True
    ) -> Steps[Any]:
        ctx = self._ctx
        now = int(time.time())
        # A new memory's updated_at is its own, else its creation time (agno's PostgresDb).
        row = memory_row(memory, ctx.tables.memories)
        if row["updated_at"] is None:
            row["updated_at"] = row["created_at"]
        stored = yield from _upsert_rows(ctx, [row], touch=now)
        record = stored.get(row["memory_id"])
        if record is None:  # the guard left another user's memory untouched: say so (and log it)
            raise refuse_ownership(f"memory {row['memory_id']!r} belongs to another user; it was left unchanged")
        return _finish(record, deserialize)

    @operation(writes=True)
    def upsert_memories(
        self, memories: list[UserMemory], deserialize: bool | None = True, preserve_updated_at: bool = False
    ) -> Steps[list[Any]]:
        ctx = self._ctx
        if isinstance(memories, UserMemory):
            raise ValueError("upsert_memories takes a list of memories; use upsert_user_memory for one")
        now = int(time.time())
        # preserve_updated_at keeps the object's updated_at even when it is None (agno does the same).
        rows = [memory_row(m, ctx.tables.memories) for m in memories]
        if not preserve_updated_at:
            for row in rows:
                row["updated_at"] = now
        if len({r["memory_id"] for r in rows}) != len(rows):
            raise ValueError("upsert_memories got the same memory_id more than once")
        if not rows:
            return []
        stored = yield from _upsert_rows(ctx, rows, touch=None)
        foreign = [r["memory_id"] for r in rows if r["memory_id"] not in stored]
        if foreign:  # raising rolls the whole batch back: all of it is stored, or none
            raise refuse_ownership(f"memories {foreign!r} belong to another user; none of the batch was stored")
        return [_finish(stored[r["memory_id"]], deserialize) for r in rows]

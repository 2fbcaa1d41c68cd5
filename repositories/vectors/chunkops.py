"""The knowledge base's own operations: its search structures, writes, deletes and counts.

Like every repository module, an operation yields statements and receives their results; what
a backend does its own way (an index, COPY, hex embeddings) is its ``Backend``'s.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from repositories.core.operation import Bound, unit
from repositories.vectors.backends.base import Steps
from repositories.vectors.base import Base, Chunks, where
from repositories.vectors.filters import owner_bucket


@unit(writes=True)
def prepare_base(base: Base, *, force_recreate: bool = False) -> Steps:
    """Make the per-base search structures: the HNSW index (PostgreSQL) or the FTS5 mirror (SQLite)."""
    return (yield from base.backend.prepare(base, force_recreate=force_recreate))


@unit(writes=False)
def base_exists(base: Base) -> Steps:
    """Whether ``prepare_base`` has run: the base's HNSW index, the FTS5 mirror, or (MySQL) the table."""
    return (yield from base.backend.exists(base))


@unit(writes=True)
def drop_base(base: Base) -> Steps:
    """Delete the base's chunks and what belongs to it alone (its vector indexes)."""
    deleted = (yield sa.delete(base.table).where(base.predicate())).rowcount
    yield from base.backend.drop(base)
    return deleted


@unit(writes=True)
def write_chunks(base: Base, *, chunks: Chunks, replace: tuple[str, str | None] | None, upsert: bool) -> Steps:
    """Write validated chunk rows in one transaction.

    ``replace=(content_hash, user_id)`` first deletes that owner's chunks of the content hash
    (agno's upsert), so a re-ingested document never leaves stale chunks behind; ``upsert``
    overwrites rows whose (base, id) exists instead of failing on them.
    """
    table = base.table
    if replace is not None:
        content_hash, user_id = replace
        yield sa.delete(table).where(base.predicate(), table.c.content_hash == content_hash, owner_bucket(table, user_id))
    if not chunks.rows:
        return 0
    return (yield from base.backend.write(base, chunks, upsert=upsert))


@unit(writes=True)
def delete_chunks(base: Base, *, condition: ColumnElement[bool] | None) -> Steps:
    return (yield sa.delete(base.table).where(where(base.predicate(), condition))).rowcount


@unit(writes=False)
def chunk_exists(base: Base, *, condition: ColumnElement[bool]) -> Steps:
    found = (yield sa.select(sa.literal(1)).where(base.predicate(), condition).limit(1)).first()
    return found is not None


@unit(writes=False)
def count_chunks(base: Base) -> Steps:
    return int((yield sa.select(sa.func.count()).select_from(base.table).where(base.predicate())).scalar() or 0)


@unit(writes=True)
def merge_metadata(base: Base, *, content_id: str, metadata: dict[str, Any], now: Any) -> Steps:
    """agno's update_metadata: merge ``metadata`` into each chunk's meta_data, set ``filters`` to it.

    The merge happens here rather than in SQL because the three JSON merge functions disagree
    (MySQL's JSON_MERGE_PATCH deletes keys set to null; PostgreSQL's ``||`` keeps them).
    """
    table = base.table
    rows = (yield base.ctx.dialect.locked(sa.select(table.c.id, table.c.meta_data).where(
        base.predicate(), table.c.content_id == content_id))).all()
    if not rows:
        return 0
    updates = [{"b_id": row.id, "b_meta": {**(row.meta_data or {}), **metadata}} for row in rows]
    statement = (
        sa.update(table)
        .where(table.c.knowledge_base == base.name, table.c.id == sa.bindparam("b_id"))
        .values(meta_data=sa.bindparam("b_meta", type_=table.c.meta_data.type), filters=metadata, updated_at=now)
    )
    yield Bound(statement, updates)
    return len(rows)

"""Reading hits: the columns a hit returns and the rows of a list of chunk ids."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from repositories.vectors.base import Base

# SQLite allows 32,766 bound parameters per statement; a chunk of ids stays far below that.
ID_CHUNK = 500


def hit_columns(base: Base) -> list[ColumnElement[Any]]:
    """What a hit returns, with the embedding in the backend's fastest readable form."""
    table = base.table
    return [table.c.id, table.c.name, table.c.meta_data, table.c.content, base.backend.embedding_column(base),
            table.c.usage, table.c.content_id, table.c.content_hash, table.c.user_id]


def fetch(base: Base, ids: Sequence[str]) -> Generator[Any, Any, dict[str, Any]]:
    """The chunks with these ids, by id (one query per 500 ids)."""
    table = base.table
    columns = hit_columns(base)
    found: dict[str, Any] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = list(ids[start : start + ID_CHUNK])
        for row in (yield sa.select(*columns).where(base.predicate(), table.c.id.in_(chunk))).all():
            found[row.id] = row
    return found

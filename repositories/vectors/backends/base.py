"""What one database family does its own way in the vector store; the rest is written once.

A store picks its backend once, from its dialect (``backend_for``); operations call it and never
test a dialect's name. Each backend names its vector search strategy: pgvector's HNSW index
(``repositories.vectors.hnsw``) or exact search with NumPy (``repositories.vectors.exact``).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, Unpack

import numpy as np
import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from repositories.core.operation import Bound
from repositories.vectors.base import Base, Chunks, updatable

if TYPE_CHECKING:
    from repositories.vectors.search import Plan

Steps = Generator[Any, Any, Any]
# A select of any columns, returned as it came (its row type kept).
AnySelect = TypeVar("AnySelect", bound="sa.Select[Unpack[tuple[Any, ...]]]")


class SearchStrategy(Protocol):
    """How a backend finds the nearest chunks."""

    def nearest(self, base: Base, query: np.ndarray, where: ColumnElement[bool] | None, limit: int) -> Steps:
        """``[(id, distance)]``, nearest first."""
        ...

    def hits(self, base: Base, query: np.ndarray, where: ColumnElement[bool] | None, limit: int) -> Steps:
        """``([(id, distance)], {id: row})``: the nearest chunks and their rows."""
        ...

    def explain(self, base: Base, vector: np.ndarray | None, plan: Plan) -> Steps:
        """The plans of a search's statements (PostgreSQL), or a ValueError saying there are none."""
        ...


class Backend:
    """The per-database part of the vector store."""

    strategy: ClassVar[SearchStrategy]
    rank_scale: ClassVar[float] = 1.0  # keyword rank -> agno's 0-1 score: rank / (rank + scale)

    def base_predicate(self, base: Base) -> ColumnElement[bool]:
        return base.table.c.knowledge_base == base.name

    def embedding_column(self, base: Base) -> ColumnElement[Any]:
        """What a hit returns as its embedding (a float32 array once read)."""
        return base.table.c.embedding

    def by_updated_at(self, base: Base, stmt: AnySelect) -> AnySelect:
        """``stmt`` (an aggregate over the base) read through the (knowledge_base, updated_at) index."""
        return stmt

    def prepare(self, base: Base, *, force_recreate: bool) -> Steps:
        """Make the base's search structures (an index, a mirror); True when done."""
        raise NotImplementedError

    def exists(self, base: Base) -> Steps:
        """Whether ``prepare`` has run for this base. Creates nothing."""
        raise NotImplementedError

    def drop(self, base: Base) -> Steps:
        """After the base's chunks are deleted: drop what belongs to it alone."""
        return
        yield

    def write(self, base: Base, chunks: Chunks, *, upsert: bool) -> Steps:
        """Insert (``upsert``: or overwrite by (base, id)) validated rows, as one executemany."""
        table = base.table
        if upsert:
            statement: Any = base.ctx.dialect.upsert(table, None, key=("knowledge_base", "id"), update=updatable(table))
        else:
            statement = sa.insert(table)
        yield Bound(statement, [{**row, "embedding": chunks.vectors[i]} for i, row in enumerate(chunks.rows)])
        return len(chunks.rows)

    def keyword_select(self, base: Base, terms: Sequence[str], query_text: str, where: ColumnElement[bool] | None,
                       limit: int) -> sa.Select[Any]:
        """``(id, rank)`` of the chunks holding any of ``terms``, best first."""
        raise NotImplementedError

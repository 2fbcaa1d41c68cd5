"""One knowledge base, as the operations see it: where its chunks live, how they are compared,
and the backend and search strategy chosen for its database once, at construction."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from agno.vectordb.distance import Distance
from sqlalchemy.sql import ColumnElement

from repositories.core.context import Ctx

if TYPE_CHECKING:
    from repositories.vectors.backends.base import Backend


@dataclass
class Facts:
    """What the store learns about the server when it prepares a base (read when an operation runs)."""

    vector_schema: str | None = None  # PostgreSQL: the schema holding pgvector's types and operators
    iterative_scan: bool = False  # pgvector >= 0.8
    statements: dict[Any, Any] = field(default_factory=dict)  # statement shapes built once (need the above)
    compiled: dict[Hashable, str] = field(default_factory=dict)  # SQL of the ``Direct`` steps, by shape


@dataclass(frozen=True)
class Base:
    """One knowledge base of one store."""

    ctx: Ctx
    backend: Backend
    name: str
    dimensions: int
    distance: Distance
    schema: str | None
    hnsw_m: int
    hnsw_ef_construction: int
    ef_search: int
    maintenance_work_mem: str
    cache: Any = field(compare=False)  # the exact search's EmbeddingCache (unused with an index)
    facts: Facts = field(compare=False, default_factory=Facts)

    @property
    def table(self) -> sa.Table:
        return self.ctx.tables.knowledge_embeddings

    def predicate(self) -> ColumnElement[bool]:
        """This base's rows."""
        return self.backend.base_predicate(self)

    def vector_predicate(self) -> ColumnElement[bool]:
        return sa.and_(
            self.predicate(),
            self.table.c.dimensions == sa.literal_column(str(int(self.dimensions))),
            self.table.c.embedding.is_not(None),
        )


def where(*conditions: ColumnElement[bool] | None) -> ColumnElement[bool]:
    return sa.and_(*[c for c in conditions if c is not None])


@dataclass(frozen=True)
class Chunks:
    """Validated chunk rows, their embeddings (one float32 row each) and, per row, the JSON text of
    meta_data, filters and usage (made while validating; COPY sends it as it is)."""

    rows: list[dict[str, Any]]
    vectors: np.ndarray
    json: list[tuple[str, str | None, str | None]]


@dataclass(frozen=True)
class Hit:
    row: Any
    score: float  # agno's 0-1 similarity_score


def updatable(table: sa.Table) -> list[str]:
    """The columns an upsert overwrites."""
    return [c.name for c in table.c if c.name not in ("knowledge_base", "id", "created_at")]

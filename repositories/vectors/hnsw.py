"""Vector search with pgvector's HNSW index: the query shaped so the base's partial index serves
it, ``ef_search`` set per query, and an exact rerun when the index returns too few rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import sqlalchemy as sa
from agno.vectordb.search import SearchType
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import NullType, UserDefinedType

from repositories.core.operation import Bound
from repositories.vectors import pgindex as ix
from repositories.vectors import pgwire
from repositories.vectors.base import Base, where
from repositories.vectors.rows import hit_columns
from repositories.vectors.steps import BinaryVectors, Direct, Explain

if TYPE_CHECKING:
    from repositories.vectors.backends.base import Steps
    from repositories.vectors.search import Plan


class PgVectorType(UserDefinedType[Any]):
    """``vector(n)`` / ``halfvec(n)`` named with pgvector's schema, for casts in queries."""

    cache_ok = True

    def __init__(self, kind: str, dimensions: int, schema: str | None) -> None:
        self.kind, self.dimensions, self.schema = kind, dimensions, schema

    def get_col_spec(self, **kw: Any) -> str:
        return f"{self.schema + '.' if self.schema else ''}{self.kind}({self.dimensions})"


def vector_select(base: Base, where_: ColumnElement[bool] | None, *, rows: bool = False) -> sa.Select[Any]:
    """The ordered vector query, shaped so the base's partial HNSW index serves it: the same cast
    (to the same type) as the index expression, the operator of its operator class, its predicate.

    Bound at execution (``vector_params``): ``query_vector`` and ``top_k``. ``rows`` selects the
    whole hit (one statement for a vector search) rather than ids and distances. Without filters the
    statement is built once per base and reused, so a search only binds values.
    """
    key = ("vector", rows)
    if where_ is None and key in base.facts.statements:
        built: sa.Select[Any] = base.facts.statements[key]
        return built
    table = base.table
    schema = base.facts.vector_schema
    kind = PgVectorType(ix.vector_kind(base.dimensions) or "vector", base.dimensions, schema)
    operator = ix.OPERATOR[base.distance]
    # The parameter is a pgwire.QueryVector (a binary vector); its type comes from the cast around it.
    query: ColumnElement[Any] = sa.cast(sa.bindparam("query_vector", type_=NullType()),
                                        PgVectorType("vector", base.dimensions, schema))
    if kind.kind != "vector":
        query = sa.cast(query, kind)
    distance = sa.cast(table.c.embedding, kind).op(f"OPERATOR({schema}.{operator})" if schema else operator,
                                                  return_type=sa.Float)(query)
    columns = hit_columns(base) if rows else [table.c.id]
    statement = (
        sa.select(*columns, distance.label("distance"))
        .where(where(base.vector_predicate(), where_))
        .order_by(distance)
        .limit(sa.bindparam("top_k", type_=sa.Integer()))
    )
    if where_ is None:
        base.facts.statements[key] = statement
    return statement


def vector_params(query: np.ndarray, limit: int) -> dict[str, Any]:
    return {"query_vector": pgwire.QueryVector(query), "top_k": limit}


def search_settings(base: Base, limit: int) -> Any:
    """``SET LOCAL`` of the HNSW settings for this query, in one round trip."""
    ef_search = min(max(base.ef_search, limit), 1000)
    # pgvector >= 0.8: with filters, keep walking the graph until `limit` rows pass them.
    iterative = ", set_config('hnsw.iterative_scan', 'strict_order', true)" if base.facts.iterative_scan else ""
    return sa.text(f"SELECT set_config('hnsw.ef_search', '{int(ef_search)}', true){iterative}")


class HitRow(NamedTuple):
    """A vector hit: the columns of ``hit_columns``, then its distance."""

    id: str
    name: str | None
    meta_data: Any
    content: str | None
    embedding: np.ndarray | None
    usage: Any
    content_id: str | None
    content_hash: str | None
    user_id: str | None
    distance: float


def _leg(base: Base, query: np.ndarray, where_: ColumnElement[bool] | None, limit: int, *, rows: bool) -> Steps:
    """Rows nearest first: ``(id, distance)`` tuples, or ``HitRow``s when ``rows``."""
    yield BinaryVectors()
    settings = search_settings(base, limit)
    stmt = vector_select(base, where_, rows=rows)
    params = vector_params(query, limit)
    # Unfiltered searches (the statement shape is fixed) skip SQLAlchemy's per-statement execution.
    key = ("vector", rows, base.facts.vector_schema, base.ef_search, base.facts.iterative_scan)
    if where_ is None:
        compiled = base.facts.compiled
        yield Direct(settings, {}, ("settings", limit, *key), compiled)
        found = (yield Direct(stmt, params, key, compiled)).all()
    else:
        yield settings
        found = (yield Bound(stmt, params)).all()
    if len(found) < limit:
        # Fewer than asked: the graph walk ran out (very selective filters), or fewer rows match.
        # An expression the index cannot serve makes the same query exact.
        distance = stmt.selected_columns.distance
        exact = stmt.order_by(None).order_by(distance + 0)
        found = (yield Bound(exact, params)).all()
    if not rows:
        return [(row[0], float(row[-1])) for row in found]
    return [HitRow(r[0], r[1], r[2], r[3], _embedding(r[4]), r[5], r[6], r[7], r[8], float(r[9])) for r in found]


def _embedding(value: Any) -> np.ndarray | None:
    """A hit's embedding: decoded already (SQLAlchemy's result), or ``vector_send`` bytes (the driver's)."""
    return pgwire.decode(value) if isinstance(value, bytes | memoryview) else value


class HnswSearch:
    def nearest(self, base: Base, query: np.ndarray, where_: ColumnElement[bool] | None, limit: int) -> Steps:
        return (yield from _leg(base, query, where_, limit, rows=False))

    def hits(self, base: Base, query: np.ndarray, where_: ColumnElement[bool] | None, limit: int) -> Steps:
        found = yield from _leg(base, query, where_, limit, rows=True)  # the index scan returns the hits
        return [(row.id, row.distance) for row in found], {row.id: row for row in found}

    def explain(self, base: Base, vector: np.ndarray | None, plan: Plan) -> Steps:
        """Vector: the base's HNSW index; keyword: the GIN full-text index; hybrid: both."""
        plans: list[str] = []
        if vector is not None:
            yield BinaryVectors()
            yield search_settings(base, plan.limit)
            statement = vector_select(base, plan.where, rows=plan.search_type == SearchType.vector)
            plans.extend((yield Bound(Explain(statement), vector_params(vector, plan.limit))).scalars().all())
        if plan.search_type != SearchType.vector and plan.terms:
            statement = base.backend.keyword_select(base, plan.terms, plan.query, plan.where, plan.limit)
            plans.extend((yield Explain(statement)).scalars().all())
        return "\n".join(plans)


STRATEGY = HnswSearch()

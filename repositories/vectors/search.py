"""The three searches as operations, written once: vector, keyword and their rank fusion.

Each backend brings its keyword query and its vector search strategy (HNSW or exact); the rest
(filters, scores, the fusion) is the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from agno.vectordb.distance import Distance
from agno.vectordb.score import normalize_score
from agno.vectordb.search import SearchType
from sqlalchemy.sql import ColumnElement

from repositories.core.operation import unit
from repositories.vectors.backends.base import Steps
from repositories.vectors.base import Base, Hit
from repositories.vectors.keywords import scaled
from repositories.vectors.rows import fetch


@dataclass(frozen=True)
class Plan:
    """A validated search: what to look for and the SQL condition every candidate must meet."""

    query: str
    limit: int
    where: ColumnElement[bool] | None
    terms: list[str]
    search_type: SearchType


def keyword_leg(base: Base, terms: list[str], query_text: str, where: ColumnElement[bool] | None,
                limit: int) -> Steps:
    """``[(id, rank)]``, best first; no terms (only stopwords) means no keyword hits."""
    if not terms:
        return []
    rows = (yield base.backend.keyword_select(base, terms, query_text, where, limit)).all()
    return [(row.id, float(row.rank)) for row in rows]


@unit(writes=False)
def vector_search(base: Base, *, query: np.ndarray, where: ColumnElement[bool] | None, limit: int,
                  max_distance: float | None) -> Steps:
    ranked, rows = yield from base.backend.strategy.hits(base, query, where, limit)
    if max_distance is not None:
        ranked = [(i, d) for i, d in ranked if d <= max_distance]
    hits = []
    for chunk_id, distance in ranked:
        raw = -distance if base.distance == Distance.max_inner_product else distance
        hits.append(Hit(rows[chunk_id], normalize_score(raw, base.distance)))
    return hits


@unit(writes=False)
def keyword_search(base: Base, *, terms: list[str], query_text: str, where: ColumnElement[bool] | None,
                   limit: int, min_score: float | None) -> Steps:
    ranked = yield from keyword_leg(base, terms, query_text, where, limit)
    scored = [(i, scaled(rank, base.backend.rank_scale)) for i, rank in ranked]
    if min_score is not None:
        scored = [(i, s) for i, s in scored if s >= min_score]
    rows = yield from fetch(base, [i for i, _ in scored])
    return [Hit(rows[i], s) for i, s in scored]


@unit(writes=False)
def hybrid_search(base: Base, *, query: np.ndarray, terms: list[str], query_text: str,
                  where: ColumnElement[bool] | None, limit: int, candidates: int,
                  max_distance: float | None, vector_weight: float, rrf_k: int) -> Steps:
    """Reciprocal-rank fusion of the vector and keyword candidate lists (see the package docs)."""
    nearest = yield from base.backend.strategy.nearest(base, query, where, candidates)
    if max_distance is not None:
        nearest = [(i, d) for i, d in nearest if d <= max_distance]
    keyword = yield from keyword_leg(base, terms, query_text, where, candidates)
    weights = (2.0 * vector_weight, 2.0 * (1.0 - vector_weight))
    fused: dict[str, float] = {}
    first_seen: dict[str, tuple[int, int]] = {}
    for leg, (ranked, weight) in enumerate(((nearest, weights[0]), (keyword, weights[1]))):
        for rank, (chunk_id, _) in enumerate(ranked, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (rrf_k + rank)
            first_seen.setdefault(chunk_id, (rank, leg))
    # Best fused score first; ties go to the better single-list rank, then the vector list, then id.
    order = sorted(fused, key=lambda i: (-fused[i], first_seen[i], i))[:limit]
    best_possible = sum(weights) / (rrf_k + 1)
    rows = yield from fetch(base, order)
    return [Hit(rows[i], min(1.0, fused[i] / best_possible)) for i in order]


@unit(writes=False)
def explain(base: Base, *, vector: np.ndarray | None, plan: Plan) -> Steps:
    return (yield from base.backend.strategy.explain(base, vector, plan))


def plan_search(base: Base, plan: Plan, vector: np.ndarray | None, *, max_distance: float | None,
                min_score: float | None, vector_weight: float, rrf_k: int) -> Any:
    """The operation that runs ``plan``."""
    if plan.search_type == SearchType.keyword:
        return keyword_search(base, terms=plan.terms, query_text=plan.query, where=plan.where, limit=plan.limit,
                              min_score=min_score)
    assert vector is not None
    if plan.search_type == SearchType.hybrid:
        return hybrid_search(base, query=vector, terms=plan.terms, query_text=plan.query, where=plan.where,
                             limit=plan.limit, candidates=max(2 * plan.limit, 20), max_distance=max_distance,
                             vector_weight=vector_weight, rrf_k=rrf_k)
    return vector_search(base, query=vector, where=plan.where, limit=plan.limit, max_distance=max_distance)

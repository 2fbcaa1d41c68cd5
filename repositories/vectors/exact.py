"""Exact nearest-neighbour search with NumPy, for SQLite and MySQL (which have no vector index).

The database decides *which* chunks are candidates (knowledge base, owner scope, metadata filters:
all SQL); NumPy scores them. Embeddings are cached in process memory as one float32 matrix per
knowledge base. Before each query the cache is checked against the base's ``COUNT(*)`` and
``MAX(updated_at)`` (one indexed aggregate): every write stamps ``updated_at``, so any insert,
upsert or delete changes one of them. On a change the cache re-reads ``(id, updated_at)`` of the
base, fetches only the embeddings of new or re-stamped chunks, and forgets deleted ones. An
unfiltered query then reads nothing per chunk; a filtered one reads the matching ids. 100,000
chunks of 384 dimensions are a 150 MB matrix, scored in milliseconds.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from agno.vectordb.distance import Distance
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import NullType

from repositories.vectors.base import Base
from repositories.vectors.rows import ID_CHUNK, fetch

if TYPE_CHECKING:
    from repositories.vectors.search import Plan

Steps = Generator[Any, Any, Any]


class EmbeddingCache:
    """One knowledge base's embeddings, by chunk id, with the ``updated_at`` they were read at."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self._lock = threading.Lock()
        self._position: dict[str, int] = {}
        self._ids: list[str] = []  # by position
        self._stamp: list[Any] = []
        self._matrix = np.zeros((0, dimensions), dtype=np.float32)
        self._norms = np.zeros(0, dtype=np.float32)
        self._size = 0
        self.fingerprint: Any = None  # (COUNT(*), MAX(updated_at)) the cache was last synced at

    @property
    def size(self) -> int:
        return self._size

    def retain(self, ids: Sequence[str]) -> bool:
        """Keep exactly ``ids`` (the base's live chunks), compacting the matrix.

        False when some of them are not cached (a concurrent sync got in between): the caller
        then leaves the cache unsynced, so the next query syncs again.
        """
        with self._lock:
            if len(ids) == self._size and all(i in self._position for i in ids):
                return True  # every cached chunk is live
            present = [i for i in ids if i in self._position]
            complete = len(present) == len(ids)
            ids = present
            keep = np.fromiter((self._position[i] for i in ids), dtype=np.int64, count=len(ids))
            self._matrix = self._matrix[keep].copy()
            self._norms = self._norms[keep].copy()
            self._stamp = [self._stamp[k] for k in keep.tolist()]
            self._ids = list(ids)
            self._position = {chunk_id: n for n, chunk_id in enumerate(ids)}
            self._size = len(ids)
            return complete

    def stale(self, rows: Sequence[tuple[str, Any]]) -> list[str]:
        """Ids among ``(id, updated_at)`` that are missing or older here than in the database."""
        position, stamp = self._position, self._stamp
        out: list[str] = []
        for chunk_id, updated_at in rows:
            at = position.get(chunk_id)
            if at is None or stamp[at] != updated_at:
                out.append(chunk_id)
        return out

    def put(self, ids: Sequence[str], stamps: Sequence[Any], matrix: np.ndarray) -> None:
        with self._lock:
            for chunk_id, updated_at, vector in zip(ids, stamps, matrix, strict=True):
                at = self._position.get(chunk_id)
                if at is None:
                    at = self._append()
                    self._position[chunk_id] = at
                    self._ids.append(chunk_id)
                self._matrix[at] = vector
                self._norms[at] = float(np.linalg.norm(vector))
                self._stamp[at] = updated_at

    def _append(self) -> int:
        if self._size == len(self._matrix):
            capacity = max(1024, 2 * len(self._matrix))
            grown = np.zeros((capacity, self.dimensions), dtype=np.float32)
            grown[: self._size] = self._matrix[: self._size]
            norms = np.zeros(capacity, dtype=np.float32)
            norms[: self._size] = self._norms[: self._size]
            self._matrix, self._norms = grown, norms
        self._stamp.append(None)
        self._size += 1
        return self._size - 1

    def forget(self) -> None:
        with self._lock:
            self.__init__(self.dimensions)  # type: ignore[misc]

    def top(
        self, candidates: Sequence[str] | None, query: np.ndarray, limit: int, distance: Distance
    ) -> list[tuple[str, float]]:
        """The ``limit`` nearest candidates (None: every cached chunk) as ``(id, distance)``, nearest first.

        Distances follow pgvector's operators: cosine distance, Euclidean distance, and the
        *negative* inner product, so smaller is nearer for all three.
        """
        if limit <= 0 or (candidates is not None and not candidates):
            return []
        with self._lock:
            size = self._size
            if candidates is None:
                candidates, positions = self._ids[:size], None
            else:
                known = [c for c in candidates if c in self._position]
                if len(known) != len(candidates):
                    self.fingerprint = None  # a concurrent sync got in between: sync again next time
                candidates = known
                positions = np.fromiter(map(self._position.__getitem__, candidates), dtype=np.int64,
                                        count=len(candidates))
            # Scoring the whole cached matrix is one BLAS call; gathering the candidates' rows
            # first would copy them (150 MB at 100,000 x 384) on every query.
            dots = self._matrix[:size] @ query.astype(np.float32)
            norms = self._norms[:size]
            if distance == Distance.cosine:
                denominator = np.maximum(norms * float(np.linalg.norm(query)), np.float32(1e-30))
                scores = 1.0 - dots / denominator
            elif distance == Distance.l2:
                squared = norms * norms - 2.0 * dots + float(query @ query)
                scores = np.sqrt(np.maximum(squared, 0.0))
            else:
                scores = -dots
            chosen = scores if positions is None else scores[positions]
        if not len(chosen):
            return []
        count = min(limit, len(chosen))
        nearest = np.argpartition(chosen, count - 1)[:count] if count < len(chosen) else np.arange(len(chosen))
        # Ties (identical vectors) break by id so results are deterministic.
        order = sorted(nearest.tolist(), key=lambda i: (float(chosen[i]), candidates[i]))
        return [(candidates[i], float(chosen[i])) for i in order]


# --- the search strategy of the backends without a vector index -------------------------------


def _sync_cache(base: Base) -> Steps:
    """Bring the base's embedding cache in line with the database (see the module docstring)."""
    table = base.table
    stamp = sa.type_coerce(table.c.updated_at, NullType())  # compared for equality only: skip conversion
    # Over the base alone, so the (knowledge_base, updated_at) index answers it without the table.
    check = sa.select(sa.func.count(), sa.func.max(stamp)).select_from(table).where(base.predicate())
    check = base.backend.by_updated_at(base, check)
    fingerprint = tuple((yield check).one())
    cache: EmbeddingCache = base.cache
    if cache.fingerprint == fingerprint:
        return
    live = (yield sa.select(table.c.id, stamp).where(base.vector_predicate())).all()
    pairs = [(row[0], row[1]) for row in live]
    stale = cache.stale(pairs)
    blob = sa.type_coerce(table.c.embedding, sa.LargeBinary())
    width = 4 * base.dimensions
    for start in range(0, len(stale), ID_CHUNK):
        chunk = stale[start : start + ID_CHUNK]
        got = (yield sa.select(table.c.id, stamp, blob).where(base.vector_predicate(), table.c.id.in_(chunk))).all()
        if any(len(row[2]) != width for row in got):
            raise ValueError(f"knowledge base {base.name!r} holds an embedding that is not {base.dimensions} float32s")
        matrix = np.frombuffer(b"".join(row[2] for row in got), dtype="<f4").reshape(len(got), base.dimensions)
        cache.put([row[0] for row in got], [row[1] for row in got], matrix)
    if cache.retain([chunk_id for chunk_id, _ in pairs]):
        cache.fingerprint = fingerprint


class ExactSearch:
    def nearest(self, base: Base, query: np.ndarray, where: ColumnElement[bool] | None, limit: int) -> Steps:
        # No lock is held across the reads (the generator may run on an event loop); two syncs racing
        # each other repeat the same reads, and a cache left inconsistent forgets its fingerprint.
        yield from _sync_cache(base)
        if where is None:
            return base.cache.top(None, query, limit, base.distance)
        candidates = (yield sa.select(base.table.c.id).where(base.vector_predicate(), where)).scalars().all()
        return base.cache.top(candidates, query, limit, base.distance)

    def hits(self, base: Base, query: np.ndarray, where: ColumnElement[bool] | None, limit: int) -> Steps:
        ranked = yield from self.nearest(base, query, where, limit)
        return ranked, (yield from fetch(base, [i for i, _ in ranked]))

    def explain(self, base: Base, vector: np.ndarray | None, plan: Plan) -> Steps:
        raise ValueError("explain() shows PostgreSQL plans; SQLite and MySQL search exactly with NumPy")
        yield


STRATEGY = ExactSearch()

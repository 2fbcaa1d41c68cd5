"""agno's ``VectorDb`` methods, each written once as a ``@procedure``: the sync method runs it, and
its ``async_`` twin (``async_twin(..., rename=...)``) awaits the very same steps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from agno.knowledge.document import Document
from agno.vectordb.base import retrievable_documents
from agno.vectordb.distance import Distance
from agno.vectordb.score import score_to_distance_threshold
from agno.vectordb.search import SearchType
from sqlalchemy.sql import ColumnElement

from repositories.core.operation import Call, Operation, Program, procedure
from repositories.vectors import chunkops
from repositories.vectors import documents as docs
from repositories.vectors import search as s
from repositories.vectors.base import Base
from repositories.vectors.checks import optional_text, text_argument, vector
from repositories.vectors.filters import contains, metadata_filter, owner_bucket, owner_scope
from repositories.vectors.keywords import keyword_terms


class _Store:
    """What the methods read of the store (``SqlVectorDb`` provides it)."""

    _base: Base
    embedder: Any
    search_type: SearchType
    similarity_threshold: float | None
    vector_score_weight: float
    rrf_k: int
    reranker: Any

    def _prepare_call(self, *, force_recreate: bool = False) -> Call:
        raise NotImplementedError

    def _bare(self, op: Operation[Any]) -> Call:
        raise NotImplementedError

    def _after_drop(self) -> None:
        raise NotImplementedError

    def _table(self) -> sa.Table:
        return self._base.table


class BaseMethods(_Store):
    """The knowledge base itself: its search structures, existence checks, its size."""

    @procedure
    def create(self) -> Program[None]:
        """Migrate the chunk table to head and make this base's index (ready before any row)."""
        yield self._prepare_call()

    @procedure
    def optimize(self, force_recreate: bool = False) -> Program[None]:
        """Make sure the base's index exists; ``force_recreate`` rebuilds it (and SQLite's FTS5 index)."""
        yield self._prepare_call(force_recreate=force_recreate)

    @procedure
    def exists(self) -> Program[bool]:
        """Whether the base's search structures exist: its HNSW index (PostgreSQL), the FTS5 mirror
        (SQLite, shared by every base), the migrated table (MySQL, nothing per base). Creates nothing."""
        exists: bool = yield self._bare(chunkops.base_exists(self._base))
        return exists

    @procedure
    def drop(self) -> Program[None]:
        """Delete this base's chunks and its vector indexes; other bases and the table stay."""
        yield chunkops.drop_base(self._base)
        self._after_drop()

    @procedure
    def name_exists(self, name: str) -> Program[bool]:
        condition = self._table().c.name == text_argument("name", name, limit=255)
        exists: bool = yield chunkops.chunk_exists(self._base, condition=condition)
        return exists

    @procedure
    def id_exists(self, id: str) -> Program[bool]:
        condition = self._table().c.id == text_argument("id", id)
        exists: bool = yield chunkops.chunk_exists(self._base, condition=condition)
        return exists

    @procedure
    def content_hash_exists(self, content_hash: str, user_id: str | None = None) -> Program[bool]:
        table = self._table()
        condition = sa.and_(table.c.content_hash == text_argument("content_hash", content_hash),
                            owner_bucket(table, optional_text("user_id", user_id)))
        exists: bool = yield chunkops.chunk_exists(self._base, condition=condition)
        return exists

    @procedure
    def get_count(self) -> Program[int]:
        count: int = yield chunkops.count_chunks(self._base)
        return count


class WriteMethods(_Store):
    """Writes and deletes. Deletes return True once the statement ran (agno's callers read False
    as "could not delete")."""

    def _embed(self, documents: list[Document]) -> Call:
        embedder = self.embedder
        return Call(sync=lambda: docs.embed(documents, embedder), asynchronous=lambda: docs.aembed(documents, embedder))

    def _write(self, content_hash: str, documents: list[Document], filters: dict[str, Any] | None,
               user_id: str | None, *, replace: bool) -> Operation[int]:
        chunks = docs.chunk_rows(self._base, content_hash, retrievable_documents(documents), filters, user_id)
        return chunkops.write_chunks(self._base, chunks=chunks, replace=(content_hash, user_id) if replace else None,
                                     upsert=replace)

    @procedure
    def insert(self, content_hash: str, documents: list[Document], filters: dict[str, Any] | None = None,
               user_id: str | None = None) -> Program[None]:
        """Embed (where needed) and store chunks; a chunk id already stored is an error, as in agno."""
        yield self._embed(documents)
        yield self._write(content_hash, documents, filters, user_id, replace=False)

    @procedure
    def upsert(self, content_hash: str, documents: list[Document], filters: dict[str, Any] | None = None,
               user_id: str | None = None) -> Program[None]:
        """Replace the owner's chunks of ``content_hash`` with ``documents``, in one transaction."""
        yield self._embed(documents)
        yield self._write(content_hash, documents, filters, user_id, replace=True)

    @procedure
    def update_metadata(self, content_id: str, metadata: dict[str, Any]) -> Program[None]:
        """Merge ``metadata`` into the meta_data of every chunk of ``content_id``; ``filters`` becomes it."""
        content_id = text_argument("content_id", content_id)
        if not isinstance(metadata, dict):
            raise ValueError(f"metadata must be a dict, got {type(metadata).__name__}")
        self._base.ctx.dialect.json_dumps(metadata)  # storable, or a ValueError saying why not
        yield chunkops.merge_metadata(self._base, content_id=content_id, metadata=metadata, now=datetime.now(UTC))

    def _delete(self, condition: ColumnElement[bool] | None) -> Program[bool]:
        yield chunkops.delete_chunks(self._base, condition=condition)
        return True

    @procedure
    def delete(self) -> Program[bool]:
        return (yield from self._delete(None))

    @procedure
    def delete_by_id(self, id: str) -> Program[bool]:
        return (yield from self._delete(self._table().c.id == text_argument("id", id)))

    @procedure
    def delete_by_name(self, name: str) -> Program[bool]:
        return (yield from self._delete(self._table().c.name == text_argument("name", name, limit=255)))

    @procedure
    def delete_by_metadata(self, metadata: dict[str, Any]) -> Program[bool]:
        if not isinstance(metadata, dict) or not metadata:
            raise ValueError("delete_by_metadata needs a non-empty dict; use delete() to delete every chunk")
        return (yield from self._delete(contains(self._base.ctx.dialect, self._table().c.meta_data, metadata)))

    @procedure
    def delete_by_content_id(self, content_id: str, user_id: str | None = None) -> Program[bool]:
        table = self._table()
        condition = table.c.content_id == text_argument("content_id", content_id)
        if user_id is not None:  # an owner's delete leaves shared chunks alone
            condition = sa.and_(condition, table.c.user_id == text_argument("user_id", user_id))
        return (yield from self._delete(condition))


class SearchMethods(_Store):
    def _plan(self, query: str, limit: int, filters: Any, user_id: str | None) -> s.Plan:
        if not isinstance(query, str) or not query.strip():
            raise ValueError("query must be a non-empty string")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
            raise ValueError(f"limit must be an integer from 1 to 1000, got {limit!r}")
        table = self._table()
        conditions = [c for c in (
            owner_scope(table, optional_text("user_id", user_id)),
            metadata_filter(self._base.ctx.dialect, table.c.meta_data, filters),
        ) if c is not None]
        return s.Plan(query=query, limit=limit, where=sa.and_(*conditions) if conditions else None,
                      terms=keyword_terms(query), search_type=SearchType(self.search_type))

    def _query_vector(self, embedding: Any) -> np.ndarray:
        if embedding is None or len(embedding) == 0:
            raise ValueError("the embedder returned no embedding for the query")
        return vector(embedding, self._base.dimensions, "the query embedding")

    def _embed_query(self, query: str) -> Call:
        embedder = self.embedder

        async def asynchronous() -> Any:
            try:
                return await embedder.async_get_embedding(query)
            except NotImplementedError:
                return await asyncio.to_thread(embedder.get_embedding, query)

        return Call(sync=lambda: embedder.get_embedding(query), asynchronous=asynchronous)

    def _max_distance(self) -> float | None:
        if self.similarity_threshold is None:
            return None
        distance = self._base.distance
        threshold = score_to_distance_threshold(self.similarity_threshold, distance)
        # Our inner-product "distance" is the negative inner product (pgvector's <#>).
        return -threshold if distance == Distance.max_inner_product else threshold

    @procedure
    def search(self, query: str, limit: int = 5, filters: Any = None, user_id: str | None = None
               ) -> Program[list[Document]]:
        """Top ``limit`` chunks by ``search_type``; ``filters`` and ``user_id`` are applied in SQL."""
        plan = self._plan(query, limit, filters, user_id)
        query_vector = None
        if plan.search_type != SearchType.keyword:
            query_vector = self._query_vector((yield self._embed_query(query)))
        hits = yield s.plan_search(self._base, plan, query_vector, max_distance=self._max_distance(),
                                   min_score=self.similarity_threshold, vector_weight=self.vector_score_weight,
                                   rrf_k=self.rrf_k)
        documents = docs.to_documents(hits, self.embedder)
        if self.reranker is not None and documents:
            documents = self.reranker.rerank(query=query, documents=documents)
        return documents


class VectorMethods(BaseMethods, WriteMethods, SearchMethods):
    """Every twinned method of agno's ``VectorDb``, in one place."""

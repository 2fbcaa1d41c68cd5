"""agno Documents in and out: embedding them, validating them into chunk rows, hits back as Documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from hashlib import md5
from typing import Any

import numpy as np
from agno.knowledge.document import Document
from agno.knowledge.embedder import Embedder
from agno.vectordb.base import aembed_before_replace

from agno_models.types import ID_LENGTH
from repositories.core.values import checked
from repositories.vectors.base import Base, Chunks, Hit
from repositories.vectors.checks import optional_text, text_argument, vector

# The chunk columns a document supplies that have a length limit (see agno_models.types).
_STRING_LIMITS = (("name", 255), ("content_id", ID_LENGTH), ("user_id", ID_LENGTH))


def embed(documents: list[Document], embedder: Embedder) -> None:
    """Embed the documents that carry no embedding yet; precomputed ones are kept as they are."""
    pending = [d for d in documents if d.embedding is None or len(d.embedding) == 0]
    if not pending:
        return
    batch = getattr(embedder, "get_embeddings_batch_and_usage", None)
    if getattr(embedder, "enable_batch", False) is True and batch is not None:
        embeddings, usages = batch([d.content for d in pending])
        for i, document in enumerate(pending):
            document.embedding = embeddings[i] if i < len(embeddings) else None
            document.usage = usages[i] if i < len(usages) else None
        return
    for document in pending:
        document.embed(embedder=embedder)


async def aembed(documents: list[Document], embedder: Embedder) -> None:
    for document in documents:
        if document.embedding is not None and len(document.embedding) == 0:
            document.embedding = None
    await aembed_before_replace(documents, embedder)


def _vectors(documents: Sequence[Document], dimensions: int) -> np.ndarray:
    """The documents' embeddings as one float32 matrix, converted and checked for the whole batch."""
    if not documents:
        return np.zeros((0, dimensions), np.float32)
    try:
        matrix = np.asarray([d.embedding for d in documents], dtype=np.float32)
    except (TypeError, ValueError):
        matrix = None  # ragged or not numbers: the loop below names the document
    if matrix is None or matrix.shape != (len(documents), dimensions) or not np.isfinite(matrix).all():
        for index, document in enumerate(documents):
            vector(document.embedding, dimensions, f"the embedding of document {index} ({document.name!r})")
        raise ValueError(f"the embeddings are not {len(documents)} vectors of {dimensions} numbers")
    return matrix


def record_id(base_id: str, content_hash: str, user_id: str | None) -> str:
    """agno's PgVector record id: the content hash (and owner) folded in, so ids never collide."""
    folded = md5(f"{base_id}_{content_hash}".encode()).hexdigest()
    return folded if user_id is None else md5(f"{folded}_{user_id}".encode()).hexdigest()


def chunk_rows(
    base: Base, content_hash: str, documents: Sequence[Document], filters: dict[str, Any] | None, user_id: str | None
) -> Chunks:
    """Validated rows (one per distinct chunk id) and their embeddings, before anything is written."""
    content_hash = text_argument("content_hash", content_hash)
    user_id = optional_text("user_id", user_id)
    if filters is not None and not isinstance(filters, dict):
        raise ValueError(f"filters must be a dict, got {type(filters).__name__}")
    dumps = base.ctx.dialect.json_dumps
    filters_json = None if filters is None else dumps(filters)
    documents = list(documents)
    vectors = _vectors(documents, base.dimensions)
    now = datetime.now(UTC)
    table = base.table
    # By chunk id: a chunk repeated within one call is written once (its last version).
    by_id: dict[str, tuple[dict[str, Any], int, str, str | None]] = {}
    for index, document in enumerate(documents):
        what = f"document {index} ({document.name!r})"
        if not isinstance(document.content, str):
            raise ValueError(f"{what} has no text content")
        content = document.content.replace("\x00", "\ufffd")  # as agno's PgVector does
        chunk_id = record_id(document.id or md5(content.encode()).hexdigest(), content_hash, user_id)
        meta_data = dict(document.meta_data or {})
        if filters:
            meta_data.update(filters)
        try:  # the JSON text is kept: PostgreSQL's COPY sends it as it is
            meta_json = dumps(meta_data)
            usage_json = None if document.usage is None else dumps(document.usage)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{what}: {error}") from None
        row = {
            "knowledge_base": base.name, "id": chunk_id, "name": document.name, "meta_data": meta_data,
            "filters": filters, "content": content, "dimensions": base.dimensions, "usage": document.usage,
            "content_hash": content_hash, "content_id": document.content_id, "user_id": user_id,
            "created_at": now, "updated_at": now,
        }
        for column, limit in _STRING_LIMITS:
            value = row[column]
            if value is None:
                continue
            if not isinstance(value, str):
                raise ValueError(f"{what}: {column} must be a string, got {type(value).__name__}")
            if len(value) > limit or "\x00" in value:
                try:
                    checked(table, {column: value})  # the shared message for the same problem
                except ValueError as error:
                    raise ValueError(f"{what}: {error}") from None
        by_id[chunk_id] = (row, index, meta_json, usage_json)
    kept = list(by_id.values())
    positions = [index for _, index, _, _ in kept]
    if len(positions) != len(documents):
        vectors = vectors[positions]
    return Chunks(
        rows=[row for row, _, _, _ in kept], vectors=vectors,
        json=[(meta_json, filters_json, usage_json) for _, _, meta_json, usage_json in kept],
    )


def to_documents(hits: list[Hit], embedder: Embedder) -> list[Document]:
    documents = []
    for hit in hits:
        row = hit.row
        meta_data = dict(row.meta_data or {})
        meta_data["similarity_score"] = hit.score
        documents.append(Document(
            id=row.id, name=row.name, meta_data=meta_data, content=row.content, embedder=embedder,
            embedding=None if row.embedding is None else row.embedding.tolist(), usage=row.usage,
            content_id=row.content_id,
        ))
    return documents

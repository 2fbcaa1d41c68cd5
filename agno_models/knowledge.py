"""Knowledge contents (what agno's Knowledge tracks) and their embedded chunks."""

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Index, Integer
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import Embedding, UTCDateTime, id_string, json_type, kind_string, long_text, name_string

if TYPE_CHECKING:
    from numpy import ndarray as FloatArray
else:
    FloatArray = Any  # a float32 NumPy array; NumPy comes with the [vectors] extra


class KnowledgeContent(AgnoTable, table=True):
    """One piece of content added to a knowledge base (a file, a URL, a text)."""

    __tablename__ = "agno_knowledge"
    __table_args__ = (
        # The list query: WHERE (user_id = :uid OR user_id IS NULL) AND linked_to = :name.
        Index(None, "user_id", "linked_to"),
    )

    id: str = Field(primary_key=True, sa_type=id_string())
    name: str = Field(sa_type=name_string())
    description: str = Field(sa_type=long_text())
    metadata_: dict[str, Any] | None = Field(default=None, sa_type=json_type(), sa_column_kwargs={"name": "metadata"})
    type: str | None = Field(default=None, sa_type=kind_string())
    size: int | None = Field(default=None, sa_type=BigInteger)
    linked_to: str | None = Field(default=None, sa_type=id_string())
    access_count: int | None = Field(default=None, sa_type=BigInteger)
    status: str | None = Field(default=None, sa_type=kind_string())
    status_message: str | None = Field(default=None, sa_type=long_text())
    created_at: int | None = Field(default=None, sa_type=BigInteger)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    external_id: str | None = Field(default=None, sa_type=id_string())
    # Uploader; NULL means shared with every user.
    user_id: str | None = Field(default=None, sa_type=id_string())


# Per-knowledge-base HNSW indexes (PostgreSQL) are made at run time by the vector store
# (repositories.vectors), one per base, named ``vix_<digest>_<metric>_<dimensions>``; Alembic's
# comparison leaves indexes with this prefix alone (migrations/env.py).
VECTOR_INDEX_PREFIX = "vix_"


def fulltext_index_name(table: str) -> str:
    """The keyword-search index on ``content`` made by migration 0002 (GIN on PostgreSQL, FULLTEXT
    on MySQL; SQLite uses an FTS5 table). Its definition is dialect-specific, so it is declared in
    the migration, not here, and env.py leaves it out of the comparison."""
    return f"ix_{table}_content_fulltext"


# agno's page store (``Knowledge(page_store=...)``) adds one index to the knowledge table at setup,
# on its pages' namespace and path, named "agno_" + 24 hex digits of a digest of the table's name.
_PAGE_CATALOG_INDEX = re.compile(r"agno_[0-9a-f]{24}")


def is_page_catalog_index(index: str | None) -> bool:
    """Whether ``index`` on the knowledge table is the one agno's page store made (not drift)."""
    return index is not None and _PAGE_CATALOG_INDEX.fullmatch(index) is not None


def is_search_index(table: str, index: str | None) -> bool:
    """Whether ``index`` on the chunk table ``table`` is one of the search indexes above."""
    return bool(index and (index.startswith(VECTOR_INDEX_PREFIX) or index == fulltext_index_name(table)))


class KnowledgeEmbedding(AgnoTable, table=True):
    """A chunk of a knowledge base with its embedding.

    agno's PgVector makes one table per knowledge base. Here every base shares one migrated table,
    keyed by ``knowledge_base`` (agno's ``table_name``), so the schema stays under Alembic; each
    base records its ``dimensions`` and gets its own partial vector index from the vector store.

    Search indexes beyond the columns below: a partial HNSW index per base on
    ``embedding::vector(<dimensions>)`` (PostgreSQL, made by the vector store), and a keyword index
    on ``content`` (``fulltext_index_name``, migration 0002).
    """

    __tablename__ = "agno_knowledge_embeddings"
    __table_args__ = (
        Index(None, "knowledge_base", "content_hash"),
        Index(None, "knowledge_base", "content_id"),
        Index(None, "knowledge_base", "name"),
        Index(None, "knowledge_base", "user_id"),
        # The vector store's cache check on SQLite and MySQL: COUNT(*) and MAX(updated_at) of a base.
        Index(None, "knowledge_base", "updated_at"),
    )

    knowledge_base: str = Field(primary_key=True, sa_type=id_string())
    id: str = Field(primary_key=True, sa_type=id_string())
    name: str | None = Field(default=None, sa_type=name_string())
    meta_data: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    filters: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    content: str | None = Field(default=None, sa_type=long_text())
    dimensions: int = Field(sa_type=Integer)
    embedding: FloatArray | None = Field(default=None, sa_type=Embedding())
    usage: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    content_hash: str | None = Field(default=None, sa_type=id_string())
    content_id: str | None = Field(default=None, sa_type=id_string())
    user_id: str | None = Field(default=None, sa_type=id_string())
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime())

    model_config = {"arbitrary_types_allowed": True}


register(KnowledgeContent, kind="knowledge", argument="knowledge_table", attribute="knowledge_table_name")
register(KnowledgeEmbedding, kind="knowledge_embeddings")

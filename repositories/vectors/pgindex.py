"""PostgreSQL: one partial HNSW index per knowledge base, its name and its DDL."""

from __future__ import annotations

import hashlib

from agno.vectordb.distance import Distance

from agno_models.knowledge import VECTOR_INDEX_PREFIX

OPCLASS = {Distance.cosine: "cosine_ops", Distance.l2: "l2_ops", Distance.max_inner_product: "ip_ops"}
OPERATOR = {Distance.cosine: "<=>", Distance.l2: "<->", Distance.max_inner_product: "<#>"}
VECTOR_MAX_DIMENSIONS = 2000  # pgvector's HNSW limit for vector; halfvec goes to 4000
HALFVEC_MAX_DIMENSIONS = 4000


def base_digest(table: str, knowledge_base: str) -> str:
    return hashlib.sha256(f"{table}\x00{knowledge_base}".encode()).hexdigest()[:16]


def base_index_pattern(table: str, knowledge_base: str) -> str:
    """A LIKE pattern for every vector index of one base (any metric or dimension)."""
    # "_" is a LIKE wildcard: escape it (backslash is PostgreSQL's default LIKE escape).
    return f"{VECTOR_INDEX_PREFIX}{base_digest(table, knowledge_base)}_".replace("_", "\\_") + "%"


def vector_index_name(table: str, knowledge_base: str, distance: Distance, dimensions: int) -> str:
    """``vix_<digest of table and base>_<metric>_<dimensions>``: short, unique per base and shape."""
    metric = {Distance.cosine: "cos", Distance.l2: "l2", Distance.max_inner_product: "ip"}[distance]
    return f"{VECTOR_INDEX_PREFIX}{base_digest(table, knowledge_base)}_{metric}_{dimensions}"


def vector_kind(dimensions: int) -> str | None:
    """The type the index casts to: vector up to 2000 dimensions, halfvec up to 4000, else no index."""
    if dimensions <= VECTOR_MAX_DIMENSIONS:
        return "vector"
    if dimensions <= HALFVEC_MAX_DIMENSIONS:
        return "halfvec"
    return None


def quote_pg(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str | None, name: str) -> str:
    return f"{quote_pg(schema)}.{quote_pg(name)}" if schema else quote_pg(name)


def pg_literal(value: str) -> str:
    if "\x00" in value:
        raise ValueError("a knowledge base name cannot contain the character U+0000")
    return "'" + value.replace("'", "''") + "'"


def create_vector_index_sql(
    *, schema: str | None, table: str, knowledge_base: str, distance: Distance, dimensions: int, m: int,
    ef_construction: int, type_schema: str | None,
) -> str:
    kind = vector_kind(dimensions)
    assert kind is not None
    prefix = f"{type_schema}." if type_schema else ""  # pgvector's schema, as the query names it
    name = vector_index_name(table, knowledge_base, distance, dimensions)
    # The predicate names the base and the dimension, so rows of another base (or a stray row of
    # another size) never reach this index, and a query with the same predicate can use it.
    return (
        f"CREATE INDEX IF NOT EXISTS {quote_pg(name)} ON {qualified(schema, table)} USING hnsw "
        f"((embedding::{prefix}{kind}({dimensions})) {prefix}{kind}_{OPCLASS[distance]}) "
        f"WITH (m = {int(m)}, ef_construction = {int(ef_construction)}) "
        f"WHERE knowledge_base = {pg_literal(knowledge_base)} AND dimensions = {int(dimensions)}"
    )

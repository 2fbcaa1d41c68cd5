"""Statement builders for the vector store: metadata filters, keyword matching, PostgreSQL DDL.

Everything here builds SQLAlchemy expressions or SQL text; nothing executes. Dialect differences
are kept to small functions so each search is written once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from agno.filters import MAX_FILTER_DEPTH, FilterExpr
from agno.vectordb.distance import Distance
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.expression import ClauseElement, Executable

from agno_models.knowledge import VECTOR_INDEX_PREFIX

# --- metadata filters ----------------------------------------------------------------------------
#
# agno's dict filters mean JSON containment (PostgreSQL ``meta_data @> filters``): every key holds
# that value, compared with its JSON type ("1" is not 1), and a list value means "the stored array
# holds all of these". FilterExpr trees (EQ, NEQ, IN, GT, GTE, LT, LTE, CONTAINS, STARTSWITH, AND,
# OR, NOT) compile to the same typed comparisons. All of it is SQL, so filters apply before top-k.

_KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "postgresql": {"string": ("string",), "number": ("number",), "boolean": ("boolean",), "null": ("null",),
                   "array": ("array",)},
    "mysql": {"string": ("STRING",), "number": ("INTEGER", "DOUBLE", "DECIMAL", "UNSIGNED INTEGER"),
              "boolean": ("BOOLEAN",), "null": ("NULL",), "array": ("ARRAY",)},
    "sqlite": {"string": ("text",), "number": ("integer", "real"), "boolean": ("true", "false"), "null": ("null",),
               "array": ("array",)},
}


def _json_path(keys: Sequence[str]) -> str:
    for key in keys:
        if not isinstance(key, str) or not key:
            raise ValueError(f"metadata filter keys must be non-empty strings, got {key!r}")
        if '"' in key or "\\" in key:
            raise ValueError(f"metadata filter key {key!r} contains a quote or backslash, which cannot be filtered on")
    return "$" + "".join(f'."{key}"' for key in keys)


def _kind(dialect: str, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
    """The JSON type name of the value at ``keys`` (NULL when absent), in the dialect's spelling."""
    if dialect == "postgresql":
        return sa.func.jsonb_typeof(column.op("#>")(sa.literal(list(keys), sa.ARRAY(sa.Text))))
    path = _json_path(keys)
    if dialect == "mysql":
        return sa.func.JSON_TYPE(sa.func.JSON_EXTRACT(column, path))
    return sa.func.json_type(column, path)


def _is_kind(dialect: str, column: Any, keys: Sequence[str], kind: str) -> ColumnElement[bool]:
    return _kind(dialect, column, keys).in_(_KINDS[dialect][kind])


def _text_at(dialect: str, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return column.op("#>>")(sa.literal(list(keys), sa.ARRAY(sa.Text)))
    path = _json_path(keys)
    if dialect == "mysql":
        return sa.func.JSON_UNQUOTE(sa.func.JSON_EXTRACT(column, path))
    return sa.func.json_extract(column, path)


def _number_at(dialect: str, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
    """The number at ``keys``, or NULL when the value there is not a number (so no cast can fail)."""
    text = _text_at(dialect, column, keys)
    value: Any = text if dialect == "sqlite" else sa.cast(text, sa.Float().with_variant(sa.dialects.mysql.DOUBLE(), "mysql"))
    return sa.case((_is_kind(dialect, column, keys, "number"), value), else_=sa.null())


def _scalar_equals(dialect: str, column: Any, keys: Sequence[str], value: Any) -> ColumnElement[bool]:
    """Typed equality of the JSON value at ``keys`` with a Python scalar (SQLite and MySQL)."""
    if value is None:
        return _is_kind(dialect, column, keys, "null")
    if isinstance(value, bool):
        if dialect == "sqlite":
            return _kind(dialect, column, keys) == ("true" if value else "false")
        return sa.and_(_is_kind(dialect, column, keys, "boolean"), _text_at(dialect, column, keys) == json.dumps(value))
    if isinstance(value, int | float):
        return _number_at(dialect, column, keys) == float(value)
    if isinstance(value, str):
        return sa.and_(_is_kind(dialect, column, keys, "string"), _text_at(dialect, column, keys) == value)
    raise ValueError(f"cannot filter metadata on a value of type {type(value).__name__}: {value!r}")


def _sqlite_array_holds(column: Any, keys: Sequence[str], value: Any) -> ColumnElement[bool]:
    if isinstance(value, dict | list):
        raise ValueError("SQLite cannot filter on arrays of objects or arrays; use scalar array elements")
    each = sa.func.json_each(column, _json_path(keys)).table_valued("value", "type").alias()
    if value is None:
        match: ColumnElement[bool] = each.c.type == "null"
    elif isinstance(value, bool):
        match = each.c.type == ("true" if value else "false")
    elif isinstance(value, int | float):
        match = sa.and_(each.c.type.in_(("integer", "real")), each.c.value == float(value))
    elif isinstance(value, str):
        match = sa.and_(each.c.type == "text", each.c.value == value)
    else:
        raise ValueError(f"cannot filter metadata on a value of type {type(value).__name__}: {value!r}")
    return sa.exists(sa.select(1).select_from(each).where(match))


def _sqlite_contains(column: Any, keys: list[str], document: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for key, value in document.items():
        path = [*keys, key]
        if isinstance(value, Mapping):
            conditions.append(_is_kind("sqlite", column, path, "null").is_not(None))  # the key exists
            conditions.extend(_sqlite_contains(column, path, value))
        elif isinstance(value, list):
            conditions.append(_is_kind("sqlite", column, path, "array"))
            conditions.extend(_sqlite_array_holds(column, path, element) for element in value)
        else:
            conditions.append(_scalar_equals("sqlite", column, path, value))
    return conditions


def contains(dialect: str, column: Any, document: Mapping[str, Any]) -> ColumnElement[bool]:
    """``column`` holds ``document`` the way PostgreSQL's ``jsonb @>`` means it."""
    if not isinstance(document, Mapping):
        raise ValueError(f"metadata filters must be a dict, got {type(document).__name__}")
    try:
        encoded = json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"metadata filter {document!r} is not JSON: {error}") from None
    if dialect == "postgresql":
        # The column's Python type is the generic JSON (a JSONB variant): compare as JSONB (``@>``).
        return sa.type_coerce(column, postgresql.JSONB).contains(document)
    if dialect == "mysql":
        for key in _all_keys(document):
            _json_path([key])
        return sa.func.JSON_CONTAINS(column, encoded) == 1
    conditions = _sqlite_contains(column, [], document)
    return sa.and_(sa.true(), *conditions)


def _all_keys(document: Mapping[str, Any]) -> list[str]:
    keys: list[str] = []
    for key, value in document.items():
        keys.append(key)
        if isinstance(value, Mapping):
            keys.extend(_all_keys(value))
    return keys


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _expression(dialect: str, column: Any, node: Mapping[str, Any], depth: int) -> ColumnElement[bool]:
    if depth > MAX_FILTER_DEPTH:
        raise ValueError(f"filter expressions nest at most {MAX_FILTER_DEPTH} levels deep")
    op = node.get("op")
    if op in ("AND", "OR"):
        parts = [_expression(dialect, column, child, depth + 1) for child in node.get("conditions") or []]
        if not parts:
            raise ValueError(f"{op} filter needs at least one condition")
        return sa.and_(*parts) if op == "AND" else sa.or_(*parts)
    if op == "NOT":
        return sa.not_(sa.func.coalesce(_expression(dialect, column, node["condition"], depth + 1), sa.false()))
    key = node.get("key")
    if not isinstance(key, str):
        raise ValueError(f"filter {op} needs a string key, got {key!r}")
    if op == "EQ":
        return contains(dialect, column, {key: node.get("value")})
    if op == "NEQ":
        present = _kind(dialect, column, [key]).is_not(None)
        return sa.and_(present, sa.not_(sa.func.coalesce(contains(dialect, column, {key: node.get("value")}), sa.false())))
    if op == "IN":
        values = node.get("values")
        if not isinstance(values, list | tuple):
            raise ValueError(f"IN filter on {key!r} needs a list of values, got {values!r}")
        if not values:
            return sa.false()
        return sa.or_(*[contains(dialect, column, {key: value}) for value in values])
    if op in ("GT", "GTE", "LT", "LTE"):
        value = node.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{op} filter on {key!r} compares numbers or strings, got {value!r}")
        if isinstance(value, str):
            left: Any = sa.case((_is_kind(dialect, column, [key], "string"), _text_at(dialect, column, [key])),
                                else_=sa.null())
        else:
            left, value = _number_at(dialect, column, [key]), float(value)
        return {"GT": left > value, "GTE": left >= value, "LT": left < value, "LTE": left <= value}[op]
    if op in ("CONTAINS", "STARTSWITH"):
        value = node.get("value")
        if not isinstance(value, str):
            raise ValueError(f"{op} filter on {key!r} needs a string, got {value!r}")
        text = sa.type_coerce(
            sa.case((_is_kind(dialect, column, [key], "string"), _text_at(dialect, column, [key])), else_=sa.null()),
            sa.String(),
        )
        if op == "CONTAINS":  # agno documents CONTAINS as case-insensitive
            return sa.func.lower(text).like(f"%{_escape_like(value.lower())}%", escape="\\")
        return text.like(f"{_escape_like(value)}%", escape="\\")
    raise ValueError(f"unknown filter operator {op!r}")


def metadata_filter(dialect: str, column: Any, filters: Any) -> ColumnElement[bool] | None:
    """agno's ``filters`` argument (a dict, a FilterExpr, or a list of them) as one SQL condition."""
    if filters is None:
        return None
    if isinstance(filters, Mapping):
        if "op" in filters and not isinstance(filters.get("op"), Mapping):
            return _expression(dialect, column, filters, 0)  # a FilterExpr in its dict form
        return contains(dialect, column, filters) if filters else None
    if isinstance(filters, FilterExpr):
        filters = [filters]
    if isinstance(filters, list | tuple):
        if not filters:
            return None
        nodes = [f.to_dict() if isinstance(f, FilterExpr) else f for f in filters]
        for node in nodes:
            if not isinstance(node, Mapping):
                raise ValueError(f"filters must be FilterExpr objects or their dict form, got {node!r}")
        return sa.and_(*[_expression(dialect, column, node, 0) for node in nodes])
    raise ValueError(f"filters must be a dict or a list of FilterExpr, got {type(filters).__name__}")


def owner_scope(table: sa.Table, user_id: str | None) -> ColumnElement[bool] | None:
    """agno's search scope: the user's own chunks plus shared ones (``user_id IS NULL``)."""
    if user_id is None:
        return None
    return sa.or_(table.c.user_id == user_id, table.c.user_id.is_(None))


def owner_bucket(table: sa.Table, user_id: str | None) -> ColumnElement[bool]:
    """Exactly one owner's chunks; None is the shared bucket (agno's content-hash semantics)."""
    return table.c.user_id.is_(None) if user_id is None else table.c.user_id == user_id


# --- keyword search ------------------------------------------------------------------------------
#
# A query becomes its words, lower-cased, minus English stopwords (PostgreSQL's 'english'
# configuration drops them itself; FTS5 and InnoDB would otherwise rank on them). A chunk matches
# when it holds any of the words; ranking is each engine's own: ts_rank_cd on PostgreSQL (after
# the chunks that hold every word, since ts_rank_cd has no notion of a rare word), bm25 in SQLite's
# FTS5 and InnoDB's relevance on MySQL (both weigh rare words up).

STOPWORDS = frozenset(
    "a about above after again against all am an and any are as at be because been before being below between "
    "both but by can did do does doing down during each few for from further had has have having he her here "
    "hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now "
    "of off on once only or other our ours ourselves out over own same she should so some such than that the "
    "their theirs them themselves then there these they this those through to too under until up very was we "
    "were what when where which while who whom why will with you your yours yourself yourselves".split()
)
MAX_TERMS = 32
# PostgreSQL's text search configuration, fixed in the GIN index expression (migration 0002).
TS_CONFIG = "english"


def keyword_terms(query: str) -> list[str]:
    terms: list[str] = []
    for word in re.findall(r"\w+", query.lower()):
        if word not in STOPWORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def pg_tsvector(table: sa.Table) -> ColumnElement[Any]:
    """Exactly the GIN index's expression, so the planner can use the index."""
    return sa.func.to_tsvector(
        sa.literal_column(f"'{TS_CONFIG}'::regconfig"), sa.func.coalesce(table.c.content, sa.literal_column("''"))
    )


def pg_any_words(terms: Sequence[str]) -> ColumnElement[Any]:
    return sa.func.websearch_to_tsquery(sa.literal_column(f"'{TS_CONFIG}'::regconfig"), " or ".join(terms))


def pg_all_words(terms: Sequence[str]) -> ColumnElement[Any]:
    return sa.func.plainto_tsquery(sa.literal_column(f"'{TS_CONFIG}'::regconfig"), " ".join(terms))


def mysql_any_words(terms: Sequence[str], query: str) -> str:
    """A boolean-mode query for any of the words.

    The content column compares bytes (a binary collation, so user ids never fold case), which
    makes InnoDB's FULLTEXT matching case-sensitive too: each word is also asked for as written in
    the query, capitalized and upper-cased.
    """
    originals = {w.lower(): w for w in re.findall(r"\w+", query)}
    variants: list[str] = []
    for term in terms:
        for form in (term, originals.get(term, term), term.capitalize(), term.upper()):
            if form not in variants:
                variants.append(form)
    return " ".join(variants)


def sqlite_any_words(terms: Sequence[str]) -> str:
    return " OR ".join(f'"{term}"' for term in terms)


# agno reports a 0-1 score; each engine's rank is mapped with x / (x + k), monotone in the rank.
RANK_SCALE = {"postgresql": 0.1, "mysql": 1.0, "sqlite": 1.0}


def scaled_rank(dialect: str, rank: float) -> float:
    rank = max(float(rank), 0.0)
    return rank / (rank + RANK_SCALE[dialect])


# --- SQLite FTS5 ---------------------------------------------------------------------------------


def fts_name(table: str) -> str:
    return f"{table}_fts"


def fts_ddl(table: str) -> list[str]:
    """The FTS5 table that mirrors each chunk's content, and the triggers that keep it in step.

    The FTS row's rowid is the chunk row's rowid (deletes are by rowid, so they are cheap); the
    chunk's key is kept beside it and checked on every join, so a rowid that ever changed (VACUUM
    may renumber rowids of tables without an INTEGER PRIMARY KEY) drops a hit instead of
    returning the wrong chunk, until ``optimize()`` rebuilds the index.
    """
    fts, q = fts_name(table), _quote_sqlite
    row = "(rowid, content, knowledge_base, chunk_id) VALUES ({0}.rowid, {0}.content, {0}.knowledge_base, {0}.id)"
    return [
        (f"CREATE VIRTUAL TABLE IF NOT EXISTS {q(fts)} USING fts5("
         "content, knowledge_base UNINDEXED, chunk_id UNINDEXED, tokenize = 'porter unicode61')"),
        (f"CREATE TRIGGER IF NOT EXISTS {q(fts + '_ai')} AFTER INSERT ON {q(table)} BEGIN "
         f"INSERT INTO {q(fts)} {row.format('new')}; END"),
        (f"CREATE TRIGGER IF NOT EXISTS {q(fts + '_ad')} AFTER DELETE ON {q(table)} BEGIN "
         f"DELETE FROM {q(fts)} WHERE rowid = old.rowid; END"),
        (f"CREATE TRIGGER IF NOT EXISTS {q(fts + '_au')} AFTER UPDATE OF content, knowledge_base, id ON {q(table)} "
         f"BEGIN DELETE FROM {q(fts)} WHERE rowid = old.rowid; INSERT INTO {q(fts)} {row.format('new')}; END"),
    ]


def fts_rebuild(table: str) -> list[str]:
    fts, q = fts_name(table), _quote_sqlite
    return [
        f"DELETE FROM {q(fts)}",
        (f"INSERT INTO {q(fts)} (rowid, content, knowledge_base, chunk_id) "
         f"SELECT rowid, content, knowledge_base, id FROM {q(table)}"),
        f"INSERT INTO {q(fts)} ({q(fts)}) VALUES ('optimize')",
    ]


def _quote_sqlite(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- PostgreSQL: one partial HNSW index per knowledge base ---------------------------------------

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


# --- statements the executor runs specially ------------------------------------------------------


class CopyRows:
    """PostgreSQL ``COPY ... FROM STDIN (FORMAT BINARY)`` of an already encoded payload."""

    def __init__(self, sql: str, payload: bytes, count: int) -> None:
        self.sql, self.payload, self.count = sql, payload, count


class Direct:
    """A statement built once, compiled once per store and run on the driver's own cursor.

    For the search's hot path: SQLAlchemy's execute costs about 160 us a statement (context,
    result metadata, row processing), a tenth of a whole search. ``key`` names the statement's
    shape (the compiled SQL is cached under it); rows come back as plain tuples, unprocessed.
    """

    def __init__(self, statement: Executable, parameters: dict[str, Any], key: Any) -> None:
        self.statement, self.parameters, self.key = statement, parameters, key


class StepResult:
    """What a special step gives back to the operation: how many rows it wrote."""

    def __init__(self, rowcount: int) -> None:
        self.rowcount = rowcount


class Explain(Executable, ClauseElement):
    """``EXPLAIN <select>`` with the select's own bound parameters (the SQLAlchemy recipe)."""

    inherit_cache = False

    def __init__(self, statement: Any, analyze: bool = False) -> None:
        self.statement, self.analyze = statement, analyze


@compiles(Explain, "postgresql")
def _compile_explain(element: Explain, compiler: Any, **kw: Any) -> str:
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if element.analyze else "EXPLAIN "
    return prefix + compiler.process(element.statement, **kw)

"""MySQL/MariaDB: exact search, keywords with InnoDB FULLTEXT, embeddings sent as hex."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.sql import ColumnElement

from repositories.core.operation import Bound
from repositories.vectors import exact
from repositories.vectors.backends.base import AnySelect, Backend, Steps
from repositories.vectors.base import Base, Chunks, updatable, where


def any_words(terms: Sequence[str], query: str) -> str:
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


def _updated_at_index(table: sa.Table) -> str:
    (index,) = [i for i in table.indexes if [c.name for c in i.columns] == ["knowledge_base", "updated_at"]]
    return str(index.name)


class MySQLBackend(Backend):
    strategy = exact.STRATEGY

    def by_updated_at(self, base: Base, stmt: AnySelect) -> AnySelect:
        # MariaDB prefers the clustered primary key here (reading every chunk, ~1 s at 100,000): name it.
        return stmt.with_hint(base.table, f"FORCE INDEX ({_updated_at_index(base.table)})")

    def prepare(self, base: Base, *, force_recreate: bool) -> Steps:
        if force_recreate:
            yield sa.text(f"OPTIMIZE TABLE `{base.table.name}`")  # rebuilds InnoDB's FULLTEXT index
        return True

    def exists(self, base: Base) -> Steps:
        found = (yield sa.text(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = COALESCE(:s, DATABASE()) AND table_name = :t"
        ).bindparams(s=base.schema, t=base.table.name)).first()
        return found is not None

    def write(self, base: Base, chunks: Chunks, *, upsert: bool) -> Steps:
        # aiomysql cannot bind bytes with PyMySQL 1.2 (its bytes escaper is gone): send hex text.
        table = base.table
        insert: Any = mysql.insert(table).values(embedding=sa.func.UNHEX(sa.bindparam("embedding_hex")))
        if upsert:
            insert = insert.on_duplicate_key_update([(c, insert.inserted[c]) for c in updatable(table)])
        little = chunks.vectors.astype("<f4", copy=False)
        bound = [{**row, "embedding_hex": little[i].tobytes().hex()} for i, row in enumerate(chunks.rows)]
        for row in bound:
            row.pop("embedding", None)
        yield Bound(insert, bound)
        return len(chunks.rows)

    def keyword_select(self, base: Base, terms: Sequence[str], query_text: str, where_: ColumnElement[bool] | None,
                       limit: int) -> sa.Select[Any]:
        table = base.table
        match = mysql.match(table.c.content, against=any_words(terms, query_text)).in_boolean_mode()
        return (
            sa.select(table.c.id, match.label("rank"))
            .where(where(base.predicate(), where_), match > 0)
            .order_by(match.desc(), table.c.id)
            .limit(limit)
        )

"""SQLite: exact search, keywords in an FTS5 table that triggers keep in step with the chunks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from repositories.vectors import exact
from repositories.vectors.backends.base import Backend, Steps
from repositories.vectors.base import Base, where


def fts_name(table: str) -> str:
    return f"{table}_fts"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fts_ddl(table: str) -> list[str]:
    """The FTS5 table that mirrors each chunk's content, and the triggers that keep it in step.

    The FTS row's rowid is the chunk row's rowid (deletes are by rowid, so they are cheap); the
    chunk's key is kept beside it and checked on every join, so a rowid that ever changed (VACUUM
    may renumber rowids of tables without an INTEGER PRIMARY KEY) drops a hit instead of
    returning the wrong chunk, until ``optimize()`` rebuilds the index.
    """
    fts, q = fts_name(table), _quote
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
    fts, q = fts_name(table), _quote
    return [
        f"DELETE FROM {q(fts)}",
        (f"INSERT INTO {q(fts)} (rowid, content, knowledge_base, chunk_id) "
         f"SELECT rowid, content, knowledge_base, id FROM {q(table)}"),
        f"INSERT INTO {q(fts)} ({q(fts)}) VALUES ('optimize')",
    ]


def _mirror(base: Base) -> sa.TextClause:
    return sa.text("SELECT 1 FROM sqlite_master WHERE name = :n").bindparams(n=fts_name(base.table.name))


class SQLiteBackend(Backend):
    strategy = exact.STRATEGY

    def prepare(self, base: Base, *, force_recreate: bool) -> Steps:
        table = base.table.name
        present = (yield _mirror(base)).first()
        for ddl in fts_ddl(table):
            yield sa.text(ddl)
        if present is None or force_recreate:
            for statement in fts_rebuild(table):  # chunks written before the mirror existed
                yield sa.text(statement)
        return True

    def exists(self, base: Base) -> Steps:
        return (yield _mirror(base)).first() is not None

    def keyword_select(self, base: Base, terms: Sequence[str], query_text: str, where_: ColumnElement[bool] | None,
                       limit: int) -> sa.Select[Any]:
        table = base.table
        name = fts_name(table.name)
        fts_ref: sa.ColumnClause[Any] = sa.literal_column(_quote(name))
        fts = sa.table(name, sa.column("rowid"), sa.column("knowledge_base"), sa.column("chunk_id"))
        bm25 = sa.func.bm25(fts_ref)
        joined = fts.join(table, sa.and_(
            sa.literal_column(f"{_quote(table.name)}.rowid") == fts.c.rowid,
            table.c.knowledge_base == fts.c.knowledge_base,
            table.c.id == fts.c.chunk_id,
        ))
        return (
            sa.select(table.c.id, (-bm25).label("rank"))
            .select_from(joined)
            .where(fts_ref.op("MATCH")(" OR ".join(f'"{term}"' for term in terms)),
                   fts.c.knowledge_base == base.name, where(base.predicate(), where_))
            .order_by(bm25, table.c.id)
            .limit(limit)
        )

"""Transcripts of external agents: opaque JSON entries appended in order (agno 3.1's contract,
same rows and return shapes as its SqliteDb).

On top of it:
- appends to one transcript are serialized (an advisory lock on PostgreSQL, the last entry's row
  and gap lock on MySQL, the write lock on SQLite), so concurrent appends never collide on a
  position and an entry uuid is stored once;
- arguments are checked before anything is written; lists come in a deterministic order.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from agno.db.transcripts import transcript_rows
from sqlalchemy.sql import ColumnElement

from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.repository import Repository
from repositories.core.values import checked


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _one(ctx: Ctx, framework: str, project_key: str, session_id: str, subpath: str | None) -> ColumnElement[bool]:
    table = ctx.tables.transcripts
    return sa.and_(
        table.c.framework == _text("framework", framework),
        table.c.project_key == _text("project_key", project_key),
        table.c.session_id == _text("session_id", session_id),
        table.c.subpath == (subpath or ""),
    )


class TranscriptRepository(Repository):
    """agno's external-agent transcript methods, each one operation."""

    @operation(writes=True)
    def append_transcript_entries(
        self,
        framework: str,
        project_key: str,
        session_id: str,
        entries: list[dict[str, Any]],
        agno_session_id: str,
        subpath: str | None = None,
    ) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.transcripts
        where = _one(ctx, framework, project_key, session_id, subpath)
        _text("agno_session_id", agno_session_id)
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValueError("entries must be a list of dicts")
        if not entries:
            return
        lock = ctx.dialect.transaction_lock(json.dumps(["transcript", framework, project_key, session_id, subpath or ""]))
        if lock is not None:
            yield lock
        last = (yield ctx.dialect.locked(
            sa.select(table.c.position).where(where).order_by(table.c.position.desc()).limit(1)
        )).first()
        rows = transcript_rows(framework, project_key, session_id, subpath, agno_session_id, entries,
                               last.position if last is not None else 0)
        for row in rows:
            checked(table, row)
        # An entry uuid already in the transcript (or twice in this batch) is kept once, as in agno.
        stored = (yield sa.select(table.c.entry_uuid).where(where, table.c.entry_uuid.is_not(None))).fetchall()
        seen = {r.entry_uuid for r in stored}
        fresh = []
        for row in rows:
            if row["entry_uuid"] is None or row["entry_uuid"] not in seen:
                fresh.append(row)
                seen.add(row["entry_uuid"])
        if fresh:
            yield sa.insert(table).values(fresh)

    @operation(writes=False, absent=list)
    def get_transcript_entries(
        self, framework: str, project_key: str, session_id: str, subpath: str | None = None
    ) -> Steps[list[dict[str, Any]]]:
        ctx = self._ctx
        table = ctx.tables.transcripts
        stmt = sa.select(table.c.entry).where(_one(ctx, framework, project_key, session_id, subpath))
        return [json.loads(r.entry) for r in (yield stmt.order_by(table.c.position)).fetchall()]

    @operation(writes=False)
    def list_transcript_sessions(self, framework: str, project_key: str) -> Steps[list[dict[str, Any]]]:
        table = self._ctx.tables.transcripts
        stmt = (
            sa.select(table.c.session_id, sa.func.max(table.c.created_at).label("mtime"))
            .where(table.c.framework == _text("framework", framework),
                   table.c.project_key == _text("project_key", project_key), table.c.subpath == "")
            .group_by(table.c.session_id)
            .order_by(table.c.session_id)
        )
        return [{"session_id": r.session_id, "mtime": r.mtime} for r in (yield stmt).fetchall()]

    @operation(writes=False, absent=list)
    def list_transcript_subpaths(self, framework: str, project_key: str, session_id: str) -> Steps[list[str]]:
        table = self._ctx.tables.transcripts
        stmt = (
            sa.select(table.c.subpath)
            .where(table.c.framework == _text("framework", framework),
                   table.c.project_key == _text("project_key", project_key),
                   table.c.session_id == _text("session_id", session_id), table.c.subpath != "")
            .distinct()
            .order_by(table.c.subpath)
        )
        return [r.subpath for r in (yield stmt).fetchall()]

    @operation(writes=True)
    def delete_transcript(
        self, framework: str, project_key: str, session_id: str, subpath: str | None = None
    ) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.transcripts
        stmt = sa.delete(table).where(
            table.c.framework == _text("framework", framework),
            table.c.project_key == _text("project_key", project_key),
            table.c.session_id == _text("session_id", session_id),
        )
        if subpath is not None:
            stmt = stmt.where(table.c.subpath == subpath)
        yield stmt

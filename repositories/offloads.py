"""Offloaded tool results and compaction records: the rows agno's result store and compaction
archive keep per session (agno 3.1's contract, same rows and return shapes as its SqliteDb).

On top of agno's contract:
- a write never changes a row of another user: ``upsert_tool_result`` on another user's
  ``result_id`` and ``upsert_compaction`` on another user's ``compaction_id`` raise
  ``OwnershipError`` and write nothing. A compaction record is immutable, as in agno: writing
  the same id again for the same owner changes nothing.
- a row with a column the table does not have is a ``ValueError`` naming it, before any write.
- ``search_compactions`` treats ``%``, ``_`` and ``\\`` in a term literally.
- compaction records are sync-only, as in agno (its async base class has no such methods).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from repositories.core.context import Ctx
from repositories.core.dialects import Incoming
from repositories.core.operation import Bound, Call, Steps, operation
from repositories.core.query import as_dict, paged
from repositories.core.repository import Repository
from repositories.core.values import OwnershipError, checked


def _row_for(table: sa.Table, row: Any, key: str) -> dict[str, Any]:
    if not isinstance(row, Mapping):
        raise ValueError(f"a {table.name} row must be a dict, got {type(row).__name__}")
    unknown = sorted(set(row) - set(table.c.keys()))
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {unknown}")
    if not isinstance(row.get(key), str) or not row[key]:
        raise ValueError(f"{key} must be a non-empty string, got {row.get(key)!r}")
    return checked(table, dict(row))


def _like_escaped(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def forget_sessions(ctx: Ctx, session_ids: list[str]) -> Steps[list[tuple[str, str]]]:
    """Delete what a deleted session leaves beside its runs, as agno's session delete does.

    Compaction records and transcripts hold the conversation verbatim; left behind, a session
    recreated under the same id would inherit the old fold and its search. Tool-result rows go
    with their payloads in agno's default filesystem table of this database, by exact
    (namespace, path). Returns every payload's (namespace, path), for :func:`remove_payloads`
    to delete from the filesystems result stores registered on the db, after the commit.
    """
    tables = ctx.tables
    yield sa.delete(tables.compactions).where(tables.compactions.c.session_id.in_(session_ids))
    results = tables.tool_results
    stored = (yield sa.select(results.c.namespace, results.c.path).where(results.c.session_id.in_(session_ids)))
    locations = [(r.namespace, r.path) for r in stored.fetchall()]
    payloads = ctx.dialect.payload_table()
    if payloads is not None and locations:
        fs, found = payloads
        if (yield found).first() is not None:
            delete = sa.delete(fs).where(fs.c.namespace == sa.bindparam("ns"), fs.c.path == sa.bindparam("p"))
            yield Bound(delete, [{"ns": ns, "p": path} for ns, path in locations])
    yield sa.delete(results).where(results.c.session_id.in_(session_ids))
    yield sa.delete(tables.transcripts).where(tables.transcripts.c.agno_session_id.in_(session_ids))
    return locations


def remove_payloads(db: Any, locations: list[tuple[str, str]]) -> Call:
    """Delete payloads through every filesystem a result store registered on ``db`` (a local
    directory, say), after the session delete committed. Best effort, as in agno: the session is
    gone either way, so a filesystem error is logged, not raised."""

    def remove() -> None:
        filesystems = list(getattr(db, "tool_result_filesystems", None) or [])
        if not filesystems or not locations:
            return
        from agno.fs import FileSystem
        from agno.utils.log import log_warning

        for namespace, path in locations:
            for fs in filesystems:
                try:
                    FileSystem(backend=fs.backend, namespace=namespace).delete(path)
                except Exception as error:  # noqa: BLE001 - after the commit: report, as agno does
                    log_warning(f"Tool-result payload delete failed for {namespace}/{path}: {error}")

    async def aremove() -> None:
        import asyncio

        await asyncio.to_thread(remove)

    return Call(sync=remove, asynchronous=aremove)


class ToolResultRepository(Repository):
    """agno's tool-result index methods, each one operation."""

    @operation(writes=True)
    def upsert_tool_result(self, row: dict[str, Any]) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.tool_results
        values = _row_for(table, row, "result_id")
        update = [name for name in values if name != "result_id"]

        def same_owner(incoming: Incoming) -> ColumnElement[bool]:
            return table.c.user_id.is_not_distinct_from(incoming("user_id"))

        yield ctx.dialect.upsert(table, values, key=["result_id"], update=update or ["result_id"], only_if=same_owner)
        owner = (yield sa.select(table.c.user_id).where(table.c.result_id == values["result_id"])).one()
        if owner.user_id != values.get("user_id"):
            raise OwnershipError(f"tool result {values['result_id']!r} belongs to another owner; it was left unchanged")

    @operation(writes=False, absent=None)
    def get_tool_result(self, result_id: str) -> Steps[dict[str, Any] | None]:
        table = self._ctx.tables.tool_results
        row = (yield sa.select(table).where(table.c.result_id == result_id)).first()
        return None if row is None else as_dict(row)

    @operation(writes=False, absent=list)
    def get_tool_results_for_session(self, session_id: str, limit: int | None = None) -> Steps[list[dict[str, Any]]]:
        table = self._ctx.tables.tool_results
        stmt = (
            sa.select(table)
            .where(table.c.session_id == session_id)
            .order_by(table.c.created_at.desc(), table.c.result_id)
        )
        return [as_dict(r) for r in (yield paged(stmt, limit, None)).fetchall()]

    @operation(writes=True)
    def delete_tool_results(self, result_ids: list[str]) -> Steps[int]:
        if isinstance(result_ids, str):
            raise ValueError("result_ids must be a list of ids, not one string")
        if not result_ids:
            return 0
        table = self._ctx.tables.tool_results
        return int((yield sa.delete(table).where(table.c.result_id.in_(list(result_ids)))).rowcount or 0)

    @operation(writes=False)
    def get_expired_tool_results(self, now: int) -> Steps[list[dict[str, Any]]]:
        if isinstance(now, bool) or not isinstance(now, int):
            raise ValueError(f"now must be an epoch time in seconds (int), got {now!r}")
        table = self._ctx.tables.tool_results
        stmt = (
            sa.select(table)
            .where(table.c.expires_at.is_not(None), table.c.expires_at <= now)
            .order_by(table.c.expires_at, table.c.result_id)
        )
        return [as_dict(r) for r in (yield stmt).fetchall()]


class CompactionRepository(Repository):
    """agno's compaction-record methods (sync only, as in agno), each one operation."""

    @operation(writes=True, sync_only=True)
    def upsert_compaction(self, row: dict[str, Any]) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.compactions
        values = _row_for(table, row, "compaction_id")
        inserted = (yield ctx.dialect.insert_ignore(table, values, key=["compaction_id"])).rowcount
        if not inserted:
            owner = (yield sa.select(table.c.user_id).where(table.c.compaction_id == values["compaction_id"])).one()
            if owner.user_id != values.get("user_id"):
                raise OwnershipError(f"compaction {values['compaction_id']!r} belongs to another owner")

    @operation(writes=False, absent=None, sync_only=True)
    def get_compaction(self, compaction_id: str) -> Steps[dict[str, Any] | None]:
        table = self._ctx.tables.compactions
        row = (yield sa.select(table).where(table.c.compaction_id == compaction_id)).first()
        return None if row is None else as_dict(row)

    @operation(writes=False, absent=list, sync_only=True)
    def get_compactions_for_session(self, session_id: str, limit: int | None = None) -> Steps[list[dict[str, Any]]]:
        table = self._ctx.tables.compactions
        stmt = sa.select(table).where(table.c.session_id == session_id)
        stmt = stmt.order_by(table.c.created_at.desc(), table.c.compaction_id.desc())
        return [as_dict(r) for r in (yield paged(stmt, limit, None)).fetchall()]

    @operation(writes=True, sync_only=True)
    def delete_compactions_for_session(self, session_id: str) -> Steps[int]:
        table = self._ctx.tables.compactions
        return int((yield sa.delete(table).where(table.c.session_id == session_id)).rowcount or 0)

    @operation(writes=False, absent=list, sync_only=True)
    def search_compactions(
        self, session_id: str, query: str | Sequence[str], limit: int = 10
    ) -> Steps[list[dict[str, Any]]]:
        ctx = self._ctx
        table = ctx.tables.compactions
        terms = [query] if isinstance(query, str) else list(query)
        if not all(isinstance(term, str) for term in terms):
            raise ValueError(f"query must be a string or a list of strings, got {query!r}")
        terms = [term for term in terms if term]
        if not terms:
            return []
        stmt = (
            sa.select(table)
            .where(table.c.session_id == session_id)
            .where(ctx.dialect.matches_any(table.c.archived_messages, [_like_escaped(t) for t in terms]))
            .order_by(table.c.created_at.desc(), table.c.compaction_id.desc())
        )
        return [as_dict(r) for r in (yield paged(stmt, limit, None)).fetchall()]

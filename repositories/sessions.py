"""Sessions: one row per session; their runs live in ``repositories/runs.py``.

The storage contract is agno 3.1's: ``upsert_session`` writes the session row only, each run is
written by ``upsert_run``, and ``get_session`` re-attaches the runs in order (the per-turn read
from the run cache, ``repositories/core/run_cache.py``). On top of it:
- a session owned by one user is never overwritten, renamed or read through another user's id;
- rows read back keep agno's shape (the analytics and version columns are for SQL, not agno);
- two writers upserting one session at once: the last writer wins whole, as in agno (each upsert
  writes the whole ``session_data``, so a key only the other writer put in ``session_state`` is
  gone); never a mix of two documents, and runs (written by ``upsert_run``) are never lost by it;
- database errors propagate; nothing is turned into ``None``.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from agno.db.base import SessionType
from agno.db.utils import (
    HISTORY_SKIP_STATUSES,
    deserialize_session,
    deserialize_sessions,
)
from agno.session import AgentSession, TeamSession, WorkflowSession

from agno_models.analytics import (
    RUN_COLUMNS,
    SESSION_COLUMNS,
)
from repositories.core.context import Ctx, json_text, statement
from repositories.core.operation import Bound, Program, Steps, operation, procedure, unit
from repositories.core.owned import owned_upsert
from repositories.core.query import (
    LIKE_ESCAPE,
    ROW_BOUND,
    as_dict,
    contains_pattern,
    counted,
    page_of,
    page_params,
    page_shape,
)
from repositories.core.repository import Repository
from repositories.core.run_cache import RunCache
from repositories.core.values import checked, refuse_ownership
from repositories.offloads import forget_sessions, remove_payloads
from repositories.sandbox import CollectLeftovers, Leftovers, coordinators_of, release_leftovers

Session = AgentSession | TeamSession | WorkflowSession

# Kept by revision 0007's triggers for the run cache; never part of agno's records.
VERSION_COLUMNS = ("runs_version", "row_version")

_KINDS: dict[type, tuple[SessionType, str, str]] = {
    AgentSession: (SessionType.AGENT, "agent_id", "agent_data"),
    TeamSession: (SessionType.TEAM, "team_id", "team_data"),
    WorkflowSession: (SessionType.WORKFLOW, "workflow_id", "workflow_data"),
}


def session_row(session: Session, *, updated_at: int | None) -> dict[str, Any]:
    """The session table row for an agno session object (runs are not part of it)."""
    kind = _KINDS.get(type(session))
    if kind is None:
        raise ValueError(f"cannot store a session of type {type(session).__name__}")
    session_type, id_column, data_column = kind
    data = session.to_dict(include_runs=False) if hasattr(session, "to_dict") else {}
    if not data.get("session_id"):
        raise ValueError("a session needs a session_id")
    created_at = data.get("created_at") or int(time.time())
    return {
        "session_id": data["session_id"],
        "session_type": session_type.value,
        id_column: data.get(id_column),
        "user_id": data.get("user_id"),
        data_column: data.get(data_column),
        "session_data": data.get("session_data"),
        "summary": data.get("summary"),
        "metadata": data.get("metadata"),
        "created_at": created_at,
        "updated_at": updated_at if updated_at is not None else created_at,
    }


def agno_columns(table: sa.Table) -> list[sa.Column[Any]]:
    """The columns agno knows: records read back have exactly agno's keys."""
    derived = set(RUN_COLUMNS) | set(SESSION_COLUMNS) | set(VERSION_COLUMNS)
    return [c for c in table.c if c.name not in derived]


# --- reading runs -----------------------------------------------------------------------------


@statement
def _runs_of(ctx: Ctx, *, limited: bool) -> sa.Select[Any]:
    """Runs of the sessions in the ``session_ids`` parameter (one session and ``limit`` if limited)."""
    runs = ctx.tables.runs

    of_sessions = runs.c.session_id.in_(sa.bindparam("session_ids", expanding=True))
    if not limited:
        return (
            sa.select(runs.c.session_id, runs.c.run_data)
            .where(of_sessions)
            .order_by(runs.c.session_id, runs.c.run_index.asc(), runs.c.created_at.asc(), runs.c.run_id.asc())
        )
    # The most recent `limit` runs that go into history: top-level runs whose status is not
    # skipped, exactly what agno's in-memory history would keep before slicing.
    return (
        sa.select(runs.c.session_id, runs.c.run_data)
        .where(of_sessions)
        .where(runs.c.parent_run_id.is_(None))
        .where(sa.or_(runs.c.status.is_(None), runs.c.status.notin_(HISTORY_SKIP_STATUSES)))
        .order_by(runs.c.run_index.desc(), runs.c.created_at.desc(), runs.c.run_id.desc())
        .limit(sa.bindparam("limit", type_=sa.BigInteger))
    )



def _attach_runs(ctx: Ctx, records: list[dict[str, Any]], *, limit: int | None = None) -> Steps[None]:
    if not records:
        return
    params: dict[str, Any] = {"session_ids": [r["session_id"] for r in records]}
    if limit is not None:
        params["limit"] = limit
    rows = (yield Bound(_runs_of(ctx, limited=limit is not None), params)).fetchall()
    if limit is not None:
        rows = list(reversed(rows))
    by_session: dict[str, list[dict[str, Any]]] = {}
    for session_id, run_data in rows:
        by_session.setdefault(session_id, []).append(run_data)
    for record in records:
        record["runs"] = by_session.get(record["session_id"], [])


def _finish(record: dict[str, Any], session_type: SessionType | None, deserialize: bool | None) -> Any:
    return deserialize_session(session_type, record) if deserialize else record


# --- sessions ---------------------------------------------------------------------------------


def _upsert_rows(ctx: Ctx, rows: list[dict[str, Any]], *, touch: int | None) -> Steps[dict[str, dict[str, Any]]]:
    """Upsert session rows; return the stored rows the caller owns, by session_id.

    ``touch`` is the ``updated_at`` an existing row gets (None: the incoming row's own value).
    session_type and created_at are fixed at insert; everything else follows the caller.
    """
    table = ctx.tables.sessions
    return (yield from owned_upsert(ctx, table, rows, key="session_id", fixed=("session_type", "created_at"),
                                    touch=touch, returning=agno_columns(table)))


@unit(writes=True)
def _delete_session(
    ctx: Ctx, session_id: str, user_id: str | None, coordinators: list[Any]
) -> Steps[tuple[bool, list[tuple[str, str]], Leftovers]]:
    table, runs = ctx.tables.sessions, ctx.tables.runs
    # Before the delete: its cascade drops the sandbox bindings this reads.
    leftovers = cast(Leftovers, (yield CollectLeftovers(coordinators, [session_id]))) if coordinators else []
    stmt = sa.delete(table).where(table.c.session_id == session_id)
    if user_id is not None:
        stmt = stmt.where(table.c.user_id == user_id)
    if not (yield stmt).rowcount:
        return False, [], []
    # The foreign key cascades; this also covers engines opened without SQLite's FK pragma.
    yield sa.delete(runs).where(runs.c.session_id == session_id)
    return True, (yield from forget_sessions(ctx, [session_id])), leftovers


@unit(writes=True)
def _delete_sessions(
    ctx: Ctx, ids: list[str], user_id: str | None, coordinators: list[Any]
) -> Steps[tuple[list[tuple[str, str]], Leftovers]]:
    table, runs = ctx.tables.sessions, ctx.tables.runs
    if not ids:
        return [], []
    if user_id is not None:
        owned = (yield sa.select(table.c.session_id).where(table.c.session_id.in_(ids), table.c.user_id == user_id))
        ids = [r[0] for r in owned.fetchall()]
        if not ids:
            return [], []
    leftovers = cast(Leftovers, (yield CollectLeftovers(coordinators, ids))) if coordinators else []
    yield sa.delete(table).where(table.c.session_id.in_(ids))
    yield sa.delete(runs).where(runs.c.session_id.in_(ids))
    return (yield from forget_sessions(ctx, ids)), leftovers


@statement
def _session_by_id(ctx: Ctx, *, by_user: bool) -> sa.Select[Any]:
    table = ctx.tables.sessions
    stmt = sa.select(*agno_columns(table), table.c.runs_version, table.c.run_count).where(
        table.c.session_id == sa.bindparam("session_id"))
    return stmt if not by_user else stmt.where(table.c.user_id == sa.bindparam("user_id"))


class _SessionFilters(NamedTuple):
    """Which of get_sessions' filters a call uses (their values are bind parameters)."""

    user: bool
    component: bool
    start: bool
    end: bool
    name: bool
    kind: SessionType | None


@statement
def _sessions_filtered(ctx: Ctx, filters: _SessionFilters) -> sa.Select[Any]:
    table = ctx.tables.sessions
    stmt = sa.select(*agno_columns(table))
    if filters.user:
        stmt = stmt.where(table.c.user_id == sa.bindparam("user_id"))
    if filters.component:
        columns = {
            SessionType.AGENT: [table.c.agent_id],
            SessionType.TEAM: [table.c.team_id],
            SessionType.WORKFLOW: [table.c.workflow_id],
        }.get(filters.kind, [table.c.agent_id, table.c.team_id, table.c.workflow_id])  # type: ignore[arg-type]
        stmt = stmt.where(sa.or_(*[c == sa.bindparam("component_id") for c in columns]))
    if filters.start:
        stmt = stmt.where(table.c.created_at >= sa.bindparam("start_timestamp"))
    if filters.end:
        stmt = stmt.where(table.c.created_at <= sa.bindparam("end_timestamp"))
    if filters.name:
        name = sa.func.coalesce(json_text(table.c.session_data, "session_name"), "")
        stmt = stmt.where(name.ilike(sa.bindparam("name_pattern", type_=sa.String), escape=LIKE_ESCAPE))
    if filters.kind is not None:
        stmt = stmt.where(table.c.session_type == filters.kind.value)
    return stmt


class SessionRepository(Repository):
    """agno's session methods, each one operation."""

    _run_cache: RunCache  # the db's (StorageConfig)

    @operation(writes=False, absent=None)
    def get_session(
        self,
        session_id: str,
        session_type: SessionType | None = None,
        user_id: str | None = None,
        deserialize: bool | None = True,
        runs_limit: int | None = None,
    ) -> Steps[Any]:
        ctx = self._ctx
        if runs_limit is not None and runs_limit < 0:
            raise ValueError(f"runs_limit must be >= 0, got {runs_limit}")
        stmt = _session_by_id(ctx, by_user=user_id is not None)
        row = (yield Bound(stmt, {"session_id": session_id, "user_id": user_id})).first()
        if row is None:
            return None
        record = as_dict(row)
        version, run_count = record.pop("runs_version"), record.pop("run_count")
        if deserialize and runs_limit is None and record["session_type"] == SessionType.AGENT.value and (
            session_type in (None, SessionType.AGENT)
        ):
            # The per-turn read: run objects from the cache, only runs written since read (as agno
            # caches agent sessions' runs; see repositories/run_cache.py).
            runs = yield from self._run_cache.runs(ctx, session_id, version=version, run_count=run_count)
            session = deserialize_session(session_type, {**record, "runs": None})
            session.runs = list(runs)
            return session
        yield from _attach_runs(ctx, [record], limit=None if runs_limit is None else min(runs_limit, ROW_BOUND))
        return _finish(record, session_type, deserialize)

    @operation(writes=False, absent=lambda a: [] if a['deserialize'] else ([], 0))
    def get_sessions(
        self,
        session_type: SessionType | None = None,
        user_id: str | None = None,
        component_id: str | None = None,
        session_name: str | None = None,
        start_timestamp: int | None = None,
        end_timestamp: int | None = None,
        limit: int | None = None,
        page: int | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        deserialize: bool | None = True,
        include_runs: bool = True,
    ) -> Steps[Any]:
        ctx = self._ctx
        kind = None if session_type is None else SessionType(session_type)
        paging = page_params(limit, page)
        filters = _SessionFilters(user_id is not None, component_id is not None, start_timestamp is not None,
                                  end_timestamp is not None, session_name is not None, kind)

        listed = page_of(_sessions_filtered(ctx, filters), ctx.tables.sessions, sort_by, sort_order, page_shape(limit, page))
        count = counted(_sessions_filtered(ctx, filters))
        params = {"user_id": user_id, "component_id": component_id, "start_timestamp": start_timestamp,
                  "end_timestamp": end_timestamp, "name_pattern": None if session_name is None else contains_pattern(session_name), **paging}
        total = (yield Bound(count, params)).scalar_one()
        rows = (yield Bound(listed, params)).fetchall()
        records = [as_dict(r) for r in rows]
        if include_runs:
            yield from _attach_runs(ctx, records)
        else:
            for record in records:
                record["runs"] = None
        if not deserialize:
            return records, total
        return deserialize_sessions(session_type, records)

    @operation(writes=True)
    def rename_session(
        self,
        session_id: str,
        session_type: SessionType | None,
        session_name: str,
        user_id: str | None = None,
        deserialize: bool | None = True,
    ) -> Steps[Any]:
        ctx = self._ctx
        table = ctx.tables.sessions
        stmt = sa.select(*agno_columns(table)).where(table.c.session_id == session_id)
        if session_type is not None:
            stmt = stmt.where(table.c.session_type == SessionType(session_type).value)
        if user_id is not None:
            stmt = stmt.where(table.c.user_id == user_id)
        row = (yield ctx.dialect.locked(stmt)).first()
        if row is None:
            return None
        record = as_dict(row)
        session_data = dict(record.get("session_data") or {})
        session_data["session_name"] = session_name
        record["session_data"] = session_data
        yield sa.update(table).where(table.c.session_id == session_id).values(session_data=session_data)
        yield from _attach_runs(ctx, [record])
        return _finish(record, session_type, deserialize)

    @operation(writes=True)
    def upsert_session(self, session: Session, deserialize: bool | None = True) -> Steps[Any]:
        ctx = self._ctx
        row = checked(ctx.tables.sessions, session_row(session, updated_at=None))
        stored = yield from _upsert_rows(ctx, [row], touch=int(time.time()))
        record = stored.get(row["session_id"])
        if record is None:  # the guard left another user's row untouched: say so (and log it)
            raise refuse_ownership(f"session {row['session_id']!r} belongs to another user; it was left unchanged")
        if not deserialize:
            record["runs"] = [run if isinstance(run, dict) else run.to_dict() for run in session.runs or []]
            return record
        result = deserialize_session(None, record)
        result.runs = session.runs
        return result

    @operation(writes=True)
    def upsert_sessions(
        self, sessions: list[Session], deserialize: bool | None = True, preserve_updated_at: bool = False
    ) -> Steps[list[Any]]:
        ctx = self._ctx
        now = int(time.time())
        rows = [checked(ctx.tables.sessions, session_row(s, updated_at=s.updated_at if preserve_updated_at else now))
                for s in sessions]
        if len({r["session_id"] for r in rows}) != len(rows):
            raise ValueError("upsert_sessions got the same session_id more than once")
        if not rows:
            return []
        stored = yield from _upsert_rows(ctx, rows, touch=None)
        foreign = [r["session_id"] for r in rows if r["session_id"] not in stored]
        if foreign:  # raising rolls the whole batch back: all of it is stored, or none
            raise refuse_ownership(f"sessions {foreign!r} belong to another user; none of the batch was stored")
        results: list[Any] = []
        for session in sessions:
            record = stored[session.session_id]
            record["runs"] = [run if isinstance(run, dict) else run.to_dict() for run in session.runs or []]
            results.append(deserialize_session(None, record) if deserialize else record)
        return results

    @operation(writes=True)
    def insert_session_if_absent(self, session: Session) -> Steps[bool]:
        ctx = self._ctx
        row = checked(ctx.tables.sessions, session_row(session, updated_at=None))
        inserted = (yield ctx.dialect.insert_ignore(ctx.tables.sessions, row, key=["session_id"])).rowcount
        return inserted == 1

    @procedure
    def delete_session(self, session_id: str, user_id: str | None = None) -> Program[bool]:
        outcome: tuple[bool, list[tuple[str, str]], Leftovers] = yield _delete_session(
            self._ctx, session_id, user_id, coordinators_of(self)
        )
        deleted, payloads, leftovers = outcome
        yield remove_payloads(self, payloads)  # after the commit, as agno does
        if leftovers:
            yield release_leftovers(leftovers)
        return deleted

    @procedure
    def delete_sessions(self, session_ids: list[str], user_id: str | None = None) -> Program[None]:
        payloads, leftovers = yield _delete_sessions(self._ctx, list(session_ids), user_id, coordinators_of(self))
        yield remove_payloads(self, payloads)
        if leftovers:
            yield release_leftovers(leftovers)

    @operation(writes=True)
    def reassign_session_owner(self, session_id: str, *, previous_user_id: str, user_id: str | None) -> Steps[bool]:
        ctx = self._ctx
        table, runs = ctx.tables.sessions, ctx.tables.runs
        active = sa.select(runs.c.run_id).where(
            runs.c.session_id == session_id, runs.c.status.in_(["PENDING", "RUNNING", "PAUSED"])
        )
        stmt = (
            sa.update(table)
            .where(table.c.session_id == session_id, table.c.user_id == previous_user_id, ~active.exists())
            .values(user_id=user_id)
        )
        return bool((yield stmt).rowcount)

"""Sessions and their runs: one session row, one row per run in ``run_index`` order.

The storage contract is agno 3.1's: ``upsert_session`` writes the session row only, each run is
written by ``upsert_run``, and ``get_session`` re-attaches the runs in order. On top of it:
- a session owned by one user is never overwritten, renamed or read through another user's id;
- ``run_index`` is assigned under a lock on the session row, so concurrent appends never collide
  and never lose a run (a stale index from a concurrent writer moves to the end);
- every write of a run also fills its typed analytics columns (``agno_models.analytics``: model,
  tokens, cost, durations, error text, creation time), and every insert or delete of runs recounts
  the session's ``run_count`` and ``last_run_at`` under the session row's lock, in the same
  transaction; rows read back keep agno's shape (the analytics columns are for SQL, not agno);
- database errors propagate; nothing is turned into ``None``.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

import sqlalchemy as sa
from agno.db.base import SessionType
from agno.db.utils import (
    HISTORY_SKIP_STATUSES,
    build_single_run_row,
    canonical_run_status,
    deserialize_run,
    deserialize_session,
    deserialize_sessions,
)
from agno.run.base import RunStatus
from agno.session import AgentSession, TeamSession, WorkflowSession

from agno_models.analytics import (
    RUN_COLUMNS,
    RUN_TIME_COLUMNS,
    SESSION_COLUMNS,
    run_analytics,
)
from repositories.core.context import Ctx, json_text, statement
from repositories.core.operation import Bound, Program, Steps, operation, procedure, unit
from repositories.core.owned import owned_upsert
from repositories.core.query import (
    LIKE_ESCAPE,
    ROW_BOUND,
    as_dict,
    contains_pattern,
    count_of,
    ordered,
    page_params,
    page_shape,
    paged,
    with_page_shape,
)
from repositories.core.repository import Repository
from repositories.core.run_cache import RunCache
from repositories.core.values import MissingRowError, checked, refuse_ownership
from repositories.offloads import forget_sessions, remove_payloads

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


def _agno_columns(table: sa.Table) -> list[sa.Column[Any]]:
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
                                    touch=touch, returning=_agno_columns(table)))


# --- runs -------------------------------------------------------------------------------------


@statement
def _lock_session_stmt(ctx: Ctx) -> sa.Select[Any]:
    table = ctx.tables.sessions
    return ctx.dialect.locked(sa.select(table.c.session_id, table.c.user_id).where(
        table.c.session_id == sa.bindparam("session_id")))


def _lock_session(ctx: Ctx, session_id: str) -> Steps[dict[str, Any] | None]:
    """Lock the session row (SQLite: the transaction already holds the write lock)."""
    row = (yield Bound(_lock_session_stmt(ctx), {"session_id": session_id})).first()
    return None if row is None else as_dict(row)


@statement
def _next_index_stmt(ctx: Ctx) -> sa.Select[Any]:
    runs = ctx.tables.runs
    return sa.select(sa.func.max(runs.c.run_index)).where(runs.c.session_id == sa.bindparam("session_id"))


def _next_index(ctx: Ctx, session_id: str) -> Steps[int]:
    current = (yield Bound(_next_index_stmt(ctx), {"session_id": session_id})).scalar()
    return 0 if current is None else int(current) + 1


@statement
def _place_stmt(ctx: Ctx) -> sa.Select[Any]:
    runs = ctx.tables.runs
    return sa.select(runs.c.run_id, runs.c.session_id, runs.c.run_index).where(
        (runs.c.run_id == sa.bindparam("run_id"))
        | ((runs.c.session_id == sa.bindparam("session_id")) & (runs.c.run_index == sa.bindparam("run_index")))
    )


def _place_run(ctx: Ctx, row: dict[str, Any]) -> Steps[str]:
    """Give a run its index under the session lock; returns "insert" or "update".

    One query finds both an existing row with this run_id and a run already holding the
    wanted index (PK lookup OR the (session_id, run_index) index).
    """
    stmt = _place_stmt(ctx)
    wanted = row.get("run_index")
    found = (yield Bound(stmt, {"run_id": row["run_id"], "session_id": row["session_id"], "run_index": wanted})).fetchall()
    existing = next((r for r in found if r.run_id == row["run_id"]), None)
    if existing is not None:
        if existing.session_id != row["session_id"]:
            raise refuse_ownership(f"run {row['run_id']!r} belongs to session {existing.session_id!r}, not {row['session_id']!r}")
        row["run_index"] = existing.run_index if existing.run_index is not None else (yield from _next_index(ctx, row["session_id"]))
        return "update"
    if wanted is not None and not found:
        return "insert"
    # No index, or a concurrent writer already used it (both computed it from the same stale
    # session): append at the end instead of losing the run.
    row["run_index"] = yield from _next_index(ctx, row["session_id"])
    return "insert"


def known_run_status(status: Any) -> str:
    """agno's stored form of ``status`` (any casing or a RunStatus), or a ValueError listing the valid ones."""
    value = canonical_run_status(status)
    valid = [s.value for s in RunStatus]
    if value not in valid:
        raise ValueError(f"unknown run status {status!r}; valid statuses: {', '.join(valid)}")
    return str(value)


def _check_run_owner(owner: dict[str, Any] | None, session_id: str, user_id: str | None) -> None:
    if owner is None:
        raise MissingRowError(f"session {session_id!r} does not exist; save the session before its runs")
    if user_id is not None and owner["user_id"] is not None and owner["user_id"] != user_id:
        raise refuse_ownership(f"session {session_id!r} belongs to another user")


def _run_row(ctx: Ctx, run: Any, *, session_id: str, user_id: str | None, run_index: int | None) -> dict[str, Any]:
    if run_index is not None and run_index < 0:
        raise ValueError(f"run_index must be >= 0, got {run_index}")
    row = build_single_run_row(run=run, session_id=session_id, user_id=user_id, run_index=run_index)
    if row.get("status") is not None:
        row["status"] = canonical_run_status(row["status"])
    row.update(run_analytics(row["run_data"], created_at=row["created_at"]))
    return checked(ctx.tables.runs, row)


def _analytics_update(run_data: dict[str, Any]) -> dict[str, Any]:
    """The analytics columns a changed ``run_data`` rewrites (creation time stays the stored one)."""
    values = run_analytics(run_data, created_at=None)
    return {k: v for k, v in values.items() if k not in RUN_TIME_COLUMNS}


@statement
def _insert_stmt(ctx: Ctx) -> sa.Insert:
    return sa.insert(ctx.tables.runs)


def _insert_run(ctx: Ctx, row: dict[str, Any]) -> Bound:
    return Bound(_insert_stmt(ctx), row)


def _delete_runs(ctx: Ctx, run_ids: list[str]) -> Steps[int]:
    """Delete runs; returns how many were deleted."""
    runs, sessions = ctx.tables.runs, ctx.tables.sessions
    of_runs = sa.select(runs.c.session_id).where(runs.c.run_id.in_(run_ids)).distinct()
    # Lock the sessions (in key order: two deleters never wait on each other crosswise) before
    # touching their runs, as appends do.
    (
        yield ctx.dialect.locked(sa.select(sessions.c.session_id).where(sessions.c.session_id.in_(of_runs))
                     .order_by(sessions.c.session_id))
    ).all()
    # The triggers recount the sessions (revision 0007).
    return int((yield sa.delete(runs).where(runs.c.run_id.in_(run_ids))).rowcount)


@unit(writes=True)
def _delete_session(ctx: Ctx, session_id: str, user_id: str | None) -> Steps[tuple[bool, list[tuple[str, str]]]]:
    table, runs = ctx.tables.sessions, ctx.tables.runs
    stmt = sa.delete(table).where(table.c.session_id == session_id)
    if user_id is not None:
        stmt = stmt.where(table.c.user_id == user_id)
    if not (yield stmt).rowcount:
        return False, []
    # The foreign key cascades; this also covers engines opened without SQLite's FK pragma.
    yield sa.delete(runs).where(runs.c.session_id == session_id)
    return True, (yield from forget_sessions(ctx, [session_id]))


@unit(writes=True)
def _delete_sessions(ctx: Ctx, ids: list[str], user_id: str | None) -> Steps[list[tuple[str, str]]]:
    table, runs = ctx.tables.sessions, ctx.tables.runs
    if not ids:
        return []
    if user_id is not None:
        owned = (yield sa.select(table.c.session_id).where(table.c.session_id.in_(ids), table.c.user_id == user_id))
        ids = [r[0] for r in owned.fetchall()]
        if not ids:
            return []
    yield sa.delete(table).where(table.c.session_id.in_(ids))
    yield sa.delete(runs).where(runs.c.session_id.in_(ids))
    return (yield from forget_sessions(ctx, ids))


@statement
def _session_by_id(ctx: Ctx, *, by_user: bool) -> sa.Select[Any]:
    table = ctx.tables.sessions
    stmt = sa.select(*_agno_columns(table), table.c.runs_version, table.c.run_count).where(
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
    stmt = sa.select(*_agno_columns(table))
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


@statement
def _sessions_count(ctx: Ctx, filters: _SessionFilters) -> sa.Select[Any]:
    return count_of(_sessions_filtered(ctx, filters))


@statement
def _sessions_page(
    ctx: Ctx, filters: _SessionFilters, sort_by: str | None, sort_order: str | None, paging: tuple[bool, bool]
) -> sa.Select[Any]:
    return with_page_shape(ordered(_sessions_filtered(ctx, filters), ctx.tables.sessions, sort_by, sort_order), paging)


class SessionRepository(Repository):
    """agno's session and run methods, each one operation."""

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
            session.runs = list(runs)  # type: ignore[union-attr]
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

        listed = _sessions_page(ctx, filters, sort_by, sort_order, page_shape(limit, page))
        counted = _sessions_count(ctx, filters)
        params = {"user_id": user_id, "component_id": component_id, "start_timestamp": start_timestamp,
                  "end_timestamp": end_timestamp, "name_pattern": None if session_name is None else contains_pattern(session_name), **paging}
        total = (yield Bound(counted, params)).scalar_one()
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
        stmt = sa.select(*_agno_columns(table)).where(table.c.session_id == session_id)
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
        result.runs = session.runs  # type: ignore[union-attr]
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
        deleted, payloads = yield _delete_session(self._ctx, session_id, user_id)
        yield remove_payloads(self, payloads)  # after the commit, as agno does
        return deleted

    @procedure
    def delete_sessions(self, session_ids: list[str], user_id: str | None = None) -> Program[None]:
        payloads = yield _delete_sessions(self._ctx, list(session_ids), user_id)
        yield remove_payloads(self, payloads)

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

    @operation(writes=True)
    def upsert_run(self, run: Any, session_id: str, user_id: str | None = None, run_index: int | None = None) -> Steps[None]:
        ctx = self._ctx
        row = _run_row(ctx, run, session_id=session_id, user_id=user_id, run_index=run_index)
        owner = yield from _lock_session(ctx, session_id)
        _check_run_owner(owner, session_id, user_id)
        action = yield from _place_run(ctx, row)
        runs = ctx.tables.runs
        if action == "insert":
            yield _insert_run(ctx, row)  # the triggers recount the session (revision 0007)
        else:
            kept = ("status", "run_data", "user_id", "parent_run_id", "updated_at", "run_index")
            values = {k: row[k] for k in kept} | {k: row[k] for k in RUN_COLUMNS if k not in RUN_TIME_COLUMNS}
            yield sa.update(runs).where(runs.c.run_id == row["run_id"]).values(values)

    @operation(writes=True)
    def append_run_to_session_if_absent(
        self, session_id: str, run_dict: dict[str, Any], user_id: str | None = None
    ) -> Steps[bool | None]:
        ctx = self._ctx
        row = _run_row(ctx, run_dict, session_id=session_id, user_id=user_id, run_index=None)
        owner = yield from _lock_session(ctx, session_id)
        if owner is None:
            return None  # no session row yet: the caller creates it and retries
        _check_run_owner(owner, session_id, user_id)
        action = yield from _place_run(ctx, row)
        if action != "insert":
            return False  # a concurrent writer's row wins
        yield _insert_run(ctx, row)  # the triggers recount the session (revision 0007)
        return True

    @operation(writes=True)
    def update_run_in_session(
        self,
        session_id: str,
        run_id: str,
        fields: dict[str, Any],
        expected_attempt: int | None = None,
        user_id: str | None = None,
        content_if_absent: str | None = None,
        session_data: dict[str, Any] | None = None,
    ) -> Steps[Any]:
        ctx = self._ctx
        from agno.run.status_persist import RunPersistOutcome

        runs, sessions = ctx.tables.runs, ctx.tables.sessions
        if fields.get("status") is not None:
            fields = {**fields, "status": canonical_run_status(fields["status"])}
        row = (
            yield ctx.dialect.locked(
                sa.select(runs.c.run_data, runs.c.status)
                .where(runs.c.run_id == run_id, runs.c.session_id == session_id)
                .where((runs.c.user_id == user_id) | runs.c.user_id.is_(None)),
            )
        ).first()
        if row is None or row.run_data is None:
            return RunPersistOutcome.MISSING
        run = dict(row.run_data)
        stored_attempt = run.get("queue_attempt")
        if expected_attempt is not None and stored_attempt is not None and stored_attempt > expected_attempt:
            return RunPersistOutcome.STALE_ATTEMPT
        stored_status = str(run.get("status") or row.status or "").lower()
        incoming_status = str(fields.get("status") or "").lower()
        if stored_status in ("completed", "cancelled") and incoming_status and incoming_status != stored_status:
            return RunPersistOutcome.TERMINAL_REFUSED
        run.update(fields)
        if content_if_absent is not None and not run.get("content"):
            run["content"] = content_if_absent
        if expected_attempt is not None:
            run["queue_attempt"] = expected_attempt
        now = int(time.time())
        values: dict[str, Any] = {"run_data": run, "updated_at": now, **_analytics_update(run)}
        if fields.get("status") is not None:
            values["status"] = fields["status"]
        yield sa.update(runs).where(runs.c.run_id == run_id).values(values)
        if session_data is not None:
            written = (
                yield sa.update(sessions)
                .where(sessions.c.session_id == session_id)
                .where((sessions.c.user_id == user_id) | sessions.c.user_id.is_(None))
                .values(session_data=session_data, updated_at=now)
            ).rowcount
            if not written:
                raise refuse_ownership(f"cannot persist run metadata: session {session_id!r} is missing or not owned")
        return RunPersistOutcome.UPDATED

    @operation(writes=False, absent=None)
    def get_run(self, run_id: str, deserialize: bool | None = True) -> Steps[Any]:
        ctx = self._ctx
        runs = ctx.tables.runs
        row = (yield sa.select(*_agno_columns(runs)).where(runs.c.run_id == run_id)).first()
        if row is None:
            return None
        record = as_dict(row)
        return deserialize_run(record["run_type"], record["run_data"]) if deserialize else record

    @operation(writes=False, absent=lambda a: [] if a['deserialize'] else ([], 0))
    def get_runs(
        self,
        session_id: str | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        team_id: str | None = None,
        workflow_id: str | None = None,
        status: Any = None,
        limit: int | None = None,
        page: int | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        deserialize: bool | None = True,
    ) -> Steps[Any]:
        ctx = self._ctx
        runs = ctx.tables.runs
        stmt = sa.select(*_agno_columns(runs))
        for column, value in (
            (runs.c.session_id, session_id),
            (runs.c.user_id, user_id),
            (runs.c.agent_id, agent_id),
            (runs.c.team_id, team_id),
            (runs.c.workflow_id, workflow_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if status is not None:
            stmt = stmt.where(runs.c.status == known_run_status(status))
        total = (yield count_of(stmt)).scalar_one()
        if sort_by is None:
            stmt = stmt.order_by(runs.c.run_index.asc(), runs.c.created_at.asc(), runs.c.run_id.asc())
        else:
            stmt = ordered(stmt, runs, sort_by, sort_order)
        records = [as_dict(r) for r in (yield paged(stmt, limit, page)).fetchall()]
        if not deserialize:
            return records, total
        return [deserialize_run(r["run_type"], r["run_data"]) for r in records]

    @operation(writes=True, absent=False)
    def delete_run(self, run_id: str) -> Steps[bool]:
        ctx = self._ctx
        return bool((yield from _delete_runs(ctx, [run_id])))

    @operation(writes=True, absent=None)
    def delete_runs(self, run_ids: list[str]) -> Steps[None]:
        ctx = self._ctx
        if run_ids:
            yield from _delete_runs(ctx, list(run_ids))

    @operation(writes=True)
    def cancel_pending_run(
        self, run_id: str, *, session_id: str, reason: str, user_id: str | None = None, expected_status: str = "PENDING"
    ) -> Steps[bool]:
        ctx = self._ctx
        if expected_status not in {"PENDING", "RUNNING"}:
            raise ValueError("Only Pending or Running runs can be cancelled by recovery")
        runs = ctx.tables.runs
        row = (
            yield ctx.dialect.locked(
                sa.select(runs.c.run_data)
                .where(runs.c.run_id == run_id, runs.c.session_id == session_id, runs.c.status == expected_status)
                .where((runs.c.user_id == user_id) | runs.c.user_id.is_(None)),
            )
        ).first()
        if row is None:
            return False
        data = dict(row.run_data or {})
        data["status"] = "CANCELLED"
        if not data.get("content"):
            data["content"] = reason
        values = {"status": "CANCELLED", "run_data": data, "updated_at": int(time.time()), **_analytics_update(data)}
        yield sa.update(runs).where(runs.c.run_id == run_id).values(values)
        return True

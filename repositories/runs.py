"""Runs: one row per run, in ``run_index`` order, each written under its session row's lock.

- ``run_index`` is assigned under a lock on the session row, so concurrent appends never collide
  and never lose a run (a stale index from a concurrent writer moves to the end); a write is two
  round trips (the lock with the checks, then one statement that places and inserts or rewrites),
  one on SQLite, whose writers hold the file's lock;
- a run of one user's session is never written through another user's id;
- every write of a run also fills its typed analytics columns (``agno_models.analytics``), and
  revision 0007's triggers recount the session's ``run_count`` and ``last_run_at`` in the same
  transaction; rows read back keep agno's shape;
- database errors propagate; nothing is turned into ``None``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from agno.db.utils import (
    build_single_run_row,
    canonical_run_status,
    deserialize_run,
)
from agno.run.base import RunStatus

from agno_models.analytics import (
    RUN_COLUMNS,
    RUN_TIME_COLUMNS,
    run_analytics,
)
from repositories.core.context import Ctx, statement
from repositories.core.dialects import Incoming
from repositories.core.operation import Bound, Steps, operation
from repositories.core.query import (
    as_dict,
    count_of,
    ordered,
    paged,
)
from repositories.core.repository import Repository
from repositories.core.values import MissingRowError, checked, refuse_ownership
from repositories.sessions import agno_columns

# --- runs -------------------------------------------------------------------------------------


@statement
def _claim_stmt(ctx: Ctx) -> sa.Select[Any]:
    """The session's owner, its row locked, and where the run is stored now (if anywhere).

    The lock orders every writer of the session's runs (revision 0007's triggers take it too),
    so the write that follows computes the run's index from every committed run.
    """
    sessions, runs = ctx.tables.sessions, ctx.tables.runs
    stmt = (
        sa.select(sessions.c.user_id, runs.c.session_id.label("run_session"))
        .select_from(sessions.outerjoin(runs, runs.c.run_id == sa.bindparam("run_id")))
        .where(sessions.c.session_id == sa.bindparam("session_id"))
    )
    return ctx.dialect.locked(stmt, of=sessions)


def _claim(ctx: Ctx, row: dict[str, Any], *, user_id: str | None) -> Steps[bool | None]:
    """Lock the session, check the caller may write this run there; whether the run is stored already.

    None for a session that does not exist (the caller says what that means).
    """
    claim = (yield Bound(_claim_stmt(ctx), {"run_id": row["run_id"], "session_id": row["session_id"]})).first()
    if claim is None:
        return None
    _check_run_owner(as_dict(claim), row["session_id"], user_id)
    if claim.run_session is not None and claim.run_session != row["session_id"]:
        raise _foreign_run(row, claim.run_session)
    return claim.run_session is not None


def _foreign_run(row: dict[str, Any], owner: str | None) -> Exception:
    where = "another session" if owner is None else f"session {owner!r}"
    return refuse_ownership(f"run {row['run_id']!r} belongs to {where}, not {row['session_id']!r}")


# Written again when an existing run is upserted (its kind, components and creation stay).
_REWRITTEN = ("status", "run_data", "user_id", "parent_run_id", "updated_at") + tuple(
    c for c in RUN_COLUMNS if c not in RUN_TIME_COLUMNS
)


def _placement(ctx: Ctx, *, overwrite: bool) -> tuple[Any, dict[str, Callable[[Incoming], Any]], Callable[[Incoming], Any]]:
    """The run's index, and the conflict update and its guard, of the statements below.

    The index is the wanted one if the session has no run there yet, else the end: a stale index
    from a concurrent writer (both computed it from the same session) moves instead of losing a
    run. Run under the session lock, the subqueries see every committed run of the session. A row
    of that run_id in another session is left alone; without ``overwrite`` every existing row is.
    """
    runs = ctx.tables.runs
    of_session = sa.bindparam("of_session", type_=runs.c.session_id.type)
    wanted = sa.bindparam("wanted_index", type_=sa.BigInteger)
    taken = sa.exists().where(runs.c.session_id == of_session, runs.c.run_index == wanted)
    last = sa.select(sa.func.max(runs.c.run_index)).where(runs.c.session_id == of_session).scalar_subquery()
    index = sa.case((sa.and_(wanted.is_not(None), ~taken), wanted), else_=sa.func.coalesce(last + 1, 0))
    if not overwrite:
        return index, {"run_id": _incoming("run_id")}, lambda incoming: sa.false()
    update: dict[str, Callable[[Incoming], Any]] = {c: _incoming(c) for c in _REWRITTEN}
    # An existing run keeps its place; one stored without an index gets the computed one.
    update["run_index"] = lambda incoming: sa.func.coalesce(runs.c.run_index, incoming("run_index"))
    return index, update, lambda incoming: runs.c.session_id == incoming("session_id")


def _incoming(column: str) -> Callable[[Incoming], Any]:
    return lambda incoming: incoming(column)


@statement
def _write_stmt(ctx: Ctx, *, overwrite: bool) -> sa.Insert:
    """Insert the run at its index or rewrite the session's own row of it (rowcount 0: left alone)."""
    index, update, guard = _placement(ctx, overwrite=overwrite)
    stmt = ctx.dialect.upsert(ctx.tables.runs, None, key=["run_id"], update=update, only_if=guard)
    return stmt.values(run_index=index).execution_options(preserve_rowcount=True)


@statement
def _checked_write_stmt(ctx: Ctx, *, overwrite: bool, columns: tuple[str, ...]) -> sa.Insert:
    """``_write_stmt`` that also checks the session: it writes nothing unless the session exists
    and is the caller's (or nobody's). One statement, where writers are serialized anyway."""
    runs, sessions = ctx.tables.runs, ctx.tables.sessions
    index, update, guard = _placement(ctx, overwrite=overwrite)
    owner = sa.bindparam("of_user", type_=sessions.c.user_id.type)
    # Named as SQLAlchemy names a multi-row VALUES' parameters, so a value that cannot be bound is
    # reported under its column (operation.bind_error).
    values = [index if c == "run_index" else sa.bindparam(f"{c}_m0", type_=runs.c[c].type) for c in columns]
    source = sa.select(*values).where(
        sessions.c.session_id == sa.bindparam("of_session", type_=sessions.c.session_id.type),
        sa.or_(owner.is_(None), sessions.c.user_id.is_(None), sessions.c.user_id == owner),
    )
    stmt = ctx.dialect.upsert(runs, None, key=["run_id"], update=update, only_if=guard)
    return stmt.from_select(list(columns), source).execution_options(preserve_rowcount=True)


def _write(ctx: Ctx, row: dict[str, Any], *, overwrite: bool) -> Steps[int]:
    """Execute ``_write_stmt`` for ``row``; the triggers recount the session (revision 0007)."""
    params = {k: v for k, v in row.items() if k != "run_index"}
    params |= {"of_session": row["session_id"], "wanted_index": row["run_index"]}
    result = yield Bound(_write_stmt(ctx, overwrite=overwrite), params)
    return int(result.rowcount)


def _store(ctx: Ctx, row: dict[str, Any], *, user_id: str | None, overwrite: bool) -> Steps[bool | None]:
    """Write the run into its session: True if written, None if the session does not exist, False
    if an existing row was left alone. Another user's session or another session's run raises.

    Where rows are locked: the lock with the checks, then the write (two round trips). Where the
    transaction holds the database's write lock (SQLite), the write checks the session itself and
    the checks run only to say why nothing was written (one round trip).
    """
    if ctx.dialect.locks_rows:
        exists = yield from _claim(ctx, row, user_id=user_id)
        if exists is None or (exists and not overwrite):
            return exists if exists is None else False
        return (yield from _write(ctx, row, overwrite=overwrite)) > 0  # MySQL counts an update as 2
    columns = tuple(row)
    params = {f"{k}_m0": v for k, v in row.items() if k != "run_index"}
    params |= {"of_session": row["session_id"], "wanted_index": row["run_index"], "of_user": user_id}
    result = yield Bound(_checked_write_stmt(ctx, overwrite=overwrite, columns=columns), params)
    if result.rowcount > 0:
        return True
    exists = yield from _claim(ctx, row, user_id=user_id)
    return None if exists is None else False


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
    # A run an active sandbox turn holds stays until that turn ends (agno refuses it the same way,
    # by the bindings' foreign key). With its session locked, no turn can take or release it now.
    bindings = ctx.tables.sandbox_bindings
    held = (yield sa.select(bindings.c.run_id).where(bindings.c.run_id.in_(run_ids)).limit(1)).first()
    if held is not None:
        from agno.utils.log import log_warning

        log_warning(f"Run(s) not deleted: an active sandbox turn still holds run {held[0]}")
        return 0  # one statement in agno too, so none of the runs are deleted
    # The triggers recount the sessions (revision 0007).
    return int((yield sa.delete(runs).where(runs.c.run_id.in_(run_ids))).rowcount)


class RunRepository(Repository):
    """agno's run methods, each one operation."""

    @operation(writes=True)
    def upsert_run(self, run: Any, session_id: str, user_id: str | None = None, run_index: int | None = None) -> Steps[None]:
        ctx = self._ctx
        row = _run_row(ctx, run, session_id=session_id, user_id=user_id, run_index=run_index)
        written = yield from _store(ctx, row, user_id=user_id, overwrite=True)
        if written is None:
            raise MissingRowError(f"session {session_id!r} does not exist; save the session before its runs")
        if not written:
            # Only where the lock does not cover the run_id: stored in another session meanwhile.
            raise _foreign_run(row, None)

    @operation(writes=True)
    def append_run_to_session_if_absent(
        self, session_id: str, run_dict: dict[str, Any], user_id: str | None = None
    ) -> Steps[bool | None]:
        ctx = self._ctx
        row = _run_row(ctx, run_dict, session_id=session_id, user_id=user_id, run_index=None)
        # None: no session row yet (the caller creates it and retries); False: a concurrent writer's row wins.
        return (yield from _store(ctx, row, user_id=user_id, overwrite=False))

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
        row = (yield sa.select(*agno_columns(runs)).where(runs.c.run_id == run_id)).first()
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
        stmt = sa.select(*agno_columns(runs))
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

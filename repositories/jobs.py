"""The durable job queue: agno 3.1's queue-store contract (``agno.job_queue.store``) in SQL.

One row per accepted background run. What it guarantees, on every dialect:
- a job is claimed by one worker at a time: the candidate is read with ``FOR UPDATE SKIP
  LOCKED`` (PostgreSQL, MySQL 8, MariaDB 10.6+), so concurrent claimers take different rows
  instead of waiting; on SQLite the write lock serializes claimers;
- lease math uses the database's clock (``Dialect.epoch_now``), never a replica's own;
- ``attempt`` is the fencing generation: a worker whose lease was reclaimed can no longer
  complete, retry or heartbeat its job;
- serialized sessions (``payload["serialize_session"]``) run one ticket at a time, in
  acceptance order. A claim re-reads the session's live tickets with a locking read before
  taking one, so a concurrent claim of the session's other ticket is seen.
Errors are raised: agno's own classes log most of them and answer ``None`` / ``False`` / ``0``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

import sqlalchemy as sa
from agno.job_queue.session import HOLDING_STATUSES, LIVE_STATUSES, session_blocker
from sqlalchemy.sql import ColumnElement

from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict, count_of, ordered
from repositories.core.repository import Repository
from repositories.core.values import checked
from repositories.schedules import check_row

TERMINAL = ("completed", "failed", "cancelled")
SETTLED = (*TERMINAL, "paused")  # what a worker may settle a running ticket as
# Columns we keep beside agno's (mirrors of payload fields, a generated column): not returned.
_OURS = frozenset({"serialize_session", "session_seq", "anonymous_idempotency_key"})


def _columns(table: sa.Table) -> list[sa.Column[Any]]:
    return [c for c in table.c if c.name not in _OURS]


def _select(table: sa.Table) -> sa.Select[Any]:
    return sa.select(*_columns(table))


def _job(ctx: Ctx, job_id: str, *, lock: bool = False) -> Steps[dict[str, Any] | None]:
    table = ctx.tables.jobs
    stmt = _select(table).where(table.c.id == job_id)
    row = (yield ctx.dialect.locked(stmt) if lock else stmt).first()
    return None if row is None else as_dict(row)


def _check_id(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")


def _check_seconds(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")


def _serialized(payload: Any) -> bool:
    return isinstance(payload, Mapping) and payload.get("serialize_session") is True


def _same_key(table: sa.Table, key: str, user_id: str | None) -> list[ColumnElement[bool]]:
    return [table.c.idempotency_key == key, table.c.user_id.is_not_distinct_from(user_id)]


def _session_free(table: sa.Table) -> ColumnElement[bool]:
    """No other ticket of a serialized job's session runs, is paused, or is queued ahead of it."""
    other = table.alias("session_predecessor")
    seq, other_seq = sa.func.coalesce(table.c.session_seq, 0), sa.func.coalesce(other.c.session_seq, 0)
    earlier = sa.or_(other_seq < seq, sa.and_(other_seq == seq, other.c.id < table.c.id))
    blocker = (
        sa.select(other.c.id)
        .where(
            other.c.id != table.c.id,
            other.c.session_id == table.c.session_id,
            other.c.serialize_session == sa.true(),
            sa.or_(
                other.c.status.in_(HOLDING_STATUSES),
                sa.and_(table.c.status == "queued", other.c.status == "queued", earlier),
            ),
        )
        .correlate(table)
    )
    return sa.or_(table.c.serialize_session == sa.false(), ~sa.exists(blocker))


def _live_session_jobs(ctx: Ctx, session_id: str, *, lock: bool) -> Steps[list[dict[str, Any]]]:
    """The session's serialized live tickets; ``lock`` reads (and locks) their latest committed state."""
    table = ctx.tables.jobs
    stmt = (
        _select(table)
        .where(table.c.session_id == session_id, table.c.serialize_session == sa.true(),
               table.c.status.in_(LIVE_STATUSES))
        .order_by(table.c.id)
    )
    return [as_dict(r) for r in (yield ctx.dialect.locked(stmt) if lock else stmt).fetchall()]


def _next_session_seq(ctx: Ctx, job: Mapping[str, Any]) -> Steps[int]:
    """The acceptance sequence for a ticket of a serialized session: after every live one."""
    lock = ctx.dialect.transaction_lock(f"{ctx.tables.jobs.name}:session:{job['session_id']}")
    if lock is not None:
        yield lock
    live = yield from _live_session_jobs(ctx, job["session_id"], lock=True)
    return max((int(j["payload"].get("session_seq") or 0) for j in live if j["id"] != job["id"]), default=0) + 1


def _sequenced(payload: Mapping[str, Any], seq: int) -> dict[str, Any]:
    return {**payload, "session_seq": seq}


class JobRepository(Repository):
    """agno's queue store; AgentOS finds it on the db (``QueueConfig(durable=True)``)."""

    serializes_sessions: ClassVar[bool] = True

    @operation(writes=False)
    def ensure_jobs_table(self) -> Steps[None]:
        # Running any operation brings the schema to head first; this one only proves the table is there.
        table = self._ctx.tables.jobs
        yield sa.select(table.c.id).limit(0)

    @operation(writes=True)
    def enqueue_job(self, job: dict[str, Any], max_depth: int = 0) -> Steps[dict[str, Any]]:
        ctx = self._ctx
        table = ctx.tables.jobs
        if not isinstance(job, Mapping):
            raise ValueError(f"job must be a dict, got {type(job).__name__}")
        if not isinstance(max_depth, int) or isinstance(max_depth, bool):
            raise ValueError(f"max_depth must be an integer, got {max_depth!r}")
        unknown = sorted(set(job) & _OURS)
        if unknown:
            raise ValueError(f"job has unknown column(s) {unknown}")
        row = check_row(table, {**job, "idempotency_key": job.get("idempotency_key") or None}, what="job")
        if not isinstance(row["payload"], Mapping):
            raise ValueError(f"job payload must be a dict, got {type(row['payload']).__name__}")
        checked(table, row)
        key, user_id = row["idempotency_key"], row.get("user_id")
        # Idempotency first: resubmitting an accepted job returns it even when the queue is full.
        if key is not None:
            existing = (yield _select(table).where(*_same_key(table, key, user_id))).first()
            if existing is not None:
                return {"accepted": False, "reason": "duplicate", "job": as_dict(existing)}
        if max_depth > 0:
            queued = (yield sa.select(sa.func.count()).select_from(table).where(table.c.status == "queued")).scalar_one()
            if queued >= max_depth:
                return {"accepted": False, "reason": "queue_full", "job": None}
        serialized = _serialized(row["payload"])
        if serialized:
            row["payload"] = _sequenced(row["payload"], (yield from _next_session_seq(ctx, row)))
        values = {**row, "serialize_session": serialized,
                  "session_seq": row["payload"]["session_seq"] if serialized else None}
        if key is None:
            yield sa.insert(table).values(**values)  # an id collision is AlreadyExists: ids are never reused
        elif not (yield ctx.dialect.insert_ignore(table, values, key=None)).rowcount:
            # A concurrent submit with the same key won: answer with its job (read past our snapshot).
            winner = (yield ctx.dialect.locked(_select(table).where(*_same_key(table, key, user_id)))).first()
            if winner is None:
                raise RuntimeError(f"enqueue_job: job {row['id']} already exists; ids are never reused")
            return {"accepted": False, "reason": "duplicate", "job": as_dict(winner)}
        # As agno's stores do: the job as given, with its normalized key and session sequence.
        return {"accepted": True, "reason": None, "job": row}

    @operation(writes=True)
    def claim_job(
        self, worker_id: str, lock_grace_seconds: int = 60, deployment_id: str | None = None
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        table = ctx.tables.jobs
        _check_id("worker_id", worker_id)
        _check_seconds("lock_grace_seconds", lock_grace_seconds)
        now = ctx.dialect.epoch_now()
        claimable = [
            table.c.available_at <= now,
            # Affinity filters fresh claims and stale reclaims alike: a reclaim executes too.
            sa.or_(table.c.deployment_id.is_(None), table.c.deployment_id == deployment_id),
            sa.or_(
                table.c.status == "queued",
                sa.and_(
                    table.c.status == "running",
                    table.c.locked_at <= now - lock_grace_seconds,
                    table.c.attempt < table.c.max_attempts,
                ),
            ),
        ]
        candidate_query = (
            sa.select(table.c.id, table.c.session_id, table.c.serialize_session)
            .where(*claimable, _session_free(table))
            .order_by(table.c.created_at.asc(), table.c.id.asc())
            .limit(1)
        )
        # Rows another worker is claiming right now are skipped, not waited for.
        candidate = (yield ctx.dialect.locked(candidate_query, skip_locked=True)).first()
        if candidate is None:
            return None
        if candidate.serialize_session:
            # Another ticket of this session may have been claimed since the scan's snapshot:
            # decide again from the latest committed state of the session's live tickets.
            live = yield from _live_session_jobs(ctx, candidate.session_id, lock=True)
            mine = next((j for j in live if j["id"] == candidate.id), None)
            if mine is None or session_blocker(mine, live) is not None:
                return None
        claimed = yield (
            sa.update(table)
            .where(table.c.id == candidate.id, *claimable)
            .values(status="running", locked_by=worker_id, locked_at=now, attempt=table.c.attempt + 1, updated_at=now)
        )
        if not claimed.rowcount:
            return None
        return (yield from _job(ctx, candidate.id))

    @operation(writes=True)
    def heartbeat_jobs(self, worker_id: str, job_ids: list[str]) -> Steps[int]:
        ctx = self._ctx
        table = ctx.tables.jobs
        _check_id("worker_id", worker_id)
        if not job_ids:
            return 0
        stmt = (
            sa.update(table)
            .where(table.c.id.in_(list(job_ids)), table.c.locked_by == worker_id, table.c.status == "running")
            .values(locked_at=ctx.dialect.epoch_now())
        )
        return int((yield stmt).rowcount or 0)

    @operation(writes=True)
    def complete_job(
        self, job_id: str, worker_id: str, attempt: int, status: str, error: str | None = None
    ) -> Steps[bool]:
        ctx = self._ctx
        table = ctx.tables.jobs
        if status not in SETTLED:
            raise ValueError(f"status must be one of {list(SETTLED)}, got {status!r}")
        now = ctx.dialect.epoch_now()
        # Fenced on (locked_by, attempt): a zombie's late write changes nothing.
        stmt = (
            sa.update(table)
            .where(table.c.id == job_id, table.c.locked_by == worker_id, table.c.attempt == attempt,
                   table.c.status == "running")
            .values(status=status, error=error, locked_by=None, locked_at=None, completed_at=now, updated_at=now)
        )
        return bool((yield stmt).rowcount)

    @operation(writes=True)
    def retry_or_fail_job(
        self, job_id: str, worker_id: str, attempt: int, error: str, retry_delay_seconds: int = 30
    ) -> Steps[str | None]:
        ctx = self._ctx
        table = ctx.tables.jobs
        _check_seconds("retry_delay_seconds", retry_delay_seconds)
        fence = (
            _select(table)
            .where(table.c.id == job_id, table.c.locked_by == worker_id, table.c.attempt == attempt,
                   table.c.status == "running")
        )
        row = (yield ctx.dialect.locked(fence)).first()
        if row is None:
            return None
        now = ctx.dialect.epoch_now()
        released = {"error": error, "locked_by": None, "locked_at": None, "updated_at": now}
        if row.attempt < row.max_attempts:
            status, values = "queued", {**released, "status": "queued", "available_at": now + retry_delay_seconds}
        else:
            status, values = "failed", {**released, "status": "failed", "completed_at": now}
        yield sa.update(table).where(table.c.id == job_id).values(**values)
        return status

    @operation(writes=True)
    def settle_paused_job(self, job_id: str, status: str, error: str | None = None) -> Steps[bool]:
        ctx = self._ctx
        table = ctx.tables.jobs
        if status not in TERMINAL:
            return False  # agno's contract: only a terminal status settles a paused ticket
        now = ctx.dialect.epoch_now()
        stmt = (
            sa.update(table)
            .where(table.c.id == job_id, table.c.status == "paused")
            .values(status=status, error=error, locked_by=None, locked_at=None, completed_at=now, updated_at=now)
        )
        return bool((yield stmt).rowcount)

    @operation(writes=True)
    def cancel_job(self, job_id: str) -> Steps[bool]:
        ctx = self._ctx
        table = ctx.tables.jobs
        now = ctx.dialect.epoch_now()
        stmt = (
            sa.update(table)
            .where(table.c.id == job_id, table.c.status.in_(["queued", "paused"]))
            .values(status="cancelled", completed_at=now, updated_at=now)
        )
        return bool((yield stmt).rowcount)

    @operation(writes=False)
    def sweep_exhausted_jobs(self, lock_grace_seconds: int = 60, limit: int = 20) -> Steps[list[dict[str, Any]]]:
        ctx = self._ctx
        table = ctx.tables.jobs
        _check_seconds("lock_grace_seconds", lock_grace_seconds)
        _check_seconds("limit", limit)
        stmt = (
            _select(table)
            .where(table.c.status == "running", table.c.locked_at <= ctx.dialect.epoch_now() - lock_grace_seconds,
                   table.c.attempt >= table.c.max_attempts)
            .order_by(table.c.locked_at.asc(), table.c.id.asc())
            .limit(limit)
        )
        return [as_dict(r) for r in (yield stmt).fetchall()]

    @operation(writes=True)
    def acquire_sweep(self, job_id: str, worker_id: str, lock_grace_seconds: int = 60) -> Steps[bool]:
        ctx = self._ctx
        table = ctx.tables.jobs
        _check_id("worker_id", worker_id)
        _check_seconds("lock_grace_seconds", lock_grace_seconds)
        now = ctx.dialect.epoch_now()
        stmt = (
            sa.update(table)
            .where(table.c.id == job_id, table.c.status == "running", table.c.locked_at <= now - lock_grace_seconds,
                   table.c.attempt >= table.c.max_attempts)
            .values(locked_by=worker_id, locked_at=now, updated_at=now)
        )
        return bool((yield stmt).rowcount)

    @operation(writes=True)
    def settle_swept_job(self, job_id: str, worker_id: str, status: str, error: str | None = None) -> Steps[bool]:
        ctx = self._ctx
        table = ctx.tables.jobs
        if status not in SETTLED:
            return False  # agno's contract: the sweep records what the run row says, nothing else
        now = ctx.dialect.epoch_now()
        stmt = (
            sa.update(table)
            .where(table.c.id == job_id, table.c.status == "running", table.c.locked_by == worker_id)
            .values(status=status, error=error, locked_by=None, locked_at=None, completed_at=now, updated_at=now)
        )
        return bool((yield stmt).rowcount)

    @operation(writes=False, absent=None)
    def get_job(self, job_id: str, strict: bool = False) -> Steps[dict[str, Any] | None]:
        # Errors always propagate, so strict and lenient lookups are the same: None is "no such ticket".
        return (yield from _job(self._ctx, job_id))

    @operation(writes=False, absent=None)
    def session_blocker(self, job_id: str) -> Steps[str | None]:
        ctx = self._ctx
        job = yield from _job(ctx, job_id)
        if job is None or job["status"] != "queued" or not _serialized(job["payload"]):
            return None
        live = yield from _live_session_jobs(ctx, job["session_id"], lock=False)
        return session_blocker(job, live)

    @operation(writes=False)
    def count_queued_jobs(self) -> Steps[int]:
        table = self._ctx.tables.jobs
        return int((yield sa.select(sa.func.count()).select_from(table).where(table.c.status == "queued")).scalar_one())

    @operation(writes=False)
    def list_jobs(
        self,
        status: str | list[str] | None = None,
        limit: int = 20,
        page: int = 1,
        sort_by: str | None = "created_at",
        sort_order: str | None = "desc",
        *,
        session_id: str | list[str] | None = None,
        user_id: str | None = None,
        raise_on_error: bool = False,
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        # Errors always propagate (raise_on_error=True is the only behaviour).
        table = self._ctx.tables.jobs
        if sort_by is not None and (sort_by in _OURS or sort_by not in table.c):
            sort_by = None  # agno's documented API: an unknown sort field is ignored (the id orders the page)
        _check_seconds("limit", limit)
        if not isinstance(page, int) or page < 1:
            raise ValueError(f"page must be an integer >= 1, got {page!r}")
        stmt = _select(table)
        if status is not None:
            stmt = stmt.where(table.c.status.in_([status] if isinstance(status, str) else list(status)))
        if session_id is not None:
            stmt = stmt.where(table.c.session_id.in_([session_id] if isinstance(session_id, str) else list(session_id)))
        if user_id is not None:
            stmt = stmt.where(table.c.user_id == user_id)
        total = (yield count_of(stmt)).scalar_one()
        stmt = ordered(stmt, table, sort_by, sort_order if sort_by else None).limit(limit).offset((page - 1) * limit)
        return [as_dict(r) for r in (yield stmt).fetchall()], int(total)

    @operation(writes=True)
    def requeue_job(self, job_id: str) -> Steps[bool]:
        ctx = self._ctx
        table = ctx.tables.jobs
        stmt = _select(table).where(table.c.id == job_id, table.c.status.in_(["failed", "cancelled"]))
        row = (yield ctx.dialect.locked(stmt)).first()
        if row is None:
            return False
        job = as_dict(row)
        now = ctx.dialect.epoch_now()
        # Exactly one more execution, whatever the configured budget.
        values: dict[str, Any] = {"status": "queued", "max_attempts": job["attempt"] + 1, "available_at": now,
                                  "locked_by": None, "locked_at": None, "completed_at": None, "updated_at": now}
        if _serialized(job["payload"]):
            # A requeued ticket rejoins its session behind every live turn.
            seq = yield from _next_session_seq(ctx, job)
            values |= {"payload": _sequenced(job["payload"], seq), "session_seq": seq}
        yield sa.update(table).where(table.c.id == job_id).values(**values)
        return True

    @operation(writes=True)
    def continue_job(self, job_id: str, continue_payload: dict[str, Any]) -> Steps[dict[str, Any]]:
        ctx = self._ctx
        table = ctx.tables.jobs
        if not isinstance(continue_payload, Mapping):
            raise ValueError(f"continue_payload must be a dict, got {type(continue_payload).__name__}")
        job = yield from _job(ctx, job_id, lock=True)
        if job is None or job["status"] in TERMINAL:
            return {"outcome": "conflict", "job": job}
        if job["status"] in ("queued", "running"):
            return {"outcome": "attach", "job": job}
        now = ctx.dialect.epoch_now()
        # payload["continue"] is replaced wholesale, never accumulated across pause cycles.
        payload = {**(job["payload"] or {}), "continue": dict(continue_payload)}
        yield (
            sa.update(table)
            .where(table.c.id == job_id)
            .values(status="queued", payload=payload, max_attempts=job["attempt"] + 1, available_at=now,
                    locked_by=None, locked_at=None, completed_at=None, updated_at=now)
        )
        return {"outcome": "queued", "job": (yield from _job(ctx, job_id))}

    @operation(writes=False)
    def queue_stats(self) -> Steps[dict[str, Any]]:
        table = self._ctx.tables.jobs
        counts = {s: int(n) for s, n in (yield sa.select(table.c.status, sa.func.count()).group_by(table.c.status))}
        oldest = (yield sa.select(sa.func.min(table.c.created_at)).where(table.c.status == "queued")).scalar()
        return {"counts": counts, "oldest_queued_age_seconds": None if oldest is None else int(time.time()) - oldest}

    @operation(writes=True)
    def cleanup_jobs(self, older_than_seconds: int = 86400) -> Steps[int]:
        table = self._ctx.tables.jobs
        _check_seconds("older_than_seconds", older_than_seconds)
        # Paused tickets are exempt: they must outlive any human's latency to stay continuable.
        stmt = sa.delete(table).where(
            table.c.status.in_(TERMINAL),
            table.c.completed_at.is_not(None),
            table.c.completed_at <= int(time.time()) - older_than_seconds,
        )
        return int((yield stmt).rowcount or 0)

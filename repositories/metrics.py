"""Daily usage metrics (``agno_metrics``): one row per (user, day), computed from sessions and runs.

``calculate_metrics`` rebuilds every day from the first one still owing (agno's rule) up to today,
and the rows it writes equal agno's PostgresDb rows for the same data: per day and owner (the
empty string for sessions without a user) the sessions and runs of each session type, the token
sums of the sessions' ``session_metrics``, and how many runs used each model. Beyond agno:
- the numbers come from SQL aggregates over the typed analytics columns (sessions'
  ``run_count``, runs' ``model_id`` / ``model_provider``, the columns the views read), two
  queries for any number of sessions, instead of loading every session and run into Python;
- the whole recalculation is one transaction, so readers never see half a day;
- errors propagate, including from ``get_metrics``' lazy refresh (agno logs and carries on).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from agno.db.base import SessionType
from agno.db.utils import metrics_starting_date_from_days
from sqlalchemy.sql import ColumnElement

from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict
from repositories.core.repository import Repository
from repositories.foreign_rows import catch_up

SECONDS_PER_DAY = 86_400
EPOCH = date(1970, 1, 1)
PERIOD = "daily"
REFRESH_EVERY = 60  # seconds: agno refreshes metrics lazily at most once a minute per db object
CHUNK = 500  # metric rows per INSERT
TOKEN_FIELDS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "audio_total_tokens",
    "audio_input_tokens",
    "audio_output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
)
KINDS = (SessionType.AGENT.value, SessionType.TEAM.value, SessionType.WORKFLOW.value)
KEY = ("user_id", "date", "aggregation_period")
# Columns a recalculation overwrites: the key, the row's id and its creation time stay.
RECALCULATED = (
    *[f"{kind}_sessions_count" for kind in KINDS],
    *[f"{kind}_runs_count" for kind in KINDS],
    "users_count",
    "token_metrics",
    "model_metrics",
    "updated_at",
    "completed",
)


def _utc_today() -> date:
    return datetime.now(timezone.utc).date()


def _midnight(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc).timestamp())


def _number(value: Any) -> int | float:
    """A SQL sum as agno's Python sum would have it: an int for whole numbers."""
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    number: int | float = value  # the driver's int or float
    return number


# --- which days ---------------------------------------------------------------------------------


def _starting_date(ctx: Ctx) -> Steps[date | None]:
    """agno's rule: resume after the last completed day, else at the first session's day."""
    metrics, sessions = ctx.tables.metrics, ctx.tables.sessions
    latest_completed = (yield sa.select(sa.func.max(metrics.c.date)).where(metrics.c.completed.is_(True))).scalar()
    incomplete = sa.select(sa.func.min(metrics.c.date)).where(metrics.c.completed.is_(False))
    if latest_completed is not None:
        incomplete = incomplete.where(metrics.c.date > latest_completed)
    earliest_incomplete = (yield incomplete).scalar()
    starting = metrics_starting_date_from_days(latest_completed, earliest_incomplete)
    if starting is not None:
        return starting
    first_session = (yield sa.select(sa.func.min(sessions.c.created_at))).scalar()
    return None if first_session is None else datetime.fromtimestamp(first_session, tz=timezone.utc).date()


def _days_from(starting: date) -> list[date]:
    today = _utc_today()
    return [starting + timedelta(days=n) for n in range((today - starting).days + 1)]


# --- aggregates ---------------------------------------------------------------------------------


def _day_and_owner(ctx: Ctx) -> list[ColumnElement[Any]]:
    sessions = ctx.tables.sessions
    return [
        (sessions.c.created_at // SECONDS_PER_DAY).label("day"),
        sa.func.coalesce(sessions.c.user_id, "").label("owner"),
    ]


def _in_range(ctx: Ctx, start: int, end: int) -> list[ColumnElement[bool]]:
    sessions = ctx.tables.sessions
    return [sessions.c.created_at >= start, sessions.c.created_at < end]


def _session_totals(ctx: Ctx, start: int, end: int) -> sa.Select[Any]:
    """Per day and owner: sessions and runs of each type, and the sessions' token sums.

    Runs are the sessions' ``run_count`` (kept by every run write, as the session overview view
    reads it); tokens are agno's ``session_metrics``, which also hold audio tokens and usage
    outside runs that the typed run columns don't.
    """
    sessions = ctx.tables.sessions
    tokens = [
        sa.cast(sessions.c.session_data[("session_metrics", field)].as_string(), sa.Numeric(38, 6)).label(field)
        for field in TOKEN_FIELDS
    ]
    each = (
        sa.select(*_day_and_owner(ctx), sessions.c.session_type, sessions.c.run_count.label("runs"), *tokens)
        .where(*_in_range(ctx, start, end))
        .subquery()
    )

    def of_kind(kind: str, value: Any) -> ColumnElement[Any]:
        return sa.func.sum(sa.case((each.c.session_type == kind, value), else_=0))

    return (
        sa.select(
            each.c.day,
            each.c.owner,
            *[of_kind(kind, 1).label(f"{kind}_sessions_count") for kind in KINDS],
            *[of_kind(kind, each.c.runs).label(f"{kind}_runs_count") for kind in KINDS],
            *[sa.func.sum(each.c[field]).label(field) for field in TOKEN_FIELDS],
        )
        .group_by(each.c.day, each.c.owner)
        .order_by(each.c.day, each.c.owner)
    )


def _model_counts(ctx: Ctx, start: int, end: int) -> sa.Select[Any]:
    """Per day and owner: how many runs used each (model, provider); a missing provider is "".

    Read from the typed, indexed ``model_id`` / ``model_provider`` run columns, the same ones
    the daily usage view groups by, so metrics and views count runs per model alike.
    """
    sessions, runs = ctx.tables.sessions, ctx.tables.runs
    each = (
        sa.select(
            *_day_and_owner(ctx),
            runs.c.model_id.label("model"),
            sa.func.coalesce(runs.c.model_provider, "").label("provider"),
        )
        .select_from(runs.join(sessions, runs.c.session_id == sessions.c.session_id))
        .where(*_in_range(ctx, start, end))
        .subquery()
    )
    return (
        sa.select(each.c.day, each.c.owner, each.c.model, each.c.provider, sa.func.count().label("count"))
        .where(each.c.model.is_not(None), each.c.model != "")
        .group_by(each.c.day, each.c.owner, each.c.model, each.c.provider)
        .order_by(each.c.day, each.c.owner, each.c.model, each.c.provider)
    )


def _model_metrics(counts: Sequence[tuple[str, str, int]]) -> list[dict[str, Any]]:
    # agno keys models as "model:provider" and splits at the last colon; kept so a provider or
    # model holding a colon lands exactly where agno puts it.
    merged: dict[str, int] = {}
    for model, provider, count in counts:
        merged[f"{model}:{provider}"] = merged.get(f"{model}:{provider}", 0) + int(count)
    result = []
    for key, count in merged.items():
        model_id, model_provider = key.rsplit(":", 1)
        result.append({"model_id": model_id, "model_provider": model_provider, "count": count})
    return result


def _records(totals: Sequence[Any], models: Sequence[Any], *, now: int) -> list[dict[str, Any]]:
    by_bucket: dict[tuple[int, str], list[tuple[str, str, int]]] = {}
    for row in models:
        by_bucket.setdefault((int(row.day), row.owner), []).append((row.model, row.provider, row.count))
    today = _utc_today()
    records = []
    for row in totals:
        day = EPOCH + timedelta(days=int(row.day))
        record: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "date": day,
            "completed": day < today,
            "token_metrics": {field: _number(getattr(row, field)) for field in TOKEN_FIELDS},
            "model_metrics": _model_metrics(by_bucket.get((int(row.day), row.owner), [])),
            "created_at": now,
            "updated_at": now,
            "aggregation_period": PERIOD,
            "user_id": row.owner,
            # One distinct user per bucket and none for the unowned one, so sums over rows stay right.
            "users_count": 0 if row.owner == "" else 1,
        }
        for kind in KINDS:
            record[f"{kind}_sessions_count"] = int(getattr(row, f"{kind}_sessions_count"))
            record[f"{kind}_runs_count"] = int(getattr(row, f"{kind}_runs_count"))
        records.append(record)
    return records


# --- operations ---------------------------------------------------------------------------------


def _calculate_metrics(ctx: Ctx) -> Steps[list[dict[str, Any]] | None]:
    yield from catch_up(ctx)  # runs another writer stored lack the columns counted below
    metrics = ctx.tables.metrics
    starting = yield from _starting_date(ctx)
    if starting is None:
        return None  # no sessions at all
    days = _days_from(starting)
    if not days:
        return None
    start, end = _midnight(days[0]), _midnight(days[-1] + timedelta(days=1))
    totals = (yield _session_totals(ctx, start, end)).fetchall()
    models = (yield _model_counts(ctx, start, end)).fetchall()
    records = _records(totals, models, now=int(time.time()))
    if not records:
        return []
    for index in range(0, len(records), CHUNK):
        yield ctx.dialect.upsert(metrics, records[index : index + CHUNK], key=list(KEY), update=list(RECALCULATED))
    written = {(r["user_id"], r["date"]) for r in records}
    first, last = records[0]["date"], records[-1]["date"]
    stored = (
        yield sa.select(metrics)
        .where(metrics.c.date >= first, metrics.c.date <= last, metrics.c.aggregation_period == PERIOD)
        .order_by(metrics.c.date, metrics.c.user_id)
    ).fetchall()
    return [as_dict(row) for row in stored if (row.user_id, row.date) in written]


class MetricsRepository(Repository):
    """agno's metrics methods, each one operation."""
    _metrics_refreshed_at: float = 0.0

    @operation(writes=True)
    def calculate_metrics(self) -> Steps[list[dict[str, Any]] | None]:
        self._metrics_refreshed_at = time.time()
        return (yield from _calculate_metrics(self._ctx))

    @operation(writes=True, absent=lambda a: ([], None))
    def get_metrics(
        self, starting_date: date | None = None, ending_date: date | None = None, user_id: str | None = None
    ) -> Steps[tuple[list[dict[str, Any]], int | None]]:
        refresh = time.time() - self._metrics_refreshed_at >= REFRESH_EVERY
        if refresh:
            self._metrics_refreshed_at = time.time()
        ctx = self._ctx
        if refresh:  # recalculate and read in one transaction
            yield from _calculate_metrics(ctx)
        metrics = ctx.tables.metrics
        stmt = sa.select(metrics)
        if starting_date:
            stmt = stmt.where(metrics.c.date >= starting_date)
        if ending_date:
            stmt = stmt.where(metrics.c.date <= ending_date)
        latest = sa.select(sa.func.max(metrics.c.updated_at))
        if user_id is not None:
            stmt = stmt.where(metrics.c.user_id == user_id)
            latest = latest.where(metrics.c.user_id == user_id)
        rows = (yield stmt.order_by(metrics.c.date, metrics.c.user_id)).fetchall()
        if not rows:
            return [], None
        latest_updated_at = (yield latest).scalar()
        records = [as_dict(row) for row in rows]
        for record in records:
            if record["user_id"] == "":
                record["user_id"] = None  # the unowned bucket's sentinel, as agno reports it
        return records, latest_updated_at

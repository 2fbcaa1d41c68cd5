"""Traces and spans: one row per trace, one row per span (times as agno's ISO-8601 strings).

A trace row is agno's ``Trace`` without ``total_spans``/``error_count``: those are always
counted from the spans when a trace is read, in the same query. On top of agno 3.1:
- ``upsert_trace`` merges into a stored trace exactly as agno's PostgresDb ``ON CONFLICT`` clause
  does (earliest start, latest end, duration recomputed from them, the incoming status, the name of
  the higher-level component, stored context ids kept), on every dialect, under a row lock;
- a span whose trace is not stored yet is stored anyway: the trace is created from the span(s)
  the way agno's exporter builds one (``create_trace_from_spans``), and a later ``upsert_trace``
  merges into it. agno's own dbs lose such spans (foreign-key violation, logged and dropped);
- lists and stats are single queries: span counts are per-trace subqueries, groups and durations
  are aggregated in SQL, and ``p95_duration_ms`` is computed on every dialect (agno: PostgreSQL
  only, ``None`` on SQLite);
- text that PostgreSQL cannot store (NUL and other control characters) is stripped from traces and
  spans on every dialect, as agno's PostgresDb does, so all databases hold the same data;
- bad input (missing ids, overlong values, an unknown sort field) raises ``ValueError`` before
  anything is written, and database errors propagate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import sqlalchemy as sa
from agno.utils.string import sanitize_postgres_strings
from sqlalchemy.sql import ColumnElement, Select

from repositories.core.context import Ctx, json_text
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict, count_of, paged, sliced
from repositories.core.repository import Repository
from repositories.core.values import checked, id_values

CONTEXT_IDS = ("run_id", "session_id", "user_id", "agent_id", "team_id", "workflow_id")
GROUPINGS = ("session", "agent", "team", "workflow", "endpoint")
SPAN_SORTS = ("total_calls", "avg_duration_ms", "p95_duration_ms", "max_duration_ms", "error_count", "last_called_at")
SPAN_TYPE_KEY = "openinference.span.kind"
PERCENTILE = 95
CHUNK = 500  # rows per INSERT / ids per IN list: well inside every driver's bind-parameter limit


# --- rows ---------------------------------------------------------------------------------------


def _checked(table: sa.Table, row: dict[str, Any], what: str) -> dict[str, Any]:
    """Refuse what the table would reject or truncate, naming the field (SQLite checks neither)."""
    for column in table.c:
        value = row.get(column.name)
        if column.primary_key and not value or value is None and not column.nullable:
            raise ValueError(f"{what} needs a {column.name}")
        if value is None:
            continue
        length = getattr(column.type, "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            raise ValueError(f"{what} {column.name} is {len(value)} characters long; at most {length} fit")
    return row


def _storable(data: dict[str, Any]) -> dict[str, Any]:
    return sanitize_postgres_strings(data)  # type: ignore[return-value]


def trace_row(ctx: Ctx, trace: Any) -> dict[str, Any]:
    if not hasattr(trace, "to_dict"):
        raise ValueError(f"upsert_trace takes an agno.tracing.schemas.Trace, got {type(trace).__name__}")
    data = trace.to_dict()
    data.pop("total_spans", None)
    data.pop("error_count", None)
    row = {c.name: data.get(c.name) for c in ctx.tables.traces.c}
    checked(ctx.tables.traces, id_values(ctx.tables.traces, row))  # ids keep their NUL: refused, not stripped
    return _checked(ctx.tables.traces, checked(ctx.tables.traces, _storable(row)), "a trace")


def span_row(ctx: Ctx, span: Any) -> dict[str, Any]:
    if not hasattr(span, "to_dict"):
        raise ValueError(f"spans must be agno.tracing.schemas.Span objects, got {type(span).__name__}")
    data = span.to_dict()
    if not data.get("trace_id"):
        raise ValueError(f"span {data.get('span_id')!r} needs a trace_id")
    row = {c.name: data.get(c.name) for c in ctx.tables.spans.c}
    checked(ctx.tables.spans, id_values(ctx.tables.spans, row))
    return _checked(ctx.tables.spans, checked(ctx.tables.spans, _storable(row)), "a span")


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# --- merging a trace into the stored one (agno's ON CONFLICT clause, in Python under a lock) -----


def component_level(trace: Mapping[str, Any]) -> int:
    """agno's trace priority: workflow root 3, team root 2, agent root 1, anything else 0."""
    name = trace.get("name") or ""
    if ".run" not in name and ".arun" not in name:
        return 0
    for level, column in ((3, "workflow_id"), (2, "team_id"), (1, "agent_id")):
        if trace.get(column) is not None:
            return level
    return 0


_MICROSECOND = timedelta(microseconds=1)


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def duration_ms(start_time: str, end_time: str) -> int:
    """Milliseconds between two ISO instants, rounded half away from zero like PostgreSQL's bigint cast."""
    micros = (_instant(end_time) - _instant(start_time)) // _MICROSECOND
    return (micros + 500) // 1000 if micros >= 0 else -((-micros + 500) // 1000)


def merge_trace(stored: Mapping[str, Any], incoming: Mapping[str, Any]) -> dict[str, Any]:
    """The columns agno's upsert rewrites when ``incoming`` meets the stored trace."""
    # ISO strings compare like agno's LEAST/GREATEST on the text columns.
    start = min(stored["start_time"], incoming["start_time"])
    end = max(stored["end_time"], incoming["end_time"])
    merged: dict[str, Any] = {
        "start_time": start,
        "end_time": end,
        "duration_ms": duration_ms(start, end),
        "status": incoming["status"],
        "name": incoming["name"] if component_level(incoming) > component_level(stored) else stored["name"],
    }
    # A child-only batch (or a post-hook agent's run) must not overwrite the trace's context.
    for column in CONTEXT_IDS:
        merged[column] = stored[column] if stored[column] is not None else incoming[column]
    return merged


def _merge_into_stored(ctx: Ctx, row: dict[str, Any]) -> Steps[None]:
    traces = ctx.tables.traces
    # psycopg reports no rowcount for an INSERT unless asked to keep it.
    inserted = ctx.dialect.insert_ignore(traces, row, key=["trace_id"]).execution_options(preserve_rowcount=True)
    if (yield inserted).rowcount == 1:
        return
    stored = (yield ctx.dialect.locked(sa.select(traces).where(traces.c.trace_id == row["trace_id"]))).first()
    if stored is None:  # deleted between the two statements
        yield sa.insert(traces).values(row)
        return
    yield sa.update(traces).where(traces.c.trace_id == row["trace_id"]).values(merge_trace(as_dict(stored), row))


# --- spans --------------------------------------------------------------------------------------


def _placeholder_traces(ctx: Ctx, spans: Sequence[Any]) -> Steps[None]:
    """Create the traces of spans whose trace is not stored yet, as agno's exporter would build them."""
    from agno.tracing.schemas import create_trace_from_spans

    traces = ctx.tables.traces
    by_trace: dict[str, list[Any]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    stored: set[str] = set()
    for ids in _chunks(list(by_trace)):
        stored.update((yield sa.select(traces.c.trace_id).where(traces.c.trace_id.in_(ids))).scalars())
    missing = [trace_row(ctx, create_trace_from_spans(by_trace[t])) for t in by_trace if t not in stored]
    for rows in _chunks(missing):
        # A concurrent upsert_trace may have stored it meanwhile: that one wins, untouched.
        yield ctx.dialect.insert_ignore(traces, list(rows), key=["trace_id"])


def _create_spans(ctx: Ctx, *, spans: Sequence[Any]) -> Steps[None]:
    rows = [span_row(ctx, span) for span in spans]
    seen: set[str] = set()
    for row in rows:
        if row["span_id"] in seen:
            raise ValueError(f"span {row['span_id']!r} appears more than once in the batch")
        seen.add(row["span_id"])
    if not rows:
        return
    yield from _placeholder_traces(ctx, spans)
    for chunk in _chunks(rows):
        yield sa.insert(ctx.tables.spans).values(list(chunk))


# --- reading traces -----------------------------------------------------------------------------


def _newest_first(ctx: Ctx, stmt: Select[Any]) -> Select[Any]:
    traces = ctx.tables.traces
    return stmt.order_by(ctx.dialect.bytewise(traces.c.start_time).desc(), traces.c.trace_id.desc())


def _with_span_counts(ctx: Ctx, stmt: Select[Any]) -> Select[Any]:
    """Add each trace's total_spans and error_count (indexed subqueries, computed for returned rows)."""
    traces, spans = ctx.tables.traces, ctx.tables.spans
    of_trace = spans.c.trace_id == traces.c.trace_id
    total = sa.select(sa.func.count()).where(of_trace).scalar_subquery()
    errors = sa.select(sa.func.count()).where(of_trace, spans.c.status_code == "ERROR").scalar_subquery()
    return stmt.add_columns(total.label("total_spans"), errors.label("error_count"))


def _filter_expr(ctx: Ctx, filter_expr: dict[str, Any]) -> ColumnElement[bool]:
    from agno.db.filter_converter import TRACE_COLUMNS, filter_expr_to_sqlalchemy

    try:
        condition: ColumnElement[bool] = filter_expr_to_sqlalchemy(
            filter_expr, ctx.tables.traces, allowed_columns=TRACE_COLUMNS
        )
        return condition
    except (KeyError, TypeError) as error:
        raise ValueError(f"Invalid filter expression: {error}") from error


def _page(stmt: Select[Any], limit: int | None, page: int | None) -> Select[Any]:
    # agno's trace lists default to page=1 and ignore it without a limit.
    return paged(stmt, limit, page if limit is not None else None)


# --- statistics ---------------------------------------------------------------------------------


def _ranked(partition: Sequence[ColumnElement[Any]], duration: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    """Window columns locating the p95 (percentile_cont's interpolation) within each group.

    percentile_cont(0.95) reads position 0.95 * (n - 1) of the sorted durations: ``low_rank`` is
    its whole part, ``fraction`` the rest. Written with window functions, which all three
    dialects have (PostgreSQL alone has ordered-set aggregates).
    """
    n = sa.func.count().over(partition_by=list(partition))
    position = PERCENTILE * (n - 1)
    low_rank = position // 100
    return [
        (sa.func.row_number().over(partition_by=list(partition), order_by=duration) - 1).label("rank"),
        low_rank.label("low_rank"),
        ((position - 100 * low_rank) * 0.01).label("fraction"),
    ]


def _p95(ranked: sa.Subquery, duration: ColumnElement[Any]) -> ColumnElement[Any]:
    """Interpolated 95th percentile of ``duration`` over a group of ``ranked`` rows."""
    low = sa.func.max(sa.case((ranked.c.rank == ranked.c.low_rank, duration)))
    high = sa.func.coalesce(sa.func.max(sa.case((ranked.c.rank == ranked.c.low_rank + 1, duration))), low)
    return low + (high - low) * sa.func.max(ranked.c.fraction)


def _rounded(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None


def _instant_or_none(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _trace_stat_filters(
    ctx: Ctx,
    *,
    user_id: str | None,
    agent_id: str | None,
    team_id: str | None,
    workflow_id: str | None,
    start_time: datetime | None,
    end_time: datetime | None,
    filter_expr: dict[str, Any] | None,
) -> list[ColumnElement[bool]]:
    traces = ctx.tables.traces
    conditions: list[ColumnElement[bool]] = []
    if user_id is not None:
        conditions.append(traces.c.user_id == user_id)
    components = ((traces.c.workflow_id, workflow_id), (traces.c.team_id, team_id), (traces.c.agent_id, agent_id))
    for column, value in components:
        if value:
            conditions.append(column == value)
    if start_time:
        conditions.append(ctx.dialect.bytewise(traces.c.created_at) >= start_time.isoformat())
    if end_time:
        conditions.append(ctx.dialect.bytewise(traces.c.created_at) <= end_time.isoformat())
    if filter_expr:
        conditions.append(_filter_expr(ctx, filter_expr))
    return conditions


def _session_stats(
    ctx: Ctx, conditions: list[ColumnElement[bool]], limit: int | None, page: int | None
) -> Steps[tuple[list[dict[str, Any]], int]]:
    traces = ctx.tables.traces
    stmt = (
        sa.select(
            traces.c.session_id,
            sa.func.max(traces.c.user_id).label("user_id"),
            sa.func.max(traces.c.agent_id).label("agent_id"),
            sa.func.max(traces.c.team_id).label("team_id"),
            sa.func.max(traces.c.workflow_id).label("workflow_id"),
            sa.func.count(traces.c.trace_id).label("total_traces"),
            sa.func.min(ctx.dialect.bytewise(traces.c.created_at)).label("first_trace_at"),
            sa.func.max(ctx.dialect.bytewise(traces.c.created_at)).label("last_trace_at"),
        )
        .where(traces.c.session_id.is_not(None), *conditions)
        .group_by(traces.c.session_id)
    )
    total = (yield count_of(stmt)).scalar_one()
    stmt = stmt.order_by(sa.func.max(ctx.dialect.bytewise(traces.c.created_at)).desc(), traces.c.session_id)
    rows = (yield _page(stmt, limit, page)).fetchall()
    return [
        {
            "session_id": row.session_id,
            "user_id": row.user_id,
            "agent_id": row.agent_id,
            "team_id": row.team_id,
            "workflow_id": row.workflow_id,
            "total_traces": row.total_traces,
            "first_trace_at": _instant_or_none(row.first_trace_at),
            "last_trace_at": _instant_or_none(row.last_trace_at),
        }
        for row in rows
    ], total


def _component_stats(
    ctx: Ctx, group_by: str, conditions: list[ColumnElement[bool]], limit: int | None, page: int | None
) -> Steps[tuple[list[dict[str, Any]], int]]:
    traces = ctx.tables.traces
    if group_by == "endpoint":
        # HTTP/MCP entrypoint wrappers carry no component id: grouped by trace name.
        group, label = traces.c.name, "name"
        no_component = [traces.c.agent_id.is_(None), traces.c.team_id.is_(None), traces.c.workflow_id.is_(None)]
        conditions = [*no_component, *conditions]
    else:
        group, label = traces.c[f"{group_by}_id"], f"{group_by}_id"
        conditions = [group.is_not(None), *conditions]
    total = (yield count_of(sa.select(group).where(*conditions).group_by(group))).scalar_one()

    ranked = (
        sa.select(
            group.label("grp"),
            traces.c.trace_id,
            traces.c.session_id,
            traces.c.duration_ms,
            traces.c.status,
            traces.c.created_at,
            *_ranked([group], traces.c.duration_ms),
        )
        .where(*conditions)
        .subquery()
    )
    total_traces = sa.func.count(ranked.c.trace_id)
    stmt = (
        sa.select(
            ranked.c.grp,
            total_traces.label("total_traces"),
            sa.func.count(sa.distinct(ranked.c.session_id)).label("total_sessions"),
            sa.func.avg(ranked.c.duration_ms).label("avg_duration_ms"),
            _p95(ranked, ranked.c.duration_ms).label("p95_duration_ms"),
            sa.func.max(ranked.c.duration_ms).label("max_duration_ms"),
            sa.func.count(sa.case((ranked.c.status == "ERROR", 1))).label("error_traces"),
            sa.func.min(ctx.dialect.bytewise(ranked.c.created_at)).label("first_trace_at"),
            sa.func.max(ctx.dialect.bytewise(ranked.c.created_at)).label("last_trace_at"),
        )
        .group_by(ranked.c.grp)
        .order_by(total_traces.desc(), ranked.c.grp)
    )
    rows = (yield _page(stmt, limit, page)).fetchall()
    return [
        {
            label: row.grp,
            "total_traces": row.total_traces,
            "total_sessions": row.total_sessions,
            "avg_duration_ms": _rounded(row.avg_duration_ms),
            "p95_duration_ms": _rounded(row.p95_duration_ms),
            "max_duration_ms": row.max_duration_ms,
            "error_traces": row.error_traces,
            "first_trace_at": _instant_or_none(row.first_trace_at),
            "last_trace_at": _instant_or_none(row.last_trace_at),
        }
        for row in rows
    ], total


class TracingRepository(Repository):
    """agno's trace and span methods, each one operation."""

    @operation(writes=True)
    def upsert_trace(self, trace: Any) -> Steps[None]:
        ctx = self._ctx
        yield from _merge_into_stored(ctx, trace_row(ctx, trace))

    @operation(writes=False, absent=None)
    def get_trace(self, trace_id: str | None = None, run_id: str | None = None) -> Steps[Any]:
        ctx = self._ctx
        from agno.tracing.schemas import Trace

        traces = ctx.tables.traces
        if trace_id:
            condition = traces.c.trace_id == trace_id
        elif run_id:
            condition = traces.c.run_id == run_id
        else:
            return None
        stmt = _newest_first(ctx, sa.select(traces).where(condition)).limit(1)
        row = (yield _with_span_counts(ctx, stmt)).first()
        return None if row is None else Trace.from_dict(as_dict(row))

    @operation(writes=False, absent=lambda a: ([], 0))
    def get_traces(
        self,
        run_id: str | None = None,
        session_id: str | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        team_id: str | None = None,
        workflow_id: str | None = None,
        status: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = 20,
        page: int | None = 1,
        filter_expr: dict[str, Any] | None = None,
    ) -> Steps[tuple[list[Any], int]]:
        ctx = self._ctx
        from agno.tracing.schemas import Trace

        traces = ctx.tables.traces
        stmt = sa.select(traces)
        for column, value in (
            (traces.c.run_id, run_id),
            (traces.c.session_id, session_id),
            (traces.c.agent_id, agent_id),
            (traces.c.team_id, team_id),
            (traces.c.workflow_id, workflow_id),
            (traces.c.status, status),
        ):
            if value:
                stmt = stmt.where(column == value)
        if user_id is not None:
            stmt = stmt.where(traces.c.user_id == user_id)
        if start_time:
            stmt = stmt.where(ctx.dialect.bytewise(traces.c.start_time) >= start_time.isoformat())
        if end_time:
            stmt = stmt.where(ctx.dialect.bytewise(traces.c.end_time) <= end_time.isoformat())
        if filter_expr:
            stmt = stmt.where(_filter_expr(ctx, filter_expr))
        total = (yield count_of(stmt)).scalar_one()
        listed = _page(_with_span_counts(ctx, _newest_first(ctx, stmt)), limit, page)
        return [Trace.from_dict(as_dict(row)) for row in (yield listed).fetchall()], total

    @operation(writes=False, absent=lambda a: ([], 0))
    def get_trace_stats(
        self,
        user_id: str | None = None,
        agent_id: str | None = None,
        team_id: str | None = None,
        workflow_id: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = 20,
        page: int | None = 1,
        filter_expr: dict[str, Any] | None = None,
        group_by: Literal["session", "agent", "team", "workflow", "endpoint"] = "session",
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        ctx = self._ctx
        if group_by not in GROUPINGS:
            raise ValueError(f"Invalid group_by value: {group_by!r}. Allowed: {', '.join(GROUPINGS)}")
        conditions = _trace_stat_filters(
            ctx, user_id=user_id, agent_id=agent_id, team_id=team_id, workflow_id=workflow_id,
            start_time=start_time, end_time=end_time, filter_expr=filter_expr,
        )
        if group_by == "session":
            return (yield from _session_stats(ctx, conditions, limit, page))
        return (yield from _component_stats(ctx, group_by, conditions, limit, page))

    @operation(writes=True)
    def create_span(self, span: Any) -> Steps[None]:
        return (yield from _create_spans(self._ctx, spans=[span]))

    @operation(writes=True)
    def create_spans(self, spans: list[Any]) -> Steps[None]:
        return (yield from _create_spans(self._ctx, spans=list(spans)))

    @operation(writes=False, absent=None)
    def get_span(self, span_id: str) -> Steps[Any]:
        ctx = self._ctx
        from agno.tracing.schemas import Span

        spans = ctx.tables.spans
        row = (yield sa.select(spans).where(spans.c.span_id == span_id)).first()
        return None if row is None else Span.from_dict(as_dict(row))

    @operation(writes=False, absent=list)
    def get_spans(
        self, trace_id: str | None = None, parent_span_id: str | None = None, limit: int | None = 1000
    ) -> Steps[list[Any]]:
        ctx = self._ctx
        from agno.tracing.schemas import Span

        spans = ctx.tables.spans
        if limit is not None and limit < 0:
            raise ValueError(f"`limit` must be >= 0; got {limit}")
        stmt = sa.select(spans)
        if trace_id:
            stmt = stmt.where(spans.c.trace_id == trace_id)
        if parent_span_id:
            stmt = stmt.where(spans.c.parent_span_id == parent_span_id)
        stmt = stmt.order_by(ctx.dialect.bytewise(spans.c.start_time).asc(), spans.c.span_id.asc())
        stmt = sliced(stmt, limit=limit or None)  # agno: 0 or None means no limit
        return [Span.from_dict(as_dict(row)) for row in (yield stmt).fetchall()]

    @operation(writes=False, absent=lambda a: ([], 0))
    def get_span_stats(
        self,
        agent_id: str | None = None,
        team_id: str | None = None,
        workflow_id: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        name: str | None = None,
        span_type: str | None = None,
        limit: int | None = 20,
        page: int | None = 1,
        sort_by: str = "total_calls",
        sort_order: str = "desc",
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        ctx = self._ctx
        if sort_by not in SPAN_SORTS:
            raise ValueError(f"cannot sort span stats by {sort_by!r}; choose one of: {', '.join(SPAN_SORTS)}")
        if sort_order not in ("asc", "desc"):
            raise ValueError(f"sort_order must be 'asc' or 'desc', got {sort_order!r}")
        spans, traces = ctx.tables.spans, ctx.tables.traces
        # Only the span kind is read from the attributes, which can hold whole conversations.
        kind = json_text(spans.c.attributes, SPAN_TYPE_KEY)
        source: Any = spans
        conditions: list[ColumnElement[bool]] = []
        if agent_id or team_id or workflow_id:
            source = spans.join(traces, spans.c.trace_id == traces.c.trace_id)
            components = ((traces.c.agent_id, agent_id), (traces.c.team_id, team_id), (traces.c.workflow_id, workflow_id))
            for column, value in components:
                if value:
                    conditions.append(column == value)
        if start_time:
            conditions.append(ctx.dialect.bytewise(spans.c.start_time) >= start_time.isoformat())
        if end_time:
            conditions.append(ctx.dialect.bytewise(spans.c.start_time) <= end_time.isoformat())
        if name:
            conditions.append(spans.c.name == name)
        if span_type:
            conditions.append(kind == span_type)

        counted = sa.select(spans.c.name, kind).select_from(source).where(*conditions).group_by(spans.c.name, kind)
        total = (yield count_of(counted)).scalar_one()

        ranked = (
            sa.select(
                spans.c.name,
                kind.label("span_type"),
                spans.c.span_id,
                spans.c.duration_ms,
                spans.c.status_code,
                spans.c.start_time,
                *_ranked([spans.c.name, kind], spans.c.duration_ms),
            )
            .select_from(source)
            .where(*conditions)
            .subquery()
        )
        aggregates: dict[str, ColumnElement[Any]] = {
            "total_calls": sa.func.count(ranked.c.span_id),
            "avg_duration_ms": sa.func.avg(ranked.c.duration_ms),
            "p95_duration_ms": _p95(ranked, ranked.c.duration_ms),
            "max_duration_ms": sa.func.max(ranked.c.duration_ms),
            "error_count": sa.func.count(sa.case((ranked.c.status_code == "ERROR", 1))),
            "last_called_at": sa.func.max(ctx.dialect.bytewise(ranked.c.start_time)),
        }
        sort = aggregates[sort_by].asc() if sort_order == "asc" else aggregates[sort_by].desc()
        stmt = (
            sa.select(ranked.c.name, ranked.c.span_type, *[expr.label(key) for key, expr in aggregates.items()])
            .group_by(ranked.c.name, ranked.c.span_type)
            .order_by(sort, ranked.c.name, ranked.c.span_type)
        )
        rows = (yield _page(stmt, limit, page)).fetchall()
        return [
            {
                "name": row.name,
                "span_type": row.span_type,
                "total_calls": row.total_calls,
                "avg_duration_ms": _rounded(row.avg_duration_ms),
                "p95_duration_ms": _rounded(row.p95_duration_ms),
                "max_duration_ms": row.max_duration_ms,
                "error_count": row.error_count,
                "last_called_at": _instant_or_none(row.last_called_at),
            }
            for row in rows
        ], total

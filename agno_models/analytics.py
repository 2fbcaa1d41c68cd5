"""What the analytics columns and views hold, derived one way for writes and for the backfill.

``agno_runs`` keeps agno's whole run dict in ``run_data``; beside it, the fields people aggregate
are stored in typed columns (:data:`RUN_COLUMNS`), computed by :func:`run_analytics`. The
repositories call it when they write a run and revision 0003's backfill calls it for rows stored
before, so the two can never disagree. ``agno_sessions`` gains ``run_count`` and ``last_run_at``,
kept by :func:`refresh_session_counters` (the same statement at write time and in the backfill).

Units are chosen so every aggregate is exact and identical on SQLite, PostgreSQL and MySQL:
durations are integer milliseconds (like the traces' ``duration_ms``) and cost is an integer
count of billionths (``cost_nanos``: agno's ``metrics.cost`` x 10^9, rounded), so sums never depend
on a dialect's floating point. A field agno did not report is NULL, not zero; a token count
missing from a run that has metrics is 0, because agno leaves zero counts out of ``metrics``.

The views (names from :func:`view_names`, derived from the table set's own names so renamed sets
get their own) are created by revision 0003; ``docs/analytics.md`` lists their columns.
"""

from __future__ import annotations

import hashlib
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from agno_models.layout import TableNames
from agno_models.types import ID_LENGTH, NAME_LENGTH, UTCDateTime, id_string, json_type, long_text, name_string

# --- the typed run columns --------------------------------------------------------------------

TOKEN_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "reasoning_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
)
# Written whenever run_data changes.
RUN_VALUE_COLUMNS = (
    "model_id",
    "model_provider",
    *TOKEN_COLUMNS,
    "cost_nanos",
    "duration_ms",
    "time_to_first_token_ms",
    "error_message",
)
# Follow the run's created_at, which is fixed when the run is first stored.
RUN_TIME_COLUMNS = ("created_time", "created_date")
RUN_COLUMNS = RUN_VALUE_COLUMNS + RUN_TIME_COLUMNS
SESSION_COLUMNS = ("run_count", "last_run_at")

COST_SCALE = 10**9  # cost_nanos = cost x COST_SCALE
_INT64 = 2**63
# Epoch seconds a datetime can hold (years 1 to 9999).
_FIRST_SECOND = int(datetime(1, 1, 1, tzinfo=UTC).timestamp())
_LAST_SECOND = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
# Events agno records when a run fails; their text is the error (agent, team, workflow).
_ERROR_EVENTS = {"RunError": "content", "TeamRunError": "content", "WorkflowError": "error"}


def _integer(value: Any) -> int | None:
    """A whole number a BIGINT holds, else None (bools, text, NaN and fractions are not counts)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return _integer(int(value))
    return None


def _scaled(value: Any, scale: int) -> int | None:
    """``value`` x ``scale`` rounded to an integer, for finite numbers only."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return _integer(round(value * scale))


def _text(value: Any, limit: int | None = None) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("\x00", "")  # PostgreSQL text cannot hold NUL
    return text[:limit] if limit is not None else text


def _status(value: Any) -> str:
    return str(getattr(value, "value", value) or "").upper()


def _error_message(run: Mapping[str, Any]) -> str | None:
    """The text of a failed run's error: its last error event, an ``error`` field, else ``content``."""
    events = run.get("events")
    if isinstance(events, list):
        for event in reversed(events):
            if isinstance(event, Mapping) and event.get("event") in _ERROR_EVENTS:
                text = _text(event.get(_ERROR_EVENTS[event["event"]]))
                if text is not None:
                    return text
    # agno puts str(exception) in content when the run had produced nothing yet.
    return _text(run.get("error")) or _text(run.get("content"))


def _created(created_at: Any) -> tuple[datetime | None, date | None]:
    seconds = _integer(created_at)
    if seconds is None or not _FIRST_SECOND <= seconds <= _LAST_SECOND:
        return None, None
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment, moment.date()


def run_analytics(run: Mapping[str, Any], *, created_at: Any) -> dict[str, Any]:
    """The typed columns of a run, from agno's run dict and the row's ``created_at`` (epoch seconds).

    Pure and lenient: a value of the wrong type or out of range becomes NULL rather than an error,
    so a run agno accepts is always stored, and the backfill never stops on an old row.
    """
    metrics = run.get("metrics")
    metrics = metrics if isinstance(metrics, Mapping) else None
    values: dict[str, Any] = {
        # The run's own model, as agno's metrics count it (details[...] list every model used).
        "model_id": _text(run.get("model"), NAME_LENGTH),
        "model_provider": _text(run.get("model_provider"), ID_LENGTH),
    }
    for column in TOKEN_COLUMNS:
        values[column] = None if metrics is None else _integer(metrics.get(column, 0))
    values["cost_nanos"] = None if metrics is None else _scaled(metrics.get("cost"), COST_SCALE)
    values["duration_ms"] = None if metrics is None else _scaled(metrics.get("duration"), 1000)
    values["time_to_first_token_ms"] = None if metrics is None else _scaled(metrics.get("time_to_first_token"), 1000)
    values["error_message"] = _error_message(run) if _status(run.get("status")) == "ERROR" else None
    values["created_time"], values["created_date"] = _created(created_at)
    return values


# --- session counters -------------------------------------------------------------------------


def refresh_session_counters(
    sessions: sa.TableClause, runs: sa.TableClause, session_ids: Sequence[str] | sa.BindParameter[Any]
) -> sa.Update:
    """Recount ``run_count`` and ``last_run_at`` of these sessions from their runs.

    ``session_ids`` may be an expanding bind parameter, for a statement built once and reused.

    Recounting (rather than adding one) cannot drift. Writers run it while holding the session
    row's lock, so a concurrent append is either fully counted or not yet written.
    """
    of_session = runs.c.session_id == sessions.c.session_id
    return (
        sa.update(sessions)
        .where(sessions.c.session_id.in_(session_ids if isinstance(session_ids, sa.BindParameter) else list(session_ids)))
        .values(
            run_count=sa.select(sa.func.count()).select_from(runs).where(of_session).scalar_subquery(),
            # max(created_at) written as the newest row: MariaDB then reads it from the
            # (session_id, created_at) index instead of every run row of the session.
            last_run_at=sa.select(runs.c.created_at).where(of_session)
            .order_by(runs.c.created_at.desc()).limit(1).scalar_subquery(),
        )
    )


# --- view names -------------------------------------------------------------------------------


def derived_name(table: str, suffix: str, *, limit: int = 63) -> str:
    """``<table>_<suffix>``, shortened with a hash of ``table`` when longer than PostgreSQL allows."""
    name = f"{table}_{suffix}"
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(table.encode()).hexdigest()[:8]
    return f"{table[: limit - len(suffix) - 10]}_{digest}_{suffix}"


@dataclass(frozen=True)
class ViewNames:
    """The analytics views of one table set, in creation order (a later one may read an earlier)."""

    daily_usage: str
    session_overview: str
    memory_topics: str
    memory_user_topics: str
    trace_latency: str
    span_latency: str

    def in_creation_order(self) -> tuple[str, ...]:
        return astuple(self)


def view_names(names: TableNames) -> ViewNames:
    return ViewNames(
        daily_usage=derived_name(names.runs, "daily_usage"),
        session_overview=derived_name(names.sessions, "overview"),
        memory_topics=derived_name(names.memories, "topics"),
        memory_user_topics=derived_name(names.memories, "user_topics"),
        trace_latency=derived_name(names.traces, "latency"),
        span_latency=derived_name(names.spans, "latency"),
    )


# --- backfill ---------------------------------------------------------------------------------

BACKFILL_BATCH = 500  # rows read and written per round trip; the only rows held in memory
# The parts of run_data that run_analytics reads (the backfill reads nothing else).
_RUN_PARTS = ("metrics", "model", "model_provider", "status", "events", "error", "content")


class Progress:
    """A textual progress bar on stderr: redrawn in place on a terminal, a few lines in a log."""

    WIDTH = 30

    def __init__(self, label: str, total: int, out: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, total, 0
        self.out = out if out is not None else sys.stderr
        self._tty = bool(getattr(self.out, "isatty", lambda: False)())
        self._shown_tenth = -1

    def advance(self, count: int) -> None:
        self.done += count
        if self.total <= 0:
            return
        tenth = self.done * 10 // self.total
        if not self._tty and tenth == self._shown_tenth:
            return  # a log gets a line per 10%, not one per batch
        self._shown_tenth = tenth
        filled = self.WIDTH * self.done // self.total
        line = f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total}"
        self.out.write(("\r" + line) if self._tty else (line + "\n"))
        if self._tty and self.done >= self.total:
            self.out.write("\n")
        self.out.flush()


def _run_table(names: TableNames, schema: str | None = None) -> sa.TableClause:
    # A lightweight table: the backfill must not depend on the models of a later schema.
    return sa.table(
        names.runs,
        sa.column("run_id", id_string()),
        sa.column("session_id", id_string()),
        sa.column("status", id_string()),
        sa.column("created_at", sa.BigInteger()),
        sa.column("run_data", json_type()),
        sa.column("model_id", name_string()),
        sa.column("model_provider", id_string()),
        *[sa.column(name, sa.BigInteger()) for name in (*TOKEN_COLUMNS, "cost_nanos", "duration_ms")],
        sa.column("time_to_first_token_ms", sa.BigInteger()),
        sa.column("error_message", long_text()),
        sa.column("created_time", UTCDateTime()),
        sa.column("created_date", sa.Date()),
        schema=schema,
    )


def _session_table(names: TableNames, schema: str | None = None) -> sa.TableClause:
    return sa.table(
        names.sessions,
        sa.column("session_id", id_string()),
        sa.column("run_count", sa.BigInteger()),
        sa.column("last_run_at", sa.BigInteger()),
        schema=schema,
    )


def backfill_runs(connection: Connection, names: TableNames, *, schema: str | None = None,
                  batch: int | None = None, out: TextIO | None = None) -> int:
    """Fill the typed columns of every stored run; returns how many runs were read.

    Keyset pagination on ``run_id`` (no OFFSET, no cursor held open) and only the parts of
    ``run_data`` the columns come from, so memory stays flat whatever the table size.
    """
    size = batch or BACKFILL_BATCH
    runs = _run_table(names, schema)
    total = connection.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one()
    progress = Progress(f"backfill {names.runs}", total, out)
    # The status run_analytics reads is run_data's, as at write time (the column is its canonical copy).
    status = runs.c.run_data["status"].as_string()
    failed = sa.or_(runs.c.status == "ERROR", sa.func.upper(status) == "ERROR")
    parts = sa.select(
        runs.c.run_id,
        runs.c.created_at,
        status.label("status"),
        runs.c.run_data["metrics"].label("metrics"),
        runs.c.run_data["model"].label("model"),
        runs.c.run_data["model_provider"].label("model_provider"),
        # Only a failed run's error text is needed; the events of other runs are never read.
        sa.case((failed, runs.c.run_data["events"])).label("events"),
        sa.case((failed, runs.c.run_data["error"])).label("error"),
        sa.case((failed, runs.c.run_data["content"])).label("content"),
    ).order_by(runs.c.run_id).limit(size)
    update = (
        sa.update(runs)
        .where(runs.c.run_id == sa.bindparam("key"))
        .values({name: sa.bindparam(name) for name in RUN_COLUMNS})
    )
    last: str | None = None
    while True:
        page = connection.execute(parts if last is None else parts.where(runs.c.run_id > last)).fetchall()
        if not page:
            break
        rows = []
        for row in page:
            run = {key: getattr(row, key) for key in _RUN_PARTS}
            rows.append({"key": row.run_id, **run_analytics(run, created_at=row.created_at)})
        connection.execute(update, rows)
        last = page[-1].run_id
        progress.advance(len(page))
    return total


def backfill_sessions(connection: Connection, names: TableNames, *, schema: str | None = None,
                      batch: int | None = None, out: TextIO | None = None) -> int:
    """Count every stored session's runs, a batch of sessions per statement; returns the session count."""
    size = batch or BACKFILL_BATCH
    sessions, runs = _session_table(names, schema), _run_table(names, schema)
    total = connection.execute(sa.select(sa.func.count()).select_from(sessions)).scalar_one()
    progress = Progress(f"backfill {names.sessions}", total, out)
    ids = sa.select(sessions.c.session_id).order_by(sessions.c.session_id).limit(size)
    last: str | None = None
    while True:
        page = connection.execute(ids if last is None else ids.where(sessions.c.session_id > last)).scalars().all()
        if not page:
            break
        connection.execute(refresh_session_counters(sessions, runs, page))
        last = page[-1]
        progress.advance(len(page))
    return total

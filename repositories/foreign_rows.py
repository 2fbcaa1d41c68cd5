"""Catch up on rows another writer stored, before anything aggregates them.

agno's own class (living beside ours after an adoption, or during a switch back) writes runs
without our typed analytics columns (revision 0007's triggers keep its sessions' counters).
Metrics read those columns, so they would count such runs as zero. Every run we write has ``created_date``
(derived from the NOT NULL ``created_at``), so ``created_date IS NULL`` finds exactly the runs
nobody derived yet: those are derived here, in the caller's transaction. Runs whose ``created_at`` is out of range keep NULL and are read again each time,
which costs one indexed-range query, not a wrong number.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from agno_models.analytics import RUN_COLUMNS, run_analytics
from repositories.core.context import Ctx
from repositories.core.operation import Bound, Steps

BATCH = 500


def catch_up(ctx: Ctx) -> Steps[int]:
    """Derive the analytics columns of runs another writer stored; returns how many were derived."""
    runs = ctx.tables.runs
    status = runs.c.run_data["status"].as_string()
    failed = sa.or_(runs.c.status == "ERROR", sa.func.upper(status) == "ERROR")
    parts = (
        sa.select(
            runs.c.run_id, runs.c.session_id, runs.c.created_at, status.label("status"),
            runs.c.run_data["metrics"].label("metrics"), runs.c.run_data["model"].label("model"),
            runs.c.run_data["model_provider"].label("model_provider"),
            sa.case((failed, runs.c.run_data["events"])).label("events"),
            sa.case((failed, runs.c.run_data["error"])).label("error"),
            sa.case((failed, runs.c.run_data["content"])).label("content"),
        )
        .where(runs.c.created_date.is_(None))
        .order_by(runs.c.run_id)
        .limit(BATCH)
    )
    update = sa.update(runs).where(runs.c.run_id == sa.bindparam("key")).values(
        {name: sa.bindparam(name) for name in RUN_COLUMNS}
    )
    derived, last = 0, None
    while True:
        page = (yield parts if last is None else parts.where(runs.c.run_id > last)).fetchall()
        if not page:
            return derived
        rows: list[dict[str, Any]] = []
        for row in page:
            run = {key: getattr(row, key) for key in ("metrics", "model", "model_provider", "status", "events", "error", "content")}
            rows.append({"key": row.run_id, **run_analytics(run, created_at=row.created_at)})
        yield Bound(update, rows)
        derived += len(page)
        last = page[-1].run_id

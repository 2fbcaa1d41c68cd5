"""Human approvals of paused runs: one row per approval request (``agno.db.schemas.approval``).

The storage contract is agno 3.1's; rows are returned as plain dicts with agno's columns. On top of it:
- ``update_approval(..., expected_status=...)`` is one conditional UPDATE: of two concurrent
  resolutions of the same pending approval exactly one succeeds, the other gets ``None``;
- malformed input raises ``ValueError`` before anything is written; database errors propagate
  (agno turns most of them into ``None`` / ``False`` / ``0``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from agno.run.base import RunStatus

from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict, count_of, paged
from repositories.core.repository import Repository
from repositories.schedules import check_changes, check_row

PENDING = "pending"

# get_approvals' equality filters, by column name.
_FILTERS = (
    "status", "source_type", "approval_type", "pause_type", "agent_id", "team_id", "workflow_id", "user_id",
    "schedule_id", "run_id",
)


def _approval(ctx: Ctx, approval_id: str) -> Steps[dict[str, Any] | None]:
    table = ctx.tables.approvals
    row = (yield sa.select(table).where(table.c.id == approval_id)).first()
    return None if row is None else as_dict(row)


class ApprovalRepository(Repository):

    @operation(writes=True)
    def create_approval(self, approval_data: dict[str, Any]) -> Steps[dict[str, Any]]:
        ctx = self._ctx
        table = ctx.tables.approvals
        if not isinstance(approval_data, Mapping):
            raise ValueError(f"approval_data must be a dict, got {type(approval_data).__name__}")
        now = int(time.time())
        row = check_row(table, {"created_at": now, "updated_at": now, **approval_data}, what="approval_data")
        yield sa.insert(table).values(**row)
        stored = yield from _approval(ctx, row["id"])
        assert stored is not None
        return stored

    @operation(writes=False, absent=None)
    def get_approval(self, approval_id: str) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        return (yield from _approval(ctx, approval_id))

    @operation(writes=False, absent=lambda a: ([], 0))
    def get_approvals(
        self,
        status: str | None = None,
        source_type: str | None = None,
        approval_type: str | None = None,
        pause_type: str | None = None,
        agent_id: str | None = None,
        team_id: str | None = None,
        workflow_id: str | None = None,
        user_id: str | None = None,
        schedule_id: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
        page: int = 1,
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        given = locals()
        filters = {name: given[name] for name in _FILTERS}
        ctx = self._ctx
        table = ctx.tables.approvals
        stmt = sa.select(table)
        for column, value in filters.items():
            if value is not None:
                stmt = stmt.where(table.c[column] == value)
        total = (yield count_of(stmt)).scalar_one()
        # id breaks created_at ties so offset pages never overlap or skip rows.
        stmt = stmt.order_by(table.c.created_at.desc(), table.c.id.desc())
        rows = (yield paged(stmt, limit, page)).fetchall()
        return [as_dict(r) for r in rows], int(total)

    @operation(writes=True)
    def update_approval(
        self, approval_id: str, expected_status: str | None = None, **kwargs: Any
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        changes = kwargs
        table = ctx.tables.approvals
        values = check_changes(table, changes, what="update_approval")
        values["updated_at"] = int(time.time())
        stmt = sa.update(table).where(table.c.id == approval_id)
        if expected_status is not None:
            # The guard is part of the UPDATE itself, so a concurrent transition cannot slip in between.
            stmt = stmt.where(table.c.status == expected_status)
        if not (yield stmt.values(**values)).rowcount:
            return None
        return (yield from _approval(ctx, approval_id))

    @operation(writes=True, absent=False)
    def delete_approval(self, approval_id: str) -> Steps[bool]:
        ctx = self._ctx
        table = ctx.tables.approvals
        return bool((yield sa.delete(table).where(table.c.id == approval_id)).rowcount)

    @operation(writes=False, absent=0)
    def get_pending_approval_count(self, user_id: str | None = None) -> Steps[int]:
        ctx = self._ctx
        table = ctx.tables.approvals
        stmt = sa.select(sa.func.count()).select_from(table).where(table.c.status == PENDING)
        if user_id is not None:
            stmt = stmt.where(table.c.user_id == user_id)
        return int((yield stmt).scalar_one())

    @operation(writes=True)
    def update_approval_run_status(self, run_id: str, run_status: RunStatus) -> Steps[int]:
        ctx = self._ctx
        try:
            status = RunStatus(run_status).value
        except ValueError:
            raise ValueError(f"run_status must be one of {[s.value for s in RunStatus]}, got {run_status!r}") from None
        table = ctx.tables.approvals
        stmt = sa.update(table).where(table.c.run_id == run_id).values(run_status=status, updated_at=int(time.time()))
        return int((yield stmt).rowcount or 0)

"""Evaluation runs: one row per ``EvalRunRecord``, plus its owner (``user_id``) and timestamps.

The contract is agno 3.1's: a run is created without an owner and stamped afterwards by
``update_eval_run_user_id``; user-scoped reads, renames and deletes match the owner exactly (a run
without an owner is not any user's). On top of it:
- ``update_eval_run_user_id`` stamps a run that has no owner (or already has this one); it never
  takes a run away from another user (OwnershipError);
- a list returns its real total even for a page past the end (agno answers 0 there);
- a run without ``eval_input`` is stored with the JSON value null, as agno does;
- invalid input (missing ``eval_data``, unknown eval type, text a column cannot hold) is a
  ValueError before anything is written; database errors propagate.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from agno.db.schemas.evals import EvalFilterType, EvalRunRecord, EvalType

from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict, count_of, ordered, paged
from repositories.core.repository import Repository
from repositories.core.values import AlreadyExists, checked, refuse_ownership

# Which column a component filter requires to be set.
_COMPONENT_COLUMNS = {
    EvalFilterType.AGENT: "agent_id",
    EvalFilterType.TEAM: "team_id",
    EvalFilterType.WORKFLOW: "workflow_id",
}


def _eval_type_value(value: EvalType | str) -> str:
    try:
        return EvalType(value).value
    except ValueError:
        choices = ", ".join(t.value for t in EvalType)
        raise ValueError(f"unknown eval_type {value!r}; expected one of {choices}") from None


def _filter_type(value: EvalFilterType | str) -> EvalFilterType:
    try:
        return EvalFilterType(value)
    except ValueError:
        choices = ", ".join(t.value for t in EvalFilterType)
        raise ValueError(f"unknown filter_type {value!r}; expected one of {choices}") from None


def eval_run_row(eval_run: EvalRunRecord, *, now: int) -> dict[str, Any]:
    """The table row for a new eval run (agno stamps created_at and updated_at with the same time)."""
    data = eval_run.model_dump()
    if not data.get("run_id"):
        raise ValueError("an eval run needs a run_id")
    if data.get("eval_data") is None:
        raise ValueError("an eval run needs eval_data")
    if data.get("eval_input") is None:
        # agno stores a missing input as the JSON document null (its column is NOT NULL, like ours).
        data["eval_input"] = sa.JSON.NULL
    data["eval_type"] = _eval_type_value(data["eval_type"])
    return {"created_at": now, "updated_at": now, **data}


def _finish(record: dict[str, Any], deserialize: bool | None) -> EvalRunRecord | dict[str, Any]:
    return EvalRunRecord.model_validate(record) if deserialize else record


def _one(ctx: Ctx, eval_run_id: str, user_id: str | None) -> sa.Select[Any]:
    table = ctx.tables.evals
    stmt = sa.select(table).where(table.c.run_id == eval_run_id)
    return stmt if user_id is None else stmt.where(table.c.user_id == user_id)


class EvalRunExists(AlreadyExists):
    """``create_eval_run`` with the id of a stored run: a ValueError naming the id, and an
    ``IntegrityError`` as agno's own classes raise (``AlreadyExists``)."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"an eval run with run_id {run_id!r} already exists; eval runs are created once")


class EvalRepository(Repository):
    """agno's eval-run methods, each one operation."""

    @operation(writes=True)
    def create_eval_run(self, eval_run: EvalRunRecord) -> Steps[EvalRunRecord]:
        ctx = self._ctx
        table = ctx.tables.evals
        row = checked(table, eval_run_row(eval_run, now=int(time.time())))
        # Checked first for a clear error. A racing insert that slips past it hits the primary key,
        # and the executor reruns this once (operation.duplicate_error): this check then sees the row.
        if (yield sa.select(table.c.run_id).where(table.c.run_id == row["run_id"])).first() is not None:
            raise EvalRunExists(row["run_id"])
        yield sa.insert(table).values(dict(row))
        return eval_run

    @operation(writes=True, absent=None)
    def delete_eval_run(self, eval_run_id: str) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.evals
        yield sa.delete(table).where(table.c.run_id == eval_run_id)

    @operation(writes=True, absent=None)
    def delete_eval_runs(self, eval_run_ids: list[str], user_id: str | None = None) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.evals
        ids = list(eval_run_ids)
        if not ids:
            return
        stmt = sa.delete(table).where(table.c.run_id.in_(ids))
        if user_id is not None:
            stmt = stmt.where(table.c.user_id == user_id)
        yield stmt

    @operation(writes=False, absent=None)
    def get_eval_run(
        self, eval_run_id: str, deserialize: bool | None = True, user_id: str | None = None
    ) -> Steps[EvalRunRecord | dict[str, Any] | None]:
        ctx = self._ctx
        row = (yield _one(ctx, eval_run_id, user_id)).first()
        return None if row is None else _finish(as_dict(row), deserialize)

    @operation(writes=False, absent=lambda a: [] if a['deserialize'] else ([], 0))
    def get_eval_runs(
        self,
        limit: int | None = None,
        page: int | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        agent_id: str | None = None,
        team_id: str | None = None,
        workflow_id: str | None = None,
        model_id: str | None = None,
        filter_type: EvalFilterType | None = None,
        eval_type: list[EvalType] | None = None,
        deserialize: bool | None = True,
        user_id: str | None = None,
    ) -> Steps[list[EvalRunRecord] | tuple[list[dict[str, Any]], int]]:
        ctx = self._ctx
        table = ctx.tables.evals
        stmt = sa.select(table)
        for column, value in (
            (table.c.user_id, user_id),
            (table.c.agent_id, agent_id),
            (table.c.team_id, team_id),
            (table.c.workflow_id, workflow_id),
            (table.c.model_id, model_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if eval_type:
            stmt = stmt.where(table.c.eval_type.in_([_eval_type_value(t) for t in eval_type]))
        if filter_type is not None:
            stmt = stmt.where(table.c[_COMPONENT_COLUMNS[_filter_type(filter_type)]].is_not(None))
        # agno: newest first unless a sort column is named (sort_order alone changes nothing).
        listing = ordered(stmt, table, sort_by or "created_at", sort_order if sort_by else "desc")
        listing = paged(listing, limit, page)
        total = (yield count_of(stmt)).scalar_one()
        records = [as_dict(r) for r in (yield listing).fetchall()]
        if not deserialize:
            return records, total
        return [EvalRunRecord.model_validate(r) for r in records]

    @operation(writes=True)
    def rename_eval_run(
        self, eval_run_id: str, name: str, deserialize: bool | None = True, user_id: str | None = None
    ) -> Steps[EvalRunRecord | dict[str, Any] | None]:
        ctx = self._ctx
        table = ctx.tables.evals
        checked(table, {"name": name})
        stmt = sa.update(table).where(table.c.run_id == eval_run_id).values(name=name, updated_at=int(time.time()))
        if user_id is not None:
            stmt = stmt.where(table.c.user_id == user_id)
        yield stmt
        row = (yield _one(ctx, eval_run_id, user_id)).first()
        return None if row is None else _finish(as_dict(row), deserialize)

    @operation(writes=True)
    def update_eval_run_user_id(self, eval_run_id: str, user_id: str) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.evals
        if user_id is None:
            raise ValueError("update_eval_run_user_id needs a user_id")
        checked(table, {"user_id": user_id})
        # One conditional UPDATE: stamping and the ownership check cannot interleave with another writer.
        stamped = (
            yield sa.update(table)
            .where(table.c.run_id == eval_run_id)
            .where(sa.or_(table.c.user_id.is_(None), table.c.user_id == user_id))
            .values(user_id=user_id)
        ).rowcount
        if stamped:
            return
        owner = (yield sa.select(table.c.user_id).where(table.c.run_id == eval_run_id)).first()
        if owner is not None:
            raise refuse_ownership(f"eval run {eval_run_id!r} belongs to another user")

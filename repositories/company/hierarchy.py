"""What the four Company entities share: rows by id, the product lock, archive and restore.

agno's rules (``agno.db.sql.company``), as steps of one operation:
- every write under a product (a child's creation, move, transition, archive or restore) first
  locks the active product row, so those writes are serialized with an archive of it;
- archiving a product or project refuses while one of its tasks is active, and records in each
  child's ``transitions`` which parent archived it; a restore brings back exactly those children.

agno guards its UPDATEs with ``transitions = :observed``, which compares JSON as each database
encodes it. Here the row is read under a lock (``FOR UPDATE``; SQLite writers hold the file's
write lock) and compared in Python, then written by id: the same guard on every dialect.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from agno.db.schemas.tasks import TASK_TRANSITIONS
from agno.db.sql.company import _event
from sqlalchemy.sql import ColumnElement

from repositories.core.arguments import ArgumentError
from repositories.core.context import Ctx, statement
from repositories.core.operation import Bound, Steps
from repositories.core.query import as_dict, counted, page_of, page_params, page_shape
from repositories.core.values import checked
from repositories.schedules import check_row

# Tasks that block archiving their product or project (agno's _refuse_open_tasks).
ACTIVE_TASKS = ("ready", "in_progress", "in_review")
TERMINAL = ("done", "cancelled")


def now() -> int:
    return int(time.time())


# --- rows by id -------------------------------------------------------------------------------


@statement
def _row_stmt(ctx: Ctx, kind: str, *, owned: bool, deleted: bool | None, locked: bool) -> sa.Select[Any]:
    """One row by id; ``owned`` adds the owner filter, ``deleted`` picks archived (True) or active (False)."""
    table: sa.Table = getattr(ctx.tables, kind)
    stmt = sa.select(table).where(table.c.id == sa.bindparam("id"))
    if owned:
        stmt = stmt.where(table.c.user_id == sa.bindparam("user_id"))
    if deleted is not None:
        stmt = stmt.where(table.c.deleted_at.is_not(None) if deleted else table.c.deleted_at.is_(None))
    return ctx.dialect.locked(stmt) if locked else stmt


def read(
    ctx: Ctx, kind: str, record_id: str, *, user_id: str | None = None, deleted: bool | None = None, locked: bool = False
) -> Steps[dict[str, Any] | None]:
    stmt = _row_stmt(ctx, kind, owned=user_id is not None, deleted=deleted, locked=locked)
    params = {"id": record_id} if user_id is None else {"id": record_id, "user_id": user_id}
    row = (yield Bound(stmt, params)).first()
    return None if row is None else as_dict(row)


def visible(include_deleted: bool) -> bool | None:
    """``deleted`` for a read: active rows only, unless archived ones are asked for too."""
    return None if include_deleted else False


@statement
def _update_stmt(ctx: Ctx, kind: str) -> sa.Update:
    # SET takes the columns this call's parameters name; ``b_id`` keeps clear of the id column.
    table: sa.Table = getattr(ctx.tables, kind)
    return sa.update(table).where(table.c.id == sa.bindparam("b_id"))


def write(ctx: Ctx, kind: str, record_id: str, values: Mapping[str, Any]) -> Steps[None]:
    """Set ``values`` on one row (already read and locked by the caller)."""
    table: sa.Table = getattr(ctx.tables, kind)
    yield Bound(_update_stmt(ctx, kind), {**checked(table, dict(values)), "b_id": record_id})


def write_and_read(ctx: Ctx, kind: str, record_id: str, values: Mapping[str, Any]) -> Steps[dict[str, Any]]:
    """:func:`write`, then the row as agno's ``UPDATE ... RETURNING`` gives it back."""
    yield from write(ctx, kind, record_id, values)
    row = yield from read(ctx, kind, record_id)
    assert row is not None  # locked by the caller, in this transaction
    return row


def insert(ctx: Ctx, kind: str, data: Any, *, what: str) -> Steps[dict[str, Any]]:
    """Insert agno's row dict (unknown columns and missing required values refused first) and read it back."""
    table: sa.Table = getattr(ctx.tables, kind)
    row = check_row(table, data, what=what)
    yield sa.insert(table).values(**row)
    stored = yield from read(ctx, kind, row["id"])
    assert stored is not None
    return stored


def require_keys(data: Any, keys: tuple[str, ...], *, what: str) -> None:
    """The values agno's class reads before its INSERT (a KeyError there): a ValueError here."""
    if not isinstance(data, Mapping):
        raise ArgumentError(f"{what} must be a dict, got {type(data).__name__}")
    missing = [key for key in keys if data.get(key) is None]
    if missing:
        raise ValueError(f"{what} is missing required value(s) for {missing}")


# --- the product lock and parents ---------------------------------------------------------------


def lock_product(ctx: Ctx, product_id: str) -> Steps[None]:
    """Serialize a hierarchy write with the product's archive (agno's lock_product)."""
    row = yield from read(ctx, "products", product_id, deleted=False, locked=True)
    if row is None:
        raise ValueError("Product is missing or archived")


def require_project(ctx: Ctx, project_id: str | None, product_id: str, task_status: str | None = None) -> Steps[None]:
    """A task's project exists, is active, belongs to its product, and takes open work (agno's rules)."""
    if project_id is None:
        return
    project = yield from read(ctx, "projects", project_id)
    if project is None or project["deleted_at"] is not None:
        raise ValueError("Project is missing or archived")
    if project["product_id"] != product_id:
        raise ValueError("Task and Project must belong to the same Product")
    if task_status is not None and task_status not in TERMINAL and project["status"] in TERMINAL:
        raise ValueError("Cannot add open work to a completed or cancelled Project")


def lock_child(ctx: Ctx, kind: str, record_id: str) -> Steps[None]:
    """Lock the product of a project or task; a task's project is checked after the lock."""
    record = yield from read(ctx, kind, record_id)
    if record is None:
        return
    yield from lock_product(ctx, record["product_id"])
    if kind == "tasks":
        # Read again under the product lock: a move may have won it.
        current = yield from read(ctx, kind, record_id)
        assert current is not None
        yield from require_project(ctx, current["project_id"], record["product_id"])


def active_parents(ctx: Ctx, table: sa.Table, *, projects: bool) -> list[ColumnElement[bool]]:
    """Children of archived parents are hidden before counting or paging (agno's active_parents)."""
    products_table = ctx.tables.products
    conditions: list[ColumnElement[bool]] = [
        sa.select(products_table.c.id)
        .where(products_table.c.id == table.c.product_id, products_table.c.deleted_at.is_(None))
        .exists()
    ]
    if projects:
        projects_table = ctx.tables.projects
        conditions.append(
            sa.or_(
                table.c.project_id.is_(None),
                sa.select(projects_table.c.id)
                .where(projects_table.c.id == table.c.project_id, projects_table.c.deleted_at.is_(None))
                .exists(),
            )
        )
    return conditions


# --- archive and restore ------------------------------------------------------------------------


@statement
def _children_stmt(ctx: Ctx, kind: str, parent_column: str, *, deleted: bool) -> sa.Select[Any]:
    table: sa.Table = getattr(ctx.tables, kind)
    archived = table.c.deleted_at.is_not(None) if deleted else table.c.deleted_at.is_(None)
    return ctx.dialect.locked(
        sa.select(table).where(table.c[parent_column] == sa.bindparam("parent_id"), archived).order_by(table.c.id)
    )


def archive_children(ctx: Ctx, kind: str, parent: dict[str, str], moment: int) -> Steps[None]:
    """Archive the active children of ``parent``, each recording that this parent archived it."""
    column = f"{parent['type']}_id"
    rows = (yield Bound(_children_stmt(ctx, kind, column, deleted=False), {"parent_id": parent["id"]})).fetchall()
    for row in rows:
        record = as_dict(row)
        yield from write(ctx, kind, record["id"], {
            "deleted_at": moment, "updated_at": moment, "transitions": _event(record, "archive", moment, parent),
        })


def restore_children(ctx: Ctx, kind: str, parent: dict[str, str], moment: int) -> Steps[None]:
    """Restore exactly the children whose last event is this parent's archive."""
    column = f"{parent['type']}_id"
    rows = (yield Bound(_children_stmt(ctx, kind, column, deleted=True), {"parent_id": parent["id"]})).fetchall()
    for row in rows:
        record = as_dict(row)
        history = record["transitions"] or []
        if not history or history[-1].get("action") != "archive" or history[-1].get("archived_by") != parent:
            continue
        yield from write(ctx, kind, record["id"], {
            "deleted_at": None, "updated_at": moment, "transitions": _event(record, "restore", moment),
        })


@statement
def _active_tasks_stmt(ctx: Ctx, parent_column: str) -> sa.Select[Any]:
    tasks = ctx.tables.tasks
    return (
        sa.select(tasks.c.id, tasks.c.title)
        .where(tasks.c[parent_column] == sa.bindparam("parent_id"), tasks.c.status.in_(ACTIVE_TASKS))
        .order_by(tasks.c.id)
    )


def refuse_active_tasks(ctx: Ctx, parent_column: str, parent_id: str) -> Steps[None]:
    """agno's refusal, archived tasks included: a ValueError carrying the task ids and titles."""
    rows = (yield Bound(_active_tasks_stmt(ctx, parent_column), {"parent_id": parent_id})).fetchall()
    if rows:
        raise ValueError({"message": "Cannot archive with active Tasks", "tasks": [as_dict(r) for r in rows]})


# --- listings and counts ------------------------------------------------------------------------


def listing(
    ctx: Ctx,
    filtered: sa.Select[Any],
    table: sa.Table,
    params: dict[str, Any],
    *,
    limit: int,
    page: int,
    sort_by: str,
    sort_order: str,
) -> Steps[tuple[list[dict[str, Any]], int]]:
    """One page of ``filtered`` (a statement built once) and the total before paging."""
    paging = page_params(limit, page)
    total = (yield Bound(counted(filtered), params)).scalar_one()
    listed = page_of(filtered, table, sort_by, sort_order, page_shape(limit, page))
    rows = (yield Bound(listed, {**params, **paging})).fetchall()
    return [as_dict(r) for r in rows], int(total)


def positive_page(limit: Any, page: Any) -> None:
    if isinstance(limit, int) and isinstance(page, int) and (limit < 1 or page < 1):
        raise ValueError("limit and page must be positive")


def zero_task_counts() -> dict[str, int]:
    return dict.fromkeys(TASK_TRANSITIONS, 0)


@statement
def _task_counts_stmt(ctx: Ctx, parent_column: str) -> sa.Select[Any]:
    tasks = ctx.tables.tasks
    parent = tasks.c[parent_column]
    return (
        sa.select(parent.label("parent_id"), tasks.c.status, sa.func.count().label("total"))
        .where(parent.in_(sa.bindparam("ids", expanding=True)), tasks.c.deleted_at.is_(None),
               *active_parents(ctx, tasks, projects=True))
        .group_by(parent, tasks.c.status)
    )


def task_counts(ctx: Ctx, parent_column: str, ids: list[str]) -> Steps[dict[str, dict[str, int]]]:
    """Visible tasks per parent and status, every status present (zeros included)."""
    counts = {parent_id: zero_task_counts() for parent_id in ids}
    matchable = [i for i in dict.fromkeys(ids) if "\x00" not in i]  # NUL: no row has it
    if matchable:
        rows = (yield Bound(_task_counts_stmt(ctx, parent_column), {"ids": matchable})).fetchall()
        for row in rows:
            counts[row.parent_id][row.status] = int(row.total)
    return counts


@statement
def _open_projects_stmt(ctx: Ctx) -> sa.Select[Any]:
    projects = ctx.tables.projects
    return (
        sa.select(projects.c.product_id.label("parent_id"), sa.func.count().label("total"))
        .where(projects.c.product_id.in_(sa.bindparam("ids", expanding=True)), projects.c.deleted_at.is_(None),
               projects.c.status.in_(["proposed", "active"]), *active_parents(ctx, projects, projects=False))
        .group_by(projects.c.product_id)
    )


def open_project_counts(ctx: Ctx, ids: list[str]) -> Steps[dict[str, int]]:
    counts = dict.fromkeys(ids, 0)
    matchable = [i for i in dict.fromkeys(ids) if "\x00" not in i]
    if matchable:
        for row in (yield Bound(_open_projects_stmt(ctx), {"ids": matchable})).fetchall():
            counts[row.parent_id] = int(row.total)
    return counts


def histories(ctx: Ctx, stmt: sa.Select[Any]) -> Steps[list[Any]]:
    """The ``transitions`` a statement selects (agno's acceptance counting reads them in Python)."""
    return list((yield stmt).scalars().all())

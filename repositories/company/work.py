"""Company projects and tasks: lifecycles, execution attempts, automatic acceptance.

The lifecycle rules are agno's own (``agno.db.schemas.projects`` / ``tasks``: which transition
is valid, what it records); this module persists them with agno's guards. A transition or run
whose observed state (status, transitions, ``expected_updated_at``) no longer holds answers None.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from agno.db.base import _UNSET_UPDATED_AT
from agno.db.schemas.products import company_sort
from agno.db.schemas.projects import project_transition_fields, validate_project_fields
from agno.db.schemas.tasks import _acceptance_count, task_run_fields, task_transition_fields, validate_task_fields
from agno.db.sql.company import _event, task_restore_fields

from repositories.company import hierarchy as h
from repositories.core.arguments import ArgumentError
from repositories.core.context import Ctx, statement
from repositories.core.operation import Bound, Steps, operation
from repositories.core.query import as_dict
from repositories.core.repository import Repository

UNSET: Any = _UNSET_UPDATED_AT
FAILED_RESULTS = ("ERROR", "CANCELLED")


def _expected(value: Any) -> None:
    if value is not UNSET and value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ArgumentError(f"expected_updated_at must be epoch seconds, None or omitted, got {type(value).__name__}")


def _auto_accept(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or not {"routine_id", "policy", "max_acceptances"} <= set(value):
        raise ArgumentError("auto_accept must be a dict with routine_id, policy and max_acceptances")


def _older_terminal(record: dict[str, Any], updated_before: int | None) -> bool:
    """agno's cutoff: finished work whose last activity is before ``updated_before``."""
    if updated_before is None:
        return True
    activity = record["updated_at"] if record["updated_at"] is not None else record["created_at"]
    return record["status"] in h.TERMINAL and activity < updated_before


def _unchanged(current: dict[str, Any] | None, observed: dict[str, Any], expected_updated_at: Any) -> bool:
    """The row still is what the caller observed (agno's UPDATE guard, compared under the row lock).

    An explicit ``expected_updated_at=None`` matches a row never updated, as SQL NULL does in agno.
    """
    if current is None or current["status"] != observed["status"] or current["transitions"] != observed["transitions"]:
        return False
    return expected_updated_at is UNSET or current["updated_at"] == expected_updated_at


@statement
def _projects_stmt(ctx: Ctx, *, by_product: bool, by_status: bool, owned: bool, include_deleted: bool) -> sa.Select[Any]:
    table = ctx.tables.projects
    stmt = sa.select(table).where(*h.active_parents(ctx, table, projects=False))
    if by_product:
        stmt = stmt.where(table.c.product_id == sa.bindparam("product_id"))
    if by_status:
        stmt = stmt.where(table.c.status == sa.bindparam("status"))
    if owned:
        stmt = stmt.where(table.c.user_id == sa.bindparam("user_id"))
    return stmt if include_deleted else stmt.where(table.c.deleted_at.is_(None))


@statement
def _tasks_stmt(
    ctx: Ctx,
    *,
    failed: bool | None,
    filters: tuple[str, ...],
    owned: bool,
    include_deleted: bool,
) -> sa.Select[Any]:
    table = ctx.tables.tasks
    stmt = sa.select(table).where(*h.active_parents(ctx, table, projects=True))
    if failed is not None:
        result_status = ctx.dialect.json_text(table.c.result, ["status"])
        stmt = stmt.where(
            sa.and_(table.c.status == "in_progress", result_status.in_(FAILED_RESULTS))
            if failed
            else sa.or_(table.c.status != "in_progress", result_status.is_(None), result_status.not_in(FAILED_RESULTS))
        )
    for column in filters:  # session_id, product_id, status, project_id
        stmt = stmt.where(table.c[column] == sa.bindparam(column))
    if owned:
        stmt = stmt.where(table.c.user_id == sa.bindparam("user_id"))
    return stmt if include_deleted else stmt.where(table.c.deleted_at.is_(None))


@statement
def _open_tasks_stmt(ctx: Ctx) -> sa.Select[Any]:
    tasks = ctx.tables.tasks
    return sa.select(tasks).where(tasks.c.project_id == sa.bindparam("project_id"), tasks.c.status.not_in(h.TERMINAL))


@statement
def _dedupe_stmt(ctx: Ctx) -> sa.Select[Any]:
    tasks = ctx.tables.tasks
    return sa.select(tasks).where(
        tasks.c.product_id == sa.bindparam("product_id"), tasks.c.dedupe_key == sa.bindparam("dedupe_key")
    )


def _open_tasks(ctx: Ctx, project_id: str) -> Steps[list[dict[str, Any]]]:
    """The project's non-terminal tasks, archived ones included (agno's completion gate)."""
    return [as_dict(r) for r in (yield Bound(_open_tasks_stmt(ctx), {"project_id": project_id})).fetchall()]


class ProjectRepository(Repository):
    """agno's project methods."""

    @operation(writes=True)
    def create_project(self, project_data: dict[str, Any], reuse: bool = False) -> Steps[dict[str, Any]]:
        ctx = self._ctx
        h.require_keys(project_data, ("id", "product_id"), what="project_data")
        yield from h.lock_product(ctx, project_data["product_id"])
        if reuse:
            existing = yield from h.read(ctx, "projects", project_data["id"])
            if existing is not None:
                if existing["product_id"] != project_data["product_id"]:
                    raise ValueError("Project identity belongs to another Product")
                return existing
        return (yield from h.insert(ctx, "projects", project_data, what="project_data"))

    @operation(writes=False, absent=None)
    def get_project(
        self, project_id: str, user_id: str | None = None, include_deleted: bool = False
    ) -> Steps[dict[str, Any] | None]:
        return (yield from h.read(self._ctx, "projects", project_id, user_id=user_id, deleted=h.visible(include_deleted)))

    @operation(writes=False, absent=lambda a: ([], 0))
    def get_projects(
        self,
        user_id: str | None = None,
        limit: int = 20,
        page: int = 1,
        include_deleted: bool = False,
        product_id: str | None = None,
        status: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        ctx = self._ctx
        field, order = company_sort(sort_by, sort_order)
        h.positive_page(limit, page)
        filtered = _projects_stmt(ctx, by_product=product_id is not None, by_status=status is not None,
                                  owned=user_id is not None, include_deleted=bool(include_deleted))
        params = {"user_id": user_id, "product_id": product_id, "status": status}
        return (yield from h.listing(ctx, filtered, ctx.tables.projects, params,
                                     limit=limit, page=page, sort_by=field, sort_order=order))

    @operation(writes=True, absent=None)
    def update_project(
        self, project_id: str, user_id: str | None = None, expected_status: str | None = None, **fields: Any
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        validate_project_fields(fields)
        yield from h.lock_child(ctx, "projects", project_id)
        current = yield from h.read(ctx, "projects", project_id, user_id=user_id, deleted=False, locked=True)
        if current is None or (expected_status is not None and current["status"] != expected_status):
            return None
        return (yield from h.write_and_read(ctx, "projects", project_id, {**fields, "updated_at": h.now()}))

    @operation(writes=False)
    def get_project_counts(self, project_ids: list[str]) -> Steps[dict[str, dict[str, Any]]]:
        if not project_ids:
            return {}
        tasks = yield from h.task_counts(self._ctx, "project_id", project_ids)
        return {pid: {"tasks": tasks[pid]} for pid in project_ids}

    @operation(writes=True, absent=False)
    def delete_project(
        self, project_id: str, user_id: str | None = None, updated_before: int | None = None
    ) -> Steps[bool]:
        ctx = self._ctx
        yield from h.lock_child(ctx, "projects", project_id)
        current = yield from h.read(ctx, "projects", project_id, user_id=user_id, deleted=False, locked=True)
        if current is None or not _older_terminal(current, updated_before):
            return False
        yield from h.refuse_active_tasks(ctx, "project_id", project_id)
        if updated_before is not None and (yield from _open_tasks(ctx, project_id)):
            return False  # a cleanup sweep leaves projects with backlog work alone
        moment = h.now()
        yield from h.write(ctx, "projects", project_id, {
            "deleted_at": moment, "updated_at": moment, "transitions": _event(current, "archive", moment),
        })
        yield from h.archive_children(ctx, "tasks", {"type": "project", "id": project_id}, moment)
        return True

    @operation(writes=True, absent=None)
    def restore_project(self, project_id: str, user_id: str | None = None) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        yield from h.lock_child(ctx, "projects", project_id)
        current = yield from h.read(ctx, "projects", project_id, user_id=user_id, deleted=True, locked=True)
        if current is None:
            return None
        moment = h.now()
        restored = yield from h.write_and_read(ctx, "projects", project_id, {
            "deleted_at": None, "updated_at": moment, "transitions": _event(current, "restore", moment),
        })
        yield from h.restore_children(ctx, "tasks", {"type": "project", "id": project_id}, moment)
        return restored

    @operation(writes=True, absent=None)
    def transition_project(
        self,
        project_id: str,
        target: str,
        reason: str,
        user_id: str | None = None,
        accepted_by: str | None = None,
        expected_updated_at: int | None | object = UNSET,
        auto_accept: dict[str, Any] | None = None,
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        _expected(expected_updated_at)
        _auto_accept(auto_accept)
        projects, tasks = ctx.tables.projects, ctx.tables.tasks
        yield from h.lock_child(ctx, "projects", project_id)
        if auto_accept is not None:
            if target != "done" or expected_updated_at is UNSET:
                raise ValueError("Automatic completion requires expected_updated_at and a Project with Tasks")
            prior = yield from h.histories(ctx, sa.select(tasks.c.transitions).where(
                tasks.c.routine_id == auto_accept["routine_id"]))
            prior += yield from h.histories(ctx, sa.select(projects.c.transitions).where(projects.c.id != project_id))
            if _acceptance_count(prior, auto_accept["routine_id"], auto_accept["policy"]) >= auto_accept["max_acceptances"]:
                raise ValueError("Routine acceptance limit reached")
        existing = yield from h.read(ctx, "projects", project_id, user_id=user_id, deleted=False, locked=True)
        if existing is None:
            return None
        open_tasks = (yield from _open_tasks(ctx, project_id)) if target == "done" else []
        fields = project_transition_fields(existing, target, reason, accepted_by, tasks=open_tasks)
        if auto_accept is not None:
            fields["transitions"][-1]["auto_accept"] = auto_accept
        # Read under the product lock and the row lock: only the caller's timestamp can differ.
        if expected_updated_at is not UNSET and existing["updated_at"] != expected_updated_at:
            return None
        return (yield from h.write_and_read(ctx, "projects", project_id, fields))


class TaskRepository(Repository):
    """agno's task methods, execution attempts and acceptance counting included."""

    @operation(writes=True)
    def create_task(self, task_data: dict[str, Any]) -> Steps[dict[str, Any]]:
        ctx = self._ctx
        h.require_keys(task_data, ("id", "product_id"), what="task_data")
        product_id, project_id = task_data["product_id"], task_data.get("project_id")
        yield from h.lock_product(ctx, product_id)
        yield from h.require_project(ctx, project_id, product_id)
        if task_data.get("dedupe_key") is not None:
            # A proposal stays idempotent, even after its project completed.
            params = {"product_id": product_id, "dedupe_key": task_data["dedupe_key"]}
            proposal = (yield Bound(_dedupe_stmt(ctx), params)).first()
            if proposal is not None:
                return as_dict(proposal)
        yield from h.require_project(ctx, project_id, product_id, task_data.get("status", "backlog"))
        return (yield from h.insert(ctx, "tasks", task_data, what="task_data"))

    @operation(writes=False, absent=None)
    def get_task(
        self, task_id: str, user_id: str | None = None, include_deleted: bool = False
    ) -> Steps[dict[str, Any] | None]:
        return (yield from h.read(self._ctx, "tasks", task_id, user_id=user_id, deleted=h.visible(include_deleted)))

    @operation(writes=False, absent=lambda a: ([], 0))
    def get_tasks(
        self,
        user_id: str | None = None,
        limit: int = 20,
        page: int = 1,
        include_deleted: bool = False,
        product_id: str | None = None,
        status: str | None = None,
        project_id: str | None = None,
        failed: bool | None = None,
        session_id: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        ctx = self._ctx
        field, order = company_sort(sort_by, sort_order)
        h.positive_page(limit, page)
        given = {"session_id": session_id, "product_id": product_id, "status": status, "project_id": project_id}
        filters = tuple(name for name, value in given.items() if value is not None)
        filtered = _tasks_stmt(ctx, failed=None if failed is None else bool(failed), filters=filters,
                               owned=user_id is not None, include_deleted=bool(include_deleted))
        return (yield from h.listing(ctx, filtered, ctx.tables.tasks, {**given, "user_id": user_id},
                                     limit=limit, page=page, sort_by=field, sort_order=order))

    @operation(writes=True, absent=None)
    def update_task(self, task_id: str, user_id: str | None = None, **fields: Any) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        validate_task_fields(fields)
        yield from h.lock_child(ctx, "tasks", task_id)
        record = yield from h.read(ctx, "tasks", task_id, locked=True)
        if record is not None and fields.get("project_id") is not None:
            yield from h.require_project(ctx, fields["project_id"], record["product_id"], "backlog")
        if (
            record is None
            or record["deleted_at"] is not None
            or record["status"] != "backlog"  # accepted scope changes only after a return to backlog
            or (user_id is not None and record["user_id"] != user_id)
        ):
            return None
        return (yield from h.write_and_read(ctx, "tasks", task_id, {**fields, "updated_at": h.now()}))

    @operation(writes=True, absent=False)
    def delete_task(self, task_id: str, user_id: str | None = None, updated_before: int | None = None) -> Steps[bool]:
        ctx = self._ctx
        yield from h.lock_child(ctx, "tasks", task_id)
        current = yield from h.read(ctx, "tasks", task_id, user_id=user_id, deleted=False, locked=True)
        if current is None or not _older_terminal(current, updated_before):
            return False
        moment = h.now()
        yield from h.write(ctx, "tasks", task_id, {"deleted_at": moment, "updated_at": moment})
        return True

    @operation(writes=True, absent=None)
    def restore_task(self, task_id: str, user_id: str | None = None) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        yield from h.lock_child(ctx, "tasks", task_id)
        current = yield from h.read(ctx, "tasks", task_id, user_id=user_id, deleted=True, locked=True)
        if current is None:
            return None
        return (yield from h.write_and_read(ctx, "tasks", task_id, task_restore_fields(current)))

    @operation(writes=True, absent=None)
    def start_task_run(
        self,
        task_id: str,
        attempt: int,
        expected_transitions: list[dict[str, Any]],
        user_id: str | None = None,
        run_db_id: str | None = None,
        session_user_id: str | None = None,
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        existing = yield from h.read(ctx, "tasks", task_id, deleted=False, locked=True)
        if existing is None or existing["transitions"] != expected_transitions:
            return None
        fields = task_run_fields(existing, attempt, user_id, run_db_id, session_user_id)
        return (yield from h.write_and_read(ctx, "tasks", task_id, fields))

    @operation(writes=True, absent=None)
    def complete_task_run(
        self,
        task_id: str,
        job_id: str,
        result: dict[str, Any],
        expected_transitions: list[dict[str, Any]] | None = None,
        checkout: dict[str, Any] | None = None,
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        if not isinstance(result, dict):
            raise ArgumentError(f"complete_task_run: result must be a dict, got {type(result).__name__}")
        if checkout is not None and not isinstance(checkout, dict):
            raise ArgumentError(f"complete_task_run: checkout must be a dict or None, got {type(checkout).__name__}")
        existing = yield from h.read(ctx, "tasks", task_id, deleted=False, locked=True)
        # JSON null and SQL NULL alike: a result not recorded yet (agno's class stores either).
        if existing is None or existing["job_id"] != job_id or existing["status"] != "in_progress" or existing["result"] is not None:
            return None
        if expected_transitions is not None and existing["transitions"] != expected_transitions:
            return None
        fields: dict[str, Any] = (
            task_transition_fields(existing, "in_review", "Execution completed; human review required")
            if result.get("status") == "COMPLETED"
            else {"updated_at": h.now()}
        )
        if checkout is not None:
            fields["metadata"] = {**(existing["metadata"] or {}), "checkout": checkout}
        return (yield from h.write_and_read(ctx, "tasks", task_id, {**fields, "result": result}))

    @operation(writes=False, absent=0)
    def count_company_acceptances(
        self, routine_id: str, policy: str, exclude_task_id: str, user_id: str | None = None
    ) -> Steps[int]:
        ctx = self._ctx
        tasks, projects = ctx.tables.tasks, ctx.tables.projects
        task_stmt = sa.select(tasks.c.transitions).where(tasks.c.routine_id == routine_id, tasks.c.id != exclude_task_id)
        project_stmt = sa.select(projects.c.transitions)
        if user_id is not None:
            task_stmt = task_stmt.where(tasks.c.user_id == user_id)
            project_stmt = project_stmt.where(projects.c.user_id == user_id)
        found = yield from h.histories(ctx, task_stmt)
        found += yield from h.histories(ctx, project_stmt)
        return int(_acceptance_count(found, routine_id, policy))

    @operation(writes=True, absent=None)
    def transition_task(
        self,
        task_id: str,
        target: str,
        reason: str,
        user_id: str | None = None,
        accepted_by: str | None = None,
        executor_type: str | None = None,
        executor_id: str | None = None,
        expected_updated_at: int | None | object = UNSET,
        auto_accept: dict[str, Any] | None = None,
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        _expected(expected_updated_at)
        _auto_accept(auto_accept)
        tasks, projects = ctx.tables.tasks, ctx.tables.projects
        if auto_accept is not None:
            yield from h.lock_child(ctx, "tasks", task_id)
            if expected_updated_at is UNSET:
                raise ValueError("Automatic acceptance requires expected_updated_at and a Product")
            prior = yield from h.histories(ctx, sa.select(tasks.c.transitions).where(
                tasks.c.routine_id == auto_accept["routine_id"], tasks.c.id != task_id))
            prior += yield from h.histories(ctx, sa.select(projects.c.transitions))
            if _acceptance_count(prior, auto_accept["routine_id"], auto_accept["policy"]) >= auto_accept["max_acceptances"]:
                raise ValueError("Routine acceptance limit reached")
        existing = yield from h.read(ctx, "tasks", task_id, user_id=user_id, deleted=False)
        if existing is None:
            return None
        fields = task_transition_fields(existing, target, reason, accepted_by, executor_type, executor_id)
        if auto_accept is not None:
            fields["transitions"][-1]["auto_accept"] = auto_accept
        else:
            yield from h.lock_child(ctx, "tasks", task_id)
        current = yield from h.read(ctx, "tasks", task_id, user_id=user_id, deleted=False, locked=True)
        if not _unchanged(current, existing, expected_updated_at):
            return None
        return (yield from h.write_and_read(ctx, "tasks", task_id, fields))

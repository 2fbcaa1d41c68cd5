"""Component rows: get, upsert, archive/delete, restore, list, create with a first config."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from agno.db.base import (
    DELETED_CONFIG_STAGE,
    ComponentDependencyError,
    ComponentType,
    ComponentVersionConflictError,
    current_version_guard_clause,
    current_version_matches,
)

from repositories.components.rules import (
    archived,
    archived_pinned_children,
    check_config,
    check_links,
    check_pins,
    check_stage,
    insert_if_absent,
    is_int,
    link_rows_of,
    lock_component,
    read_component,
    read_config,
    refuse_if_dependents,
    type_value_of,
    validate_links,
    visibility,
    write_links,
)
from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict, sliced
from repositories.core.repository import Repository
from repositories.core.values import MissingRowError, checked
from repositories.schedules import disable_for_target

STAGES = ("draft", "published")

# --- components -------------------------------------------------------------------------------


def _delete_component(
    ctx: Ctx,
    *,
    component_id: str,
    hard_delete: bool,
    user_id: str | None,
    expected_current_version: int | None,
    require_no_dependents: bool,
) -> Steps[tuple[bool, int]]:
    """Returns (deleted, schedules disabled)."""
    t, configs, links_table = ctx.tables.components, ctx.tables.component_configs, ctx.tables.component_links
    row = yield from lock_component(ctx, component_id)
    if row is None:
        return False, 0
    # Reads treat unowned rows as shared, but deleting stays strictly the owner's.
    if user_id is not None and row.user_id != user_id:
        return False, 0
    if not hard_delete and row.deleted_at is not None:
        return False, 0  # already archived
    if require_no_dependents:
        # An archive breaks only live parents; a hard delete breaks even an archived parent's
        # history. With the row locked, no new link to it can commit until this one does.
        yield from refuse_if_dependents(
            ctx, component_id, active_parents_only=not hard_delete, parent_user_id=user_id
        )
    if expected_current_version is not None and not current_version_matches(
        row.current_version, expected_current_version
    ):
        raise ComponentVersionConflictError(
            f"Component {component_id} current version is {row.current_version}, expected {expected_current_version}"
        )

    if hard_delete:
        # Child links first (their foreign key does not cascade); the rest cascades, and is
        # deleted explicitly too for engines opened without SQLite's foreign-key pragma.
        yield sa.delete(links_table).where(links_table.c.parent_component_id == component_id)
        yield sa.delete(links_table).where(links_table.c.child_component_id == component_id)
        yield sa.delete(configs).where(configs.c.component_id == component_id)
        deleted = (yield sa.delete(t).where(t.c.component_id == component_id)).rowcount
    else:
        now = int(time.time())
        stmt = sa.update(t).where(t.c.component_id == component_id, t.c.deleted_at.is_(None))
        if expected_current_version is not None:
            stmt = stmt.where(current_version_guard_clause(t.c.current_version, expected_current_version))
        deleted = (yield stmt.values(deleted_at=now, updated_at=now)).rowcount
    if not deleted:
        return False, 0
    # A component that is gone cannot serve a run: its schedules go off in the same transaction.
    component_type = str(row.component_type)
    disabled = yield from disable_for_target(
        ctx,
        target_type=component_type,
        target_id=component_id,
        reason=f"target_archived:{component_type}:{component_id}",
    )
    return True, disabled




class ComponentRepository(Repository):
    """agno's component methods, each one operation."""

    @operation(writes=False, absent=None)
    def get_component(
        self,
        component_id: str,
        component_type: ComponentType | None = None,
        user_id: str | None = None,
        include_deleted: bool = False,
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        type_value = type_value_of(component_type)
        t = ctx.tables.components
        stmt = sa.select(t).where(t.c.component_id == component_id)
        if not include_deleted:
            stmt = stmt.where(t.c.deleted_at.is_(None))
        if type_value is not None:
            stmt = stmt.where(t.c.component_type == type_value)
        if user_id is not None:
            stmt = stmt.where(visibility(ctx, user_id))
        row = (yield stmt).first()
        return None if row is None else as_dict(row)

    @operation(writes=True)
    def upsert_component(
        self,
        component_id: str,
        component_type: ComponentType | None = None,
        name: str | None = None,
        description: str | None = None,
        current_version: int | None = None,
        metadata: dict[str, Any] | None = None,
        user_id: str | None = None,
    ) -> Steps[dict[str, Any]]:
        identity = {"component_id": component_id, "name": name, "user_id": user_id, "current_version": current_version}
        checked(self._ctx.tables.components, identity)
        ctx = self._ctx
        type_value = type_value_of(component_type)
        t = ctx.tables.components
        row = yield from lock_component(ctx, component_id)
        if row is None:
            if type_value is None:
                raise ValueError("component_type is required when creating a new component")
            values = {
                "component_id": component_id,
                "component_type": type_value,
                "name": name,
                "user_id": user_id,
                "description": description,
                "current_version": None,
                "metadata": metadata,
                "created_at": int(time.time()),
            }
            if (yield insert_if_absent(ctx, t, values)).rowcount:
                return (yield from read_component(ctx, component_id))
            # A concurrent creator won the id: continue as an update of its (now committed) row.
            row = yield from lock_component(ctx, component_id)
            if row is None:
                raise ValueError(f"Component {component_id} vanished while being created")
        if user_id is not None and row.user_id != user_id:
            # Writes are owner-scoped: another owner's (or a shared) row answers like a missing one.
            raise MissingRowError(f"Component {component_id} not found")
        if row.deleted_at is not None:
            raise archived(component_id)

        updates: dict[str, Any] = {"updated_at": int(time.time())}
        if type_value is not None:
            if str(row.component_type) != type_value:
                raise ValueError(
                    f"Cannot change component {component_id} from {row.component_type} "
                    f"to {type_value}; a component's type is fixed at creation."
                )
        if name is not None:
            updates["name"] = name
        if description is not None:
            updates["description"] = description
        if current_version is not None:
            # The pointer is what the platform runs and what makes the component visible to
            # everyone: only an existing published version may become current.
            configs = ctx.tables.component_configs
            stage = (
                yield sa.select(configs.c.stage).where(
                    configs.c.component_id == component_id, configs.c.version == current_version
                )
            ).scalar()
            if stage == DELETED_CONFIG_STAGE:
                raise ValueError(f"Cannot set deleted config {component_id} v{current_version} as current")
            if stage is None:
                raise ValueError(f"Cannot set missing config {component_id} v{current_version} as current")
            if stage != "published":
                raise ValueError(
                    f"Cannot set draft config {component_id} v{current_version} as current. "
                    "Only published configs can be current."
                )
            updates["current_version"] = current_version
        if metadata is not None:
            updates["metadata"] = metadata
        yield sa.update(t).where(t.c.component_id == component_id).values(updates)
        return (yield from read_component(ctx, component_id))

    @operation(writes=True, absent=False)
    def delete_component(
        self,
        component_id: str,
        hard_delete: bool = False,
        user_id: str | None = None,
        expected_current_version: int | None = None,
        require_no_dependents: bool = True,
        cascade_stats: dict[str, int] | None = None,
    ) -> Steps[bool]:
        """``delete_component``, reporting the schedules it disabled in ``cascade_stats`` as agno does."""
        ctx = self._ctx
        deleted, disabled = yield from _delete_component(
            ctx, component_id=component_id, hard_delete=hard_delete, user_id=user_id,
            expected_current_version=expected_current_version, require_no_dependents=require_no_dependents,
        )
        if deleted and cascade_stats is not None:
            cascade_stats["schedules_disabled"] = disabled
        return deleted

    @operation(writes=True)
    def restore_component(self, component_id: str, user_id: str | None = None) -> Steps[bool]:
        ctx = self._ctx
        t = ctx.tables.components
        row = yield from lock_component(ctx, component_id)
        if row is None or (user_id is not None and row.user_id != user_id) or row.deleted_at is None:
            return False
        # Restoring returns the live version to dispatch, so the children it pins must be live too.
        if row.current_version is not None:
            archived = yield from archived_pinned_children(ctx, component_id, row.current_version)
            if archived:
                raise ComponentDependencyError(
                    f"Cannot restore {component_id}: pinned child(ren) {', '.join(archived)} are archived. "
                    "Restore them first."
                )
        stmt = sa.update(t).where(t.c.component_id == component_id, t.c.deleted_at.is_not(None))
        return bool((yield stmt.values(deleted_at=None, updated_at=int(time.time()))).rowcount)

    @operation(writes=False)
    def list_components(
        self,
        component_type: ComponentType | None = None,
        include_deleted: bool = False,
        limit: int = 20,
        offset: int = 0,
        exclude_component_ids: set[str] | None = None,
        user_id: str | None = None,
        name: str | None = None,
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        for argument, value in (("limit", limit), ("offset", offset)):
            if not is_int(value) or value < 0:
                raise ValueError(f"`{argument}` must be an integer >= 0; got {value!r}")
        ctx = self._ctx
        type_value = type_value_of(component_type)
        t = ctx.tables.components
        conditions: list[sa.ColumnElement[bool]] = []
        if type_value is not None:
            conditions.append(t.c.component_type == type_value)
        if user_id is not None:
            conditions.append(visibility(ctx, user_id))
        if not include_deleted:
            conditions.append(t.c.deleted_at.is_(None))
        excluded = sorted(set(exclude_component_ids or ()))
        if excluded:
            conditions.append(t.c.component_id.notin_(excluded))
        if name is not None:
            conditions.append(t.c.name == name)
        total = (yield sa.select(sa.func.count()).select_from(t).where(*conditions)).scalar_one()
        stmt = sliced(sa.select(t).where(*conditions).order_by(t.c.created_at.desc(), t.c.component_id),
                      limit=limit, offset=offset)
        return [as_dict(r) for r in (yield stmt).fetchall()], int(total)

    @operation(writes=True)
    def create_component_with_config(
        self,
        component_id: str,
        component_type: ComponentType,
        name: str | None,
        config: dict[str, Any],
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        label: str | None = None,
        stage: str = "draft",
        notes: str | None = None,
        links: list[dict[str, Any]] | None = None,
        user_id: str | None = None,
    ) -> Steps[tuple[dict[str, Any], dict[str, Any]]]:
        check_stage(stage)
        link_rows = link_rows_of(links)
        type_value = type_value_of(component_type)
        if type_value is None:
            raise ValueError("component_type is required when creating a component")
        if config is None:
            raise ValueError("config is required when creating a component")
        check_config(config)
        identity = {"component_id": component_id, "name": name, "user_id": user_id}
        checked(self._ctx.tables.components, identity)
        checked(self._ctx.tables.component_configs, {"label": label})
        check_links(self._ctx, link_rows)
        ctx = self._ctx
        links = link_rows
        t, configs = ctx.tables.components, ctx.tables.component_configs
        # Deliberately vague: the message must not confirm that another user's component exists.
        taken = ValueError(f"Component ID {component_id} is not available")
        if (yield from lock_component(ctx, component_id)) is not None:
            raise taken
        if links:
            yield from validate_links(ctx, component_id, links)
        now, version = int(time.time()), 1
        component_row = {
            "component_id": component_id,
            "component_type": type_value,
            "name": name,
            "user_id": user_id,
            "description": description,
            "metadata": metadata,
            "current_version": version if stage == "published" else None,
            "created_at": now,
        }
        if not (yield insert_if_absent(ctx, t, component_row)).rowcount:
            raise taken  # a concurrent creation won the id
        yield sa.insert(configs).values(
            component_id=component_id, version=version, label=label, stage=stage, config=config, notes=notes, created_at=now
        )
        if links:
            yield from write_links(ctx, component_id, version, links, now)
            if stage == "published":
                yield from check_pins(ctx, component_id, version, creating=True)  # raising rolls it all back
        component = yield from read_component(ctx, component_id)
        return component, (yield from read_config(ctx, component_id, version))

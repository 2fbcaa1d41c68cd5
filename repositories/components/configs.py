"""Config versions of a component: read, write, delete, list, pick the current one."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from agno.db.base import (
    DELETED_CONFIG_STAGE,
    ComponentDependencyError,
    ComponentDraftRequiredError,
    ComponentLastConfigError,
    ComponentVersionConflictError,
    current_version_matches,
    project_config_identity,
)
from sqlalchemy.engine import Row

from repositories.components.rules import (
    archived,
    archived_pinned_children,
    check_config,
    check_links,
    check_pins,
    check_stage,
    is_visible,
    latest_visible_version,
    link_rows_of,
    live_component_row,
    lock_component,
    read_config,
    validate_links,
    write_links,
)
from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict
from repositories.core.repository import Repository
from repositories.core.values import MissingRowError, checked

STAGES = ("draft", "published")

# --- configs ----------------------------------------------------------------------------------


def config_row(
    ctx: Ctx,
    component_id: str,
    *,
    version: int | None,
    label: str | None,
    current_version: int | None,
    include_deleted: bool,
) -> Steps[Row[Any] | None]:
    """agno's lookup order: the version, else the label, else the current, else the latest visible."""
    c = ctx.tables.component_configs
    stmt = sa.select(c).where(c.c.component_id == component_id)
    if version is not None:
        stmt = stmt.where(c.c.version == version)
        if not include_deleted:
            stmt = stmt.where(is_visible(ctx))
    elif label is not None:
        stmt = stmt.where(c.c.label == label, is_visible(ctx)).order_by(c.c.version.desc()).limit(1)
    elif current_version is not None:
        # A pointer naming a tombstoned version serves nothing rather than the dead payload.
        stmt = stmt.where(c.c.version == current_version, is_visible(ctx))
    else:
        stmt = stmt.where(is_visible(ctx)).order_by(c.c.version.desc()).limit(1)
    return (yield stmt).first()


def _get_latest_configs(ctx: Ctx, *, component_ids: Sequence[str]) -> Steps[dict[str, dict[str, Any] | None]]:
    """The newest visible config of each live component, in one query."""
    results: dict[str, dict[str, Any] | None] = {component_id: None for component_id in component_ids}
    if not results:
        return results
    c, t = ctx.tables.component_configs, ctx.tables.components
    latest = (
        sa.select(c.c.component_id, sa.func.max(c.c.version).label("version"))
        .join(t, t.c.component_id == c.c.component_id)
        .where(c.c.component_id.in_(list(results)), is_visible(ctx), t.c.deleted_at.is_(None))
        .group_by(c.c.component_id)
        .subquery()
    )
    stmt = sa.select(c).join(
        latest, sa.and_(c.c.component_id == latest.c.component_id, c.c.version == latest.c.version)
    )
    for row in (yield stmt).fetchall():
        record = as_dict(row)
        results[record["component_id"]] = record
    return results



class ComponentConfigRepository(Repository):
    """agno's component-config methods, each one operation."""


    @operation(writes=False, absent=None)
    def get_config(
        self,
        component_id: str,
        version: int | None = None,
        label: str | None = None,
        include_deleted: bool = False,
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        component = yield from live_component_row(ctx, component_id)
        if component is None:
            return None
        row = yield from config_row(
            ctx, component_id, version=version, label=label, current_version=component.current_version,
            include_deleted=include_deleted,
        )
        return None if row is None else as_dict(row)

    @operation(writes=False, absent=None)
    def get_current_config(self, component_id: str) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        component = yield from live_component_row(ctx, component_id)
        if component is None or component.current_version is None:
            return None
        c = ctx.tables.component_configs
        stmt = sa.select(c).where(c.c.component_id == component_id, c.c.version == component.current_version, is_visible(ctx))
        row = (yield stmt).first()
        return None if row is None else as_dict(row)

    @operation(writes=False, absent=None)
    def get_latest_config(self, component_id: str) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        configs = yield from _get_latest_configs(ctx, component_ids=[component_id])
        return configs[component_id]

    @operation(writes=False)
    def get_latest_configs(self, component_ids: set[str]) -> Steps[dict[str, dict[str, Any] | None]]:
        return (yield from _get_latest_configs(self._ctx, component_ids=sorted(set(component_ids))))

    @operation(writes=True)
    def upsert_config(
        self,
        component_id: str,
        config: dict[str, Any] | None = None,
        version: int | None = None,
        label: str | None = None,
        stage: str | None = None,
        notes: str | None = None,
        links: list[dict[str, Any]] | None = None,
        expected_latest_version: int | None = None,
        expected_current_version: int | None = None,
        user_id: str | None = None,
    ) -> Steps[dict[str, Any]]:
        check_stage(stage)
        check_config(config)
        link_rows = link_rows_of(links)
        if version is None and config is None:
            raise ValueError("config is required when creating a new version")
        checked(self._ctx.tables.component_configs, {"version": version, "label": label})
        check_links(self._ctx, link_rows)
        ctx = self._ctx
        links = link_rows
        t, c = ctx.tables.components, ctx.tables.component_configs
        # The lock serializes every writer of this component: the version allocated below is free.
        component = yield from lock_component(ctx, component_id)
        # Owner scope answers exactly like a missing component, before the archived verdict.
        if component is None or (user_id is not None and component.user_id != user_id):
            raise MissingRowError(f"Component {component_id} not found")
        if component.deleted_at is not None:
            raise archived(component_id)
        if expected_latest_version is not None:
            latest = yield from latest_visible_version(ctx, component_id)
            if latest != expected_latest_version:
                raise ComponentVersionConflictError(
                    f"Component {component_id} latest version is {latest}, expected {expected_latest_version}"
                )
        # Only a publish replaces the live pointer (stage can only be "published" if it is given:
        # published versions are immutable), so only a publish checks that guard.
        if stage == "published" and expected_current_version is not None and not current_version_matches(
            component.current_version, expected_current_version
        ):
            raise ComponentVersionConflictError(
                f"Component {component_id} current version is {component.current_version}, "
                f"expected {expected_current_version}"
            )
        if links:
            yield from validate_links(ctx, component_id, links)
        if label is not None:
            # A tombstoned version frees its label.
            taken = sa.select(c.c.version).where(c.c.component_id == component_id, c.c.label == label, is_visible(ctx))
            if version is not None:
                taken = taken.where(c.c.version != version)
            if (yield taken.limit(1)).first() is not None:
                raise ValueError(f"Label '{label}' already exists for {component_id}")

        now = int(time.time())
        if version is None:
            final_stage = stage or "draft"
            # High-water over every row, tombstones included: numbers are never recycled.
            highest = (yield sa.select(sa.func.max(c.c.version)).where(c.c.component_id == component_id)).scalar()
            final_version = int(highest or 0) + 1
            yield sa.insert(c).values(
                component_id=component_id, version=final_version, label=label, stage=final_stage,
                config=config, notes=notes, created_at=now,
            )
        else:
            existing = (yield sa.select(c.c.stage).where(c.c.component_id == component_id, c.c.version == version)).first()
            if existing is None or existing.stage == DELETED_CONFIG_STAGE:
                raise MissingRowError(f"Config {component_id} v{version} not found")
            if existing.stage == "published":
                raise ValueError(f"Cannot update published config {component_id} v{version}")
            final_stage = stage if stage is not None else existing.stage
            updates: dict[str, Any] = {"updated_at": now}
            for column, value in (("label", label), ("stage", stage), ("config", config), ("notes", notes)):
                if value is not None:
                    updates[column] = value
            yield sa.update(c).where(c.c.component_id == component_id, c.c.version == version).values(updates)
            final_version = version

        if links is not None:
            yield from write_links(ctx, component_id, final_version, links, now)

        if final_stage == "published":
            yield from check_pins(ctx, component_id, final_version, creating=False)
            # Publishing moves the pointer and re-projects the config's identity onto the row.
            published = config
            if published is None:
                published = (
                    yield sa.select(c.c.config).where(c.c.component_id == component_id, c.c.version == final_version)
                ).scalar()
            projection: dict[str, Any] = {"current_version": final_version, "updated_at": now}
            if isinstance(published, dict):
                projection.update(project_config_identity(published))
            yield sa.update(t).where(t.c.component_id == component_id).values(projection)
        return (yield from read_config(ctx, component_id, final_version))

    @operation(writes=True, absent=False)
    def delete_config(self, component_id: str, version: int, user_id: str | None = None) -> Steps[bool]:
        ctx = self._ctx
        c, links_table, t = ctx.tables.component_configs, ctx.tables.component_links, ctx.tables.components
        component = yield from lock_component(ctx, component_id)
        # The owner scope answers before any stage verdict: a foreign probe learns nothing.
        if component is None or (user_id is not None and component.user_id != user_id):
            return False
        if component.deleted_at is not None:
            raise archived(component_id)  # an archived history is frozen so restore brings it all back
        stage = (yield sa.select(c.c.stage).where(c.c.component_id == component_id, c.c.version == version)).scalar()
        if stage is None or stage == DELETED_CONFIG_STAGE:
            return False
        if stage == "published":
            raise ComponentDraftRequiredError(
                f"Cannot delete published config {component_id} v{version}; only drafts are deletable"
            )
        if component.current_version == version:
            raise ValueError(f"Cannot delete current config {component_id} v{version}")
        visible = (
            yield sa.select(sa.func.count()).select_from(c).where(c.c.component_id == component_id, is_visible(ctx))
        ).scalar_one()
        if visible <= 1:
            raise ComponentLastConfigError(f"Cannot delete the last visible config of {component_id}")
        # Only an ACTIVE parent holds a pin; the release must be proven (parent archived or its
        # version tombstoned), never assumed from a missing row.
        parent = sa.select(t.c.component_id).where(
            t.c.component_id == links_table.c.parent_component_id, t.c.deleted_at.is_not(None)
        )
        parent_version = sa.select(c.c.version).where(
            c.c.component_id == links_table.c.parent_component_id,
            c.c.version == links_table.c.parent_version,
            c.c.stage == DELETED_CONFIG_STAGE,
        )
        pinned = (
            yield sa.select(links_table.c.parent_component_id).where(
                links_table.c.child_component_id == component_id,
                links_table.c.child_version == version,
                ~parent.exists(),
                ~parent_version.exists(),
            )
        ).fetchall()
        if pinned:
            parents = sorted({str(r.parent_component_id) for r in pinned})
            raise ComponentDependencyError(f"Cannot delete {component_id} v{version}: pinned by {', '.join(parents)}")
        # Tombstone: the row keeps its number; its label is freed.
        yield sa.update(c).where(c.c.component_id == component_id, c.c.version == version).values(
            stage=DELETED_CONFIG_STAGE, label=None, updated_at=int(time.time())
        )
        yield sa.delete(links_table).where(
            links_table.c.parent_component_id == component_id, links_table.c.parent_version == version
        )
        return True

    @operation(writes=False, absent=list)
    def list_configs(
        self, component_id: str, include_config: bool = False, include_deleted: bool = False
    ) -> Steps[list[dict[str, Any]]]:
        ctx = self._ctx
        if (yield from live_component_row(ctx, component_id)) is None:
            return []
        c = ctx.tables.component_configs
        columns = list(c.c) if include_config else [
            c.c.component_id, c.c.version, c.c.label, c.c.stage, c.c.notes, c.c.created_at, c.c.updated_at
        ]
        stmt = sa.select(*columns).where(c.c.component_id == component_id)
        if not include_deleted:
            stmt = stmt.where(is_visible(ctx))
        return [as_dict(r) for r in (yield stmt.order_by(c.c.version.desc())).fetchall()]

    @operation(writes=True)
    def set_current_version(
        self,
        component_id: str,
        version: int,
        expected_current_version: int | None = None,
        user_id: str | None = None,
    ) -> Steps[bool]:
        ctx = self._ctx
        t, c = ctx.tables.components, ctx.tables.component_configs
        component = yield from lock_component(ctx, component_id)
        if component is None or component.deleted_at is not None:
            return False
        if user_id is not None and component.user_id != user_id:
            return False  # a foreign or shared row answers like a missing one
        stage = (yield sa.select(c.c.stage).where(c.c.component_id == component_id, c.c.version == version)).scalar()
        if stage is None:
            return False
        if stage != "published":
            raise ValueError(
                f"Cannot set draft config {component_id} v{version} as current. Only published configs can be current."
            )
        if expected_current_version is not None and not current_version_matches(
            component.current_version, expected_current_version
        ):
            raise ComponentVersionConflictError(
                f"Component {component_id} current version is {component.current_version}, "
                f"expected {expected_current_version}"
            )
        archived = yield from archived_pinned_children(ctx, component_id, version)
        if archived:
            raise ComponentDependencyError(
                f"Cannot make {component_id} v{version} current: pinned child(ren) {', '.join(archived)} are archived. "
                "Restore them first."
            )
        yield sa.update(t).where(t.c.component_id == component_id).values(
            current_version=version, updated_at=int(time.time())
        )
        return True

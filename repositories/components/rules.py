"""Input checks and the steps the component, config and link methods share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from agno.db.base import (
    DELETED_CONFIG_STAGE,
    PIN_LINK_KINDS,
    ComponentArchivedError,
    ComponentCycleError,
    ComponentDependencyError,
    ComponentType,
)
from sqlalchemy.engine import Row

from repositories.core.context import Ctx
from repositories.core.operation import Steps
from repositories.core.query import as_dict
from repositories.core.values import checked

STAGES = ("draft", "published")

MAX_GRAPH_DEPTH = 50  # agno's recursion guard for load_component_graph
_LINK_KEYS = ("link_kind", "link_key", "child_component_id", "child_version", "position")



def archived(component_id: str) -> ComponentArchivedError:
    return ComponentArchivedError(
        f"Component {component_id} is archived; restore it explicitly before writing to it"
    )


# --- input validation (before anything is read or written) -----------------------------------


def type_value_of(component_type: ComponentType | str | None) -> str | None:
    if component_type is None:
        return None
    try:
        return ComponentType(component_type).value
    except ValueError:
        choices = ", ".join(t.value for t in ComponentType)
        raise ValueError(f"component_type must be one of {choices}; got {component_type!r}") from None


def check_stage(stage: str | None) -> None:
    if stage is not None and stage not in STAGES:
        raise ValueError(f"Invalid stage: {stage}")


def check_config(config: Any) -> None:
    if config is not None and not isinstance(config, Mapping):
        raise ValueError(f"config must be a dict, got {type(config).__name__}")


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_links(ctx: Ctx, links: list[dict[str, Any]] | None) -> None:
    for link in links or []:
        checked(ctx.tables.component_links, link)


def link_rows_of(links: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    """The links as row values (without the parent); a malformed link is named in a ValueError."""
    if links is None:
        return None
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for index, link in enumerate(links):
        if not isinstance(link, Mapping):
            raise ValueError(f"link #{index} must be a dict, got {type(link).__name__}")
        child = link.get("child_component_id")
        if not isinstance(child, str) or not child:
            raise ValueError(f"link #{index} needs a child_component_id")
        if link.get("child_version") is None:
            raise ValueError(f"child_version is required for link to {child}")
        for key in _LINK_KEYS:
            if key not in link:
                raise ValueError(f"link #{index} to {child} is missing {key!r}")
        if not is_int(link["child_version"]) or not is_int(link["position"]):
            raise ValueError(f"link #{index} to {child}: child_version and position must be integers")
        if not isinstance(link["link_kind"], str) or not isinstance(link["link_key"], str):
            raise ValueError(f"link #{index} to {child}: link_kind and link_key must be strings")
        key_pair = (link["link_kind"], link["link_key"])
        if key_pair in seen:
            raise ValueError(f"links repeat link_kind {key_pair[0]!r} with link_key {key_pair[1]!r}")
        seen.add(key_pair)
        rows.append({key: link[key] for key in _LINK_KEYS} | {"meta": link.get("meta")})
    return rows


# --- shared steps -----------------------------------------------------------------------------


def insert_if_absent(ctx: Ctx, table: sa.Table, row: dict[str, Any]) -> Any:
    """Insert the component row unless its id exists; the result's rowcount says which.

    SQLAlchemy keeps an INSERT's rowcount only when asked (psycopg then reports -1).
    """
    return ctx.dialect.insert_ignore(table, row, key=["component_id"]).execution_options(preserve_rowcount=True)


def lock_component(ctx: Ctx, component_id: str) -> Steps[Row[Any] | None]:
    """Lock the component row; every write starts here, so writers of one component serialize.

    It is each write operation's first statement: on MySQL the transaction's snapshot is then
    taken after the lock, so later plain reads see what the previous lock holder committed.
    """
    t = ctx.tables.components
    stmt = sa.select(t.c.component_id, t.c.component_type, t.c.user_id, t.c.current_version, t.c.deleted_at)
    return (yield ctx.dialect.locked(stmt.where(t.c.component_id == component_id))).first()


def read_component(ctx: Ctx, component_id: str) -> Steps[dict[str, Any]]:
    t = ctx.tables.components
    row = (yield sa.select(t).where(t.c.component_id == component_id)).first()
    if row is None:
        raise ValueError(f"Failed to get component {component_id} after writing it")
    return as_dict(row)


def read_config(ctx: Ctx, component_id: str, version: int) -> Steps[dict[str, Any]]:
    c = ctx.tables.component_configs
    row = (yield sa.select(c).where(c.c.component_id == component_id, c.c.version == version)).first()
    if row is None:
        raise ValueError(f"Failed to get config {component_id} v{version} after writing it")
    return as_dict(row)


def is_visible(ctx: Ctx) -> sa.ColumnElement[bool]:
    return ctx.tables.component_configs.c.stage != DELETED_CONFIG_STAGE


def live_component_row(ctx: Ctx, component_id: str) -> Steps[Row[Any] | None]:
    t = ctx.tables.components
    stmt = sa.select(t.c.component_id, t.c.current_version).where(
        t.c.component_id == component_id, t.c.deleted_at.is_(None)
    )
    return (yield stmt).first()


def latest_visible_version(ctx: Ctx, component_id: str) -> Steps[int | None]:
    c = ctx.tables.component_configs
    stmt = sa.select(sa.func.max(c.c.version)).where(c.c.component_id == component_id, is_visible(ctx))
    return (yield stmt).scalar()


def validate_links(ctx: Ctx, parent_id: str, links: list[dict[str, Any]]) -> Steps[None]:
    """Children exist and are live (their rows stay locked), and no new edge closes a cycle."""
    child_ids = sorted({link["child_component_id"] for link in links})
    if parent_id in child_ids:
        raise ComponentCycleError(f"Component {parent_id} cannot reference itself")
    if not child_ids:
        return
    t, links_table = ctx.tables.components, ctx.tables.component_links
    # Locked: an archive of a child waits for this write (and this one for it), so it either
    # sees the new link as a dependent or this validation sees the child archived.
    stmt = ctx.dialect.locked(sa.select(t.c.component_id, t.c.deleted_at).where(t.c.component_id.in_(child_ids)))
    found = {row.component_id: row.deleted_at for row in (yield stmt).fetchall()}
    for child_id in child_ids:
        if child_id not in found:
            raise ValueError(f"Cannot link {parent_id} to {child_id}: no component {child_id} exists")
        if found[child_id] is not None:
            raise ComponentArchivedError(f"Cannot link {parent_id} to archived component {child_id}")
    # Only the new edges can close a cycle: is the parent reachable from the new children?
    reach = sa.select(links_table.c.child_component_id.label("node")).where(
        links_table.c.parent_component_id.in_(child_ids)
    ).cte("reach", recursive=True)
    reach = reach.union(
        sa.select(links_table.c.child_component_id).join(reach, links_table.c.parent_component_id == reach.c.node)
    )
    closes = (yield sa.select(sa.exists().where(reach.c.node == parent_id))).scalar()
    if closes:
        raise ComponentCycleError(
            f"Linking {parent_id} -> {', '.join(child_ids)} would close a reference cycle"
        )


def write_links(ctx: Ctx, parent_id: str, version: int, links: list[dict[str, Any]], now: int) -> Steps[None]:
    links_table = ctx.tables.component_links
    yield sa.delete(links_table).where(
        links_table.c.parent_component_id == parent_id, links_table.c.parent_version == version
    )
    if links:
        parent = {"parent_component_id": parent_id, "parent_version": version, "created_at": now}
        rows = [{**link, **parent} for link in links]
        yield sa.insert(links_table).values(rows)


def check_pins(ctx: Ctx, parent_id: str, version: int, *, creating: bool) -> Steps[None]:
    """A published version pins published, live children (member and step links only)."""
    links_table, configs, t = ctx.tables.component_links, ctx.tables.component_configs, ctx.tables.components
    stmt = (
        sa.select(
            links_table.c.link_kind, links_table.c.child_component_id, links_table.c.child_version, configs.c.stage
        )
        .select_from(
            links_table.outerjoin(
                configs,
                sa.and_(
                    configs.c.component_id == links_table.c.child_component_id,
                    configs.c.version == links_table.c.child_version,
                ),
            )
        )
        .where(
            links_table.c.parent_component_id == parent_id,
            links_table.c.parent_version == version,
            links_table.c.link_kind.in_(PIN_LINK_KINDS),
        )
        .order_by(links_table.c.position, links_table.c.link_kind, links_table.c.link_key)
    )
    pins = (yield stmt).fetchall()
    if not pins:
        return
    child_ids = sorted({pin.child_component_id for pin in pins})
    # Locked, so an archive of a child cannot commit between this check and the publish.
    children = ctx.dialect.locked(sa.select(t.c.component_id, t.c.deleted_at).where(t.c.component_id.in_(child_ids)))
    archived = {row.component_id for row in (yield children).fetchall() if row.deleted_at is not None}
    for pin in pins:
        what = f"pinned {pin.link_kind} '{pin.child_component_id}'"
        if pin.stage != "published":
            subject = f"create {parent_id} as published" if creating else f"publish {parent_id} v{version}"
            raise ComponentDependencyError(
                f"Cannot {subject}: {what} v{pin.child_version} is {pin.stage or 'missing'}; publish the child first."
            )
        if pin.child_component_id in archived:
            raise ComponentDependencyError(
                f"Cannot publish {parent_id} v{version}: {what} is archived; restore it first."
            )


def archived_pinned_children(ctx: Ctx, component_id: str, version: int) -> Steps[list[str]]:
    """Children the version pins whose components are archived (their rows stay locked)."""
    links_table, t = ctx.tables.component_links, ctx.tables.components
    child_ids = (
        sa.select(links_table.c.child_component_id)
        .where(
            links_table.c.parent_component_id == component_id,
            links_table.c.parent_version == version,
            links_table.c.link_kind.in_(PIN_LINK_KINDS),
        )
        .scalar_subquery()
    )
    stmt = ctx.dialect.locked(sa.select(t.c.component_id, t.c.deleted_at).where(t.c.component_id.in_(child_ids)))
    rows = (yield stmt).fetchall()
    return sorted(str(row.component_id) for row in rows if row.deleted_at is not None)


def dependents_query(
    ctx: Ctx,
    component_id: str,
    *,
    version: int | None,
    active_parents_only: bool,
    parent_user_id: str | None,
) -> sa.Select[Any]:
    links_table, t, configs = ctx.tables.component_links, ctx.tables.components, ctx.tables.component_configs
    stmt = sa.select(links_table).where(links_table.c.child_component_id == component_id)
    if version is not None:
        stmt = stmt.where(links_table.c.child_version == version)
    if active_parents_only or parent_user_id is not None:
        stmt = stmt.join(t, t.c.component_id == links_table.c.parent_component_id)
    if active_parents_only:
        stmt = stmt.join(
            configs,
            sa.and_(
                configs.c.component_id == links_table.c.parent_component_id,
                configs.c.version == links_table.c.parent_version,
            ),
        ).where(t.c.deleted_at.is_(None), configs.c.stage != DELETED_CONFIG_STAGE)
    if parent_user_id is not None:
        # A parent the caller can neither see nor edit does not veto the caller's own delete.
        stmt = stmt.where(sa.or_(t.c.user_id == parent_user_id, t.c.user_id.is_(None)))
    return stmt.order_by(
        links_table.c.parent_component_id,
        links_table.c.parent_version,
        links_table.c.link_kind,
        links_table.c.link_key,
    )


def refuse_if_dependents(
    ctx: Ctx, component_id: str, *, active_parents_only: bool, parent_user_id: str | None
) -> Steps[None]:
    stmt = dependents_query(
        ctx, component_id, version=None, active_parents_only=active_parents_only, parent_user_id=parent_user_id
    )
    dependents = (yield stmt).fetchall()
    if dependents:
        parents = sorted({str(d.parent_component_id) for d in dependents})
        raise ComponentDependencyError(f"Cannot delete {component_id}: referenced by {', '.join(parents)}")


def visibility(ctx: Ctx, user_id: str) -> sa.ColumnElement[bool]:
    """agno's catalog visibility for a scoped read: own rows, unowned rows, live published rows.

    Visibility only: every write stays strictly owner-scoped.
    """
    t = ctx.tables.components
    return sa.or_(
        t.c.user_id == user_id,
        t.c.user_id.is_(None),
        sa.and_(t.c.current_version.is_not(None), t.c.deleted_at.is_(None)),
    )



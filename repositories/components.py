"""Components (saved agents, teams, workflows), their versioned configs and the links between them.

One row per component, one row per config version (``stage`` draft, published or agno's
``_deleted`` tombstone, whose number is never reused), one row per edge from a parent version to
a child component. The contract is agno 3.1's PostgresDb; on top of it:
- every write is one operation (one transaction) that first locks the component row, so version
  numbers are allocated race-free (two appends never collide, none is lost) and every guard
  (archived, owner, compare-and-set, dependents, last visible version) is decided on the locked
  row instead of check-then-write;
- a link's children are locked while it is validated, so an archive of a child and a link to it
  serialize: neither a live parent pinning an archived child nor a missed dependent can result;
- reference cycles are found with one recursive query, dependents and the latest configs with one
  query each, and ``load_component_graph`` reads a graph with a few queries per level;
- deleting a component disables the schedules aimed at it in the same transaction, as agno does;
- a link to a component with no catalog row is refused with a ValueError (the foreign key would
  refuse it anyway, with a less useful message), and so is a value too long for its column;
- ``load_component_graph`` honours ``label`` (agno's own ignores it and loads the live version);
- database errors propagate; nothing is turned into ``None``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from agno.db.base import (
    DELETED_CONFIG_STAGE,
    PIN_LINK_KINDS,
    ComponentArchivedError,
    ComponentCycleError,
    ComponentDependencyError,
    ComponentDraftRequiredError,
    ComponentLastConfigError,
    ComponentType,
    ComponentVersionConflictError,
    current_version_guard_clause,
    current_version_matches,
    project_config_identity,
)
from sqlalchemy.engine import Row

from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict
from repositories.core.repository import Repository
from repositories.core.values import checked
from repositories.schedules import disable_for_target

STAGES = ("draft", "published")
MAX_GRAPH_DEPTH = 50  # agno's recursion guard for load_component_graph
_LINK_KEYS = ("link_kind", "link_key", "child_component_id", "child_version", "position")


def _archived(component_id: str) -> ComponentArchivedError:
    return ComponentArchivedError(
        f"Component {component_id} is archived; restore it explicitly before writing to it"
    )


# --- input validation (before anything is read or written) -----------------------------------


def _type_value(component_type: ComponentType | str | None) -> str | None:
    if component_type is None:
        return None
    try:
        return ComponentType(component_type).value
    except ValueError:
        choices = ", ".join(t.value for t in ComponentType)
        raise ValueError(f"component_type must be one of {choices}; got {component_type!r}") from None


def _check_stage(stage: str | None) -> None:
    if stage is not None and stage not in STAGES:
        raise ValueError(f"Invalid stage: {stage}")


def _check_config(config: Any) -> None:
    if config is not None and not isinstance(config, Mapping):
        raise ValueError(f"config must be a dict, got {type(config).__name__}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_links(ctx: Ctx, links: list[dict[str, Any]] | None) -> None:
    for link in links or []:
        checked(ctx.tables.component_links, link)


def _link_rows(links: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
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
        if not _is_int(link["child_version"]) or not _is_int(link["position"]):
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


def _insert_if_absent(ctx: Ctx, table: sa.Table, row: dict[str, Any]) -> Any:
    """Insert the component row unless its id exists; the result's rowcount says which.

    SQLAlchemy keeps an INSERT's rowcount only when asked (psycopg then reports -1).
    """
    return ctx.dialect.insert_ignore(table, row, key=["component_id"]).execution_options(preserve_rowcount=True)


def _lock_component(ctx: Ctx, component_id: str) -> Steps[Row[Any] | None]:
    """Lock the component row; every write starts here, so writers of one component serialize.

    It is each write operation's first statement: on MySQL the transaction's snapshot is then
    taken after the lock, so later plain reads see what the previous lock holder committed.
    """
    t = ctx.tables.components
    stmt = sa.select(t.c.component_id, t.c.component_type, t.c.user_id, t.c.current_version, t.c.deleted_at)
    return (yield ctx.dialect.locked(stmt.where(t.c.component_id == component_id))).first()


def _read_component(ctx: Ctx, component_id: str) -> Steps[dict[str, Any]]:
    t = ctx.tables.components
    row = (yield sa.select(t).where(t.c.component_id == component_id)).first()
    if row is None:
        raise ValueError(f"Failed to get component {component_id} after writing it")
    return as_dict(row)


def _read_config(ctx: Ctx, component_id: str, version: int) -> Steps[dict[str, Any]]:
    c = ctx.tables.component_configs
    row = (yield sa.select(c).where(c.c.component_id == component_id, c.c.version == version)).first()
    if row is None:
        raise ValueError(f"Failed to get config {component_id} v{version} after writing it")
    return as_dict(row)


def _visible(ctx: Ctx) -> sa.ColumnElement[bool]:
    return ctx.tables.component_configs.c.stage != DELETED_CONFIG_STAGE


def _live_component_row(ctx: Ctx, component_id: str) -> Steps[Row[Any] | None]:
    t = ctx.tables.components
    stmt = sa.select(t.c.component_id, t.c.current_version).where(
        t.c.component_id == component_id, t.c.deleted_at.is_(None)
    )
    return (yield stmt).first()


def _latest_visible_version(ctx: Ctx, component_id: str) -> Steps[int | None]:
    c = ctx.tables.component_configs
    stmt = sa.select(sa.func.max(c.c.version)).where(c.c.component_id == component_id, _visible(ctx))
    return (yield stmt).scalar()


def _validate_links(ctx: Ctx, parent_id: str, links: list[dict[str, Any]]) -> Steps[None]:
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


def _write_links(ctx: Ctx, parent_id: str, version: int, links: list[dict[str, Any]], now: int) -> Steps[None]:
    links_table = ctx.tables.component_links
    yield sa.delete(links_table).where(
        links_table.c.parent_component_id == parent_id, links_table.c.parent_version == version
    )
    if links:
        parent = {"parent_component_id": parent_id, "parent_version": version, "created_at": now}
        rows = [{**link, **parent} for link in links]
        yield sa.insert(links_table).values(rows)


def _check_pins(ctx: Ctx, parent_id: str, version: int, *, creating: bool) -> Steps[None]:
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


def _archived_pinned_children(ctx: Ctx, component_id: str, version: int) -> Steps[list[str]]:
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


def _dependents_query(
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


def _refuse_if_dependents(
    ctx: Ctx, component_id: str, *, active_parents_only: bool, parent_user_id: str | None
) -> Steps[None]:
    stmt = _dependents_query(
        ctx, component_id, version=None, active_parents_only=active_parents_only, parent_user_id=parent_user_id
    )
    dependents = (yield stmt).fetchall()
    if dependents:
        parents = sorted({str(d.parent_component_id) for d in dependents})
        raise ComponentDependencyError(f"Cannot delete {component_id}: referenced by {', '.join(parents)}")


def _visibility(ctx: Ctx, user_id: str) -> sa.ColumnElement[bool]:
    """agno's catalog visibility for a scoped read: own rows, unowned rows, live published rows.

    Visibility only: every write stays strictly owner-scoped.
    """
    t = ctx.tables.components
    return sa.or_(
        t.c.user_id == user_id,
        t.c.user_id.is_(None),
        sa.and_(t.c.current_version.is_not(None), t.c.deleted_at.is_(None)),
    )


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
    row = yield from _lock_component(ctx, component_id)
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
        yield from _refuse_if_dependents(
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



# --- configs ----------------------------------------------------------------------------------


def _config_row(
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
            stmt = stmt.where(_visible(ctx))
    elif label is not None:
        stmt = stmt.where(c.c.label == label, _visible(ctx)).order_by(c.c.version.desc()).limit(1)
    elif current_version is not None:
        # A pointer naming a tombstoned version serves nothing rather than the dead payload.
        stmt = stmt.where(c.c.version == current_version, _visible(ctx))
    else:
        stmt = stmt.where(_visible(ctx)).order_by(c.c.version.desc()).limit(1)
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
        .where(c.c.component_id.in_(list(results)), _visible(ctx), t.c.deleted_at.is_(None))
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


# --- links and graphs -------------------------------------------------------------------------


class _Graph:
    """The rows a component graph needs, read a level at a time, then assembled like agno's recursion."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any] | None] = {}  # live components by id
        self.configs: dict[tuple[str, int], dict[str, Any] | None] = {}  # visible configs
        self.links: dict[tuple[str, int], list[dict[str, Any]]] = {}

    def child_version(self, link: Mapping[str, Any]) -> int | None:
        if link.get("child_version") is not None:
            return int(link["child_version"])
        child = self.components.get(link["child_component_id"])
        return None if child is None else child["current_version"]

    def build(self, component_id: str, version: int, path: frozenset[str], depth_left: int) -> dict[str, Any] | None:
        if depth_left <= 0:
            return None
        if component_id in path:
            return {
                "component": {"component_id": component_id},
                "config": None,
                "children": [],
                "resolved_versions": {},
                "cycle_detected": True,
            }
        # Only ancestors count: a child shared by two siblings is no cycle.
        path = path | {component_id}
        component = self.components.get(component_id)
        config = self.configs.get((component_id, version))
        if component is None or config is None:
            return None
        children: list[dict[str, Any]] = []
        resolved: dict[str, int | None] = {component_id: version}
        for link in self.links.get((component_id, version), []):
            child_id = link["child_component_id"]
            child_version = self.child_version(link)
            resolved[child_id] = child_version
            if child_version is None:
                children.append({"link": dict(link), "graph": None, "error": "child_version_unresolvable"})
                continue
            graph = self.build(child_id, child_version, path, depth_left - 1)
            if graph:
                resolved.update(graph.get("resolved_versions", {}))
            children.append({"link": dict(link), "graph": graph})
        return {
            "component": dict(component),
            "config": dict(config),
            "children": children,
            "resolved_versions": resolved,
        }


def _read_components(ctx: Ctx, graph: _Graph, ids: set[str]) -> Steps[None]:
    wanted = sorted(ids - graph.components.keys())
    if not wanted:
        return
    t = ctx.tables.components
    rows = (yield sa.select(t).where(t.c.component_id.in_(wanted), t.c.deleted_at.is_(None))).fetchall()
    found = {row.component_id: as_dict(row) for row in rows}
    for component_id in wanted:
        graph.components[component_id] = found.get(component_id)


def _read_versions(ctx: Ctx, graph: _Graph, pairs: set[tuple[str, int]]) -> Steps[None]:
    c, links_table = ctx.tables.component_configs, ctx.tables.component_links
    ids, versions = sorted({p[0] for p in pairs}), sorted({p[1] for p in pairs})
    # Component ids x versions is a superset of the pairs; the extra rows are dropped below.
    configs = (
        yield sa.select(c).where(c.c.component_id.in_(ids), c.c.version.in_(versions), _visible(ctx))
    ).fetchall()
    found = {(row.component_id, row.version): as_dict(row) for row in configs}
    links = (
        yield sa.select(links_table)
        .where(links_table.c.parent_component_id.in_(ids), links_table.c.parent_version.in_(versions))
        .order_by(links_table.c.position, links_table.c.link_kind, links_table.c.link_key)
    ).fetchall()
    for pair in pairs:
        graph.configs[pair] = found.get(pair)
        graph.links[pair] = []
    for row in links:
        pair = (row.parent_component_id, row.parent_version)
        if pair in pairs:
            graph.links[pair].append(as_dict(row))


class ComponentRepository(Repository):
    """agno's component, config and link methods, each one operation."""

    @operation(writes=False)
    def get_component(
        self,
        component_id: str,
        component_type: ComponentType | None = None,
        user_id: str | None = None,
        include_deleted: bool = False,
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        component_type = _type_value(component_type)
        t = ctx.tables.components
        stmt = sa.select(t).where(t.c.component_id == component_id)
        if not include_deleted:
            stmt = stmt.where(t.c.deleted_at.is_(None))
        if component_type is not None:
            stmt = stmt.where(t.c.component_type == component_type)
        if user_id is not None:
            stmt = stmt.where(_visibility(ctx, user_id))
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
        component_type = _type_value(component_type)
        t = ctx.tables.components
        row = yield from _lock_component(ctx, component_id)
        if row is None:
            if component_type is None:
                raise ValueError("component_type is required when creating a new component")
            values = {
                "component_id": component_id,
                "component_type": component_type,
                "name": name,
                "user_id": user_id,
                "description": description,
                "current_version": None,
                "metadata": metadata,
                "created_at": int(time.time()),
            }
            if (yield _insert_if_absent(ctx, t, values)).rowcount:
                return (yield from _read_component(ctx, component_id))
            # A concurrent creator won the id: continue as an update of its (now committed) row.
            row = yield from _lock_component(ctx, component_id)
            if row is None:
                raise ValueError(f"Component {component_id} vanished while being created")
        if user_id is not None and row.user_id != user_id:
            # Writes are owner-scoped: another owner's (or a shared) row answers like a missing one.
            raise ValueError(f"Component {component_id} not found")
        if row.deleted_at is not None:
            raise _archived(component_id)

        updates: dict[str, Any] = {"updated_at": int(time.time())}
        if component_type is not None:
            if str(row.component_type) != component_type:
                raise ValueError(
                    f"Cannot change component {component_id} from {row.component_type} "
                    f"to {component_type}; a component's type is fixed at creation."
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
        return (yield from _read_component(ctx, component_id))

    @operation(writes=True)
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
        row = yield from _lock_component(ctx, component_id)
        if row is None or (user_id is not None and row.user_id != user_id) or row.deleted_at is None:
            return False
        # Restoring returns the live version to dispatch, so the children it pins must be live too.
        if row.current_version is not None:
            archived = yield from _archived_pinned_children(ctx, component_id, row.current_version)
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
            if not _is_int(value) or value < 0:
                raise ValueError(f"`{argument}` must be an integer >= 0; got {value!r}")
        ctx = self._ctx
        component_type = _type_value(component_type)
        t = ctx.tables.components
        conditions: list[sa.ColumnElement[bool]] = []
        if component_type is not None:
            conditions.append(t.c.component_type == component_type)
        if user_id is not None:
            conditions.append(_visibility(ctx, user_id))
        if not include_deleted:
            conditions.append(t.c.deleted_at.is_(None))
        excluded = sorted(set(exclude_component_ids or ()))
        if excluded:
            conditions.append(t.c.component_id.notin_(excluded))
        if name is not None:
            conditions.append(t.c.name == name)
        total = (yield sa.select(sa.func.count()).select_from(t).where(*conditions)).scalar_one()
        stmt = (
            sa.select(t)
            .where(*conditions)
            .order_by(t.c.created_at.desc(), t.c.component_id)
            .limit(limit)
            .offset(offset)
        )
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
        _check_stage(stage)
        link_rows = _link_rows(links)
        type_value = _type_value(component_type)
        if type_value is None:
            raise ValueError("component_type is required when creating a component")
        if config is None:
            raise ValueError("config is required when creating a component")
        _check_config(config)
        identity = {"component_id": component_id, "name": name, "user_id": user_id}
        checked(self._ctx.tables.components, identity)
        checked(self._ctx.tables.component_configs, {"label": label})
        _check_links(self._ctx, link_rows)
        ctx = self._ctx
        component_type = type_value
        links = link_rows
        t, configs = ctx.tables.components, ctx.tables.component_configs
        # Deliberately vague: the message must not confirm that another user's component exists.
        taken = ValueError(f"Component ID {component_id} is not available")
        if (yield from _lock_component(ctx, component_id)) is not None:
            raise taken
        if links:
            yield from _validate_links(ctx, component_id, links)
        now, version = int(time.time()), 1
        component_row = {
            "component_id": component_id,
            "component_type": component_type,
            "name": name,
            "user_id": user_id,
            "description": description,
            "metadata": metadata,
            "current_version": version if stage == "published" else None,
            "created_at": now,
        }
        if not (yield _insert_if_absent(ctx, t, component_row)).rowcount:
            raise taken  # a concurrent creation won the id
        yield sa.insert(configs).values(
            component_id=component_id, version=version, label=label, stage=stage, config=config, notes=notes, created_at=now
        )
        if links:
            yield from _write_links(ctx, component_id, version, links, now)
            if stage == "published":
                yield from _check_pins(ctx, component_id, version, creating=True)  # raising rolls it all back
        component = yield from _read_component(ctx, component_id)
        return component, (yield from _read_config(ctx, component_id, version))

    @operation(writes=False)
    def get_config(
        self,
        component_id: str,
        version: int | None = None,
        label: str | None = None,
        include_deleted: bool = False,
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        component = yield from _live_component_row(ctx, component_id)
        if component is None:
            return None
        row = yield from _config_row(
            ctx, component_id, version=version, label=label, current_version=component.current_version,
            include_deleted=include_deleted,
        )
        return None if row is None else as_dict(row)

    @operation(writes=False)
    def get_current_config(self, component_id: str) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        component = yield from _live_component_row(ctx, component_id)
        if component is None or component.current_version is None:
            return None
        c = ctx.tables.component_configs
        stmt = sa.select(c).where(c.c.component_id == component_id, c.c.version == component.current_version, _visible(ctx))
        row = (yield stmt).first()
        return None if row is None else as_dict(row)

    @operation(writes=False)
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
        _check_stage(stage)
        _check_config(config)
        link_rows = _link_rows(links)
        if version is None and config is None:
            raise ValueError("config is required when creating a new version")
        checked(self._ctx.tables.component_configs, {"version": version, "label": label})
        _check_links(self._ctx, link_rows)
        ctx = self._ctx
        links = link_rows
        t, c = ctx.tables.components, ctx.tables.component_configs
        # The lock serializes every writer of this component: the version allocated below is free.
        component = yield from _lock_component(ctx, component_id)
        # Owner scope answers exactly like a missing component, before the archived verdict.
        if component is None or (user_id is not None and component.user_id != user_id):
            raise ValueError(f"Component {component_id} not found")
        if component.deleted_at is not None:
            raise _archived(component_id)
        if expected_latest_version is not None:
            latest = yield from _latest_visible_version(ctx, component_id)
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
            yield from _validate_links(ctx, component_id, links)
        if label is not None:
            # A tombstoned version frees its label.
            taken = sa.select(c.c.version).where(c.c.component_id == component_id, c.c.label == label, _visible(ctx))
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
                raise ValueError(f"Config {component_id} v{version} not found")
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
            yield from _write_links(ctx, component_id, final_version, links, now)

        if final_stage == "published":
            yield from _check_pins(ctx, component_id, final_version, creating=False)
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
        return (yield from _read_config(ctx, component_id, final_version))

    @operation(writes=True)
    def delete_config(self, component_id: str, version: int, user_id: str | None = None) -> Steps[bool]:
        ctx = self._ctx
        c, links_table, t = ctx.tables.component_configs, ctx.tables.component_links, ctx.tables.components
        component = yield from _lock_component(ctx, component_id)
        # The owner scope answers before any stage verdict: a foreign probe learns nothing.
        if component is None or (user_id is not None and component.user_id != user_id):
            return False
        if component.deleted_at is not None:
            raise _archived(component_id)  # an archived history is frozen so restore brings it all back
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
            yield sa.select(sa.func.count()).select_from(c).where(c.c.component_id == component_id, _visible(ctx))
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

    @operation(writes=False)
    def list_configs(
        self, component_id: str, include_config: bool = False, include_deleted: bool = False
    ) -> Steps[list[dict[str, Any]]]:
        ctx = self._ctx
        if (yield from _live_component_row(ctx, component_id)) is None:
            return []
        c = ctx.tables.component_configs
        columns = list(c.c) if include_config else [
            c.c.component_id, c.c.version, c.c.label, c.c.stage, c.c.notes, c.c.created_at, c.c.updated_at
        ]
        stmt = sa.select(*columns).where(c.c.component_id == component_id)
        if not include_deleted:
            stmt = stmt.where(_visible(ctx))
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
        component = yield from _lock_component(ctx, component_id)
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
        archived = yield from _archived_pinned_children(ctx, component_id, version)
        if archived:
            raise ComponentDependencyError(
                f"Cannot make {component_id} v{version} current: pinned child(ren) {', '.join(archived)} are archived. "
                "Restore them first."
            )
        yield sa.update(t).where(t.c.component_id == component_id).values(
            current_version=version, updated_at=int(time.time())
        )
        return True

    @operation(writes=False)
    def get_links(self, component_id: str, version: int, link_kind: str | None = None) -> Steps[list[dict[str, Any]]]:
        ctx = self._ctx
        links_table = ctx.tables.component_links
        stmt = sa.select(links_table).where(
            links_table.c.parent_component_id == component_id, links_table.c.parent_version == version
        )
        if link_kind is not None:
            stmt = stmt.where(links_table.c.link_kind == link_kind)
        stmt = stmt.order_by(links_table.c.position, links_table.c.link_kind, links_table.c.link_key)
        return [as_dict(r) for r in (yield stmt).fetchall()]

    @operation(writes=False)
    def get_dependents(
        self,
        component_id: str,
        version: int | None = None,
        active_parents_only: bool = False,
        parent_user_id: str | None = None,
    ) -> Steps[list[dict[str, Any]]]:
        ctx = self._ctx
        stmt = _dependents_query(
            ctx, component_id, version=version, active_parents_only=active_parents_only, parent_user_id=parent_user_id
        )
        return [as_dict(r) for r in (yield stmt).fetchall()]

    @operation(writes=False)
    def load_component_graph(
        self, component_id: str, version: int | None = None, label: str | None = None
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        graph = _Graph()
        yield from _read_components(ctx, graph, {component_id})
        top = graph.components[component_id]
        if top is None:
            return None
        if version is None and label is not None:
            row = yield from _config_row(
                ctx, component_id, version=None, label=label, current_version=None, include_deleted=False
            )
            version = None if row is None else row.version
        elif version is None:
            version = top["current_version"]
        if version is None:
            return None
        # Breadth-first over distinct (component, version) pairs: a few queries per level, and a
        # cycle in the stored links ends the walk because no pair is read twice.
        frontier: set[tuple[str, int]] = {(component_id, version)}
        for _ in range(MAX_GRAPH_DEPTH):
            if not frontier:
                break
            yield from _read_versions(ctx, graph, frontier)
            links = [link for pair in frontier for link in graph.links[pair] if graph.configs[pair] is not None]
            yield from _read_components(ctx, graph, {link["child_component_id"] for link in links})
            frontier = set()
            for link in links:
                child_id, child_version = link["child_component_id"], graph.child_version(link)
                if child_version is None or graph.components.get(child_id) is None:
                    continue
                if (child_id, child_version) not in graph.configs:
                    frontier.add((child_id, child_version))
        return graph.build(component_id, version, frozenset(), MAX_GRAPH_DEPTH)

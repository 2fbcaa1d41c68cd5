"""Links between component versions: children, dependents and whole graphs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from repositories.components.configs import config_row
from repositories.components.rules import MAX_GRAPH_DEPTH, dependents_query, is_visible
from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict
from repositories.core.repository import Repository

STAGES = ("draft", "published")

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
        yield sa.select(c).where(c.c.component_id.in_(ids), c.c.version.in_(versions), is_visible(ctx))
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



class ComponentLinkRepository(Repository):
    """agno's component-link methods, each one operation."""


    @operation(writes=False, absent=list)
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

    @operation(writes=False, absent=list)
    def get_dependents(
        self,
        component_id: str,
        version: int | None = None,
        active_parents_only: bool = False,
        parent_user_id: str | None = None,
    ) -> Steps[list[dict[str, Any]]]:
        ctx = self._ctx
        stmt = dependents_query(
            ctx, component_id, version=version, active_parents_only=active_parents_only, parent_user_id=parent_user_id
        )
        return [as_dict(r) for r in (yield stmt).fetchall()]

    @operation(writes=False, absent=None)
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
            row = yield from config_row(
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

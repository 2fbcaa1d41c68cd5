"""Company products, and the sources (repositories, documents, websites) each one reads."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from agno.db.schemas.products import company_sort, product_metadata, validate_product_fields
from agno.db.schemas.sources import validate_source_fields

from repositories.company import hierarchy as h
from repositories.core.arguments import ArgumentError
from repositories.core.context import Ctx, statement
from repositories.core.operation import Bound, Steps, operation
from repositories.core.query import as_dict
from repositories.core.repository import Repository


def _metadata(value: Any) -> dict[str, Any]:
    """agno's archive policy applied to ``value``; a non-dict is refused clearly (agno: a TypeError)."""
    if value is not None and not isinstance(value, dict):
        raise ArgumentError(f"metadata must be a dictionary or None, got {type(value).__name__}")
    return product_metadata(value)


@statement
def _products_stmt(ctx: Ctx, *, owned: bool, include_deleted: bool) -> sa.Select[Any]:
    table = ctx.tables.products
    stmt = sa.select(table)
    if owned:
        stmt = stmt.where(table.c.user_id == sa.bindparam("user_id"))
    return stmt if include_deleted else stmt.where(table.c.deleted_at.is_(None))


@statement
def _sources_stmt(ctx: Ctx, *, by_product: bool, owned: bool, include_deleted: bool) -> sa.Select[Any]:
    table = ctx.tables.sources
    stmt = sa.select(table).where(*h.active_parents(ctx, table, projects=False))
    if by_product:
        stmt = stmt.where(table.c.product_id == sa.bindparam("product_id"))
    if owned:
        stmt = stmt.where(table.c.user_id == sa.bindparam("user_id"))
    return stmt if include_deleted else stmt.where(table.c.deleted_at.is_(None))


@statement
def _same_reference_stmt(ctx: Ctx) -> sa.Select[Any]:
    table = ctx.tables.sources
    return sa.select(table).where(
        table.c.product_id == sa.bindparam("product_id"), table.c.reference == sa.bindparam("reference")
    ).order_by(table.c.created_at, table.c.id)


def _without_metadata(config: Any) -> dict[str, Any]:
    return {key: value for key, value in (config or {}).items() if key != "metadata"}


class ProductRepository(Repository):
    """agno's product methods: soft delete, archive cascades, routine links kept across edits."""

    @operation(writes=True)
    def create_product(self, product_data: dict[str, Any]) -> Steps[dict[str, Any]]:
        h.require_keys(product_data, ("id",), what="product_data")
        data = {**product_data, "metadata": _metadata(product_data.get("metadata"))}
        return (yield from h.insert(self._ctx, "products", data, what="product_data"))

    @operation(writes=False, absent=None)
    def get_product(
        self, product_id: str, user_id: str | None = None, include_deleted: bool = False
    ) -> Steps[dict[str, Any] | None]:
        return (yield from h.read(self._ctx, "products", product_id, user_id=user_id, deleted=h.visible(include_deleted)))

    @operation(writes=False, absent=lambda a: ([], 0))
    def get_products(
        self,
        user_id: str | None = None,
        limit: int = 20,
        page: int = 1,
        include_deleted: bool = False,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        ctx = self._ctx
        field, order = company_sort(sort_by, sort_order)
        h.positive_page(limit, page)
        filtered = _products_stmt(ctx, owned=user_id is not None, include_deleted=bool(include_deleted))
        return (yield from h.listing(ctx, filtered, ctx.tables.products, {"user_id": user_id},
                                     limit=limit, page=page, sort_by=field, sort_order=order))

    @operation(writes=True, absent=None)
    def update_product(self, product_id: str, user_id: str | None = None, **fields: Any) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        validate_product_fields(fields)
        if "metadata" in fields:
            fields["metadata"] = _metadata(fields["metadata"])
        current = yield from h.read(ctx, "products", product_id, user_id=user_id, deleted=False, locked=True)
        if current is None:
            return None
        if "metadata" in fields and "routine_ids" not in fields["metadata"]:
            # Replacing metadata keeps the routines linked to the product (agno's update_product_row).
            routine_ids = (current["metadata"] or {}).get("routine_ids")
            if routine_ids:
                fields = {**fields, "metadata": {**fields["metadata"], "routine_ids": routine_ids}}
        return (yield from h.write_and_read(ctx, "products", product_id, {**fields, "updated_at": h.now()}))

    @operation(writes=False)
    def get_product_counts(self, product_ids: list[str]) -> Steps[dict[str, dict[str, Any]]]:
        ctx = self._ctx
        if not product_ids:
            return {}
        projects = yield from h.open_project_counts(ctx, product_ids)
        tasks = yield from h.task_counts(ctx, "product_id", product_ids)
        return {pid: {"projects": projects[pid], "tasks": tasks[pid]} for pid in product_ids}

    @operation(writes=True, absent=False)
    def delete_product(self, product_id: str, user_id: str | None = None) -> Steps[bool]:
        ctx = self._ctx
        current = yield from h.read(ctx, "products", product_id, user_id=user_id, deleted=False, locked=True)
        if current is None:
            return False
        yield from h.refuse_active_tasks(ctx, "product_id", product_id)
        moment = h.now()
        yield from h.write(ctx, "products", product_id, {"deleted_at": moment, "updated_at": moment})
        parent = {"type": "product", "id": product_id}
        yield from h.archive_children(ctx, "projects", parent, moment)
        yield from h.archive_children(ctx, "tasks", parent, moment)
        return True

    @operation(writes=True, absent=None)
    def restore_product(self, product_id: str, user_id: str | None = None) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        current = yield from h.read(ctx, "products", product_id, user_id=user_id, deleted=True, locked=True)
        if current is None:
            return None
        moment = h.now()
        restored = yield from h.write_and_read(ctx, "products", product_id, {"deleted_at": None, "updated_at": moment})
        parent = {"type": "product", "id": product_id}
        yield from h.restore_children(ctx, "projects", parent, moment)
        yield from h.restore_children(ctx, "tasks", parent, moment)
        return restored

    @operation(writes=True)
    def add_product_routine(self, product_id: str, schedule_id: str) -> Steps[dict[str, Any]]:
        ctx = self._ctx
        yield from h.lock_product(ctx, product_id)
        row = yield from h.read(ctx, "products", product_id)
        assert row is not None
        metadata = product_metadata(dict(row["metadata"] or {}))
        ids = list(metadata.get("routine_ids") or [])
        if schedule_id in ids:
            return row
        metadata["routine_ids"] = [*ids, schedule_id]
        return (yield from h.write_and_read(ctx, "products", product_id, {"metadata": metadata, "updated_at": h.now()}))


class SourceRepository(Repository):
    """agno's source methods: readers configured on a product (credentials are names, never values)."""

    @operation(writes=True)
    def create_source(self, source_data: dict[str, Any], reuse: bool = False) -> Steps[dict[str, Any]]:
        ctx = self._ctx
        h.require_keys(source_data, ("id", "product_id", "reference", "type"), what="source_data")
        yield from h.lock_product(ctx, source_data["product_id"])
        if reuse:
            params = {"product_id": source_data["product_id"], "reference": source_data["reference"]}
            rows = [as_dict(r) for r in (yield Bound(_same_reference_stmt(ctx), params)).fetchall()]
            for existing in rows:
                if (
                    existing["deleted_at"] is not None
                    or existing["type"] != source_data["type"]
                    or existing["credential_ref"] != source_data.get("credential_ref")
                    or _without_metadata(existing["config"]) != _without_metadata(source_data.get("config"))
                ):
                    raise ValueError(
                        f"Source {existing['id']} already uses this reference with conflicting configuration or is archived"
                    )
            if rows:
                return rows[0]
        return (yield from h.insert(ctx, "sources", source_data, what="source_data"))

    @operation(writes=False, absent=None)
    def get_source(
        self, source_id: str, user_id: str | None = None, include_deleted: bool = False
    ) -> Steps[dict[str, Any] | None]:
        return (yield from h.read(self._ctx, "sources", source_id, user_id=user_id, deleted=h.visible(include_deleted)))

    @operation(writes=False, absent=lambda a: ([], 0))
    def get_sources(
        self,
        user_id: str | None = None,
        limit: int = 20,
        page: int = 1,
        include_deleted: bool = False,
        product_id: str | None = None,
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        ctx = self._ctx
        h.positive_page(limit, page)
        filtered = _sources_stmt(ctx, by_product=product_id is not None, owned=user_id is not None,
                                 include_deleted=bool(include_deleted))
        return (yield from h.listing(ctx, filtered, ctx.tables.sources, {"user_id": user_id, "product_id": product_id},
                                     limit=limit, page=page, sort_by="created_at", sort_order="desc"))

    @operation(writes=True, absent=None)
    def update_source(self, source_id: str, user_id: str | None = None, **fields: Any) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        existing = yield from h.read(ctx, "sources", source_id, user_id=user_id, deleted=False, locked=True)
        if existing is None:
            return None
        candidate = {**{key: existing[key] for key in ("type", "reference", "credential_ref", "config")}, **fields}
        if "config" not in fields and isinstance(candidate.get("config"), dict):
            candidate["config"] = _without_metadata(candidate["config"])
        # An unchanged legacy reference need not satisfy a newly introduced URL rule (agno's rule).
        if "reference" not in fields and candidate["type"] == existing["type"]:
            candidate.pop("reference", None)
        validate_source_fields(candidate)
        return (yield from h.write_and_read(ctx, "sources", source_id, {**fields, "updated_at": h.now()}))

    @operation(writes=True, absent=False)
    def delete_source(self, source_id: str, user_id: str | None = None) -> Steps[bool]:
        ctx = self._ctx
        existing = yield from h.read(ctx, "sources", source_id, user_id=user_id, deleted=False, locked=True)
        if existing is None:
            return False
        moment = h.now()
        yield from h.write(ctx, "sources", source_id, {"deleted_at": moment, "updated_at": moment})
        return True

    @operation(writes=True, absent=None)
    def restore_source(self, source_id: str, user_id: str | None = None) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        existing = yield from h.read(ctx, "sources", source_id, user_id=user_id, deleted=True, locked=True)
        if existing is None:
            return None
        return (yield from h.write_and_read(ctx, "sources", source_id, {"deleted_at": None, "updated_at": h.now()}))

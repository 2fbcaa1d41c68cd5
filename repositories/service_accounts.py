"""Service accounts (``agno.db.schemas.service_accounts``): AgentOS's machine identities.

agno's storage contract; on top of it, database errors propagate (agno's own classes answer
``None`` / ``[]`` for most of them, which reads as "no such account") and the active-name rule
is a unique constraint on every dialect, so two concurrent creates cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from agno.db.schemas.service_accounts import resolve_service_account_sort_column, validate_service_account_update

from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict, count_of, page_params, sort_direction
from repositories.core.repository import Repository
from repositories.core.values import checked
from repositories.schedules import check_row

_OURS = frozenset({"active_name"})  # our generated column: never returned, never written


def _select(table: sa.Table) -> sa.Select[Any]:
    return sa.select(*[c for c in table.c if c.name not in _OURS])


def _visible_to(table: sa.Table, user_id: str | None) -> list[sa.ColumnElement[bool]]:
    """A user sees their own accounts and workspace-level ones (no owner)."""
    return [] if user_id is None else [sa.or_(table.c.user_id == user_id, table.c.user_id.is_(None))]


def _account(ctx: Ctx, service_account_id: str, user_id: str | None = None) -> Steps[dict[str, Any] | None]:
    table = ctx.tables.service_accounts
    row = (yield _select(table).where(table.c.id == service_account_id, *_visible_to(table, user_id))).first()
    return None if row is None else as_dict(row)


class ServiceAccountRepository(Repository):

    @operation(writes=True)
    def create_service_account(self, account_data: dict[str, Any]) -> Steps[dict[str, Any]]:
        table = self._ctx.tables.service_accounts
        if not isinstance(account_data, Mapping):
            raise ValueError(f"account_data must be a dict, got {type(account_data).__name__}")
        if set(account_data) & _OURS:
            raise ValueError(f"account_data has unknown column(s) {sorted(set(account_data) & _OURS)}")
        row = checked(table, check_row(table, account_data, what="account_data"))
        # A second active account with this name (or this token, or id) is an IntegrityError, as in
        # agno: AlreadyExists, naming the table and key (operation.duplicate_error).
        yield sa.insert(table).values(**row)
        return dict(account_data)

    @operation(writes=False, absent=None)
    def get_service_account(self, service_account_id: str, user_id: str | None = None) -> Steps[dict[str, Any] | None]:
        return (yield from _account(self._ctx, service_account_id, user_id))

    @operation(writes=False)
    def get_service_account_by_token_hash(self, token_hash: str) -> Steps[dict[str, Any] | None]:
        table = self._ctx.tables.service_accounts
        row = (yield _select(table).where(table.c.token_hash == token_hash)).first()
        return None if row is None else as_dict(row)

    @operation(writes=False)
    def get_service_account_by_name(self, name: str, include_revoked: bool = False) -> Steps[dict[str, Any] | None]:
        table = self._ctx.tables.service_accounts
        stmt = _select(table).where(table.c.name == name)
        if not include_revoked:
            stmt = stmt.where(table.c.revoked_at.is_(None))
        row = (yield stmt.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(1)).first()
        return None if row is None else as_dict(row)

    @operation(writes=False)
    def get_service_accounts(
        self,
        include_revoked: bool = True,
        limit: int = 20,
        page: int = 1,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        user_id: str | None = None,
    ) -> Steps[tuple[list[dict[str, Any]], int]]:
        table = self._ctx.tables.service_accounts
        paging = page_params(limit, page)
        stmt = _select(table).where(*_visible_to(table, user_id))
        if not include_revoked:
            stmt = stmt.where(table.c.revoked_at.is_(None))
        total = (yield count_of(stmt)).scalar_one()
        # agno's whitelist: an unknown sort_by sorts by created_at (the listing is an API query string).
        column = table.c[resolve_service_account_sort_column(sort_by)]
        direction = sort_direction(descending=sort_order != "asc")
        stmt = stmt.order_by(direction(column), direction(table.c.id))
        if "limit" in paging:
            stmt = stmt.limit(paging["limit"]).offset(paging.get("offset", 0))
        return [as_dict(r) for r in (yield stmt).fetchall()], int(total)

    @operation(writes=True)
    def update_service_account(
        self, service_account_id: str, return_record: bool = True, **kwargs: Any
    ) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        table = ctx.tables.service_accounts
        validate_service_account_update(kwargs)  # only last_used_at / revoked_at; revocation is one-way
        stmt = sa.update(table).where(table.c.id == service_account_id).values(**checked(table, kwargs))
        updated = (yield stmt).rowcount
        if not return_record or not updated:
            return None
        return (yield from _account(ctx, service_account_id))

    @operation(writes=True)
    def delete_service_account(self, service_account_id: str) -> Steps[bool]:
        table = self._ctx.tables.service_accounts
        return bool((yield sa.delete(table).where(table.c.id == service_account_id)).rowcount)

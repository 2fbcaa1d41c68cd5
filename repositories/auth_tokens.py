"""OAuth tokens per provider, user and service (agno 3.1's contract; ``user_id=None`` is the
single-user mode, stored as ``""`` as agno does).

Unlike agno's classes, errors are raised instead of becoming ``None``/``False``, a token without
``provider``, ``service`` or ``token_data`` (or with a column the table lacks) is a ``ValueError``,
and ``upsert_auth_token`` returns the stored row (its real id and creation time).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from repositories.core.context import Ctx
from repositories.core.operation import Steps, operation
from repositories.core.query import as_dict
from repositories.core.repository import Repository
from repositories.core.values import checked


def _key(ctx: Ctx, provider: str, user_id: str | None, service: str) -> ColumnElement[bool]:
    table = ctx.tables.auth_tokens
    for name, value in (("provider", provider), ("service", service)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    if user_id is not None and not isinstance(user_id, str):
        raise ValueError(f"user_id must be a string or None, got {user_id!r}")
    return sa.and_(table.c.provider == provider, table.c.user_id == (user_id or ""), table.c.service == service)


class AuthTokenRepository(Repository):
    """agno's auth-token methods, each one operation."""

    @operation(writes=False, absent=None)
    def get_auth_token(self, provider: str, user_id: str | None, service: str) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        table = ctx.tables.auth_tokens
        row = (yield sa.select(table).where(_key(ctx, provider, user_id, service))).first()
        return None if row is None else as_dict(row)

    @operation(writes=True)
    def upsert_auth_token(self, token: dict[str, Any]) -> Steps[dict[str, Any] | None]:
        ctx = self._ctx
        table = ctx.tables.auth_tokens
        if not isinstance(token, dict):
            raise ValueError(f"token must be a dict, got {type(token).__name__}")
        unknown = sorted(set(token) - set(table.c.keys()))
        if unknown:
            raise ValueError(f"{table.name} has no column(s) {unknown}")
        if token.get("token_data") is None:
            raise ValueError("token must carry token_data")
        where = _key(ctx, token.get("provider"), token.get("user_id"), token.get("service"))  # type: ignore[arg-type]
        now = int(time.time())
        row = checked(table, {**token, "id": str(uuid.uuid4()), "user_id": token.get("user_id") or "",
                              "created_at": token.get("created_at") or now, "updated_at": now})
        yield ctx.dialect.upsert(table, row, key=["provider", "user_id", "service"],
                                 update=["token_data", "granted_scopes", "updated_at"])
        return as_dict((yield sa.select(table).where(where)).one())

    @operation(writes=True)
    def delete_auth_token(self, provider: str, user_id: str | None, service: str) -> Steps[bool]:
        ctx = self._ctx
        table = ctx.tables.auth_tokens
        return bool((yield sa.delete(table).where(_key(ctx, provider, user_id, service))).rowcount)

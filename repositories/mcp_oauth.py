"""The built-in MCP OAuth server's store (``agno.db.sql.mcp_oauth``'s contract), on every dialect.

Single use is one conditional DELETE whose rowcount decides (a replayed code or refresh token is
accepted on one replica only); expired rows are swept on each write; the registration and
pending-authorization caps bound what an unauthenticated caller can make the table hold. The
provider hashes and serializes before calling, so only opaque strings arrive here. Errors are
raised, except the signing-key insert, whose lost race is its answer (False).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from repositories.core.operation import Steps, operation
from repositories.core.repository import Repository
from repositories.core.values import checked


def _check_count(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")


class McpOAuthRepository(Repository):

    # --- clients (dynamic registration) ---

    @operation(writes=False, absent=None)
    def get_mcp_oauth_client(self, client_id: str) -> Steps[str | None]:
        table = self._ctx.tables.mcp_oauth_clients
        return (yield sa.select(table.c.client_metadata).where(table.c.client_id == client_id)).scalar()

    @operation(writes=True)
    def create_mcp_oauth_client(
        self, *, client_id: str, client_metadata: str, now: int, unconsumed_ttl: int, max_clients: int
    ) -> Steps[bool]:
        ctx = self._ctx
        table = ctx.tables.mcp_oauth_clients
        _check_count("max_clients", max_clients)
        row = checked(table, {"client_id": client_id, "client_metadata": client_metadata, "created_at": now,
                              "consumed_at": None}, exact=True)
        # Registrations that never completed consent are the flood vector: expire them, cap the rest.
        lock = ctx.dialect.transaction_lock(f"{table.name}:cap")
        if lock is not None:
            yield lock
        yield sa.delete(table).where(table.c.consumed_at.is_(None), table.c.created_at < now - unconsumed_ttl)
        unconsumed = (yield sa.select(sa.func.count()).select_from(table).where(table.c.consumed_at.is_(None))).scalar_one()
        if unconsumed >= max_clients:
            return False
        yield sa.insert(table).values(**row)
        return True

    @operation(writes=True)
    def mark_mcp_oauth_client_consumed(self, client_id: str, now: int) -> Steps[None]:
        table = self._ctx.tables.mcp_oauth_clients
        yield (
            sa.update(table)
            .where(table.c.client_id == client_id, table.c.consumed_at.is_(None))
            .values(consumed_at=now)
        )

    # --- pending authorizations ---

    @operation(writes=True)
    def store_mcp_oauth_transaction(
        self, *, txn_id: str, client_id: str, params: str, expires_at: int, now: int, max_pending: int
    ) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.mcp_oauth_transactions
        if not isinstance(max_pending, int) or isinstance(max_pending, bool) or max_pending < 1:
            raise ValueError(f"max_pending must be an integer >= 1, got {max_pending!r}")
        row = checked(table, {"txn_id": txn_id, "client_id": client_id, "params": params, "expires_at": expires_at}, exact=True)
        yield sa.delete(table).where(table.c.expires_at < now)
        count = (yield sa.select(sa.func.count()).select_from(table)).scalar_one()
        overflow = count - (max_pending - 1)
        if overflow > 0:
            # The oldest ids are read first: MySQL refuses a DELETE whose subquery reads its own table.
            oldest = yield sa.select(table.c.txn_id).order_by(table.c.expires_at.asc(), table.c.txn_id).limit(overflow)
            yield sa.delete(table).where(table.c.txn_id.in_([r[0] for r in oldest]))
        yield sa.insert(table).values(**row)

    @operation(writes=False, absent=None)
    def get_mcp_oauth_transaction(self, txn_id: str) -> Steps[tuple[str, int] | None]:
        table = self._ctx.tables.mcp_oauth_transactions
        row = (yield sa.select(table.c.params, table.c.expires_at).where(table.c.txn_id == txn_id)).first()
        return None if row is None else (row[0], row[1])

    @operation(writes=True)
    def consume_mcp_oauth_transaction(self, txn_id: str, now: int) -> Steps[tuple[str, int] | None]:
        table = self._ctx.tables.mcp_oauth_transactions
        row = (yield sa.select(table.c.params, table.c.expires_at).where(table.c.txn_id == txn_id)).first()
        if row is None or row[1] < now:
            return None  # an expired row is left for the sweep
        # The DELETE decides: of two replicas consuming at once, exactly one removes the row.
        deleted = (yield sa.delete(table).where(table.c.txn_id == txn_id)).rowcount
        return (row[0], row[1]) if deleted == 1 else None

    # --- authorization codes ---

    @operation(writes=True)
    def store_mcp_oauth_code(self, *, code_hash: str, payload: str, expires_at: int, now: int) -> Steps[None]:
        table = self._ctx.tables.mcp_oauth_codes
        row = checked(table, {"code_hash": code_hash, "payload": payload, "expires_at": expires_at}, exact=True)
        yield sa.delete(table).where(table.c.expires_at < now)
        yield sa.insert(table).values(**row)

    @operation(writes=False)
    def get_mcp_oauth_code(self, code_hash: str) -> Steps[tuple[str, int] | None]:
        table = self._ctx.tables.mcp_oauth_codes
        row = (yield sa.select(table.c.payload, table.c.expires_at).where(table.c.code_hash == code_hash)).first()
        return None if row is None else (row[0], row[1])

    @operation(writes=True)
    def delete_mcp_oauth_code(self, code_hash: str) -> Steps[bool]:
        table = self._ctx.tables.mcp_oauth_codes
        return (yield sa.delete(table).where(table.c.code_hash == code_hash)).rowcount == 1

    # --- refresh tokens ---

    @operation(writes=True)
    def store_mcp_oauth_refresh(
        self, *, token_hash: str, client_id: str, scopes: str, expires_at: int, now: int, family_id: str
    ) -> Steps[None]:
        table = self._ctx.tables.mcp_oauth_refresh_tokens
        row = checked(table, {"token_hash": token_hash, "client_id": client_id, "scopes": scopes,
                              "expires_at": expires_at, "family_id": family_id}, exact=True)
        yield sa.delete(table).where(table.c.expires_at < now)
        yield sa.insert(table).values(**row)

    @operation(writes=False)
    def get_mcp_oauth_refresh(self, token_hash: str) -> Steps[tuple[str, str, int] | None]:
        table = self._ctx.tables.mcp_oauth_refresh_tokens
        stmt = sa.select(table.c.client_id, table.c.scopes, table.c.expires_at).where(table.c.token_hash == token_hash)
        row = (yield stmt).first()
        return None if row is None else (row[0], row[1], row[2])

    @operation(writes=True)
    def delete_mcp_oauth_refresh(self, token_hash: str) -> Steps[bool]:
        table = self._ctx.tables.mcp_oauth_refresh_tokens
        return (yield sa.delete(table).where(table.c.token_hash == token_hash)).rowcount == 1

    @operation(writes=True)
    def delete_mcp_oauth_refresh_family(self, family_id: str) -> Steps[int]:
        table = self._ctx.tables.mcp_oauth_refresh_tokens
        return int((yield sa.delete(table).where(table.c.family_id == family_id)).rowcount or 0)

    # --- signing keys ---

    @operation(writes=False)
    def get_mcp_oauth_keys(self) -> Steps[list[tuple[str, str]]]:
        table = self._ctx.tables.mcp_oauth_keys
        rows = yield sa.select(table.c.kid, table.c.secret).order_by(table.c.created_at.desc(), table.c.kid.desc())
        return [(r[0], r[1]) for r in rows]

    @operation(writes=True)
    def insert_mcp_oauth_key(self, *, kid: str, secret: str, created_at: int) -> Steps[bool]:
        ctx = self._ctx
        table = ctx.tables.mcp_oauth_keys
        row = checked(table, {"kid": kid, "secret": secret, "created_at": created_at}, exact=True)
        # Another replica may have won the cold-start race with the same kid: that is False, not an error.
        return bool((yield ctx.dialect.insert_ignore(table, row, key=["kid"])).rowcount)

"""The built-in MCP OAuth server's store (``AgentOSBuiltinAuth``): registered clients, pending
authorizations, codes and refresh tokens (SHA-256 hashes only, never a replayable secret) and
the signing keys."""

from sqlalchemy import BigInteger
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, long_text


class McpOAuthClient(AgnoTable, table=True):
    """A dynamically registered public client; ``consumed_at`` exempts it from the flood cap."""

    __tablename__ = "agno_mcp_oauth_clients"

    client_id: str = Field(primary_key=True, sa_type=id_string())
    client_metadata: str = Field(sa_type=long_text())  # JSON text, as the provider serializes it
    created_at: int = Field(sa_type=BigInteger, index=True)
    consumed_at: int | None = Field(default=None, sa_type=BigInteger)


class McpOAuthTransaction(AgnoTable, table=True):
    """A pending authorization awaiting consent."""

    __tablename__ = "agno_mcp_oauth_transactions"

    txn_id: str = Field(primary_key=True, sa_type=id_string())
    client_id: str = Field(sa_type=id_string())
    params: str = Field(sa_type=long_text())
    expires_at: int = Field(sa_type=BigInteger, index=True)


class McpOAuthCode(AgnoTable, table=True):
    """A hashed authorization code; single use."""

    __tablename__ = "agno_mcp_oauth_codes"

    code_hash: str = Field(primary_key=True, sa_type=id_string())
    payload: str = Field(sa_type=long_text())
    expires_at: int = Field(sa_type=BigInteger, index=True)


class McpOAuthRefreshToken(AgnoTable, table=True):
    """A hashed refresh token; rotated on use, revoked with its whole family on reuse."""

    __tablename__ = "agno_mcp_oauth_refresh_tokens"

    token_hash: str = Field(primary_key=True, sa_type=id_string())
    client_id: str = Field(sa_type=id_string())
    scopes: str = Field(sa_type=long_text())
    expires_at: int = Field(sa_type=BigInteger, index=True)
    family_id: str = Field(sa_type=id_string(), index=True)


class McpOAuthKey(AgnoTable, table=True):
    """An HS256 signing key: the newest signs, any verifies."""

    __tablename__ = "agno_mcp_oauth_keys"

    kid: str = Field(primary_key=True, sa_type=id_string())
    secret: str = Field(sa_type=long_text())
    created_at: int = Field(sa_type=BigInteger, index=True)


register(McpOAuthClient, kind="mcp_oauth_clients", argument="mcp_oauth_clients_table",
         attribute="mcp_oauth_clients_table_name")
register(McpOAuthTransaction, kind="mcp_oauth_transactions", argument="mcp_oauth_transactions_table",
         attribute="mcp_oauth_transactions_table_name")
register(McpOAuthCode, kind="mcp_oauth_codes", argument="mcp_oauth_codes_table", attribute="mcp_oauth_codes_table_name")
register(McpOAuthRefreshToken, kind="mcp_oauth_refresh_tokens", argument="mcp_oauth_refresh_tokens_table",
         attribute="mcp_oauth_refresh_tokens_table_name")
register(McpOAuthKey, kind="mcp_oauth_keys", argument="mcp_oauth_keys_table", attribute="mcp_oauth_keys_table_name")

"""OAuth tokens agno's tools keep per provider, user and service (``""`` is the single-user mode)."""

from typing import Any

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, json_type, name_string


class AuthToken(AgnoTable, table=True):
    __tablename__ = "agno_auth_tokens"
    __table_args__ = (UniqueConstraint("provider", "user_id", "service"),)

    id: str = Field(primary_key=True, sa_type=id_string())
    provider: str = Field(sa_type=name_string(), index=True)
    user_id: str = Field(sa_type=id_string(), index=True)
    service: str = Field(sa_type=name_string(), index=True)
    token_data: Any = Field(sa_type=json_type())
    granted_scopes: Any = Field(default=None, sa_type=json_type(), nullable=True)
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)


register(AuthToken, kind="auth_tokens", argument="auth_tokens_table", attribute="auth_tokens_table_name")

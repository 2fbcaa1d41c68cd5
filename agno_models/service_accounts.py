"""Service accounts: machine identities AgentOS authenticates by an opaque token (stored hashed)."""

from typing import Any

from sqlalchemy import BigInteger, Column, Computed, UniqueConstraint
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, json_type, name_string


class ServiceAccount(AgnoTable, table=True):
    __tablename__ = "agno_service_accounts"
    __table_args__ = (
        # A name is reusable once its account is revoked (rotation keeps the identity): unique
        # among active accounts, through a generated column that is NULL for revoked rows.
        # agno uses a partial index, which MySQL/MariaDB cannot express.
        UniqueConstraint("active_name"),
        UniqueConstraint("token_hash"),  # the lookup on every authenticated request
    )

    id: str = Field(primary_key=True, sa_type=id_string())
    name: str = Field(sa_type=name_string(), index=True)
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)  # owner; None: workspace-level
    token_hash: str = Field(sa_type=id_string())
    token_prefix: str = Field(sa_type=id_string())
    scopes: list[Any] = Field(sa_type=json_type())
    created_at: int = Field(sa_type=BigInteger, index=True)
    expires_at: int | None = Field(default=None, sa_type=BigInteger)
    last_used_at: int | None = Field(default=None, sa_type=BigInteger)
    revoked_at: int | None = Field(default=None, sa_type=BigInteger)
    created_by: str | None = Field(default=None, sa_type=id_string())
    active_name: str | None = Field(
        default=None,
        sa_column=Column(
            name_string(), Computed("CASE WHEN revoked_at IS NULL THEN name END", persisted=True), nullable=True,
            info={"means": "name among unrevoked accounts"},  # what a duplicate-key error calls it
        ),
    )


register(ServiceAccount, kind="service_accounts", argument="service_accounts_table",
         attribute="service_accounts_table_name")

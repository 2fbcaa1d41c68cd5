"""AgentOS authorization (``agno.os.authz``): role policy, role assignments, role metadata, the
credential-less user directory with its kill switch, and the change and access audit trails.

agno leaves these strings unbounded; here they carry lengths so the composite primary keys fit
MySQL's 3072-byte index limit (three 255-character keys take 3060 bytes in utf8mb4).
"""

from sqlalchemy import BigInteger
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, long_text, name_string


class AuthzPolicy(AgnoTable, table=True):
    """What a role may do: (resource, action, effect); deny overrides allow."""

    __tablename__ = "agno_authz_policy"

    role: str = Field(primary_key=True, sa_type=name_string())
    resource: str = Field(primary_key=True, sa_type=name_string())
    action: str = Field(primary_key=True, sa_type=name_string())
    effect: str = Field(sa_type=name_string())


class AuthzGrouping(AgnoTable, table=True):
    """Who holds which role; a role assigned to a role is inheritance."""

    __tablename__ = "agno_authz_grouping"

    subject: str = Field(primary_key=True, sa_type=name_string())
    # Every decision asks "is anything assigned to this name?": the key cannot answer by role alone.
    role: str = Field(primary_key=True, sa_type=name_string(), index=True)


class AuthzRole(AgnoTable, table=True):
    """What an admin UI shows of a role."""

    __tablename__ = "agno_authz_roles"

    slug: str = Field(primary_key=True, sa_type=name_string())
    name: str | None = Field(default=None, sa_type=name_string())
    description: str | None = Field(default=None, sa_type=long_text())
    is_default: bool
    created_at: int = Field(sa_type=BigInteger)
    updated_at: int = Field(sa_type=BigInteger)


class AuthzUser(AgnoTable, table=True):
    """The user directory: identity comes from the JWT, so no credentials; ``disabled`` revokes."""

    __tablename__ = "agno_authz_users"

    id: str = Field(primary_key=True, sa_type=name_string())  # the JWT sub
    email: str | None = Field(default=None, sa_type=name_string())
    name: str | None = Field(default=None, sa_type=name_string())
    disabled: bool
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int = Field(sa_type=BigInteger, index=True)
    user_metadata: str | None = Field(default=None, sa_type=long_text())  # JSON text, as agno keeps it


class AuthzAuditEvent(AgnoTable, table=True):
    """The change trail: who changed what. Append-only."""

    __tablename__ = "agno_authz_audit"

    event_id: str = Field(primary_key=True, sa_type=id_string())
    created_at: int = Field(sa_type=BigInteger, index=True)
    actor: str | None = Field(default=None, sa_type=name_string())
    action: str = Field(sa_type=name_string())
    target: str | None = Field(default=None, sa_type=long_text())
    before: str | None = Field(default=None, sa_type=long_text())
    after: str | None = Field(default=None, sa_type=long_text())


class AuthzDecision(AgnoTable, table=True):
    """The access trail: one allow/deny decision per row."""

    __tablename__ = "agno_authz_decisions"

    event_id: str = Field(primary_key=True, sa_type=id_string())
    created_at: int = Field(sa_type=BigInteger, index=True)
    actor: str | None = Field(default=None, sa_type=name_string())
    action: str = Field(sa_type=name_string())  # access.allowed / access.denied
    target: str | None = Field(default=None, sa_type=long_text())  # "METHOD /path"
    token_ref: str | None = Field(default=None, sa_type=name_string())  # a jti or a short hash, never the token
    required: str | None = Field(default=None, sa_type=long_text())  # JSON text
    scopes: str | None = Field(default=None, sa_type=long_text())  # JSON text


register(AuthzPolicy, kind="authz_policy", attribute="authz_policy_table_name")
register(AuthzGrouping, kind="authz_grouping", attribute="authz_grouping_table_name")
register(AuthzRole, kind="authz_roles", attribute="authz_roles_table_name")
register(AuthzUser, kind="authz_users", attribute="authz_users_table_name")
register(AuthzAuditEvent, kind="authz_audit", attribute="authz_audit_table_name")
register(AuthzDecision, kind="authz_decisions", attribute="authz_decisions_table_name")

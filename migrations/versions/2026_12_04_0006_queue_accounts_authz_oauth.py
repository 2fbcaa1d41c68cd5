"""The durable job queue, service accounts, authorization and the MCP OAuth store.

``agno_jobs``: one row per background run AgentOS accepted with ``QueueConfig(durable=True)``.
``agno_service_accounts``: AgentOS's machine identities (token hashes, scopes, revocation).
``agno_authz_*``: role policy, role assignments, role metadata, the user directory, and the
change and access audit trails of ``agno.os.authz``.
``agno_mcp_oauth_*``: the built-in MCP OAuth server's clients, pending authorizations, hashed
codes and refresh tokens, and signing keys.

The column types are written out here (``_types``), not imported from ``agno_models.types``:
this revision must create the same DDL forever, whatever the models become.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-04 01:30:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

# The runtime contract first: importing it makes the frozen modules below importable.
from agno_models.migration_context import names_in_context, owned_op

# isort: split
import _repeatable

op = _repeatable.RepeatableOp(owned_op)  # tables and indexes a half-applied run left are skipped

revision: str = '0006'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class _types:  # a namespace of frozen type definitions
    """Copies of the DDL-relevant parts of agno_models.types as of this revision."""

    class ExactString(TypeDecorator[str]):
        impl = sa.String
        cache_ok = True

        def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
            if dialect.name in ("mysql", "mariadb"):
                collation = "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"
                return dialect.type_descriptor(mysql.VARCHAR(self.impl.length, collation=collation))
            if dialect.name == "postgresql":
                return sa.String(self.impl.length, collation="C")
            return sa.String(self.impl.length)

    class ExactText(TypeDecorator[str]):
        impl = sa.Text
        cache_ok = True

        def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
            if dialect.name in ("mysql", "mariadb"):
                collation = "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"
                return dialect.type_descriptor(mysql.LONGTEXT(collation=collation))
            if dialect.name == "postgresql":
                return sa.Text(collation="C")
            return sa.Text()

    @staticmethod
    def json() -> TypeEngine[Any]:
        return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")

    @classmethod
    def id(cls) -> TypeEngine[str]:
        return cls.ExactString(128)

    @classmethod
    def name(cls) -> TypeEngine[str]:
        return cls.ExactString(255)

    @classmethod
    def kind(cls) -> TypeEngine[str]:
        return cls.ExactString(50)

    @classmethod
    def idempotency_key(cls) -> TypeEngine[str]:
        return cls.ExactString(512)

    @classmethod
    def text(cls) -> TypeEngine[str]:
        return cls.ExactText()


t = _types


def upgrade() -> None:
    n = names_in_context()
    op.create_table(n.jobs,
    sa.Column('id', t.id(), nullable=False),
    sa.Column('component_type', t.kind(), nullable=False),
    sa.Column('job_type', t.kind(), nullable=False),
    sa.Column('deployment_id', t.id(), nullable=True),
    sa.Column('component_id', t.id(), nullable=False),
    sa.Column('session_id', t.id(), nullable=False),
    sa.Column('user_id', t.id(), nullable=True),
    sa.Column('payload', t.json(), nullable=False),
    sa.Column('status', t.kind(), nullable=False),
    sa.Column('attempt', sa.BigInteger(), nullable=False),
    sa.Column('max_attempts', sa.BigInteger(), nullable=False),
    sa.Column('idempotency_key', t.idempotency_key(), nullable=True),
    sa.Column('available_at', sa.BigInteger(), nullable=False),
    sa.Column('locked_by', t.id(), nullable=True),
    sa.Column('locked_at', sa.BigInteger(), nullable=True),
    sa.Column('error', t.text(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.Column('completed_at', sa.BigInteger(), nullable=True),
    sa.Column('serialize_session', sa.Boolean(), nullable=False),
    sa.Column('session_seq', sa.BigInteger(), nullable=True),
    sa.Column('anonymous_idempotency_key', t.idempotency_key(),
              sa.Computed('CASE WHEN user_id IS NULL THEN idempotency_key END', persisted=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{n.jobs}')),
    sa.UniqueConstraint('idempotency_key', 'user_id', name=op.f(f'uq_{n.jobs}_idempotency_key_user_id')),
    sa.UniqueConstraint('anonymous_idempotency_key', name=op.f(f'uq_{n.jobs}_anonymous_idempotency_key')),
    )
    op.create_index(op.f(f'ix_{n.jobs}_component_id'), n.jobs, ['component_id'], unique=False)
    op.create_index(op.f(f'ix_{n.jobs}_created_at'), n.jobs, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.jobs}_session_id'), n.jobs, ['session_id'], unique=False)
    op.create_index(op.f(f'ix_{n.jobs}_status'), n.jobs, ['status'], unique=False)
    op.create_index(op.f(f'ix_{n.jobs}_status_available_at'), n.jobs, ['status', 'available_at'], unique=False)
    op.create_index(op.f(f'ix_{n.jobs}_session_id_session_seq'), n.jobs, ['session_id', 'session_seq'], unique=False)

    op.create_table(n.service_accounts,
    sa.Column('id', t.id(), nullable=False),
    sa.Column('name', t.name(), nullable=False),
    sa.Column('user_id', t.id(), nullable=True),
    sa.Column('token_hash', t.id(), nullable=False),
    sa.Column('token_prefix', t.id(), nullable=False),
    sa.Column('scopes', t.json(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=True),
    sa.Column('last_used_at', sa.BigInteger(), nullable=True),
    sa.Column('revoked_at', sa.BigInteger(), nullable=True),
    sa.Column('created_by', t.id(), nullable=True),
    sa.Column('active_name', t.name(), sa.Computed('CASE WHEN revoked_at IS NULL THEN name END', persisted=True),
              nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{n.service_accounts}')),
    sa.UniqueConstraint('active_name', name=op.f(f'uq_{n.service_accounts}_active_name')),
    sa.UniqueConstraint('token_hash', name=op.f(f'uq_{n.service_accounts}_token_hash')),
    )
    op.create_index(op.f(f'ix_{n.service_accounts}_created_at'), n.service_accounts, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.service_accounts}_name'), n.service_accounts, ['name'], unique=False)
    op.create_index(op.f(f'ix_{n.service_accounts}_user_id'), n.service_accounts, ['user_id'], unique=False)

    op.create_table(n.authz_policy,
    sa.Column('role', t.name(), nullable=False),
    sa.Column('resource', t.name(), nullable=False),
    sa.Column('action', t.name(), nullable=False),
    sa.Column('effect', t.name(), nullable=False),
    sa.PrimaryKeyConstraint('role', 'resource', 'action', name=op.f(f'pk_{n.authz_policy}')),
    )
    op.create_table(n.authz_grouping,
    sa.Column('subject', t.name(), nullable=False),
    sa.Column('role', t.name(), nullable=False),
    sa.PrimaryKeyConstraint('subject', 'role', name=op.f(f'pk_{n.authz_grouping}')),
    )
    op.create_index(op.f(f'ix_{n.authz_grouping}_role'), n.authz_grouping, ['role'], unique=False)
    op.create_table(n.authz_roles,
    sa.Column('slug', t.name(), nullable=False),
    sa.Column('name', t.name(), nullable=True),
    sa.Column('description', t.text(), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('slug', name=op.f(f'pk_{n.authz_roles}')),
    )
    op.create_table(n.authz_users,
    sa.Column('id', t.name(), nullable=False),
    sa.Column('email', t.name(), nullable=True),
    sa.Column('name', t.name(), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.Column('user_metadata', t.text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{n.authz_users}')),
    )
    op.create_index(op.f(f'ix_{n.authz_users}_created_at'), n.authz_users, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.authz_users}_updated_at'), n.authz_users, ['updated_at'], unique=False)
    op.create_table(n.authz_audit,
    sa.Column('event_id', t.id(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('actor', t.name(), nullable=True),
    sa.Column('action', t.name(), nullable=False),
    sa.Column('target', t.text(), nullable=True),
    sa.Column('before', t.text(), nullable=True),
    sa.Column('after', t.text(), nullable=True),
    sa.PrimaryKeyConstraint('event_id', name=op.f(f'pk_{n.authz_audit}')),
    )
    op.create_index(op.f(f'ix_{n.authz_audit}_created_at'), n.authz_audit, ['created_at'], unique=False)
    op.create_table(n.authz_decisions,
    sa.Column('event_id', t.id(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('actor', t.name(), nullable=True),
    sa.Column('action', t.name(), nullable=False),
    sa.Column('target', t.text(), nullable=True),
    sa.Column('token_ref', t.name(), nullable=True),
    sa.Column('required', t.text(), nullable=True),
    sa.Column('scopes', t.text(), nullable=True),
    sa.PrimaryKeyConstraint('event_id', name=op.f(f'pk_{n.authz_decisions}')),
    )
    op.create_index(op.f(f'ix_{n.authz_decisions}_created_at'), n.authz_decisions, ['created_at'], unique=False)

    op.create_table(n.mcp_oauth_clients,
    sa.Column('client_id', t.id(), nullable=False),
    sa.Column('client_metadata', t.text(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('consumed_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('client_id', name=op.f(f'pk_{n.mcp_oauth_clients}')),
    )
    op.create_index(op.f(f'ix_{n.mcp_oauth_clients}_created_at'), n.mcp_oauth_clients, ['created_at'], unique=False)
    op.create_table(n.mcp_oauth_transactions,
    sa.Column('txn_id', t.id(), nullable=False),
    sa.Column('client_id', t.id(), nullable=False),
    sa.Column('params', t.text(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('txn_id', name=op.f(f'pk_{n.mcp_oauth_transactions}')),
    )
    op.create_index(op.f(f'ix_{n.mcp_oauth_transactions}_expires_at'), n.mcp_oauth_transactions, ['expires_at'],
                    unique=False)
    op.create_table(n.mcp_oauth_codes,
    sa.Column('code_hash', t.id(), nullable=False),
    sa.Column('payload', t.text(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('code_hash', name=op.f(f'pk_{n.mcp_oauth_codes}')),
    )
    op.create_index(op.f(f'ix_{n.mcp_oauth_codes}_expires_at'), n.mcp_oauth_codes, ['expires_at'], unique=False)
    op.create_table(n.mcp_oauth_refresh_tokens,
    sa.Column('token_hash', t.id(), nullable=False),
    sa.Column('client_id', t.id(), nullable=False),
    sa.Column('scopes', t.text(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.Column('family_id', t.id(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f(f'pk_{n.mcp_oauth_refresh_tokens}')),
    )
    op.create_index(op.f(f'ix_{n.mcp_oauth_refresh_tokens}_expires_at'), n.mcp_oauth_refresh_tokens, ['expires_at'],
                    unique=False)
    op.create_index(op.f(f'ix_{n.mcp_oauth_refresh_tokens}_family_id'), n.mcp_oauth_refresh_tokens, ['family_id'],
                    unique=False)
    op.create_table(n.mcp_oauth_keys,
    sa.Column('kid', t.id(), nullable=False),
    sa.Column('secret', t.text(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('kid', name=op.f(f'pk_{n.mcp_oauth_keys}')),
    )
    op.create_index(op.f(f'ix_{n.mcp_oauth_keys}_created_at'), n.mcp_oauth_keys, ['created_at'], unique=False)


def downgrade() -> None:
    n = names_in_context()
    for kind in ("mcp_oauth_keys", "mcp_oauth_refresh_tokens", "mcp_oauth_codes", "mcp_oauth_transactions",
                 "mcp_oauth_clients"):
        op.drop_table(n[kind])
    for kind in ("authz_decisions", "authz_audit", "authz_users", "authz_roles", "authz_grouping", "authz_policy"):
        op.drop_table(n[kind])
    op.drop_table(n.service_accounts)
    op.drop_table(n.jobs)

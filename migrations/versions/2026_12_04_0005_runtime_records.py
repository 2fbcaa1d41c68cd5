"""Tables for agent runtimes and external agents: offloaded tool results, compaction records,
external-agent transcripts and OAuth tokens.

Additive only. The column types are written here, frozen as they were when this revision was
made, so a later change to the models' types can never change what this revision creates.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 01:50:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from agno_models.migrate import names_in_context
from agno_models.migrate import owned_op as op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL = ("mysql", "mariadb")


def _exact_collation(dialect: Dialect) -> str:
    return "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"


class _String(TypeDecorator[str]):
    """VARCHAR(length) compared byte for byte (binary NO PAD on MySQL, "C" on PostgreSQL)."""

    impl = sa.String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.VARCHAR(self.impl.length, collation=_exact_collation(dialect)))
        if dialect.name == "postgresql":
            return sa.String(self.impl.length, collation="C")
        return sa.String(self.impl.length)


class _Text(TypeDecorator[str]):
    """Unbounded text compared byte for byte; LONGTEXT on MySQL."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.LONGTEXT(collation=_exact_collation(dialect)))
        if dialect.name == "postgresql":
            return sa.Text(collation="C")
        return sa.Text()


def _id() -> _String:
    return _String(128)


def _name() -> _String:
    return _String(255)


def _kind() -> _String:
    return _String(50)


def _json() -> TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    n = names_in_context()
    op.create_table(n.tool_results,
    sa.Column('result_id', _id(), nullable=False),
    sa.Column('namespace', _name(), nullable=False),
    sa.Column('path', _name(), nullable=False),
    sa.Column('session_id', _id(), nullable=False),
    sa.Column('run_id', _id(), nullable=False),
    sa.Column('tool_call_id', _id(), nullable=False),
    sa.Column('tool_name', _name(), nullable=False),
    sa.Column('args_hash', _id(), nullable=False),
    sa.Column('content_type', _name(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('line_count', sa.BigInteger(), nullable=False),
    sa.Column('preview', _Text(), nullable=False),
    sa.Column('user_id', _id(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('result_id', name=op.f(f'pk_{n.tool_results}')),
    sa.UniqueConstraint('namespace', 'path', name=op.f(f'uq_{n.tool_results}_namespace_path')),
    )
    op.create_index(op.f(f'ix_{n.tool_results}_session_id_created_at'), n.tool_results, ['session_id', 'created_at'])
    op.create_index(op.f(f'ix_{n.tool_results}_user_id'), n.tool_results, ['user_id'])
    op.create_index(op.f(f'ix_{n.tool_results}_expires_at'), n.tool_results, ['expires_at'])

    op.create_table(n.compactions,
    sa.Column('compaction_id', _id(), nullable=False),
    sa.Column('session_id', _id(), nullable=False),
    sa.Column('run_id', _id(), nullable=True),
    sa.Column('user_id', _id(), nullable=True),
    sa.Column('first_kept_message_id', _id(), nullable=True),
    sa.Column('summary', _Text(), nullable=True),
    sa.Column('archived_messages', _Text(), nullable=True),
    sa.Column('messages_compacted', sa.BigInteger(), nullable=True),
    sa.Column('tokens_before', sa.BigInteger(), nullable=True),
    sa.Column('tokens_after', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('compaction_id', name=op.f(f'pk_{n.compactions}')),
    )
    op.create_index(op.f(f'ix_{n.compactions}_session_id_created_at'), n.compactions, ['session_id', 'created_at'])
    op.create_index(op.f(f'ix_{n.compactions}_user_id'), n.compactions, ['user_id'])

    op.create_table(n.transcripts,
    sa.Column('framework', _kind(), nullable=False),
    sa.Column('project_key', _name(), nullable=False),
    sa.Column('session_id', _id(), nullable=False),
    sa.Column('subpath', _id(), nullable=False),
    sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('entry_uuid', _id(), nullable=True),
    sa.Column('entry', _Text(), nullable=False),
    sa.Column('agno_session_id', _id(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('framework', 'project_key', 'session_id', 'subpath', 'position',
                            name=op.f(f'pk_{n.transcripts}')),
    sa.UniqueConstraint('framework', 'project_key', 'session_id', 'subpath', 'entry_uuid',
                        name=op.f(f'uq_{n.transcripts}_framework_project_key_session_id_subpath_entry_uuid')),
    )
    op.create_index(op.f(f'ix_{n.transcripts}_agno_session_id'), n.transcripts, ['agno_session_id'])

    op.create_table(n.auth_tokens,
    sa.Column('id', _id(), nullable=False),
    sa.Column('provider', _name(), nullable=False),
    sa.Column('user_id', _id(), nullable=False),
    sa.Column('service', _name(), nullable=False),
    sa.Column('token_data', _json(), nullable=False),
    sa.Column('granted_scopes', _json(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{n.auth_tokens}')),
    sa.UniqueConstraint('provider', 'user_id', 'service', name=op.f(f'uq_{n.auth_tokens}_provider_user_id_service')),
    )
    for column in ('provider', 'user_id', 'service', 'created_at'):
        op.create_index(op.f(f'ix_{n.auth_tokens}_{column}'), n.auth_tokens, [column])


def downgrade() -> None:
    n = names_in_context()
    for table in (n.auth_tokens, n.transcripts, n.compactions, n.tool_results):
        op.drop_table(table)

"""Tables for tool results, compaction records, transcripts and OAuth tokens.

What agent runtimes and external agents keep: offloaded tool results' index, compaction records
(folds of a conversation), external agents' transcripts, and OAuth tokens per user.

Additive only. The column types are frozen beside it (``frozen/_0005_types.py``), so a later
change to the models' types never changes what it creates; a half-applied run (MySQL commits
each DDL statement) is completed by the next upgrade.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 01:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

# The runtime contract first: importing it makes the frozen modules below importable.
from agno_models.migration_context import names_in_context, owned_op

# isort: split
import _0005_types as t
import _repeatable

op = _repeatable.RepeatableOp(owned_op)  # create_table/create_index skip what a half-applied run left

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    n = names_in_context()
    op.create_table(n.tool_results,
    sa.Column('result_id', t.id_string(), nullable=False),
    sa.Column('namespace', t.name_string(), nullable=False),
    sa.Column('path', t.name_string(), nullable=False),
    sa.Column('session_id', t.id_string(), nullable=False),
    sa.Column('run_id', t.id_string(), nullable=False),
    sa.Column('tool_call_id', t.id_string(), nullable=False),
    sa.Column('tool_name', t.name_string(), nullable=False),
    sa.Column('args_hash', t.id_string(), nullable=False),
    sa.Column('content_type', t.name_string(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('line_count', sa.BigInteger(), nullable=False),
    sa.Column('preview', t.long_text(), nullable=False),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('result_id', name=op.f(f'pk_{n.tool_results}')),
    sa.UniqueConstraint('namespace', 'path', name=op.f(f'uq_{n.tool_results}_namespace_path')),
    )
    op.create_index(op.f(f'ix_{n.tool_results}_session_id_created_at'), n.tool_results, ['session_id', 'created_at'])
    op.create_index(op.f(f'ix_{n.tool_results}_user_id'), n.tool_results, ['user_id'])
    op.create_index(op.f(f'ix_{n.tool_results}_expires_at'), n.tool_results, ['expires_at'])

    op.create_table(n.compactions,
    sa.Column('compaction_id', t.id_string(), nullable=False),
    sa.Column('session_id', t.id_string(), nullable=False),
    sa.Column('run_id', t.id_string(), nullable=True),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.Column('first_kept_message_id', t.id_string(), nullable=True),
    sa.Column('summary', t.long_text(), nullable=True),
    sa.Column('archived_messages', t.long_text(), nullable=True),
    sa.Column('messages_compacted', sa.BigInteger(), nullable=True),
    sa.Column('tokens_before', sa.BigInteger(), nullable=True),
    sa.Column('tokens_after', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('compaction_id', name=op.f(f'pk_{n.compactions}')),
    )
    op.create_index(op.f(f'ix_{n.compactions}_session_id_created_at'), n.compactions, ['session_id', 'created_at'])
    op.create_index(op.f(f'ix_{n.compactions}_user_id'), n.compactions, ['user_id'])

    op.create_table(n.transcripts,
    sa.Column('framework', t.kind_string(), nullable=False),
    sa.Column('project_key', t.name_string(), nullable=False),
    sa.Column('session_id', t.id_string(), nullable=False),
    sa.Column('subpath', t.id_string(), nullable=False),
    sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('entry_uuid', t.id_string(), nullable=True),
    sa.Column('entry', t.long_text(), nullable=False),
    sa.Column('agno_session_id', t.id_string(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('framework', 'project_key', 'session_id', 'subpath', 'position',
                            name=op.f(f'pk_{n.transcripts}')),
    sa.UniqueConstraint('framework', 'project_key', 'session_id', 'subpath', 'entry_uuid',
                        name=op.f(f'uq_{n.transcripts}_framework_project_key_session_id_subpath_entry_uuid')),
    )
    op.create_index(op.f(f'ix_{n.transcripts}_agno_session_id'), n.transcripts, ['agno_session_id'])

    op.create_table(n.auth_tokens,
    sa.Column('id', t.id_string(), nullable=False),
    sa.Column('provider', t.name_string(), nullable=False),
    sa.Column('user_id', t.id_string(), nullable=False),
    sa.Column('service', t.name_string(), nullable=False),
    sa.Column('token_data', t.json_type(), nullable=False),
    sa.Column('granted_scopes', t.json_type(), nullable=True),
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

"""Sandbox bindings: agno's sandbox session leases and recovery state.

``<session table>_sandbox_bindings`` (agno's name for it): one row per session a sandbox turn has
claimed, read and written by agno's own sandbox store (``agno.sandbox.postgres``) on PostgreSQL.
Deleting a session deletes its binding; the run a turn holds cannot be deleted on its own. Created
on every dialect, so the schema is the same everywhere.

The column types are written out here, not imported from ``agno_models.types``: this revision
must create the same DDL forever, whatever the models become.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 03:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

# The runtime contract first: importing it makes the frozen modules below importable.
from agno_models.migration_context import names_in_context, owned_op

# isort: split
import _0005_types as t
import _repeatable

op = _repeatable.RepeatableOp(owned_op)  # a table or index a half-applied run left is skipped

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class UTCDateTime(TypeDecorator[datetime]):
    """Frozen here (no earlier frozen module has it): an aware UTC datetime, DATETIME(6) on MySQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)


def upgrade() -> None:
    n = names_in_context()
    op.create_table(n.sandbox_bindings,
    sa.Column('namespace', t.ExactString(255), nullable=False),
    sa.Column('session_id', t.ExactString(128), nullable=False),
    sa.Column('agent_id', t.ExactString(128), nullable=False),
    sa.Column('user_id', t.ExactString(128), nullable=True),
    sa.Column('epoch', sa.BigInteger(), nullable=False),
    sa.Column('owner', t.ExactString(512), nullable=True),
    sa.Column('run_id', t.ExactString(128), nullable=True),
    sa.Column('queue_attempt', sa.BigInteger(), nullable=True),
    sa.Column('expires_at', UTCDateTime(), nullable=True),
    sa.Column('record', t.json_type(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], [f'{n.sessions}.session_id'],
                            name=op.f(f'fk_{n.sandbox_bindings}_session_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], [f'{n.runs}.run_id'], name=op.f(f'fk_{n.sandbox_bindings}_run_id')),
    sa.PrimaryKeyConstraint('namespace', 'session_id', name=op.f(f'pk_{n.sandbox_bindings}')),
    )
    # Deleting a run checks the bindings that reference it.
    op.create_index(op.f(f'ix_{n.sandbox_bindings}_run_id'), n.sandbox_bindings, ['run_id'], unique=False)


def downgrade() -> None:
    n = names_in_context()
    op.drop_table(n.sandbox_bindings)

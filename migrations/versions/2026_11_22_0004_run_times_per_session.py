"""Index the runs' creation time per session.

Every run write recounts its session's ``run_count`` and ``last_run_at`` (revision 0003) with
``count(*)`` and ``max(created_at)`` over the session's runs. With only the
``(session_id, run_index)`` key, ``max(created_at)`` read every run row of the session (each
holding its whole ``run_data``), so appending to a long session cost more than to a short one:
on MariaDB 1.6-1.9x from 5 to 50 runs. ``(session_id, created_at)`` answers both aggregates
from the index alone. It also serves "a session's runs by time".

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 08:10:00.000000
"""

from collections.abc import Sequence

# The runtime contract first: importing it makes the frozen modules below importable.
from agno_models.migration_context import names_in_context, owned_op

# isort: split
import _repeatable

op = _repeatable.RepeatableOp(owned_op)  # create_index skips an index a half-applied run left

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    n = names_in_context()
    op.create_index(op.f(f'ix_{n.runs}_session_id_created_at'), n.runs, ['session_id', 'created_at'], unique=False)


def downgrade() -> None:
    n = names_in_context()
    op.drop_index(op.f(f'ix_{n.runs}_session_id_created_at'), table_name=n.runs)

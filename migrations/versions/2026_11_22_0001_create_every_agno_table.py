"""Create every agno table.

The whole agno 3.1 storage schema in one step: sessions and runs, memories, knowledge contents
and embeddings, evals, metrics, traces and spans, schedules and their runs, approvals, learnings,
components with configs and links, and agno's schema-version table. Table names come from the
running configuration (``names_in_context``), so a renamed table set migrates the same way.

The column types are this revision's own frozen copy (``_0001_types``). Every step is repeatable
(``_repeatable``): on MySQL, where DDL commits on its own, a run that stopped half-way is
completed by the next one. The knowledge chunk table needs pgvector on PostgreSQL; it is made by
``_vector_table.ensure``, which skips it (with a warning) where the extension cannot be had, so
every other table still migrates there.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 03:25:04.313563
"""

from collections.abc import Sequence

import sqlalchemy as sa

# The runtime contract first: importing it makes the frozen modules below importable.
from agno_models.migration_context import names_in_context, owned_op

# isort: split
import _0001_types as t
import _repeatable
import _vector_table

op = _repeatable.RepeatableOp(owned_op)

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("agno_models",)  # our history, apart from the user's
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    n = names_in_context()
    op.create_table(n.approvals,
    sa.Column('id', t.id_string(), nullable=False),
    sa.Column('run_id', t.id_string(), nullable=False),
    sa.Column('session_id', t.id_string(), nullable=False),
    sa.Column('status', t.kind_string(), nullable=False),
    sa.Column('source_type', t.kind_string(), nullable=False),
    sa.Column('approval_type', t.kind_string(), nullable=True),
    sa.Column('pause_type', t.kind_string(), nullable=False),
    sa.Column('tool_name', t.name_string(), nullable=True),
    sa.Column('tool_args', t.json_type(), nullable=True),
    sa.Column('expires_at', sa.BigInteger(), nullable=True),
    sa.Column('agent_id', t.id_string(), nullable=True),
    sa.Column('team_id', t.id_string(), nullable=True),
    sa.Column('workflow_id', t.id_string(), nullable=True),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.Column('schedule_id', t.id_string(), nullable=True),
    sa.Column('schedule_run_id', t.id_string(), nullable=True),
    sa.Column('source_name', t.name_string(), nullable=True),
    sa.Column('requirements', t.json_type(), nullable=True),
    sa.Column('context', t.json_type(), nullable=True),
    sa.Column('resolution_data', t.json_type(), nullable=True),
    sa.Column('resolved_by', t.id_string(), nullable=True),
    sa.Column('resolved_at', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.Column('run_status', t.kind_string(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{n.approvals}'))
    )
    op.create_index(op.f(f'ix_{n.approvals}_agent_id'), n.approvals, ['agent_id'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_approval_type'), n.approvals, ['approval_type'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_created_at'), n.approvals, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_pause_type'), n.approvals, ['pause_type'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_run_id'), n.approvals, ['run_id'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_run_status'), n.approvals, ['run_status'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_schedule_id'), n.approvals, ['schedule_id'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_schedule_run_id'), n.approvals, ['schedule_run_id'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_session_id'), n.approvals, ['session_id'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_source_type'), n.approvals, ['source_type'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_status'), n.approvals, ['status'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_team_id'), n.approvals, ['team_id'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_user_id'), n.approvals, ['user_id'], unique=False)
    op.create_index(op.f(f'ix_{n.approvals}_workflow_id'), n.approvals, ['workflow_id'], unique=False)

    op.create_table(n.components,
    sa.Column('component_id', t.id_string(), nullable=False),
    sa.Column('component_type', t.kind_string(), nullable=False),
    sa.Column('name', t.name_string(), nullable=True),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.Column('description', t.long_text(), nullable=True),
    sa.Column('current_version', sa.Integer(), nullable=True),
    sa.Column('metadata', t.json_type(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.Column('deleted_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('component_id', name=op.f(f'pk_{n.components}'))
    )
    op.create_index(op.f(f'ix_{n.components}_component_type'), n.components, ['component_type'], unique=False)
    op.create_index(op.f(f'ix_{n.components}_created_at'), n.components, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.components}_current_version'), n.components, ['current_version'], unique=False)
    op.create_index(op.f(f'ix_{n.components}_name'), n.components, ['name'], unique=False)
    op.create_index(op.f(f'ix_{n.components}_user_id'), n.components, ['user_id'], unique=False)

    op.create_table(n.evals,
    sa.Column('run_id', t.id_string(), nullable=False),
    sa.Column('eval_type', t.kind_string(), nullable=False),
    sa.Column('eval_data', t.json_type(), nullable=False),
    sa.Column('eval_input', t.json_type(), nullable=False),
    sa.Column('name', t.name_string(), nullable=True),
    sa.Column('agent_id', t.id_string(), nullable=True),
    sa.Column('team_id', t.id_string(), nullable=True),
    sa.Column('workflow_id', t.id_string(), nullable=True),
    sa.Column('model_id', t.id_string(), nullable=True),
    sa.Column('model_provider', t.id_string(), nullable=True),
    sa.Column('evaluated_component_name', t.name_string(), nullable=True),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('run_id', name=op.f(f'pk_{n.evals}'))
    )
    op.create_index(op.f(f'ix_{n.evals}_agent_id'), n.evals, ['agent_id'], unique=False)
    op.create_index(op.f(f'ix_{n.evals}_created_at'), n.evals, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.evals}_eval_type'), n.evals, ['eval_type'], unique=False)
    op.create_index(op.f(f'ix_{n.evals}_team_id'), n.evals, ['team_id'], unique=False)
    op.create_index(op.f(f'ix_{n.evals}_user_id'), n.evals, ['user_id'], unique=False)
    op.create_index(op.f(f'ix_{n.evals}_workflow_id'), n.evals, ['workflow_id'], unique=False)

    op.create_table(n.knowledge,
    sa.Column('id', t.id_string(), nullable=False),
    sa.Column('name', t.name_string(), nullable=False),
    sa.Column('description', t.long_text(), nullable=False),
    sa.Column('metadata', t.json_type(), nullable=True),
    sa.Column('type', t.kind_string(), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('linked_to', t.id_string(), nullable=True),
    sa.Column('access_count', sa.BigInteger(), nullable=True),
    sa.Column('status', t.kind_string(), nullable=True),
    sa.Column('status_message', t.long_text(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.Column('external_id', t.id_string(), nullable=True),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{n.knowledge}'))
    )
    op.create_index(op.f(f'ix_{n.knowledge}_user_id_linked_to'), n.knowledge, ['user_id', 'linked_to'], unique=False)

    # pgvector-typed on PostgreSQL: created only where the extension is there or can be created.
    _vector_table.ensure(op.get_bind(), n, through="0001", required=False)

    op.create_table(n.learnings,
    sa.Column('learning_id', t.id_string(), nullable=False),
    sa.Column('learning_type', t.kind_string(), nullable=False),
    sa.Column('namespace', t.name_string(), nullable=True),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.Column('agent_id', t.id_string(), nullable=True),
    sa.Column('team_id', t.id_string(), nullable=True),
    sa.Column('workflow_id', t.id_string(), nullable=True),
    sa.Column('session_id', t.id_string(), nullable=True),
    sa.Column('entity_id', t.id_string(), nullable=True),
    sa.Column('entity_type', t.kind_string(), nullable=True),
    sa.Column('content', t.json_type(), nullable=False),
    sa.Column('metadata', t.json_type(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('learning_id', name=op.f(f'pk_{n.learnings}'))
    )
    op.create_index(op.f(f'ix_{n.learnings}_agent_id'), n.learnings, ['agent_id'], unique=False)
    op.create_index(op.f(f'ix_{n.learnings}_created_at'), n.learnings, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.learnings}_entity_id'), n.learnings, ['entity_id'], unique=False)
    op.create_index(op.f(f'ix_{n.learnings}_entity_type'), n.learnings, ['entity_type'], unique=False)
    op.create_index(op.f(f'ix_{n.learnings}_learning_type'), n.learnings, ['learning_type'], unique=False)
    op.create_index(op.f(f'ix_{n.learnings}_namespace'), n.learnings, ['namespace'], unique=False)
    op.create_index(op.f(f'ix_{n.learnings}_session_id'), n.learnings, ['session_id'], unique=False)
    op.create_index(op.f(f'ix_{n.learnings}_team_id'), n.learnings, ['team_id'], unique=False)
    op.create_index(op.f(f'ix_{n.learnings}_user_id'), n.learnings, ['user_id'], unique=False)
    op.create_index(op.f(f'ix_{n.learnings}_workflow_id'), n.learnings, ['workflow_id'], unique=False)

    op.create_table(n.memories,
    sa.Column('memory_id', t.id_string(), nullable=False),
    sa.Column('memory', t.json_type(), nullable=False),
    sa.Column('feedback', t.long_text(), nullable=True),
    sa.Column('input', t.long_text(), nullable=True),
    sa.Column('agent_id', t.id_string(), nullable=True),
    sa.Column('team_id', t.id_string(), nullable=True),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.Column('topics', t.json_type(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('memory_id', name=op.f(f'pk_{n.memories}'))
    )
    op.create_index(op.f(f'ix_{n.memories}_agent_id'), n.memories, ['agent_id'], unique=False)
    op.create_index(op.f(f'ix_{n.memories}_created_at'), n.memories, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.memories}_team_id'), n.memories, ['team_id'], unique=False)
    op.create_index(op.f(f'ix_{n.memories}_updated_at'), n.memories, ['updated_at'], unique=False)
    op.create_index(op.f(f'ix_{n.memories}_user_id_updated_at'), n.memories, ['user_id', 'updated_at'], unique=False)

    op.create_table(n.metrics,
    sa.Column('id', t.id_string(), nullable=False),
    sa.Column('agent_runs_count', sa.BigInteger(), nullable=False),
    sa.Column('team_runs_count', sa.BigInteger(), nullable=False),
    sa.Column('workflow_runs_count', sa.BigInteger(), nullable=False),
    sa.Column('agent_sessions_count', sa.BigInteger(), nullable=False),
    sa.Column('team_sessions_count', sa.BigInteger(), nullable=False),
    sa.Column('workflow_sessions_count', sa.BigInteger(), nullable=False),
    sa.Column('users_count', sa.BigInteger(), nullable=False),
    sa.Column('token_metrics', t.json_type(), nullable=False),
    sa.Column('model_metrics', t.json_type(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('aggregation_period', t.kind_string(), nullable=False),
    sa.Column('user_id', t.id_string(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.Column('completed', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{n.metrics}')),
    sa.UniqueConstraint('user_id', 'date', 'aggregation_period', name=op.f(f'uq_{n.metrics}_user_id_date_aggregation_period'))
    )
    op.create_index(op.f(f'ix_{n.metrics}_date'), n.metrics, ['date'], unique=False)

    op.create_table(n.schedules,
    sa.Column('id', t.id_string(), nullable=False),
    sa.Column('name', t.name_string(), nullable=False),
    sa.Column('description', t.long_text(), nullable=True),
    sa.Column('method', t.kind_string(), nullable=False),
    sa.Column('endpoint', t.long_text(), nullable=False),
    sa.Column('payload', t.json_type(), nullable=True),
    sa.Column('cron_expr', t.name_string(), nullable=False),
    sa.Column('timezone', t.kind_string(), nullable=False),
    sa.Column('timeout_seconds', sa.BigInteger(), nullable=False),
    sa.Column('max_retries', sa.BigInteger(), nullable=False),
    sa.Column('retry_delay_seconds', sa.BigInteger(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('next_run_at', sa.BigInteger(), nullable=True),
    sa.Column('locked_by', t.id_string(), nullable=True),
    sa.Column('locked_at', sa.BigInteger(), nullable=True),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.Column('managed_by', t.kind_string(), nullable=True),
    sa.Column('target_type', t.kind_string(), nullable=True),
    sa.Column('target_id', t.id_string(), nullable=True),
    sa.Column('created_by_run_id', t.id_string(), nullable=True),
    sa.Column('created_by_session_id', t.id_string(), nullable=True),
    sa.Column('updated_by_run_id', t.id_string(), nullable=True),
    sa.Column('updated_by_session_id', t.id_string(), nullable=True),
    sa.Column('disabled_reason', t.long_text(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.Column('unowned_name', t.name_string(), sa.Computed('CASE WHEN user_id IS NULL THEN name END', persisted=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{n.schedules}')),
    sa.UniqueConstraint('unowned_name', name=op.f(f'uq_{n.schedules}_unowned_name')),
    sa.UniqueConstraint('user_id', 'name', name=op.f(f'uq_{n.schedules}_user_id_name'))
    )
    op.create_index(op.f(f'ix_{n.schedules}_created_at'), n.schedules, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.schedules}_enabled_next_run_at'), n.schedules, ['enabled', 'next_run_at'], unique=False)
    op.create_index(op.f(f'ix_{n.schedules}_managed_by'), n.schedules, ['managed_by'], unique=False)
    op.create_index(op.f(f'ix_{n.schedules}_name'), n.schedules, ['name'], unique=False)
    op.create_index(op.f(f'ix_{n.schedules}_next_run_at'), n.schedules, ['next_run_at'], unique=False)
    op.create_index(op.f(f'ix_{n.schedules}_target_id'), n.schedules, ['target_id'], unique=False)
    op.create_index(op.f(f'ix_{n.schedules}_user_id_enabled_next_run_at'), n.schedules, ['user_id', 'enabled', 'next_run_at'], unique=False)

    op.create_table(n.versions,
    sa.Column('table_name', t.id_string(), nullable=False),
    sa.Column('version', t.kind_string(), nullable=False),
    sa.Column('created_at', t.timestamp_text(), nullable=False),
    sa.Column('updated_at', t.timestamp_text(), nullable=True),
    sa.PrimaryKeyConstraint('table_name', name=op.f(f'pk_{n.versions}'))
    )
    op.create_index(op.f(f'ix_{n.versions}_created_at'), n.versions, ['created_at'], unique=False)

    op.create_table(n.sessions,
    sa.Column('session_id', t.id_string(), nullable=False),
    sa.Column('session_type', t.kind_string(), nullable=False),
    sa.Column('agent_id', t.id_string(), nullable=True),
    sa.Column('team_id', t.id_string(), nullable=True),
    sa.Column('workflow_id', t.id_string(), nullable=True),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.Column('session_data', t.json_type(), nullable=True),
    sa.Column('agent_data', t.json_type(), nullable=True),
    sa.Column('team_data', t.json_type(), nullable=True),
    sa.Column('workflow_data', t.json_type(), nullable=True),
    sa.Column('metadata', t.json_type(), nullable=True),
    sa.Column('summary', t.json_type(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('session_id', name=op.f(f'pk_{n.sessions}'))
    )
    op.create_index(op.f(f'ix_{n.sessions}_agent_id'), n.sessions, ['agent_id'], unique=False)
    op.create_index(op.f(f'ix_{n.sessions}_created_at'), n.sessions, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.sessions}_session_type_created_at'), n.sessions, ['session_type', 'created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.sessions}_team_id'), n.sessions, ['team_id'], unique=False)
    op.create_index(op.f(f'ix_{n.sessions}_user_id_created_at'), n.sessions, ['user_id', 'created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.sessions}_workflow_id'), n.sessions, ['workflow_id'], unique=False)

    op.create_table(n.traces,
    sa.Column('trace_id', t.id_string(), nullable=False),
    sa.Column('name', t.name_string(), nullable=False),
    sa.Column('status', t.kind_string(), nullable=False),
    sa.Column('start_time', t.timestamp_text(), nullable=False),
    sa.Column('end_time', t.timestamp_text(), nullable=False),
    sa.Column('duration_ms', sa.BigInteger(), nullable=False),
    sa.Column('run_id', t.id_string(), nullable=True),
    sa.Column('session_id', t.id_string(), nullable=True),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.Column('agent_id', t.id_string(), nullable=True),
    sa.Column('team_id', t.id_string(), nullable=True),
    sa.Column('workflow_id', t.id_string(), nullable=True),
    sa.Column('created_at', t.timestamp_text(), nullable=False),
    sa.PrimaryKeyConstraint('trace_id', name=op.f(f'pk_{n.traces}'))
    )
    op.create_index(op.f(f'ix_{n.traces}_agent_id'), n.traces, ['agent_id'], unique=False)
    op.create_index(op.f(f'ix_{n.traces}_created_at'), n.traces, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.traces}_name'), n.traces, ['name'], unique=False)
    op.create_index(op.f(f'ix_{n.traces}_run_id'), n.traces, ['run_id'], unique=False)
    op.create_index(op.f(f'ix_{n.traces}_session_id'), n.traces, ['session_id'], unique=False)
    op.create_index(op.f(f'ix_{n.traces}_start_time'), n.traces, ['start_time'], unique=False)
    op.create_index(op.f(f'ix_{n.traces}_status'), n.traces, ['status'], unique=False)
    op.create_index(op.f(f'ix_{n.traces}_team_id'), n.traces, ['team_id'], unique=False)
    op.create_index(op.f(f'ix_{n.traces}_user_id'), n.traces, ['user_id'], unique=False)
    op.create_index(op.f(f'ix_{n.traces}_workflow_id'), n.traces, ['workflow_id'], unique=False)

    op.create_table(n.component_configs,
    sa.Column('component_id', t.id_string(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('label', t.name_string(), nullable=True),
    sa.Column('stage', t.kind_string(), nullable=False),
    sa.Column('config', t.json_type(), nullable=False),
    sa.Column('notes', t.long_text(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.Column('deleted_at', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['component_id'], [f'{n.components}.component_id'], name=op.f(f'fk_{n.component_configs}_component_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('component_id', 'version', name=op.f(f'pk_{n.component_configs}'))
    )
    op.create_index(op.f(f'ix_{n.component_configs}_created_at'), n.component_configs, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.component_configs}_stage'), n.component_configs, ['stage'], unique=False)

    op.create_table(n.runs,
    sa.Column('run_id', t.id_string(), nullable=False),
    sa.Column('session_id', t.id_string(), nullable=False),
    sa.Column('run_type', t.kind_string(), nullable=False),
    sa.Column('agent_id', t.id_string(), nullable=True),
    sa.Column('team_id', t.id_string(), nullable=True),
    sa.Column('workflow_id', t.id_string(), nullable=True),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.Column('parent_run_id', t.id_string(), nullable=True),
    sa.Column('status', t.kind_string(), nullable=True),
    sa.Column('run_index', sa.BigInteger(), nullable=True),
    sa.Column('run_data', t.json_type(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], [f'{n.sessions}.session_id'], name=op.f(f'fk_{n.runs}_session_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', name=op.f(f'pk_{n.runs}')),
    sa.UniqueConstraint('session_id', 'run_index', name=op.f(f'uq_{n.runs}_session_id_run_index'))
    )
    op.create_index(op.f(f'ix_{n.runs}_agent_id'), n.runs, ['agent_id'], unique=False)
    op.create_index(op.f(f'ix_{n.runs}_created_at'), n.runs, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.runs}_parent_run_id'), n.runs, ['parent_run_id'], unique=False)
    op.create_index(op.f(f'ix_{n.runs}_run_type'), n.runs, ['run_type'], unique=False)
    op.create_index(op.f(f'ix_{n.runs}_status'), n.runs, ['status'], unique=False)
    op.create_index(op.f(f'ix_{n.runs}_team_id'), n.runs, ['team_id'], unique=False)
    op.create_index(op.f(f'ix_{n.runs}_user_id'), n.runs, ['user_id'], unique=False)
    op.create_index(op.f(f'ix_{n.runs}_workflow_id'), n.runs, ['workflow_id'], unique=False)

    op.create_table(n.schedule_runs,
    sa.Column('id', t.id_string(), nullable=False),
    sa.Column('schedule_id', t.id_string(), nullable=False),
    sa.Column('attempt', sa.BigInteger(), nullable=False),
    sa.Column('triggered_at', sa.BigInteger(), nullable=True),
    sa.Column('completed_at', sa.BigInteger(), nullable=True),
    sa.Column('status', t.kind_string(), nullable=False),
    sa.Column('status_code', sa.BigInteger(), nullable=True),
    sa.Column('run_id', t.id_string(), nullable=True),
    sa.Column('session_id', t.id_string(), nullable=True),
    sa.Column('error', t.long_text(), nullable=True),
    sa.Column('input', t.json_type(), nullable=True),
    sa.Column('output', t.json_type(), nullable=True),
    sa.Column('requirements', t.json_type(), nullable=True),
    sa.Column('user_id', t.id_string(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], [f'{n.schedules}.id'], name=op.f(f'fk_{n.schedule_runs}_schedule_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{n.schedule_runs}'))
    )
    op.create_index(op.f(f'ix_{n.schedule_runs}_created_at'), n.schedule_runs, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.schedule_runs}_schedule_id_created_at'), n.schedule_runs, ['schedule_id', 'created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.schedule_runs}_status'), n.schedule_runs, ['status'], unique=False)
    op.create_index(op.f(f'ix_{n.schedule_runs}_user_id'), n.schedule_runs, ['user_id'], unique=False)

    op.create_table(n.spans,
    sa.Column('span_id', t.id_string(), nullable=False),
    sa.Column('trace_id', t.id_string(), nullable=False),
    sa.Column('parent_span_id', t.id_string(), nullable=True),
    sa.Column('name', t.name_string(), nullable=False),
    sa.Column('span_kind', t.kind_string(), nullable=False),
    sa.Column('status_code', t.kind_string(), nullable=False),
    sa.Column('status_message', t.long_text(), nullable=True),
    sa.Column('start_time', t.timestamp_text(), nullable=False),
    sa.Column('end_time', t.timestamp_text(), nullable=False),
    sa.Column('duration_ms', sa.BigInteger(), nullable=False),
    sa.Column('attributes', t.json_type(), nullable=True),
    sa.Column('created_at', t.timestamp_text(), nullable=False),
    sa.ForeignKeyConstraint(['trace_id'], [f'{n.traces}.trace_id'], name=op.f(f'fk_{n.spans}_trace_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('span_id', name=op.f(f'pk_{n.spans}'))
    )
    op.create_index(op.f(f'ix_{n.spans}_created_at'), n.spans, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.spans}_name'), n.spans, ['name'], unique=False)
    op.create_index(op.f(f'ix_{n.spans}_parent_span_id'), n.spans, ['parent_span_id'], unique=False)
    op.create_index(op.f(f'ix_{n.spans}_start_time'), n.spans, ['start_time'], unique=False)
    op.create_index(op.f(f'ix_{n.spans}_trace_id'), n.spans, ['trace_id'], unique=False)

    op.create_table(n.component_links,
    sa.Column('parent_component_id', t.id_string(), nullable=False),
    sa.Column('parent_version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('link_kind', t.kind_string(), nullable=False),
    sa.Column('link_key', t.id_string(), nullable=False),
    sa.Column('child_component_id', t.id_string(), nullable=False),
    sa.Column('child_version', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('meta', t.json_type(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['child_component_id'], [f'{n.components}.component_id'], name=op.f(f'fk_{n.component_links}_child_component_id')),
    sa.ForeignKeyConstraint(['parent_component_id', 'parent_version'], [f'{n.component_configs}.component_id', f'{n.component_configs}.version'], name=op.f(f'fk_{n.component_links}_parent_component_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('parent_component_id', 'parent_version', 'link_kind', 'link_key', name=op.f(f'pk_{n.component_links}'))
    )
    op.create_index(op.f(f'ix_{n.component_links}_child_component_id'), n.component_links, ['child_component_id'], unique=False)
    op.create_index(op.f(f'ix_{n.component_links}_created_at'), n.component_links, ['created_at'], unique=False)
    op.create_index(op.f(f'ix_{n.component_links}_link_kind'), n.component_links, ['link_kind'], unique=False)



def downgrade() -> None:
    n = names_in_context()
    # Children before parents; dropping a table drops its indexes.
    op.drop_table(n.component_links)
    op.drop_table(n.spans)
    op.drop_table(n.schedule_runs)
    op.drop_table(n.runs)
    op.drop_table(n.component_configs)
    op.drop_table(n.traces)
    op.drop_table(n.sessions)
    op.drop_table(n.versions)
    op.drop_table(n.schedules)
    op.drop_table(n.metrics)
    op.drop_table(n.memories)
    op.drop_table(n.learnings)
    if _repeatable.has_table(op.get_bind(), n.knowledge_embeddings):  # absent without pgvector
        op.drop_table(n.knowledge_embeddings)
    op.drop_table(n.knowledge)
    op.drop_table(n.evals)
    op.drop_table(n.components)
    op.drop_table(n.approvals)

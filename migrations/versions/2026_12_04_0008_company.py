"""Company: products, their sources, projects and tasks (agno 3.1's ``agno_company_*`` tables).

Additive only. The column types are revision 0005's frozen ones (``frozen/_0005_types.py``).
agno's own class creates these tables on first use, so a database it wrote may hold them
already: such a table is kept with its rows (its columns are ours), missing columns are added,
and an index is created only where no index on the same columns exists (agno's ``idx_*`` serve).
Every step looks at the database first, so a half-applied run (MySQL commits each DDL
statement) is completed by the next upgrade.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 03:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

# The runtime contract first: importing it makes the frozen modules below importable.
from agno_models.migration_context import names_in_context, owned_op

# isort: split
import _0005_types as t
import _repeatable

op = _repeatable.RepeatableOp(owned_op)

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _products() -> list[Any]:
    return [
        sa.Column('id', t.id_string(), nullable=False),
        sa.Column('name', t.name_string(), nullable=True),
        sa.Column('purpose', t.long_text(), nullable=True),
        sa.Column('user_id', t.id_string(), nullable=True),
        sa.Column('metadata', t.json_type(), nullable=True),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.BigInteger(), nullable=True),
        sa.Column('deleted_at', sa.BigInteger(), nullable=True),
    ]


def _sources() -> list[Any]:
    return [
        sa.Column('id', t.id_string(), nullable=False),
        sa.Column('product_id', t.id_string(), nullable=False),
        sa.Column('reference', t.long_text(), nullable=False),
        sa.Column('type', t.kind_string(), nullable=False),
        sa.Column('credential_ref', t.name_string(), nullable=True),
        sa.Column('user_id', t.id_string(), nullable=True),
        sa.Column('config', t.json_type(), nullable=True),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.BigInteger(), nullable=True),
        sa.Column('deleted_at', sa.BigInteger(), nullable=True),
    ]


def _projects() -> list[Any]:
    return [
        sa.Column('id', t.id_string(), nullable=False),
        sa.Column('name', t.name_string(), nullable=True),
        sa.Column('outcome', t.long_text(), nullable=True),
        sa.Column('user_id', t.id_string(), nullable=True),
        sa.Column('transitions', t.json_type(), nullable=True),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.BigInteger(), nullable=True),
        sa.Column('deleted_at', sa.BigInteger(), nullable=True),
        sa.Column('product_id', t.id_string(), nullable=False),
        sa.Column('status', t.kind_string(), nullable=False),
        sa.Column('target_date', sa.BigInteger(), nullable=True),
    ]


def _tasks() -> list[Any]:
    return [
        sa.Column('id', t.id_string(), nullable=False),
        sa.Column('product_id', t.id_string(), nullable=False),
        sa.Column('project_id', t.id_string(), nullable=True),
        sa.Column('title', t.name_string(), nullable=True),
        sa.Column('brief', t.long_text(), nullable=True),
        sa.Column('status', t.kind_string(), nullable=False),
        sa.Column('user_id', t.id_string(), nullable=True),
        sa.Column('executor_type', t.kind_string(), nullable=True),
        sa.Column('executor_id', t.id_string(), nullable=True),
        sa.Column('accepted_by', t.id_string(), nullable=True),
        sa.Column('accepted_at', sa.BigInteger(), nullable=True),
        sa.Column('session_id', t.id_string(), nullable=True),
        sa.Column('job_id', t.id_string(), nullable=True),
        sa.Column('evidence', t.json_type(), nullable=True),
        sa.Column('result', t.json_type(), nullable=True),
        sa.Column('origin', t.kind_string(), nullable=True),
        sa.Column('routine_id', t.id_string(), nullable=True),
        sa.Column('dedupe_key', t.id_string(), nullable=True),
        sa.Column('transitions', t.json_type(), nullable=True),
        sa.Column('metadata', t.json_type(), nullable=True),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.BigInteger(), nullable=True),
        sa.Column('deleted_at', sa.BigInteger(), nullable=True),
    ]


# (kind, columns, constraints beyond the key, indexed column lists)
_TABLES: list[tuple[str, Any, list[tuple[str, ...]], list[tuple[str, ...]]]] = [
    ('products', _products, [], [('name',), ('user_id',), ('created_at',)]),
    ('sources', _sources, [], [('product_id',), ('user_id',), ('created_at',)]),
    ('projects', _projects, [], [('name',), ('user_id',), ('created_at',), ('product_id',), ('status',)]),
    ('tasks', _tasks, [('product_id', 'dedupe_key')],
     [('product_id',), ('project_id',), ('title',), ('status',), ('user_id',), ('session_id',), ('job_id',),
      ('created_at',), ('routine_id',)]),
]


def _indexed_column_lists(table: str) -> set[tuple[str, ...]]:
    """Column lists already indexed (or unique) on ``table``: agno's own ``idx_*`` count."""
    inspector = sa.inspect(op.get_bind())
    found = {tuple(i["column_names"]) for i in inspector.get_indexes(table)}
    return found | {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}


def upgrade() -> None:
    n = names_in_context()
    bind = op.get_bind()
    for kind, columns, uniques, indexes in _TABLES:
        name = n[kind]  # type: ignore[index]
        if _repeatable.has_table(bind, name):
            # agno's class made it: keep it and its rows, add what it lacks.
            for column in _repeatable.missing_columns(bind, name, columns()):
                column.nullable = True  # existing rows have no value for it
                op.add_column(name, column)
        else:
            op.create_table(
                name,
                *columns(),
                sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
                *[sa.UniqueConstraint(*cols, name=op.f(f'uq_{name}_{"_".join(cols)}')) for cols in uniques],
            )
        present = _indexed_column_lists(name)
        for cols in [*uniques, *indexes]:
            if cols in present:
                continue
            if cols in uniques:  # agno's table without its proposal key: a unique index (SQLite has no ALTER for it)
                op.create_index(op.f(f'uq_{name}_{"_".join(cols)}'), name, list(cols), unique=True)
            else:
                op.create_index(op.f(f'ix_{name}_{"_".join(cols)}'), name, list(cols), unique=False)


def downgrade() -> None:
    n = names_in_context()
    for kind in ('tasks', 'projects', 'sources', 'products'):
        op.drop_table(n[kind])  # type: ignore[index]

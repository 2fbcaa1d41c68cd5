"""Keyword search on knowledge chunks.

The vector store (``repositories.vectors``) searches chunks by keyword and in hybrid with their
vectors. Every dialect gets an index on ``(knowledge_base, updated_at)`` (the exact-search cache
check), and each server its own full-text index on ``content``:
- PostgreSQL: a GIN index on ``to_tsvector('english', coalesce(content, ''))``, the very
  expression the keyword query uses, so the planner can match it;
- MySQL/MariaDB: an InnoDB FULLTEXT index;
- SQLite: nothing here. Its full-text index is an FTS5 virtual table (plus shadow tables and
  triggers) that the vector store creates on first use: the migration history keeps SQLite's
  table list equal to the models' tables, and FTS5 tables are not models.

The per-knowledge-base HNSW indexes are not here either: each base has its own dimension and
metric, known only at run time (agno's ``table_name`` and embedder). ``migrations/env.py`` leaves
both kinds of index out of Alembic's comparison by name.

The indexes are step 0002 of ``_vector_table`` (frozen there), which creates only what is missing
and skips a chunk table that revision 0001 left out for want of pgvector.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

# The runtime contract first: importing it makes the frozen modules below importable.
from agno_models.migration_context import names_in_context
from agno_models.migration_context import owned_op as op

# isort: split
import _vector_table

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    n = names_in_context()
    _vector_table.ensure(op.get_bind(), n, through="0002", required=False)


def downgrade() -> None:
    n = names_in_context()
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # The vector store's FTS5 mirror depends on this revision's code: remove it with it.
        fts = f"{n.knowledge_embeddings}_fts"
        for trigger in ("ai", "ad", "au"):
            op.execute(sa.text(f'DROP TRIGGER IF EXISTS "{fts}_{trigger}"'))
        op.execute(sa.text(f'DROP TABLE IF EXISTS "{fts}"'))
    _vector_table.drop_step_0002(bind, n)

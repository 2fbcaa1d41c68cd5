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

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from agno_models.knowledge import fulltext_index_name
from agno_models.migrate import names_in_context
from agno_models.migrate import owned_op as op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    n = names_in_context()
    bind = op.get_bind()
    # Every dialect: the exact-search cache (SQLite, MySQL) is checked against COUNT(*) and
    # MAX(updated_at) of a base before each query; this index answers both without a table scan.
    op.create_index(op.f(f'ix_{n.knowledge_embeddings}_knowledge_base_updated_at'), n.knowledge_embeddings,
                    ['knowledge_base', 'updated_at'], unique=False)
    name = fulltext_index_name(n.knowledge_embeddings)
    if bind.dialect.name == "postgresql":
        # 'english' matches agno's PgVector default (stemming, stopwords); the keyword query must
        # repeat this expression exactly for the index to be used.
        op.create_index(
            op.f(name), n.knowledge_embeddings,
            [sa.text("to_tsvector('english'::regconfig, coalesce(content, ''))")],
            unique=False, postgresql_using="gin",
        )
    elif bind.dialect.name in ("mysql", "mariadb"):
        op.create_index(op.f(name), n.knowledge_embeddings, ['content'], unique=False, mysql_prefix="FULLTEXT")


def downgrade() -> None:
    n = names_in_context()
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # The vector store's FTS5 mirror depends on this revision's code: remove it with it.
        fts = f"{n.knowledge_embeddings}_fts"
        for trigger in ("ai", "ad", "au"):
            op.execute(sa.text(f'DROP TRIGGER IF EXISTS "{fts}_{trigger}"'))
        op.execute(sa.text(f'DROP TABLE IF EXISTS "{fts}"'))
    else:
        op.drop_index(op.f(fulltext_index_name(n.knowledge_embeddings)), table_name=n.knowledge_embeddings)
    op.drop_index(op.f(f'ix_{n.knowledge_embeddings}_knowledge_base_updated_at'), table_name=n.knowledge_embeddings)

"""The knowledge chunk table and its indexes, created only where it can be. FROZEN step by step.

The chunk table is the one table typed by an extension (pgvector's ``vector`` on PostgreSQL). A
server without pgvector (many managed ones) must still get every other table, so revision 0001
does not create this table itself: it calls :func:`ensure`, which creates it where the dialect
can hold it and skips it, with a warning, on a PostgreSQL database where ``vector`` is not
installed and cannot be created. The vector store calls the same function on first use, so the
table appears once the extension has been installed.

Each step below is what its revision created; it is frozen with that revision. A later revision
that changes the chunk table adds a step here (and calls :func:`ensure` with its own revision),
so a table created late, on first use, still gets every step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# The runtime contract first: importing it makes the frozen modules below importable.
from agno_models.migration_context import MigratedNames, MissingExtensionError, postgres_extension_problem

# isort: split
import _0001_types as t

log = logging.getLogger("agno_models.migrations")

PGVECTOR_HINT = "pgvector, e.g. `apt install postgresql-15-pgvector`"
STEPS = ("0001", "0002")


def fulltext_index_name(table: str) -> str:
    """The keyword-search index on ``content`` (revision 0002)."""
    return f"ix_{table}_content_fulltext"


def _table_0001(metadata: sa.MetaData, name: str, schema: str | None) -> sa.Table:
    return sa.Table(
        name, metadata,
        sa.Column('knowledge_base', t.id_string(), nullable=False),
        sa.Column('id', t.id_string(), nullable=False),
        sa.Column('name', t.name_string(), nullable=True),
        sa.Column('meta_data', t.json_type(), nullable=True),
        sa.Column('filters', t.json_type(), nullable=True),
        sa.Column('content', t.long_text(), nullable=True),
        sa.Column('dimensions', sa.Integer(), nullable=False),
        sa.Column('embedding', t.Embedding(), nullable=True),
        sa.Column('usage', t.json_type(), nullable=True),
        sa.Column('content_hash', t.id_string(), nullable=True),
        sa.Column('content_id', t.id_string(), nullable=True),
        sa.Column('user_id', t.id_string(), nullable=True),
        sa.Column('created_at', t.UTCDateTime(), nullable=True),
        sa.Column('updated_at', t.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('knowledge_base', 'id', name=f'pk_{name}'),
        schema=schema,
    )


def _indexes_0001(table: sa.Table, dialect: str) -> list[sa.Index]:
    name = table.name
    return [
        sa.Index(f'ix_{name}_knowledge_base_{column}', table.c.knowledge_base, table.c[column])
        for column in ('content_hash', 'content_id', 'name', 'user_id')
    ]


def _indexes_0002(table: sa.Table, dialect: str) -> list[sa.Index]:
    # Every dialect: the exact-search cache check (COUNT(*) and MAX(updated_at) of a base).
    indexes = [sa.Index(f'ix_{table.name}_knowledge_base_updated_at', table.c.knowledge_base, table.c.updated_at)]
    fulltext = fulltext_index_name(table.name)
    if dialect == "postgresql":
        # 'english' matches agno's PgVector default; the keyword query repeats this expression.
        indexes.append(sa.Index(
            fulltext, sa.text("to_tsvector('english'::regconfig, coalesce(content, ''))"), postgresql_using="gin",
            _table=table,
        ))
    elif dialect in ("mysql", "mariadb"):
        indexes.append(sa.Index(fulltext, table.c.content, mysql_prefix="FULLTEXT"))
    # SQLite: the vector store keeps an FTS5 mirror instead (not a model table).
    return indexes


_INDEX_STEPS: dict[str, Callable[[sa.Table, str], list[sa.Index]]] = {"0001": _indexes_0001, "0002": _indexes_0002}


def ensure(
    connection: Connection, names: MigratedNames, *, through: str = STEPS[-1], schema: str | None = None,
    required: bool = True,
) -> bool:
    """Create the chunk table and the indexes of every step up to ``through`` where missing.

    Returns whether the table is there. On PostgreSQL without a usable ``vector`` extension:
    raises :class:`MissingExtensionError` when ``required``, else logs a warning and returns False.
    """
    if through not in STEPS:
        raise ValueError(f"unknown chunk-table step {through!r}; known: {', '.join(STEPS)}")
    dialect = connection.dialect.name
    if dialect == "postgresql":
        problem = postgres_extension_problem(connection, "vector", package_hint=PGVECTOR_HINT)
        if problem is not None:
            if required:
                raise MissingExtensionError(
                    f"{problem}. The vector store's chunk table {names.knowledge_embeddings!r} needs it (everything "
                    "else works without it); it is created on the vector store's next use once the extension is there."
                )
            log.warning(
                "%s. The knowledge chunk table %r is left out: everything but the vector store works without it, "
                "and the vector store creates the table on first use once the extension is there.",
                problem, names.knowledge_embeddings,
            )
            return False
        # Vector stores of several processes may make the table at once on first use: one at a time.
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                           {"key": f"agno_models chunk table {schema}.{names.knowledge_embeddings}"})
    table = _table_0001(sa.MetaData(), names.knowledge_embeddings, schema)
    table.create(connection, checkfirst=True)
    for step in STEPS[: STEPS.index(through) + 1]:
        for index in _INDEX_STEPS[step](table, dialect):
            index.create(connection, checkfirst=True)
    return True


def drop_step_0002(connection: Connection, names: MigratedNames, *, schema: str | None = None) -> None:
    """Undo step 0002 where the table exists (revision 0002's downgrade)."""
    if not sa.inspect(connection).has_table(names.knowledge_embeddings, schema=schema):
        return
    table = _table_0001(sa.MetaData(), names.knowledge_embeddings, schema)
    for index in reversed(_indexes_0002(table, connection.dialect.name)):
        index.drop(connection, checkfirst=True)

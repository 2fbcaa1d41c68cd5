"""The runtime contract between the revision scripts and the running configuration.

A revision, once applied somewhere, must keep meaning what it meant: so a revision carries its own
types, values and SQL (beside it, in ``migrations/versions/frozen/_<revision>_*.py``), and this module is
the only part of the package it may import. It holds what only the running configuration can
know: which table set is being migrated, the owned-table guard every operation goes through,
and the PostgreSQL extension check.

This contract may only grow. Never rename or remove anything here, nor change what an existing
name returns: applied revisions call it. ``agno_models.migrate`` re-exports it.

Importing it makes the revisions' frozen modules (``migrations/versions/frozen``) importable by
plain name (``import _0001_types``): Alembic loads revision files by path, outside any package,
in the checkout as in the installed wheel, so a revision imports this module before them.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, Protocol

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)


def frozen_folder() -> Path:
    """The revisions' frozen modules: the checkout's when running from one, else the packaged copy
    (the same choice as ``agno_models.migrate.script_location``)."""
    checkout = Path(__file__).resolve().parent.parent / "migrations"
    if (checkout / "env.py").is_file():
        return checkout / "versions" / "frozen"
    from importlib.resources import files

    return Path(str(files("agno_models.migrations"))) / "versions" / "frozen"


if str(frozen_folder()) not in sys.path:
    sys.path.append(str(frozen_folder()))  # appended: never shadows anything else

# SQLSTATE 42501: the role lacks a privilege.
_INSUFFICIENT_PRIVILEGE = "42501"


class MissingExtensionError(RuntimeError):
    """The PostgreSQL server lacks an extension the schema needs, or the role may not create it."""


class MigratedNames(Protocol):
    """What a revision reads of a table set: one physical name per entity, by attribute."""

    sessions: str
    runs: str
    memories: str
    knowledge: str
    knowledge_embeddings: str
    evals: str
    metrics: str
    traces: str
    spans: str
    schedules: str
    schedule_runs: str
    approvals: str
    learnings: str
    components: str
    component_configs: str
    component_links: str
    versions: str
    tool_results: str
    compactions: str
    transcripts: str
    auth_tokens: str
    sandbox_bindings: str


def names_in_context() -> MigratedNames:
    """The table names the running migration applies to (set by ``env.py``); agno's defaults else."""
    names = context.config.attributes.get("table_names")
    if names is None:
        from agno_models.layout import DEFAULT_NAMES

        return DEFAULT_NAMES
    return names  # type: ignore[no-any-return]


class _OwnedOp:
    """Alembic's ``op`` for the revision scripts, routed through one place.

    Every table operation of a revision goes through here, so the table set being migrated can
    decide which physical tables it acts on (tables shared with another set are that set's to
    migrate). Today every table of the set is its own and calls pass straight through.
    """

    def __getattr__(self, name: str) -> Any:
        from alembic import op

        return getattr(op, name)


owned_op = _OwnedOp()


def _is_privilege_error(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE


def postgres_extension_problem(connection: Connection, name: str, *, package_hint: str) -> str | None:
    """Create ``name`` if it is missing and may be created; otherwise say why it cannot be used.

    Returns None when the extension is installed in this database (now or before), else the
    reason naming the extension and the fix (no final period: callers add what to do after). The attempt runs in a savepoint, so a
    refused ``CREATE EXTENSION`` leaves the caller's transaction usable.
    """
    if connection.execute(text("SELECT 1 FROM pg_extension WHERE extname = :n"), {"n": name}).scalar():
        return None
    if not connection.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = :n"), {"n": name}).scalar():
        return (
            f"PostgreSQL extension '{name}' is not available on this server. Install it on the database "
            f"server ({package_hint}) or use a server that ships it"
        )
    # In public where there is one: the migration runs with search_path pointed at the tables'
    # schema, and an extension created there would be invisible to every other schema.
    has_public = connection.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")).scalar()
    statement = f'CREATE EXTENSION IF NOT EXISTS "{name}"' + (" SCHEMA public" if has_public else "")
    try:
        with connection.begin_nested():
            connection.execute(text(statement))
    except DBAPIError as error:
        if not _is_privilege_error(error):
            raise
        role, database = connection.execute(text("SELECT current_user, current_database()")).one()
        return (
            f"PostgreSQL extension '{name}' is available on this server but not created in database "
            f"{database!r}, and role {role!r} lacks the privilege to create it (creating '{name}' needs a "
            f"superuser). Have a superuser run `{statement};` in database {database!r}"
        )
    return None


def require_postgres_extension(connection: Connection, name: str, *, package_hint: str) -> None:
    """Create ``name`` if the server has it; otherwise raise :class:`MissingExtensionError`."""
    problem = postgres_extension_problem(connection, name, package_hint=package_hint)
    if problem is not None:
        raise MissingExtensionError(f"{problem}, then run `alembic upgrade head` again.")


def ensure_vector_table(
    connection: Connection, names: MigratedNames, *, schema: str | None = None, required: bool = True
) -> bool:
    """Create the knowledge chunk table and its indexes where missing; whether the table is there.

    On PostgreSQL the table needs pgvector: without it (not installed, or not creatable by this
    role) this raises :class:`MissingExtensionError` when ``required``, else logs and returns False,
    so the rest of the schema migrates on a server without the extension. Idempotent: the vector
    store calls it on first use, creating the table once the extension has been installed.
    """
    import _vector_table  # type: ignore[import-not-found]  # the revisions' frozen steps, on sys.path at runtime only

    return bool(_vector_table.ensure(connection, names, schema=schema, required=required))

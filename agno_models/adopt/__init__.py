"""Adopt databases agno's own classes wrote: recognise, check, bring to revision 0001, stamp.

Called by ``migrations/env.py`` where a table set finds its tables present but untracked. The
schema gap is additive (our tables are a superset of agno's), so adoption happens in place;
afterwards the later revisions run as on any database at 0001. See docs/adopting.md.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from agno_models.adopt import baseline, convert_v2, detect
from agno_models.adopt.detect import AdoptionError
from agno_models.adopt.shape import BASELINE, baseline_metadata
from agno_models.layout import TableNames

__all__ = ["AdoptionError", "adopt"]
log = logging.getLogger("agno_models.adopt")


def adopt(connection: Connection, *, names: TableNames, schema: str | None) -> bool:
    """Adopt the set's untracked tables, if agno made them; returns whether there was anything to adopt.

    Raises :class:`AdoptionError` (changing nothing) when a table is not agno's.
    """
    found = detect.existing_tables(connection, names, schema)
    if not found:
        return False
    target = baseline_metadata(names)
    # Tables of kinds our later revisions add (agno's job queue, authz, ...) are theirs to create
    # or keep; the baseline adopts what revision 0001 creates.
    found = [f for f in found if f.name in target.tables]
    if not found:
        return False
    # Our version table without a row: an adoption began (MySQL commits each DDL) and was interrupted.
    resuming = _has_table(connection, names.version_table, schema)
    detect.check(connection, found, target, names, resuming=resuming, schema=schema)
    baseline.check_lengths(connection, target, found)
    log.warning("adopting agno's tables %s into agno-models (revision %s)", ", ".join(f.name for f in found), BASELINE)
    if connection.in_transaction():
        connection.commit()
    if connection.dialect.name == "sqlite":
        # Rebuilding a parent table must not cascade to its children: foreign keys off, outside a transaction.
        _pragma(connection, "foreign_keys = OFF")
        try:
            with connection.begin():  # the whole schema change: all or nothing
                _renumber(connection, names, found)
                if not resuming or baseline.needs_changes(connection, target, names):
                    baseline.rebuild_sqlite(connection, target, found)
                _version_table(connection, names, schema)
        finally:
            _pragma(connection, "foreign_keys = ON")
    else:
        with connection.begin():
            _renumber(connection, names, found)
            _version_table(connection, names, schema)  # the mark that an adoption is under way
        with connection.begin():  # one transaction on PostgreSQL; MySQL commits each DDL itself
            baseline.alter_in_place(connection, target, found, names)
    if convert_v2.has_legacy_runs(connection, names, schema):
        convert_v2.convert(connection, names)  # agno 2.x: runs out of the sessions' JSON arrays
    if connection.in_transaction():
        connection.commit()
    with connection.begin():
        _stamp(connection, names, schema)
    return True


def _renumber(connection: Connection, names: TableNames, found: list[detect.Found]) -> None:
    if any(f.name == names.runs and "run_index" in f.columns for f in found):
        baseline.renumber_duplicate_runs(connection, names.runs)


def _stamp(connection: Connection, names: TableNames, schema: str | None) -> None:
    from agno_models import migrate

    ctx = MigrationContext.configure(connection, opts={"version_table": names.version_table, "version_table_schema": schema})
    ctx.stamp(ScriptDirectory(migrate.script_location()), BASELINE)


def _pragma(connection: Connection, setting: str) -> None:
    """A SQLite PRAGMA outside any transaction (inside one, foreign_keys is silently ignored)."""
    if connection.in_transaction():
        connection.commit()
    connection.connection.dbapi_connection.execute(f"PRAGMA {setting}")  # type: ignore[union-attr]


def _has_table(connection: Connection, name: str, schema: str | None) -> bool:
    return name in sa.inspect(connection).get_table_names(schema=schema)


def _version_table(connection: Connection, names: TableNames, schema: str | None) -> None:
    ctx = MigrationContext.configure(connection, opts={"version_table": names.version_table, "version_table_schema": schema})
    ctx._ensure_version_table()

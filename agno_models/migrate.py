"""Run the packaged Alembic migrations from code or from the ``agno-models`` command.

The migrations ship inside the wheel (as ``agno_models.migrations``), so an installed package can
bring a database to head without the source tree. From a checkout, ``alembic upgrade head`` at the
repository root runs the very same scripts.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from agno_models.engine import create_engine
from agno_models.layout import DEFAULT_NAMES, TableNames

# The revision scripts' runtime contract lives in agno_models.migration_context; kept importable here.
from agno_models.migration_context import (  # noqa: F401
    MissingExtensionError,
    names_in_context,
    owned_op,
    require_postgres_extension,
)

DEFAULT_URL = "sqlite:///agno.db"


def script_location() -> str:
    """The migrations folder: the packaged copy when installed, else the checkout's."""
    checkout = Path(__file__).resolve().parent.parent / "migrations"
    if (checkout / "env.py").is_file():
        return str(checkout)
    from importlib.resources import files

    return str(files("agno_models.migrations"))


def database_url(explicit: str | None = None) -> str:
    """``explicit``, else ``DATABASE_URL``, else the embedded default ``sqlite:///agno.db``."""
    return explicit or os.environ.get("DATABASE_URL") or DEFAULT_URL


def alembic_config(
    *,
    url: str | None = None,
    connection: Connection | None = None,
    schema: str | None = None,
    names: TableNames = DEFAULT_NAMES,
) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location())
    config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    config.attributes["table_names"] = names
    return config


@contextmanager
def _engine(url: str | None) -> Iterator[Engine]:
    """A short-lived engine for one command, disposed after it."""
    engine = create_engine(database_url(url))
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _config(url: str | None, connection: Connection | None, schema: str | None, names: TableNames) -> Iterator[Config]:
    if connection is not None:
        yield alembic_config(connection=connection, schema=schema, names=names)
        return
    with _engine(url) as engine, engine.connect() as conn:
        yield alembic_config(connection=conn, schema=schema, names=names)


def upgrade(
    url: str | None = None,
    *,
    connection: Connection | None = None,
    revision: str = "head",
    schema: str | None = None,
    names: TableNames = DEFAULT_NAMES,
) -> None:
    """Bring the database to ``revision`` (default: head)."""
    with _config(url, connection, schema, names) as config:
        command.upgrade(config, revision)


def downgrade(
    url: str | None = None,
    *,
    connection: Connection | None = None,
    revision: str,
    schema: str | None = None,
    names: TableNames = DEFAULT_NAMES,
) -> None:
    with _config(url, connection, schema, names) as config:
        command.downgrade(config, revision)


def backfill(
    url: str | None = None, *, schema: str | None = None, names: TableNames = DEFAULT_NAMES, batch: int | None = None
) -> tuple[int, int]:
    """Re-derive the analytics columns of every run and session; returns (runs, sessions) read.

    For rows written by something other than our db classes (agno's own classes during a switch,
    hand-written INSERTs). One transaction: an interrupted backfill leaves every row as it was.
    """
    from agno_models import analytics

    if batch is not None and batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    with _engine(url) as engine, engine.begin() as conn:
        revision = current_revision(conn, schema=schema, names=names)
        if not _reached(revision, "0003"):
            raise RuntimeError(
                f"the table set {names.sessions!r} is at revision {revision or '(not migrated)'}; the analytics "
                "columns come with revision 0003: run `agno-models upgrade` (it backfills as it goes)"
            )
        runs = analytics.backfill_runs(conn, names, schema=schema, batch=batch)
        sessions = analytics.backfill_sessions(conn, names, schema=schema, batch=batch)
    return runs, sessions


def _reached(current: str | None, wanted: str) -> bool:
    """Whether ``current`` is ``wanted`` or a later revision of the history."""
    if current is None:
        return False
    return any(r.revision == wanted for r in _scripts().iterate_revisions(current, "base"))


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(script_location())


def head_revision() -> str:
    heads = _scripts().get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migration history must have exactly one head, found {heads}")
    return heads[0]


def current_revision(connection: Connection, *, schema: str | None = None, names: TableNames = DEFAULT_NAMES) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    ctx = MigrationContext.configure(
        connection, opts={"version_table": names.version_table, "version_table_schema": schema}
    )
    return ctx.get_current_revision()


# --- command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agno-models", description="Manage an agno-models database schema.")
    parser.add_argument("--url", help=f"database URL (default: $DATABASE_URL or {DEFAULT_URL})")
    parser.add_argument("--schema", help="PostgreSQL schema / MySQL database to use (default: the URL's)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="migrate to a revision (default head)")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="migrate down to a revision")
    down.add_argument("revision")
    sub.add_parser("current", help="print the database's revision")
    sub.add_parser("heads", help="print the newest revision shipped")
    fill = sub.add_parser(
        "backfill",
        help="re-derive the analytics columns of every stored run and session (for rows another writer stored)",
    )
    fill.add_argument("--prefix", default="", help="the table set's name prefix, as in TableNames.prefixed (default: agno's names)")
    fill.add_argument("--batch", type=int, default=None, help="rows per round trip (default: 500)")
    args = parser.parse_args(argv)

    if args.command == "upgrade":
        upgrade(args.url, revision=args.revision, schema=args.schema)
    elif args.command == "downgrade":
        downgrade(args.url, revision=args.revision, schema=args.schema)
    elif args.command == "heads":
        print(head_revision())
    elif args.command == "backfill":
        names = TableNames.prefixed(args.prefix) if args.prefix else DEFAULT_NAMES
        backfill(args.url, schema=args.schema, names=names, batch=args.batch)
    else:
        with _engine(args.url) as engine, engine.connect() as conn:
            print(current_revision(conn, schema=args.schema) or "(not migrated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

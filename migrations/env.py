"""Alembic environment shared by every dialect and by packaged and checkout runs.

URL: the connection handed over by ``agno_models.migrate``; else ``-x url=...``; else
``DATABASE_URL``; else the embedded default ``sqlite:///agno.db``.
Options (``-x key=value``): ``schema`` (PostgreSQL schema or MySQL database; default ``ai`` on
PostgreSQL and MySQL, as the db classes; ``-x schema=`` for the URL's own) and ``tables``
(``sessions:my_sessions,runs:my_runs`` to migrate a renamed table set).
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.types import JSON, TypeEngine

from agno_models.adopt.detect import LEGACY_COLUMNS
from agno_models.engine import create_engine
from agno_models.knowledge import is_page_catalog_index, is_search_index
from agno_models.layout import DEFAULT_NAMES, TableNames, metadata_for
from agno_models.migrate import current_revision, database_url, default_schema

config = context.config
if config.config_file_name is not None:  # the alembic CLI; programmatic runs keep their logging
    fileConfig(config.config_file_name, disable_existing_loggers=False)
x_args = context.get_x_argument(as_dictionary=True)


def _names() -> TableNames:
    names = config.attributes.get("table_names")
    if isinstance(names, TableNames):
        return names
    raw = x_args.get("tables")
    if not raw:
        return DEFAULT_NAMES
    pairs = dict(item.split(":", 1) for item in raw.split(",") if item)
    return TableNames.from_mapping(pairs)


def _schema(url: str | None) -> str | None:
    if "schema" in config.attributes:  # handed over by agno_models.migrate, None included
        return config.attributes["schema"] or None
    if "schema" in x_args:
        return x_args["schema"] or None
    return default_schema(url)


names = _names()
config.attributes["table_names"] = names  # read by the revision scripts


def _compare_type(
    ctx: Any, inspected_column: Any, metadata_column: Any, inspected_type: TypeEngine[Any], metadata_type: TypeEngine[Any]
) -> bool | None:
    # MariaDB stores JSON as LONGTEXT with a json_valid() check, so reflection cannot tell them apart.
    dialect = ctx.dialect
    if dialect.name in ("mysql", "mariadb") and getattr(dialect, "is_mariadb", False):
        impl = metadata_type.dialect_impl(dialect)
        if isinstance(impl, JSON) and inspected_type.__class__.__name__ == "LONGTEXT":
            return False
    return None  # Alembic's own comparison


def _vector_table_skipped(connection: Connection) -> bool:
    """PostgreSQL without pgvector in this database: revision 0001 left the chunk table out on purpose."""
    if connection.dialect.name != "postgresql":
        return False
    return not connection.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).scalar()


def _include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # The model's chunk table, where revision 0001 left it out for want of pgvector: not drift, the
    # vector store creates it on first use once the extension is installed.
    skipped = config.attributes.get("vector_table_skipped")
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return not (skipped and getattr(table, "name", None) == names.knowledge_embeddings)


def _include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    if type_ == "column" and parent_names.get("table_name") == names.sessions and name in LEGACY_COLUMNS["sessions"]:
        return False  # agno 2.x's runs array, kept by an adoption (agno_models.adopt)
    if type_ == "index" and parent_names.get("table_name") == names.knowledge_embeddings:
        # The chunk table's search indexes: per-knowledge-base HNSW indexes the vector store makes
        # at run time, and the dialect-specific full-text index of revision 0002. Neither can be
        # declared in the dialect-neutral model, so neither is compared.
        return not is_search_index(names.knowledge_embeddings, name)
    if type_ == "index" and parent_names.get("table_name") == names.knowledge:
        return not is_page_catalog_index(name)  # agno's page store indexes its pages there at setup
    # Compare only this set's tables: the database may hold the user's own tables or other sets.
    return type_ != "table" or name in names.as_dict().values()


def _enter_schema(connection: Connection, schema: str) -> None:
    """PostgreSQL: create ``schema`` and point unqualified names at it."""
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    # Keep public reachable: the pgvector type usually lives there.
    connection.execute(text(f'SET search_path TO "{schema}", public'))
    connection.commit()


def _refuse_foreign_tables(connection: Connection, schema: str | None) -> None:
    """A table set owns its tables: refuse to start over tables some other history created."""
    taken = sorted(set(names.as_dict().values()) & set(inspect(connection).get_table_names(schema=schema)))
    if inspect(connection).has_table(names.version_table, schema=schema):
        if taken and _upgrading() and current_revision(connection, schema=schema, names=names) is None:
            # A version table without a revision over existing tables: an adoption that was
            # interrupted (it marks its start so), which adopt() resumes.
            from agno_models.adopt import adopt

            if _adoption_under_way(connection, schema):
                adopt(connection, names=names, schema=schema)
        # Otherwise this set has migrated here before (on MySQL perhaps half-way, DDL being
        # committed as it runs): the tables are its own, and the repeatable revisions complete them.
        return
    if taken and _upgrading():
        from agno_models.adopt import adopt

        adopt(connection, names=names, schema=schema)  # agno's own tables: checked, then taken over
        return
    if taken:
        raise RuntimeError(
            f"table(s) {', '.join(taken)} already exist but are not tracked by this table set's version table "
            f"{names.version_table!r}. Another agno-models table set (or agno itself) owns them: give this set "
            "names of its own, or use the names of the set that created them. Tables agno created are "
            "adopted by `alembic upgrade head` (or `agno-models upgrade`)."
        )


def _adoption_under_way(connection: Connection, schema: str | None) -> bool:
    """Whether a table still has agno's shape (an interrupted adoption), not revision 0001's.

    A table revision 0001 created has all of its columns and none of agno's ``idx_`` indexes;
    one agno made and an adoption has not finished lacks a column or keeps such an index, and an
    agno 2.x sessions table keeps its ``runs`` column until the adoption stamps the set.
    """
    from agno_models.adopt import convert_v2
    from agno_models.adopt.shape import baseline_metadata

    if convert_v2.has_legacy_runs(connection, names, schema):
        return True  # agno 2.x's runs column: the conversion runs before the stamp
    inspector = inspect(connection)
    for table in baseline_metadata(names).tables.values():
        if not inspector.has_table(table.name, schema=schema):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name, schema=schema)}
        indexes = {str(i["name"]) for i in inspector.get_indexes(table.name, schema=schema)}
        if set(table.c.keys()) - present or any(i.startswith(f"idx_{table.name}_") for i in indexes):
            return True
    return False


def _upgrading() -> bool:
    # Only `upgrade` adopts or touches agno's bookkeeping; check, stamp and current leave the database as it is.
    fn = context._proxy.context_opts.get("fn")  # type: ignore[attr-defined]
    return getattr(fn, "__name__", "") == "upgrade"


def run_migrations(connection: Connection, schema: str | None) -> None:
    if schema is not None:
        _enter_schema(connection, schema)
    _refuse_foreign_tables(connection, schema)
    config.attributes["vector_table_skipped"] = _vector_table_skipped(connection)
    context.configure(
        connection=connection,
        target_metadata=metadata_for(names),
        version_table=names.version_table,
        version_table_schema=schema,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        transaction_per_migration=True,
        compare_type=_compare_type,
        include_name=_include_name,
        include_object=_include_object,
    )
    context.run_migrations()
    if _upgrading():
        from agno_models.adopt import agno_versions

        with connection.begin_nested() if connection.in_transaction() else connection.begin():
            agno_versions.record(connection, names=names, schema=schema)  # agno's own bookkeeping, kept current


def run_on(connection: Connection, schema: str | None) -> None:
    dialect = connection.dialect.name
    if schema is None or dialect == "postgresql":
        run_migrations(connection, schema)
    elif dialect in ("mysql", "mariadb"):
        # A MySQL schema is a database, and reflection only sees the one connected to: migrate
        # through a connection to that database.
        connection.execute(text(f"CREATE DATABASE IF NOT EXISTS `{schema}`"))
        connection.commit()
        engine = create_engine(connection.engine.url.set(database=schema))
        try:
            with engine.connect() as own:
                run_migrations(own, None)
                own.commit()
        finally:
            engine.dispose()
    else:
        raise ValueError(f"schema={schema!r} is not supported on {dialect}; use a separate database file")


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection, _schema(connection.engine.url.render_as_string(hide_password=False)))
        if connection.in_transaction():
            connection.commit()
        return
    url = database_url(x_args.get("url") or _ini_url())
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            run_on(conn, _schema(url))
            conn.commit()
    finally:
        engine.dispose()


def _ini_url() -> str | None:
    # alembic.ini carries no URL on purpose; honour one if a user adds it.
    url = config.get_main_option("sqlalchemy.url")
    return url or None


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: the revisions inspect the live database")
run_online()

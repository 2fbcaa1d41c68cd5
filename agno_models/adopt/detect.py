"""Recognise tables agno made and check that their shape is one agno gives them.

A table of the set that exists without our version table must look like agno's (3.1, or an
older column set such as agno 2.x's) or like what revision 0001 creates (an adoption that was
interrupted): every column known, of a compatible type, the same primary key. Anything else is
reported column by column and nothing is changed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from agno_models.layout import DEFAULT_NAMES, TableNames

# Columns agno 2.x kept that agno 3.x no longer creates (sessions.runs held the runs as a JSON
# array): kept as they are, outside the models (Alembic's comparison leaves them out).
LEGACY_COLUMNS: dict[str, dict[str, str]] = {"sessions": {"runs": "json", "chat_history": "json"}}
# Required columns older agno tables lack, and the value existing rows get (agno 3.0's own
# migration gives metrics rows the empty-string owner, its "no user").
FILL: dict[tuple[str, str], str] = {("metrics", "user_id"): ""}


class AdoptionError(RuntimeError):
    """The database holds tables of this set that are not agno's, or that cannot be adopted as they are."""


@dataclass(frozen=True)
class Found:
    """An existing table of the set: its entity, name and reflected columns (name -> type)."""

    entity: str
    name: str
    columns: dict[str, Any]
    primary_key: tuple[str, ...]


def category(type_: Any) -> str:
    """What a column holds, whatever the dialect spells it: json, string, int, bool, date, datetime, ..."""
    if isinstance(type_, type):
        type_ = type_()
    if isinstance(type_, sa.JSON):
        return "json"
    if isinstance(type_, sa.Boolean):
        return "bool"
    if isinstance(type_, sa.Integer):
        return "int"
    if isinstance(type_, sa.String):
        return "string"
    if isinstance(type_, sa.DateTime):
        return "datetime"
    if isinstance(type_, sa.Date):
        return "date"
    if isinstance(type_, sa.Float | sa.Numeric):
        return "number"
    if isinstance(type_, sa.LargeBinary):
        return "binary"
    return type(type_).__name__.lower()


def concrete(type_: Any, dialect: sa.engine.Dialect) -> Any:
    """The type ``dialect`` actually gets for one of our column types (variants and decorators resolved)."""
    impl = type_.dialect_impl(dialect)
    return impl.load_dialect_impl(dialect) if isinstance(impl, TypeDecorator) else impl


def compatible(wanted: str, actual: str) -> bool:
    """Whether a column holding ``actual`` can serve as ours holding ``wanted`` without losing data.

    JSON may be stored as text (MariaDB's JSON is LONGTEXT), a boolean as a small integer (MySQL).
    """
    return wanted == actual or (wanted, actual) in {("json", "string"), ("bool", "int"), ("int", "bool")}


def agno_columns(dialect: str, entity: str, names: TableNames) -> dict[str, str]:
    """agno 3.1's columns for ``entity`` on ``dialect`` (name -> category); empty when agno has no such table there."""
    module = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}[dialect]
    schemas = importlib.import_module(f"agno.db.{module}.schemas")
    try:
        spec = schemas.get_table_schema_definition(
            entity, traces_table_name=names.traces, session_table_name=names.sessions
        )
    except ValueError:  # agno has no such table on this dialect
        return {}
    return {
        name: category(config["type"])
        for name, config in spec.items()
        if isinstance(config, dict) and "type" in config and not name.startswith("_")
    }


def existing_tables(connection: Connection, names: TableNames, schema: str | None) -> list[Found]:
    if connection.dialect.name == "postgresql":
        # Reflection knows pgvector's `vector` only once pgvector.sqlalchemy is imported (the
        # [postgres] extra installs it); otherwise agno's embeddings column reads as NullType.
        import pgvector.sqlalchemy  # noqa: F401
    inspector = sa.inspect(connection)
    present = set(inspector.get_table_names(schema=schema))
    found = []
    for entity, name in names.as_dict().items():
        if name in present:
            columns = {c["name"]: c["type"] for c in inspector.get_columns(name, schema=schema)}
            pk = tuple(inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or ())
            found.append(Found(entity, name, columns, pk))
    return found


def owned_elsewhere(connection: Connection, names: TableNames, schema: str | None) -> list[str]:
    """Signs that another agno-models table set owns these tables: its views, or the default set's version."""
    from agno_models.analytics import view_names

    inspector = sa.inspect(connection)
    views = set(inspector.get_view_names(schema=schema)) & set(view_names(names).in_creation_order())
    signs = [f"view {v}" for v in sorted(views)]
    default = DEFAULT_NAMES.version_table
    if names != DEFAULT_NAMES and default in inspector.get_table_names(schema=schema):
        shared = sorted(set(names.as_dict().values()) & set(DEFAULT_NAMES.as_dict().values()))
        if shared and connection.execute(sa.text(f"SELECT COUNT(*) FROM {_quoted(connection, default, schema)}")).scalar():
            signs.append(f"the default table set (version table {default}) holds {', '.join(shared)}")
    return signs


def _quoted(connection: Connection, name: str, schema: str | None) -> str:
    q = connection.dialect.identifier_preparer.quote
    return f"{q(schema)}.{q(name)}" if schema else q(name)


def check(
    connection: Connection, found: list[Found], target: sa.MetaData, names: TableNames, *, resuming: bool, schema: str | None
) -> None:
    """Raise :class:`AdoptionError` listing every difference that makes a table not agno's.

    ``resuming``: an adoption was interrupted (MySQL commits each DDL), so columns of ours that
    agno lacks may already be there.
    """
    dialect = connection.dialect.name
    problems: list[str] = owned_elsewhere(connection, names, schema)
    for table in found:
        ours = target.tables[table.name]
        agno = agno_columns(dialect, table.entity, names)
        legacy = LEGACY_COLUMNS.get(table.entity, {})
        for column, type_ in table.columns.items():
            actual = category(type_)
            if column in ours.c and (column in agno or resuming):
                wanted = category(concrete(ours.c[column].type, connection.dialect))
                if not compatible(wanted, actual):
                    problems.append(
                        f"{table.name}.{column} is {type_} ({actual}); agno and agno-models store {wanted} there"
                    )
            elif column in legacy:
                if not compatible(legacy[column], actual):
                    problems.append(f"{table.name}.{column} is {type_} ({actual}); agno 2.x stored {legacy[column]}")
            else:
                problems.append(f"{table.name}.{column} ({type_}) is a column agno does not create"
                                + (" (agno 3.1 does, but agno-models has no place for it)" if column in agno else ""))
        wanted_pk = tuple(c.name for c in ours.primary_key.columns)
        if table.primary_key != wanted_pk:
            problems.append(
                f"{table.name} has primary key ({', '.join(table.primary_key) or 'none'}); agno's is ({', '.join(wanted_pk)})"
            )
        for col in ours.c:
            required = not col.nullable and col.server_default is None and col.computed is None
            if (col.name not in table.columns and required and (table.entity, col.name) not in FILL
                    and connection.execute(sa.select(sa.func.count()).select_from(sa.table(table.name))).scalar()):
                problems.append(f"{table.name} lacks the required column {col.name} and holds rows")
    if problems:
        raise AdoptionError(
            f"table(s) {', '.join(sorted(t.name for t in found))} already exist but are not tracked by this table "
            f"set's version table {names.version_table!r}, and they are not the tables agno creates, so they "
            "were not adopted (nothing was changed). Another agno-models table set may own them: give this set "
            "names of its own. What differs from agno's tables:\n  " + "\n  ".join(problems)
        )


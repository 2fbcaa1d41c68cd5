"""What revision 0001 creates, as a MetaData: the shape an adopted agno table must reach.

Migrations after 0001 are additive, so every column, index and constraint 0001 creates is still
in the models, unchanged. Running 0001 once on an in-memory SQLite database tells which of them
are 0001's; their definitions (dialect types included) are then copied from the models.
"""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from sqlalchemy import MetaData, inspect
from sqlalchemy.schema import SchemaItem

from agno_models.base import NAMING_CONVENTION
from agno_models.layout import TableNames, metadata_for

BASELINE = "0001"


@cache
def _baseline_names(names: TableNames) -> dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]]:
    """Per table of revision 0001: (column names, index names, unique-constraint names)."""
    from alembic import context

    from agno_models import migrate

    # Called from inside a running migration (env.py): the nested run replaces alembic's
    # module-level `context` proxy, so the outer one is put back afterwards.
    outer = getattr(context, "_proxy", None)
    engine = sa.create_engine("sqlite://")
    try:
        with engine.connect() as conn:
            try:
                migrate.upgrade(connection=conn, revision=BASELINE, names=names)
            finally:
                if outer is not None:
                    outer._install_proxy()
            insp = inspect(conn)
            wanted = set(names.as_dict().values())
            return {
                table: (
                    frozenset(c["name"] for c in insp.get_columns(table)),
                    frozenset(str(i["name"]) for i in insp.get_indexes(table)),
                    frozenset(str(u["name"]) for u in insp.get_unique_constraints(table)),
                )
                for table in insp.get_table_names()
                if table in wanted
            }
    finally:
        engine.dispose()


@cache
def baseline_metadata(names: TableNames) -> MetaData:
    """The tables of ``names`` as revision 0001 creates them."""
    head = metadata_for(names)
    target = MetaData(naming_convention=NAMING_CONVENTION)
    shape = _baseline_names(names)
    for table in head.sorted_tables:
        if table.name not in shape:
            continue
        columns, indexes, uniques = shape[table.name]
        items: list[SchemaItem] = [_plain_copy(c) for c in table.columns if c.name in columns]
        for const in table.constraints:
            if isinstance(const, sa.PrimaryKeyConstraint):
                # The name as SQLAlchemy holds it (a convention's conv or None); its __init__ annotates less.
                items.append(sa.PrimaryKeyConstraint(*[c.name for c in const.columns], name=const.name))  # type: ignore[arg-type]
            elif isinstance(const, sa.UniqueConstraint) and const.name in uniques:
                items.append(sa.UniqueConstraint(*[c.name for c in const.columns], name=const.name))
            elif isinstance(const, sa.ForeignKeyConstraint):
                items.append(
                    sa.ForeignKeyConstraint(
                        [c.name for c in const.columns],
                        [f"{e.column.table.name}.{e.column.name}" for e in const.elements],
                        name=const.name,
                        ondelete=const.ondelete,
                    )
                )
        for index in table.indexes:
            if index.name in indexes:
                items.append(sa.Index(index.name, *[c.name for c in index.columns], unique=bool(index.unique)))
        sa.Table(table.name, target, *items)
    return target


def _plain_copy(column: sa.Column) -> sa.Column:  # type: ignore[type-arg]
    """``column`` without its own index/unique flags: indexes are copied by name above."""
    copy = column._copy()
    copy.index = None
    copy.unique = None
    return copy

"""Living inside your own Alembic project: keep your autogenerate away from agno-models' objects.

Our tables, views, full-text tables and version tables belong to our migration history; an
autogenerate in yours must neither drop them nor copy them. In your ``env.py``::

    from agno_models.autogenerate import exclude_agno_models

    context.configure(connection=connection, target_metadata=Base.metadata,
                      include_name=exclude_agno_models(), ...)

and bring our history up separately (``agno_models.migrate.upgrade(url, schema=...)``, or
``agno-models upgrade``); docs/alembic.md explains why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from agno_models.analytics import view_names
from agno_models.layout import DEFAULT_NAMES, TableNames

IncludeName = Callable[[str | None, str, Mapping[str, Any]], bool]
IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]
VERSION_TABLE_PREFIX = "agno_models_version"  # every table set's version table starts so


def agno_models_table_names(*table_sets: TableNames) -> frozenset[str]:
    """The tables and views agno's default table set and the given renamed ones create."""
    names: set[str] = set()
    for tables in (DEFAULT_NAMES, *table_sets):
        names |= set(tables.as_dict().values())
        names |= set(view_names(tables).in_creation_order())
        names.add(tables.version_table)
    return frozenset(names)


def is_agno_models_table(name: str | None, *table_sets: TableNames) -> bool:
    """Whether ``name`` is one of ours: a table or view of the sets, a version table, or the
    SQLite full-text table of the chunks (``<chunks>_fts`` and its ``_fts_*`` shadow tables)."""
    if name is None:
        return False
    if name.startswith(VERSION_TABLE_PREFIX) or name in agno_models_table_names(*table_sets):
        return True
    chunk_tables = [t.knowledge_embeddings for t in (DEFAULT_NAMES, *table_sets)]
    return any(name == f"{chunks}_fts" or name.startswith(f"{chunks}_fts_") for chunks in chunk_tables)


def exclude_agno_models(*table_sets: TableNames, include_name: IncludeName | None = None) -> IncludeName:
    """An ``include_name`` hook for ``context.configure`` that skips our tables (and so their
    indexes, constraints and columns), then asks your own ``include_name``, if you have one.

    agno's default table set is always skipped; pass the renamed sets you use as well
    (``TableNames.prefixed("team_a_")``, ...). Version tables of every set are skipped in any case.
    """

    def hook(name: str | None, type_: str, parent_names: Mapping[str, Any]) -> bool:
        table = name if type_ == "table" else parent_names.get("table_name")
        if table is not None and is_agno_models_table(table, *table_sets):
            return False
        return include_name(name, type_, parent_names) if include_name is not None else True

    return hook


def include_object(object: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """An ``include_object`` hook skipping agno's default table set, for env.py files that use
    ``include_object`` rather than ``include_name``."""
    table = name if type_ == "table" else getattr(getattr(object, "table", None), "name", None)
    return not is_agno_models_table(table)

"""Where the tables live: their names, so a database can hold more than one agno table set.

agno lets every table be renamed (``session_table="my_sessions"``, ...). The SQLModel classes
describe the default names; :func:`metadata_for` derives the same tables under other names, with
foreign keys pointing at the renamed parents and constraint names re-derived from the naming
convention. The migrations read the same :class:`TableNames`, so both sides always agree.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, fields
from functools import cache

from sqlalchemy import (
    Column,
    Computed,
    DefaultClause,
    ForeignKeyConstraint,
    Index,
    MetaData,
    Table,
    UniqueConstraint,
)

from agno_models.base import NAMING_CONVENTION, metadata


@dataclass(frozen=True)
class TableNames:
    """Physical table name for each stored entity; defaults are agno 3.1's."""

    sessions: str = "agno_sessions"
    runs: str = "agno_runs"
    memories: str = "agno_memories"
    knowledge: str = "agno_knowledge"
    knowledge_embeddings: str = "agno_knowledge_embeddings"
    evals: str = "agno_eval_runs"
    metrics: str = "agno_metrics"
    traces: str = "agno_traces"
    spans: str = "agno_spans"
    schedules: str = "agno_schedules"
    schedule_runs: str = "agno_schedule_runs"
    approvals: str = "agno_approvals"
    learnings: str = "agno_learnings"
    components: str = "agno_components"
    component_configs: str = "agno_component_configs"
    component_links: str = "agno_component_links"
    versions: str = "agno_schema_versions"

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, str) or not value or len(value) > 63:
                raise ValueError(f"table name for {field.name!r} must be 1 to 63 characters, got {value!r}")
            if value in seen:
                raise ValueError(f"tables {seen[value]!r} and {field.name!r} cannot both be named {value!r}")
            seen[value] = field.name

    @classmethod
    def from_mapping(cls, mapping: dict[str, str]) -> TableNames:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ValueError(f"unknown table type(s) {unknown}; known: {sorted(known)}")
        return cls(**mapping)

    @classmethod
    def prefixed(cls, prefix: str) -> TableNames:
        """Every default name with ``agno_`` replaced by ``prefix`` (``team_a_sessions``, ...)."""
        return cls(**{key: prefix + name.removeprefix("agno_") for key, name in DEFAULT_NAMES.as_dict().items()})

    def as_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    def is_default(self) -> bool:
        return self == DEFAULT_NAMES

    @property
    def version_table(self) -> str:
        """Alembic's version table: one per table set, so two sets in one schema migrate apart."""
        if self.is_default():
            return "agno_models_version"
        digest = hashlib.sha256(repr(sorted(self.as_dict().items())).encode()).hexdigest()[:10]
        return f"agno_models_version_{digest}"


DEFAULT_NAMES = TableNames()


def metadata_for(names: TableNames = DEFAULT_NAMES) -> MetaData:
    """The model tables under ``names``; the shared metadata itself for the default names."""
    if names == DEFAULT_NAMES:
        return metadata
    return _renamed_metadata(names)


@cache
def _renamed_metadata(names: TableNames) -> MetaData:
    rename = {getattr(DEFAULT_NAMES, f.name): getattr(names, f.name) for f in fields(names)}
    target = MetaData(naming_convention=NAMING_CONVENTION)
    for table in metadata.sorted_tables:
        _clone(table, target, rename)
    return target


def _clone(table: Table, target: MetaData, rename: dict[str, str]) -> Table:
    """Rebuild ``table`` from its definition so every name is re-derived for the new table name."""
    columns = [
        Column(
            col.name,
            col.type,
            *([Computed(col.computed.sqltext, persisted=col.computed.persisted)] if col.computed else []),
            key=col.key,
            primary_key=col.primary_key,
            nullable=col.nullable,
            autoincrement=col.autoincrement,
            default=col.default,
            server_default=DefaultClause(col.server_default.arg)  # type: ignore[attr-defined]
            if isinstance(col.server_default, DefaultClause)
            else None,
        )
        for col in table.columns
    ]
    constraints: list[object] = []
    for const in table.constraints:
        if isinstance(const, ForeignKeyConstraint):
            constraints.append(
                ForeignKeyConstraint(
                    [c.name for c in const.columns],
                    [f"{rename.get(e.column.table.name, e.column.table.name)}.{e.column.name}" for e in const.elements],
                    ondelete=const.ondelete,
                    onupdate=const.onupdate,
                )
            )
        elif isinstance(const, UniqueConstraint):
            constraints.append(UniqueConstraint(*[c.name for c in const.columns]))
    indexes = [Index(None, *[c.name for c in index.columns], unique=index.unique) for index in table.indexes]
    return Table(rename.get(table.name, table.name), target, *columns, *constraints, *indexes)  # type: ignore[arg-type]

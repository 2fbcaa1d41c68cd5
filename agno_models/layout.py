"""Where the tables live: their names, so a database can hold more than one agno table set.

agno lets every table be renamed (``session_table="my_sessions"``, ...). The SQLModel classes
describe the default names; :func:`metadata_for` derives the same tables under other names, with
foreign keys pointing at the renamed parents and constraint names re-derived from the naming
convention. The migrations read the same :class:`TableNames`, so both sides always agree. Which
kinds exist comes from the registry (``agno_models.registry``), never from a list kept here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from sqlalchemy import (
    CheckConstraint,
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
from agno_models.registry import kinds

# The kinds that existed when custom table sets got version tables named after a digest of their
# names. Frozen: the digest covers these kinds only, so a kind added later never renames the
# version table of a set that already exists (which would then look untracked).
_DIGESTED_KINDS = (
    "sessions", "runs", "memories", "knowledge", "knowledge_embeddings", "evals", "metrics", "traces", "spans",
    "schedules", "schedule_runs", "approvals", "learnings", "components", "component_configs", "component_links",
    "versions",
)


def sandbox_table_name(session_table: str) -> str:
    """agno's default bindings table for ``session_table`` (``agno.db.postgres.schemas``): within
    PostgreSQL's 63 bytes, a digest keeping long names that share a prefix apart."""
    suffix = "_sandbox_bindings"
    name = session_table + suffix
    if len(name.encode()) <= 63:
        return name
    digest = "_" + hashlib.sha256(session_table.encode()).hexdigest()[:8]
    return session_table.encode()[: 63 - len(suffix) - len(digest)].decode(errors="ignore") + digest + suffix


class TableNames(Mapping[str, str]):
    """Physical table name for each kind of table (``names.sessions``); defaults are agno 3.1's."""

    __slots__ = ("_names",)
    _names: dict[str, str]  # declared, or mypy types it by __getattr__ below

    def __init__(self, **names: str) -> None:
        defaults = {k.kind: k.default for k in kinds()}
        unknown = sorted(set(names) - set(defaults))
        if unknown:
            raise ValueError(f"unknown table type(s) {unknown}; known: {sorted(defaults)}")
        merged = defaults | names
        if "sandbox_bindings" not in names:
            # agno derives it from the session table: each session table gets its own bindings.
            merged["sandbox_bindings"] = sandbox_table_name(merged["sessions"])
        seen: dict[str, str] = {}
        for kind, value in merged.items():
            if not isinstance(value, str) or not value or len(value) > 63:
                raise ValueError(f"table name for {kind!r} must be 1 to 63 characters, got {value!r}")
            if value in seen:
                raise ValueError(f"tables {seen[value]!r} and {kind!r} cannot both be named {value!r}")
            seen[value] = kind
        object.__setattr__(self, "_names", merged)

    def __getattr__(self, kind: str) -> str:
        try:
            return self._names[kind]
        except KeyError:
            raise AttributeError(f"no table kind {kind!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("TableNames is immutable")

    def __getitem__(self, kind: str) -> str:
        return self._names[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __hash__(self) -> int:
        return hash(tuple(self._names.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TableNames) and self._names == other._names

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._names.items() if v != DEFAULT_NAMES_DICT.get(k)}
        return f"TableNames({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str]) -> TableNames:
        return cls(**mapping)

    @classmethod
    def prefixed(cls, prefix: str) -> TableNames:
        """Every default name with ``agno_`` replaced by ``prefix`` (``team_a_sessions``, ...)."""
        # The sandbox bindings name is left to follow the session table, as agno derives it.
        return cls(**{k.kind: prefix + k.default.removeprefix("agno_") for k in kinds() if k.kind != "sandbox_bindings"})

    def as_dict(self) -> dict[str, str]:
        return dict(self._names)

    def is_default(self) -> bool:
        return self == DEFAULT_NAMES

    @property
    def version_table(self) -> str:
        """Alembic's version table: one per table set, so two sets in one schema migrate apart."""
        if self.is_default():
            return "agno_models_version"
        digested = {kind: self._names[kind] for kind in _DIGESTED_KINDS}
        digest = hashlib.sha256(repr(sorted(digested.items())).encode()).hexdigest()[:10]
        return f"agno_models_version_{digest}"


DEFAULT_NAMES_DICT: dict[str, str] = {k.kind: k.default for k in kinds()}
DEFAULT_NAMES = TableNames()


def metadata_for(names: TableNames = DEFAULT_NAMES) -> MetaData:
    """The model tables under ``names``; the shared metadata itself for the default names."""
    if names == DEFAULT_NAMES:
        return metadata
    return _renamed_metadata(names)


@cache
def _renamed_metadata(names: TableNames) -> MetaData:
    rename = {DEFAULT_NAMES[kind]: names[kind] for kind in names}
    target = MetaData(naming_convention=NAMING_CONVENTION)
    for table in metadata.sorted_tables:
        _clone(table, target, rename)
    return target


def _clone(table: Table, target: MetaData, rename: dict[str, str]) -> Table:
    """Rebuild ``table`` from its definition so every name is re-derived for the new table name.

    Not ``Table.to_metadata``: it keeps constraint names made for the old table name and foreign
    keys aimed at the old parent. ``tests/test_layout.py`` checks that no constraint, index or
    dialect option is lost here.
    """
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
            server_default=DefaultClause(col.server_default.arg)
            if isinstance(col.server_default, DefaultClause)
            else None,
            comment=col.comment,
        )
        for col in table.columns
    ]
    constraints: list[Any] = []
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
        elif isinstance(const, CheckConstraint):
            # The convention's ck token is the constraint's own short name: keep it, re-derive the rest.
            short = str(const.name).removeprefix(f"ck_{table.name}_") if const.name else None
            constraints.append(CheckConstraint(const.sqltext, name=short))
    indexes = []
    for index in table.indexes:
        if len(index.expressions) != len(index.columns):
            raise NotImplementedError(f"{index.name}: expression indexes are not cloned for renamed table sets yet")
        indexes.append(Index(None, *[c.name for c in index.columns], unique=index.unique, **index.dialect_kwargs))
    return Table(rename.get(table.name, table.name), target, *columns, *constraints, *indexes)

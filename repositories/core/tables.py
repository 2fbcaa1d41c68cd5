"""The Core tables one db instance reads and writes, under its configured names."""

from __future__ import annotations

import sqlalchemy as sa

from agno_models.layout import TableNames, metadata_for


class TableSet:
    """The tables of one table set, by kind: ``tables.sessions``, ``tables.by_type("evals")``."""

    __slots__ = ("names", "_tables")

    def __init__(self, names: TableNames) -> None:
        metadata = metadata_for(names)
        self.names = names
        self._tables: dict[str, sa.Table] = {kind: metadata.tables[name] for kind, name in names.items()}

    @classmethod
    def for_names(cls, names: TableNames) -> TableSet:
        return cls(names)

    def __getattr__(self, kind: str) -> sa.Table:
        try:
            return self._tables[kind]
        except KeyError:
            raise AttributeError(f"no table kind {kind!r}") from None

    def all(self) -> list[sa.Table]:
        return list(self._tables.values())

    def by_type(self, table_type: str) -> sa.Table | None:
        """The table for one of agno's ``table_type`` strings (which are our kinds), or None."""
        return self._tables.get(table_type)

    def __hash__(self) -> int:
        return hash(self.names)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TableSet) and self.names == other.names

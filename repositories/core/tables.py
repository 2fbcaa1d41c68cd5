"""The Core tables one db instance reads and writes, under its configured names."""

from __future__ import annotations

from dataclasses import dataclass, fields

import sqlalchemy as sa

from agno_models.layout import TableNames, metadata_for

# agno's table_type strings -> our TableNames fields (agno says "evals", "versions", ...).
TABLE_TYPES: dict[str, str] = {
    "sessions": "sessions",
    "runs": "runs",
    "memories": "memories",
    "knowledge": "knowledge",
    "knowledge_embeddings": "knowledge_embeddings",
    "evals": "evals",
    "metrics": "metrics",
    "traces": "traces",
    "spans": "spans",
    "schedules": "schedules",
    "schedule_runs": "schedule_runs",
    "approvals": "approvals",
    "learnings": "learnings",
    "components": "components",
    "component_configs": "component_configs",
    "component_links": "component_links",
    "versions": "versions",
}


@dataclass(frozen=True)
class TableSet:
    names: TableNames
    sessions: sa.Table
    runs: sa.Table
    memories: sa.Table
    knowledge: sa.Table
    knowledge_embeddings: sa.Table
    evals: sa.Table
    metrics: sa.Table
    traces: sa.Table
    spans: sa.Table
    schedules: sa.Table
    schedule_runs: sa.Table
    approvals: sa.Table
    learnings: sa.Table
    components: sa.Table
    component_configs: sa.Table
    component_links: sa.Table
    versions: sa.Table

    @classmethod
    def for_names(cls, names: TableNames) -> TableSet:
        metadata = metadata_for(names)
        tables = {f.name: metadata.tables[getattr(names, f.name)] for f in fields(TableNames)}
        return cls(names=names, **tables)

    def by_type(self, table_type: str) -> sa.Table | None:
        attr = TABLE_TYPES.get(table_type)
        return getattr(self, attr) if attr else None

"""agno's own schema-version table, kept so agno tooling that reads it keeps working.

The schema itself is versioned by Alembic; this table only answers agno's
``get_latest_schema_version`` / ``upsert_schema_version`` calls.
"""

from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, kind_string, timestamp_text


class SchemaVersion(AgnoTable, table=True):
    __tablename__ = "agno_schema_versions"

    table_name: str = Field(primary_key=True, sa_type=id_string())
    version: str = Field(sa_type=kind_string())
    created_at: str = Field(sa_type=timestamp_text(), index=True)
    updated_at: str | None = Field(default=None, sa_type=timestamp_text())


register(SchemaVersion, kind="versions", argument="versions_table", attribute="versions_table_name")

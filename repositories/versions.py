"""agno's schema-version bookkeeping (``agno_schema_versions``).

Alembic versions the schema; this table only answers agno's own calls. A table nobody recorded
reports agno's current schema version, because our migrations already give every table agno
3.1's full shape: agno's MigrationManager then finds nothing to do on tables it did not create.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from repositories.core.operation import Steps, operation
from repositories.core.repository import Repository


def current_agno_schema_version() -> str:
    from agno.db.migrations.manager import MigrationManager

    return str(MigrationManager.available_versions[-1][1])


class VersionRepository(Repository):

    @operation(writes=False)
    def get_latest_schema_version(self, table_name: str) -> Steps[str]:
        ctx = self._ctx
        table = ctx.tables.versions
        version = (yield sa.select(table.c.version).where(table.c.table_name == table_name)).scalar()
        return version or current_agno_schema_version()

    @operation(writes=True)
    def upsert_schema_version(self, table_name: str, version: str) -> Steps[None]:
        ctx = self._ctx
        now = datetime.now().isoformat()
        row = {"table_name": table_name, "version": version, "created_at": now, "updated_at": now}
        yield ctx.dialect.upsert(ctx.tables.versions, row, key=["table_name"], update=["version", "updated_at"])

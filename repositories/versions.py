"""agno's schema-version bookkeeping (``agno_schema_versions``).

Alembic versions the schema; this table only answers agno's own calls. A table nobody recorded
reports agno's current schema version, because our migrations already give every table agno
3.1's full shape: agno's MigrationManager then finds nothing to do on tables it did not create.
"""

from __future__ import annotations

from datetime import datetime
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from repositories.core.dialect import Ctx, upsert
from repositories.core.operation import Operation, Steps, operation


def current_agno_schema_version() -> str:
    from agno.db.migrations.manager import MigrationManager

    return str(MigrationManager.available_versions[-1][1])


@operation(writes=False)
def get_latest_schema_version(ctx: Ctx, *, table_name: str) -> Steps[str]:
    table = ctx.tables.versions
    version = (yield sa.select(table.c.version).where(table.c.table_name == table_name)).scalar()
    return version or current_agno_schema_version()


@operation(writes=True)
def upsert_schema_version(ctx: Ctx, *, table_name: str, version: str) -> Steps[None]:
    now = datetime.now().isoformat()
    row = {"table_name": table_name, "version": version, "created_at": now, "updated_at": now}
    yield upsert(ctx, ctx.tables.versions, row, key=["table_name"], update=["version", "updated_at"])


class VersionMethods:
    _ctx: Ctx

    _run: Callable[[Operation[Any]], Any]  # SqlDb's executor

    def get_latest_schema_version(self, table_name: str) -> str:
        return self._run(get_latest_schema_version(self._ctx, table_name=table_name))

    def upsert_schema_version(self, table_name: str, version: str) -> None:
        return self._run(upsert_schema_version(self._ctx, table_name=table_name, version=version))

"""Keep agno's ``agno_schema_versions`` rows current, as agno 3.1's own classes write them.

agno's classes read a table's version from this table ("2.0.0" when no row) and agno's
``MigrationManager`` (also run by AgentOS) migrates every table below its latest version: it
would add its own indexes and columns outside our history. A row at agno's latest version for
every table of the set tells it there is nothing to do, and lets agno's class take the database
back (see docs/adopting.md).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from packaging.version import InvalidVersion, Version
from sqlalchemy.engine import Connection

from agno_models.layout import TableNames


def latest_agno_version() -> str:
    from agno.db.migrations.manager import MigrationManager

    return MigrationManager.available_versions[-1][1].public


def _older(stored: str | None, latest: str) -> bool:
    if stored is None:
        return True
    try:
        return Version(stored) < Version(latest)
    except InvalidVersion:
        return True


def record(connection: Connection, *, names: TableNames, schema: str | None) -> int:
    """Upsert agno's latest version for every table of the set that has an older row or none; returns rows written."""
    latest = latest_agno_version()
    versions = sa.table(
        names.versions,
        sa.column("table_name"), sa.column("version"), sa.column("created_at"), sa.column("updated_at"),
        schema=schema,
    )
    stored = {row[0]: row[1] for row in connection.execute(sa.select(versions.c.table_name, versions.c.version))}
    now = datetime.now().isoformat()  # agno's format: local time, ISO 8601, as a string
    written = 0
    for table_name in names.as_dict().values():
        if table_name == names.versions or not _older(stored.get(table_name), latest):
            continue
        if table_name in stored:
            connection.execute(
                versions.update().where(versions.c.table_name == table_name).values(version=latest, updated_at=now)
            )
        else:
            connection.execute(
                versions.insert().values(table_name=table_name, version=latest, created_at=now, updated_at=now)
            )
        written += 1
    return written

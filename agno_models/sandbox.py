"""Sandbox bindings: which coordinator owns a session's sandbox turn, and its recovery state.

agno's sandbox store (``agno.sandbox.postgres``) reads and writes this table itself, through
``_get_table("sandbox_bindings")``, with PostgreSQL statements; we only store it, in agno's shape.
One row per (``namespace`` = ``"<schema>.<session table>"``, session). Deleting a session deletes
its binding; deleting the run a turn holds is refused (no cascade on ``run_id``), as in agno.
The table exists on every dialect so the schema is the same everywhere; only PostgreSQL writes it.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import UTCDateTime, id_string, jsonb_document, lease_string, name_string

# agno names the table after the session table it serves (agno.db.postgres.schemas).
SUFFIX = "_sandbox_bindings"


class SandboxBinding(AgnoTable, table=True):
    __tablename__ = "agno_sessions" + SUFFIX

    namespace: str = Field(primary_key=True, sa_type=name_string())
    session_id: str = Field(
        sa_column=Column(
            id_string(), ForeignKey("agno_sessions.session_id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    agent_id: str = Field(sa_type=id_string())
    user_id: str | None = Field(default=None, sa_type=id_string())
    epoch: int = Field(sa_type=BigInteger)
    owner: str | None = Field(default=None, sa_type=lease_string())
    run_id: str | None = Field(
        default=None, sa_column=Column(id_string(), ForeignKey("agno_runs.run_id"), nullable=True, index=True)
    )
    queue_attempt: int | None = Field(default=None, sa_type=BigInteger)
    # Compared with the database clock by agno: timestamptz on PostgreSQL.
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    record: dict[str, Any] = Field(sa_type=jsonb_document())


register(SandboxBinding, kind="sandbox_bindings", argument="sandbox_table", attribute="sandbox_table_name")

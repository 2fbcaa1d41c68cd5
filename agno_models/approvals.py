"""Human approvals of paused runs (tool confirmations and the like)."""

from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, json_type, kind_string, name_string


class Approval(AgnoTable, table=True):
    __tablename__ = "agno_approvals"

    id: str = Field(primary_key=True, sa_type=id_string())
    run_id: str = Field(sa_type=id_string(), index=True)
    session_id: str = Field(sa_type=id_string(), index=True)
    status: str = Field(sa_type=kind_string(), index=True)
    source_type: str = Field(sa_type=kind_string(), index=True)
    approval_type: str | None = Field(default=None, sa_type=kind_string(), index=True)
    pause_type: str = Field(sa_type=kind_string(), index=True)
    tool_name: str | None = Field(default=None, sa_type=name_string())
    tool_args: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    expires_at: int | None = Field(default=None, sa_type=BigInteger)
    agent_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    team_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    workflow_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    schedule_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    schedule_run_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    source_name: str | None = Field(default=None, sa_type=name_string())
    requirements: list[Any] | None = Field(default=None, sa_type=json_type())
    context: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    resolution_data: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    resolved_by: str | None = Field(default=None, sa_type=id_string())
    resolved_at: int | None = Field(default=None, sa_type=BigInteger)
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    run_status: str | None = Field(default=None, sa_type=kind_string(), index=True)


register(Approval, kind="approvals", argument="approvals_table", attribute="approvals_table_name")

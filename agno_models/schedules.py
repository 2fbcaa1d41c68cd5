"""Cron schedules AgentOS runs, and a row per triggered attempt."""

from typing import Any

from sqlalchemy import BigInteger, Column, Computed, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, json_type, kind_string, long_text, name_string


class Schedule(AgnoTable, table=True):
    __tablename__ = "agno_schedules"
    __table_args__ = (
        # Due-schedule polling, globally and per user.
        Index(None, "enabled", "next_run_at"),
        Index(None, "user_id", "enabled", "next_run_at"),
        # Names are unique per owner (NULL owners never collide here) ...
        UniqueConstraint("user_id", "name"),
        # ... and unique among unowned schedules, through a generated column that is NULL for
        # owned rows. agno uses a partial index for this, which MySQL/MariaDB cannot express.
        UniqueConstraint("unowned_name"),
    )

    id: str = Field(primary_key=True, sa_type=id_string())
    name: str = Field(sa_type=name_string(), index=True)
    description: str | None = Field(default=None, sa_type=long_text())
    method: str = Field(sa_type=kind_string())
    endpoint: str = Field(sa_type=long_text())
    payload: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    cron_expr: str = Field(sa_type=name_string())
    timezone: str = Field(sa_type=kind_string())
    timeout_seconds: int = Field(sa_type=BigInteger)
    max_retries: int = Field(sa_type=BigInteger)
    retry_delay_seconds: int = Field(sa_type=BigInteger)
    enabled: bool = Field(default=True)
    next_run_at: int | None = Field(default=None, sa_type=BigInteger, index=True)
    locked_by: str | None = Field(default=None, sa_type=id_string())
    locked_at: int | None = Field(default=None, sa_type=BigInteger)
    user_id: str | None = Field(default=None, sa_type=id_string())
    managed_by: str | None = Field(default=None, sa_type=kind_string(), index=True)
    target_type: str | None = Field(default=None, sa_type=kind_string())
    target_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    created_by_run_id: str | None = Field(default=None, sa_type=id_string())
    created_by_session_id: str | None = Field(default=None, sa_type=id_string())
    updated_by_run_id: str | None = Field(default=None, sa_type=id_string())
    updated_by_session_id: str | None = Field(default=None, sa_type=id_string())
    disabled_reason: str | None = Field(default=None, sa_type=long_text())
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    unowned_name: str | None = Field(
        default=None,
        sa_column=Column(
            name_string(), Computed("CASE WHEN user_id IS NULL THEN name END", persisted=True), nullable=True
        ),
    )


class ScheduleRun(AgnoTable, table=True):
    __tablename__ = "agno_schedule_runs"
    __table_args__ = (Index(None, "schedule_id", "created_at"),)

    id: str = Field(primary_key=True, sa_type=id_string())
    schedule_id: str = Field(
        sa_column=Column(id_string(), ForeignKey("agno_schedules.id", ondelete="CASCADE"), nullable=False)
    )
    attempt: int = Field(sa_type=BigInteger)
    triggered_at: int | None = Field(default=None, sa_type=BigInteger)
    completed_at: int | None = Field(default=None, sa_type=BigInteger)
    status: str = Field(sa_type=kind_string(), index=True)
    status_code: int | None = Field(default=None, sa_type=BigInteger)
    run_id: str | None = Field(default=None, sa_type=id_string())
    session_id: str | None = Field(default=None, sa_type=id_string())
    error: str | None = Field(default=None, sa_type=long_text())
    input: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    output: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    requirements: list[Any] | None = Field(default=None, sa_type=json_type())
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    created_at: int = Field(sa_type=BigInteger, index=True)


register(Schedule, kind="schedules", argument="schedules_table", attribute="schedules_table_name")
register(ScheduleRun, kind="schedule_runs", argument="schedule_runs_table", attribute="schedule_runs_table_name")

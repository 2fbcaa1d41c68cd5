"""Daily usage metrics that agno's ``calculate_metrics`` aggregates."""

from datetime import date as date_
from typing import Any

from sqlalchemy import BigInteger, Date, UniqueConstraint
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, json_type, kind_string


class Metrics(AgnoTable, table=True):
    __tablename__ = "agno_metrics"
    __table_args__ = (UniqueConstraint("user_id", "date", "aggregation_period"),)

    id: str = Field(primary_key=True, sa_type=id_string())
    agent_runs_count: int = Field(default=0, sa_type=BigInteger)
    team_runs_count: int = Field(default=0, sa_type=BigInteger)
    workflow_runs_count: int = Field(default=0, sa_type=BigInteger)
    agent_sessions_count: int = Field(default=0, sa_type=BigInteger)
    team_sessions_count: int = Field(default=0, sa_type=BigInteger)
    workflow_sessions_count: int = Field(default=0, sa_type=BigInteger)
    users_count: int = Field(default=0, sa_type=BigInteger)
    token_metrics: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    model_metrics: dict[str, Any] = Field(default_factory=dict, sa_type=json_type())
    date: date_ = Field(sa_type=Date, index=True)
    aggregation_period: str = Field(sa_type=kind_string())
    # "" rather than NULL for "no owner": NULLs never collide in the unique constraint above.
    user_id: str = Field(default="", sa_type=id_string())
    created_at: int = Field(sa_type=BigInteger)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    completed: bool = Field(default=False)


register(Metrics, kind="metrics", argument="metrics_table", attribute="metrics_table_name")

"""Evaluation runs."""

from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, json_type, kind_string, name_string


class EvalRun(AgnoTable, table=True):
    __tablename__ = "agno_eval_runs"

    run_id: str = Field(primary_key=True, sa_type=id_string())
    eval_type: str = Field(sa_type=kind_string(), index=True)
    eval_data: dict[str, Any] = Field(sa_type=json_type())
    eval_input: dict[str, Any] = Field(sa_type=json_type())
    name: str | None = Field(default=None, sa_type=name_string())
    agent_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    team_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    workflow_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    model_id: str | None = Field(default=None, sa_type=id_string())
    model_provider: str | None = Field(default=None, sa_type=id_string())
    evaluated_component_name: str | None = Field(default=None, sa_type=name_string())
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)


register(EvalRun, kind="evals", argument="eval_table", attribute="eval_table_name")

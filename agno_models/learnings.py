"""Learnings agno's learning machine extracts (user profiles, entity facts, ...)."""

from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, json_type, kind_string, name_string


class Learning(AgnoTable, table=True):
    __tablename__ = "agno_learnings"

    learning_id: str = Field(primary_key=True, sa_type=id_string())
    learning_type: str = Field(sa_type=kind_string(), index=True)
    namespace: str | None = Field(default=None, sa_type=name_string(), index=True)
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    agent_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    team_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    workflow_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    session_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    entity_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    entity_type: str | None = Field(default=None, sa_type=kind_string(), index=True)
    content: Any = Field(sa_type=json_type())
    metadata_: dict[str, Any] | None = Field(default=None, sa_type=json_type(), sa_column_kwargs={"name": "metadata"})
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)


register(Learning, kind="learnings", argument="learnings_table", attribute="learnings_table_name")

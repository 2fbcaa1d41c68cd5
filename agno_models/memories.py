"""User memories."""

from typing import Any

from sqlalchemy import BigInteger, Index
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, json_type, long_text


class AgnoMemory(AgnoTable, table=True):
    """A memory agno keeps about a user (agno's ``UserMemory``); ``memory`` is its JSON body, ``topics`` a JSON list."""

    __tablename__ = "agno_memories"
    __table_args__ = (
        # A user's memories, most recently updated first.
        Index(None, "user_id", "updated_at"),
    )

    memory_id: str = Field(primary_key=True, sa_type=id_string())
    memory: Any = Field(sa_type=json_type())
    feedback: str | None = Field(default=None, sa_type=long_text())
    input: str | None = Field(default=None, sa_type=long_text())
    agent_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    team_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    user_id: str | None = Field(default=None, sa_type=id_string())
    topics: list[str] | None = Field(default=None, sa_type=json_type())
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger, index=True)


register(AgnoMemory, kind="memories", argument="memory_table", attribute="memory_table_name")

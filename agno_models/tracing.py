"""Traces and their spans (agno stores times as ISO-8601 strings)."""

from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, json_type, kind_string, long_text, name_string, timestamp_text


class Trace(AgnoTable, table=True):
    __tablename__ = "agno_traces"

    trace_id: str = Field(primary_key=True, sa_type=id_string())
    name: str = Field(sa_type=name_string(), index=True)
    status: str = Field(sa_type=kind_string(), index=True)
    start_time: str = Field(sa_type=timestamp_text(), index=True)
    end_time: str = Field(sa_type=timestamp_text())
    duration_ms: int = Field(sa_type=BigInteger)
    run_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    session_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    agent_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    team_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    workflow_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    created_at: str = Field(sa_type=timestamp_text(), index=True)


class Span(AgnoTable, table=True):
    __tablename__ = "agno_spans"

    span_id: str = Field(primary_key=True, sa_type=id_string())
    trace_id: str = Field(
        sa_column=Column(id_string(), ForeignKey("agno_traces.trace_id", ondelete="CASCADE"), nullable=False, index=True)
    )
    parent_span_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    name: str = Field(sa_type=name_string(), index=True)
    span_kind: str = Field(sa_type=kind_string())
    status_code: str = Field(sa_type=kind_string())
    status_message: str | None = Field(default=None, sa_type=long_text())
    start_time: str = Field(sa_type=timestamp_text(), index=True)
    end_time: str = Field(sa_type=timestamp_text())
    duration_ms: int = Field(sa_type=BigInteger)
    attributes: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    created_at: str = Field(sa_type=timestamp_text(), index=True)


register(Trace, kind="traces", argument="traces_table", attribute="trace_table_name")
register(Span, kind="spans", argument="spans_table", attribute="span_table_name")

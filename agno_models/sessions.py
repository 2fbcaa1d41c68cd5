"""Sessions (agent, team, workflow) and their runs, one row per run.

Beside agno's columns, each run has typed copies of the fields people aggregate (model, tokens,
cost, durations, error, creation time) and each session its run count and last run time; they are
derived by ``agno_models.analytics`` (see that module for units) and never read back by agno.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import UTCDateTime, id_string, json_type, kind_string, long_text, name_string


class AgnoSession(AgnoTable, table=True):
    """agno's session row. Runs live in ``agno_runs``; ``summary`` holds the session summary."""

    __tablename__ = "agno_sessions"
    __table_args__ = (
        # get_sessions: by user newest first, and by type newest first.
        Index(None, "user_id", "created_at"),
        Index(None, "session_type", "created_at"),
    )

    session_id: str = Field(primary_key=True, sa_type=id_string())
    session_type: str = Field(sa_type=kind_string())
    agent_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    team_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    workflow_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    user_id: str | None = Field(default=None, sa_type=id_string())
    session_data: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    agent_data: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    team_data: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    workflow_data: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    metadata_: dict[str, Any] | None = Field(default=None, sa_type=json_type(), sa_column_kwargs={"name": "metadata"})
    summary: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    # Analytics (revision 0003): kept with the runs by the repositories.
    run_count: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    last_run_at: int | None = Field(default=None, sa_type=BigInteger, index=True)
    # Revision 0007: goes up on every write of one of the session's runs (kept by triggers).
    runs_version: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})


class AgnoRun(AgnoTable, table=True):
    """One agent, team or workflow run; ``run_data`` is agno's full run dict."""

    __tablename__ = "agno_runs"
    __table_args__ = (
        # Serves "runs of a session in order" and makes a duplicate run_index impossible.
        UniqueConstraint("session_id", "run_index"),
        # run_count / last_run_at recounts (count, max(created_at)) from the index alone.
        Index(None, "session_id", "created_at"),
        # "The session's runs written since version V" (revision 0007).
        Index(None, "session_id", "row_version"),
    )

    run_id: str = Field(primary_key=True, sa_type=id_string())
    session_id: str = Field(
        sa_column=Column(id_string(), ForeignKey("agno_sessions.session_id", ondelete="CASCADE"), nullable=False)
    )
    run_type: str = Field(sa_type=kind_string(), index=True)
    agent_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    team_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    workflow_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    parent_run_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    status: str | None = Field(default=None, sa_type=kind_string(), index=True)
    run_index: int | None = Field(default=None, sa_type=BigInteger)
    run_data: dict[str, Any] = Field(sa_type=json_type())
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    # Analytics (revision 0003): typed copies of run_data's fields, see agno_models.analytics.
    model_id: str | None = Field(default=None, sa_type=name_string(), index=True)
    model_provider: str | None = Field(default=None, sa_type=id_string())
    input_tokens: int | None = Field(default=None, sa_type=BigInteger)
    output_tokens: int | None = Field(default=None, sa_type=BigInteger)
    total_tokens: int | None = Field(default=None, sa_type=BigInteger)
    reasoning_tokens: int | None = Field(default=None, sa_type=BigInteger)
    cache_read_tokens: int | None = Field(default=None, sa_type=BigInteger)
    cache_write_tokens: int | None = Field(default=None, sa_type=BigInteger)
    cost_nanos: int | None = Field(default=None, sa_type=BigInteger)
    duration_ms: int | None = Field(default=None, sa_type=BigInteger)
    time_to_first_token_ms: int | None = Field(default=None, sa_type=BigInteger)
    error_message: str | None = Field(default=None, sa_type=long_text())
    created_time: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    created_date: date | None = Field(default=None, sa_type=Date, index=True)
    # Revision 0007: the session's runs_version at this run's last write (kept by triggers).
    row_version: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})


register(AgnoSession, kind="sessions", argument="session_table", attribute="session_table_name")
register(AgnoRun, kind="runs", argument="runs_table", attribute="runs_table_name")

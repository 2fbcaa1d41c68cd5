"""The durable job queue AgentOS runs background runs through (``QueueConfig(durable=True)``)."""

from typing import Any

from sqlalchemy import BigInteger, Column, Computed, Index, UniqueConstraint
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, idempotency_key_string, json_type, kind_string, long_text


class Job(AgnoTable, table=True):
    __tablename__ = "agno_jobs"
    __table_args__ = (
        # The claim scan: queued (or stale running) rows that are available.
        Index(None, "status", "available_at"),
        # Per-session ordering: a session's serialized tickets by acceptance sequence.
        Index(None, "session_id", "session_seq"),
        # Idempotency keys are unique per owner ... (NULL keys never collide)
        UniqueConstraint("idempotency_key", "user_id"),
        # ... and among anonymous submits, through a generated column that is NULL for owned
        # rows. agno uses two partial indexes for this, which MySQL/MariaDB cannot express.
        UniqueConstraint("anonymous_idempotency_key"),
    )

    id: str = Field(primary_key=True, sa_type=id_string())  # == run_id
    component_type: str = Field(sa_type=kind_string())
    job_type: str = Field(sa_type=kind_string())
    deployment_id: str | None = Field(default=None, sa_type=id_string())
    component_id: str = Field(sa_type=id_string(), index=True)
    session_id: str = Field(sa_type=id_string(), index=True)
    user_id: str | None = Field(default=None, sa_type=id_string())
    payload: dict[str, Any] = Field(sa_type=json_type())
    status: str = Field(sa_type=kind_string(), index=True)
    attempt: int = Field(sa_type=BigInteger)  # doubles as the fencing generation
    max_attempts: int = Field(sa_type=BigInteger)
    idempotency_key: str | None = Field(default=None, sa_type=idempotency_key_string())
    available_at: int = Field(sa_type=BigInteger)
    locked_by: str | None = Field(default=None, sa_type=id_string())
    locked_at: int | None = Field(default=None, sa_type=BigInteger)
    error: str | None = Field(default=None, sa_type=long_text())
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int | None = Field(default=None, sa_type=BigInteger)
    completed_at: int | None = Field(default=None, sa_type=BigInteger)
    # payload["serialize_session"] and payload["session_seq"] as columns, so the claim's
    # "may this ticket run yet" test is plain SQL on every dialect.
    serialize_session: bool = Field(default=False)
    session_seq: int | None = Field(default=None, sa_type=BigInteger)
    anonymous_idempotency_key: str | None = Field(
        default=None,
        sa_column=Column(
            idempotency_key_string(),
            Computed("CASE WHEN user_id IS NULL THEN idempotency_key END", persisted=True),
            nullable=True,
        ),
    )


register(Job, kind="jobs", argument="job_table", attribute="job_table_name")

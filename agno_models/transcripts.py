"""Transcripts of external agents (Claude Code and the like), kept as opaque JSON entries in order.

One row per entry: ``position`` numbers the entries of one transcript (framework, project,
session, subpath; ``""`` is the main transcript), and an entry's ``uuid`` is stored once.
"""

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, kind_string, long_text, name_string


class TranscriptEntry(AgnoTable, table=True):
    __tablename__ = "agno_transcripts"
    # Within MySQL's 3072-byte key limit: 50 + 255 + 3 * 128 characters of 4 bytes.
    __table_args__ = (UniqueConstraint("framework", "project_key", "session_id", "subpath", "entry_uuid"),)

    framework: str = Field(primary_key=True, sa_type=kind_string())
    project_key: str = Field(primary_key=True, sa_type=name_string())
    session_id: str = Field(primary_key=True, sa_type=id_string())
    subpath: str = Field(primary_key=True, sa_type=id_string())
    position: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    entry_uuid: str | None = Field(default=None, sa_type=id_string())
    entry: str = Field(sa_type=long_text())
    agno_session_id: str = Field(sa_type=id_string(), index=True)
    created_at: int = Field(sa_type=BigInteger)


register(TranscriptEntry, kind="transcripts", attribute="transcripts_table_name")

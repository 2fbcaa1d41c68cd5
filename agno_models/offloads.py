"""What agent runtimes keep beside a session: offloaded tool results and compaction records.

A tool-result row indexes one payload agno wrote to its filesystem (``namespace``/``path``), so a
run can show a preview and fetch the whole result later. A compaction record is one fold of the
conversation: a summary, the id of the first message kept, and the folded messages verbatim.
Records are written once and never updated (agno's contract).
"""

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field

from agno_models.base import AgnoTable
from agno_models.registry import register
from agno_models.types import id_string, long_text, name_string


class ToolResult(AgnoTable, table=True):
    __tablename__ = "agno_tool_results"
    __table_args__ = (
        UniqueConstraint("namespace", "path"),  # two result ids never point at one payload
        Index(None, "session_id", "created_at"),  # the newest-first listing and session cleanup
    )

    result_id: str = Field(primary_key=True, sa_type=id_string())
    namespace: str = Field(sa_type=name_string())
    path: str = Field(sa_type=name_string())
    session_id: str = Field(sa_type=id_string())
    run_id: str = Field(sa_type=id_string())
    tool_call_id: str = Field(sa_type=id_string())
    tool_name: str = Field(sa_type=name_string())
    args_hash: str = Field(sa_type=id_string())
    content_type: str = Field(sa_type=name_string())
    size_bytes: int = Field(sa_type=BigInteger)
    line_count: int = Field(sa_type=BigInteger)
    preview: str = Field(sa_type=long_text())
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    created_at: int = Field(sa_type=BigInteger)
    expires_at: int | None = Field(default=None, sa_type=BigInteger, index=True)


class Compaction(AgnoTable, table=True):
    __tablename__ = "agno_compactions"
    __table_args__ = (Index(None, "session_id", "created_at"),)  # the fold in force, session cleanup

    compaction_id: str = Field(primary_key=True, sa_type=id_string())
    session_id: str = Field(sa_type=id_string())
    run_id: str | None = Field(default=None, sa_type=id_string())
    user_id: str | None = Field(default=None, sa_type=id_string(), index=True)
    first_kept_message_id: str | None = Field(default=None, sa_type=id_string())
    summary: str | None = Field(default=None, sa_type=long_text())
    archived_messages: str | None = Field(default=None, sa_type=long_text())
    messages_compacted: int | None = Field(default=None, sa_type=BigInteger)
    tokens_before: int | None = Field(default=None, sa_type=BigInteger)
    tokens_after: int | None = Field(default=None, sa_type=BigInteger)
    created_at: int = Field(sa_type=BigInteger)


# agno has no constructor keyword for these two: their names follow only agno's attributes.
register(ToolResult, kind="tool_results", attribute="tool_results_table_name")
register(Compaction, kind="compactions", attribute="compactions_table_name")

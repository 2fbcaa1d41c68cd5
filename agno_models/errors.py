"""Database errors that name their cause and the fix, where the driver's message does not.

Hooked into every engine ``agno_models.engine`` creates (SQLAlchemy's ``handle_error`` event), so
the executors raise the explained error without knowing about it. The original database error
stays attached as ``__cause__``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# MySQL client/server error codes after a too-big packet: the server reports 1153 and drops the
# connection, so the client usually sees 2006 ("server has gone away") or 2013 (lost during query).
_PACKET_TOO_LARGE = 1153
_CONNECTION_LOST = {2006, 2013}
MAX_PACKET_LIMIT = 1024 * 1024 * 1024  # MySQL's and MariaDB's ceiling for max_allowed_packet
PACKET_INFO_KEY = "agno_models.max_allowed_packet"


class MaxAllowedPacketError(sa.exc.SQLAlchemyError):
    """A statement was bigger than the MySQL server's ``max_allowed_packet``."""


def record_packet_limit(dbapi_connection: Any, record: Any) -> None:
    """Remember a new MySQL connection's packet limit: once the server drops it, it cannot be asked."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT @@SESSION.max_allowed_packet")
        record.info[PACKET_INFO_KEY] = int(cursor.fetchone()[0])
    finally:
        cursor.close()


def statement_size(statement: str | None, parameters: Any) -> int:
    """Roughly the bytes of the largest packet the statement needs (its text plus one row of values)."""
    rows = parameters if isinstance(parameters, list) else [parameters]
    largest = max((_row_size(row) for row in rows), default=0)
    return len((statement or "").encode()) + largest


def _row_size(row: Any) -> int:
    values = row.values() if isinstance(row, dict) else row if isinstance(row, list | tuple) else [row]
    return sum(_value_size(v) for v in values)


def _value_size(value: Any) -> int:
    if value is None:
        return 4
    if isinstance(value, bytes | bytearray | memoryview):
        return 2 * len(value)  # sent as an escaped literal or hex
    return len(str(value).encode())


def explain_packet(code: int | None, *, size: int, limit: int | None) -> MaxAllowedPacketError | None:
    """The error to raise instead of MySQL's, when it came from a statement bigger than ``limit``."""
    too_big = code == _PACKET_TOO_LARGE or (code in _CONNECTION_LOST and limit is not None and size > limit)
    if not too_big:
        return None
    suggest = min(MAX_PACKET_LIMIT, 1 << max(size * 2 - 1, 1).bit_length())
    limit_text = f"{limit:,} bytes" if limit is not None else "smaller"
    return MaxAllowedPacketError(
        f"the MySQL server refused a statement of about {size:,} bytes: its max_allowed_packet is {limit_text}, "
        "so it dropped the connection (what the driver reports as 'server has gone away'). Raise it on the "
        f"server: SET GLOBAL max_allowed_packet = {suggest}; (and max_allowed_packet = {suggest} under [mysqld] "
        "in its configuration, to keep it after a restart). Connections opened afterwards get the new limit."
    )


def on_error(context: sa.engine.ExceptionContext) -> Exception | None:
    """``handle_error`` listener for MySQL engines."""
    original = context.original_exception
    code = original.args[0] if original is not None and original.args and isinstance(original.args[0], int) else None
    if code != _PACKET_TOO_LARGE and code not in _CONNECTION_LOST:
        return None
    size = statement_size(context.statement, context.parameters)
    limit = None
    if context.connection is not None:
        try:
            limit = context.connection.info.get(PACKET_INFO_KEY)
        except sa.exc.SQLAlchemyError:  # the connection is already closed; keep the driver's error
            limit = None
    explained = explain_packet(code, size=size, limit=limit)
    if explained is not None:
        # The server closed the connection; with 1153 SQLAlchemy does not know, and its rollback
        # on the dead connection would replace this error with "gone away".
        context.is_disconnect = True
    return explained  # SQLAlchemy raises it from the driver's error

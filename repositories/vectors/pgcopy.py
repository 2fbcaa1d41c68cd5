"""PostgreSQL's binary COPY format for chunk rows, encoded in bulk.

COPY is the fast path for precomputed embeddings: one round trip for a whole batch, and the
server parses no SQL per row. Rows are encoded here rather than with the driver's per-row
``write_row`` because vectors are packed for the whole batch at once with NumPy.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from agno_models.engine import json_dumps_postgres

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
_POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_NULL = struct.pack(">i", -1)
_INT = struct.Struct(">i")
_FIELD_INT4 = struct.pack(">i", 4)
_FIELD_INT8 = struct.pack(">i", 8)

# The columns the fast path writes, in COPY order, with how each is encoded.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("knowledge_base", "text"), ("id", "text"), ("name", "text"), ("meta_data", "jsonb"), ("filters", "jsonb"),
    ("content", "text"), ("dimensions", "int4"), ("embedding", "vector"), ("usage", "jsonb"),
    ("content_hash", "text"), ("content_id", "text"), ("user_id", "text"), ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)


def _text(value: str | None) -> bytes:
    if value is None:
        return _NULL
    data = value.encode("utf-8")
    return _INT.pack(len(data)) + data


def _jsonb(value: Any) -> bytes:
    if value is None:
        return _NULL
    data = b"\x01" + json_dumps_postgres(value).encode("utf-8")  # jsonb's binary format: version 1, then text
    return _INT.pack(len(data)) + data


def _timestamptz(value: datetime | None) -> bytes:
    if value is None:
        return _NULL
    delta = value.astimezone(UTC) - _POSTGRES_EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return _FIELD_INT8 + struct.pack(">q", micros)


def encode(rows: Sequence[dict[str, Any]], vectors: np.ndarray) -> bytes:
    """The COPY payload for ``rows`` (dicts keyed by column) whose embeddings are ``vectors``' rows."""
    count, dimensions = vectors.shape
    # pgvector's binary vector: int16 dimensions, int16 unused, then big-endian float32s.
    header = struct.pack(">ihh", 4 + 4 * dimensions, dimensions, 0)
    packed = vectors.astype(">f4", copy=False)
    field_count = struct.pack(">h", len(COLUMNS))
    parts: list[bytes] = [SIGNATURE]
    append = parts.append
    for i, row in enumerate(rows):
        append(field_count)
        append(_text(row["knowledge_base"]))
        append(_text(row["id"]))
        append(_text(row["name"]))
        append(_jsonb(row["meta_data"]))
        append(_jsonb(row["filters"]))
        append(_text(row["content"]))
        append(_FIELD_INT4 + _INT.pack(row["dimensions"]))
        append(header + packed[i].tobytes())
        append(_jsonb(row["usage"]))
        append(_text(row["content_hash"]))
        append(_text(row["content_id"]))
        append(_text(row["user_id"]))
        append(_timestamptz(row["created_at"]))
        append(_timestamptz(row["updated_at"]))
    assert len(rows) == count
    append(TRAILER)
    return b"".join(parts)


def column_list() -> str:
    return ", ".join(f'"{name}"' for name, _ in COLUMNS)

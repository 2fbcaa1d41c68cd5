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


def _timestamptz(value: datetime | None) -> bytes:
    if value is None:
        return _NULL
    delta = value.astimezone(UTC) - _POSTGRES_EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return _FIELD_INT8 + struct.pack(">q", micros)


def _jsonb_text(document: str | None) -> bytes:
    if document is None:
        return _NULL
    data = b"\x01" + document.encode("utf-8")  # jsonb's binary format: version 1, then text
    return _INT.pack(len(data)) + data


def encode(
    rows: Sequence[dict[str, Any]], vectors: np.ndarray,
    json_texts: Sequence[tuple[str, str | None, str | None]] | None = None,
) -> bytes:
    """The COPY payload for ``rows`` (dicts keyed by column) whose embeddings are ``vectors``' rows.

    ``json_texts``: per row, meta_data, filters and usage already as JSON text (else dumped here).
    """
    count, dimensions = vectors.shape
    assert len(rows) == count
    # pgvector's binary vector: int32 field length, int16 dimensions, int16 unused, big-endian float32s.
    header = struct.pack(">ihh", 4 + 4 * dimensions, dimensions, 0)
    packed = vectors.astype(">f4", copy=False).tobytes()
    width = 4 * dimensions
    field_count = struct.pack(">h", len(COLUMNS))
    # Fields that repeat from row to row in one write (base, content hash, owner, filters, time)
    # are encoded once.
    memo: dict[tuple[str, Any], bytes] = {}

    def once(column: str, value: Any, encoder: Any) -> bytes:
        key = (column, value)
        encoded = memo.get(key)
        if encoded is None:
            encoded = memo[key] = encoder(value)
        return encoded

    parts: list[bytes] = [SIGNATURE]
    append = parts.append
    for i, row in enumerate(rows):
        if json_texts is None:
            meta, filters, usage = (None if row[c] is None else json_dumps_postgres(row[c])
                                    for c in ("meta_data", "filters", "usage"))
        else:
            meta, filters, usage = json_texts[i]
        append(b"".join((
            field_count,
            once("knowledge_base", row["knowledge_base"], _text),
            _text(row["id"]),
            _text(row["name"]),
            _jsonb_text(meta),
            once("filters", filters, _jsonb_text),
            _text(row["content"]),
            once("dimensions", row["dimensions"], lambda n: _FIELD_INT4 + _INT.pack(n)),
            header,
            packed[i * width : (i + 1) * width],
            _jsonb_text(usage),
            once("content_hash", row["content_hash"], _text),
            once("content_id", row["content_id"], _text),
            once("user_id", row["user_id"], _text),
            once("created_at", row["created_at"], _timestamptz),
            once("updated_at", row["updated_at"], _timestamptz),
        )))
    append(TRAILER)
    return b"".join(parts)


def column_list() -> str:
    return ", ".join(f'"{name}"' for name, _ in COLUMNS)

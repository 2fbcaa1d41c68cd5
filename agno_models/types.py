"""Column types that hide dialect differences, so each model is written once.

- JSON is JSONB on PostgreSQL and JSON elsewhere. SQL NULL (not JSON ``null``) is stored for
  ``None`` so ``IS NULL`` filters work. MySQL's JSON holds up to ``max_allowed_packet``; on
  MariaDB it is a LONGTEXT with a validity check, so 16 MB payloads fit everywhere.
- Free text is TEXT, LONGTEXT on MySQL (plain TEXT stops at 64 KB there).
- Indexed strings carry explicit lengths: MySQL indexes at most 3072 bytes per key and utf8mb4
  needs 4 bytes a character, so a 128-character id costs 512 bytes and even a four-column key
  of ids stays within the limit.
- Strings compare and sort byte by byte on every dialect. MySQL's default collations fold case
  and pad trailing spaces ('ALICE ' = 'alice'), which would let one user id reach another's
  rows, so MySQL columns use a binary NO PAD collation (utf8mb4_nopad_bin on MariaDB,
  utf8mb4_0900_bin on MySQL 8); PostgreSQL columns use "C", whose order (unlike a linguistic
  one) keeps ISO-8601 timestamps in time order; SQLite compares bytes already.
- PostgreSQL cannot store U+0000 in text: on PostgreSQL the text types drop it from the value
  (and the JSON serializer from the document, ``engine.json_dumps_postgres``), as agno's own
  PostgresDb does, so a run is stored rather than lost. Other dialects keep it.
- Embeddings are pgvector ``vector`` on PostgreSQL and packed little-endian float32 bytes
  elsewhere, read back as NumPy float32 arrays on every dialect.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import JSON, DateTime, LargeBinary, String, Text
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from agno_models.extras import require

if TYPE_CHECKING:
    import numpy as np

ID_LENGTH = 128  # ids, user ids, component ids
NAME_LENGTH = 255  # human-readable names, endpoints
KIND_LENGTH = 50  # enum-like values: types, statuses
TIMESTAMP_TEXT_LENGTH = 128  # ISO-8601 strings agno keeps for traces
IDEMPOTENCY_KEY_LENGTH = 512  # AgentOS refuses longer Idempotency-Key headers
LEASE_LENGTH = 512  # agno's sandbox store refuses longer lease identities

_MYSQL = ("mysql", "mariadb")


def _exact_collation(dialect: Dialect) -> str:
    return "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"


def _without_nul(value: Any, dialect: Dialect) -> Any:
    if dialect.name == "postgresql" and isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "")
    return value


class ExactString(TypeDecorator[str]):
    """VARCHAR(length), compared byte for byte on every dialect."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return _without_nul(value, dialect)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        length = cast(String, self.impl).length  # an instance here: the class attribute is its type
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.VARCHAR(length, collation=_exact_collation(dialect)))
        if dialect.name == "postgresql":
            return String(length, collation="C")
        return String(length)


class ExactText(TypeDecorator[str]):
    """Unbounded text compared byte for byte; LONGTEXT on MySQL (plain TEXT stops at 64 KB)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return _without_nul(value, dialect)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.LONGTEXT(collation=_exact_collation(dialect)))
        if dialect.name == "postgresql":
            return Text(collation="C")
        return Text()


def _string(length: int) -> TypeEngine[str]:
    return ExactString(length)


def json_type() -> TypeEngine[Any]:
    """JSON document column: JSONB on PostgreSQL, JSON elsewhere; ``None`` is SQL NULL."""
    return JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def jsonb_document() -> TypeEngine[Any]:
    """Like :func:`json_type`, but its expressions are JSONB's (``col["k"].astext``) on every dialect.

    For tables agno's PostgreSQL-only code queries with JSONB operators; JSON elsewhere.
    """
    return postgresql.JSONB(none_as_null=True).with_variant(JSON(none_as_null=True), "sqlite", "mysql", "mariadb")


def long_text() -> TypeEngine[str]:
    """Unbounded text: TEXT, or LONGTEXT on MySQL/MariaDB (plain TEXT stops at 64 KB there)."""
    return ExactText()


def id_string() -> TypeEngine[str]:
    return _string(ID_LENGTH)


def name_string() -> TypeEngine[str]:
    return _string(NAME_LENGTH)


def kind_string() -> TypeEngine[str]:
    return _string(KIND_LENGTH)


def idempotency_key_string() -> TypeEngine[str]:
    """A client's Idempotency-Key (indexed with a user id: 640 characters fit MySQL's key limit)."""
    return _string(IDEMPOTENCY_KEY_LENGTH)


def lease_string() -> TypeEngine[str]:
    """A lease owner agno's sandbox store accepts (up to 512 characters)."""
    return _string(LEASE_LENGTH)


def timestamp_text() -> TypeEngine[str]:
    """An ISO-8601 timestamp agno keeps as text (traces, schema versions)."""
    return _string(TIMESTAMP_TEXT_LENGTH)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every dialect.

    PostgreSQL keeps ``timestamptz``; MySQL and SQLite have no zone, so UTC is stored naive (with
    microseconds on MySQL) and made aware again on the way out. Naive input is refused rather
    than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone; pass an aware datetime")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Embedding(TypeDecorator[Any]):  # float32 np.ndarray; NumPy is imported on use
    """A float32 vector: pgvector ``vector`` (dimension left open) on PostgreSQL, bytes elsewhere.

    The dimension is not part of the type: one migrated table holds several knowledge bases of
    different dimensions, each checked and indexed by the vector store. Non-finite values are
    rejected here so no dialect can store a NaN that would poison distance computations.
    """

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            vector = require("pgvector.sqlalchemy", needed_for="the PostgreSQL embedding column").VECTOR
            return dialect.type_descriptor(vector())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: Sequence[float] | np.ndarray | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        np = _numpy()
        array = np.asarray(value, dtype=np.float32)
        if array.ndim != 1 or array.size == 0:
            raise ValueError(f"an embedding must be a non-empty 1-D vector, got shape {array.shape}")
        if not np.isfinite(array).all():
            bad = next(i for i, x in enumerate(array.tolist()) if not math.isfinite(x))
            raise ValueError(f"embedding value at position {bad} is {array[bad]}; only finite numbers can be stored")
        if dialect.name == "postgresql":
            return array
        return array.astype("<f4").tobytes()

    def process_result_value(self, value: Any, dialect: Dialect) -> np.ndarray | None:
        if value is None:
            return None
        numpy = _numpy()  # untyped here (imported on first use): the annotation types the result
        array: np.ndarray
        if dialect.name == "postgresql":
            array = numpy.asarray(value, dtype=numpy.float32)
        else:
            array = numpy.frombuffer(value, dtype="<f4").copy()
        return array


@cache  # called per value: the import machinery once, not per row
def _numpy() -> Any:
    return require("numpy", needed_for="storing and reading embeddings")

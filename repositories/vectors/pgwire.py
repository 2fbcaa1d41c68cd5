"""pgvector values on psycopg's wire in binary, without registering pgvector's types.

pgvector's text form costs about 180 us to parse per 384-dimension vector in Python and 400 us
to format; its binary form (int16 dimensions, int16 unused, big-endian float32s) costs about
2 us either way. Two tools get it without touching how other code reads ``vector`` columns:

- ``QueryVector``: a query vector bound as a binary parameter with an unknown type (oid 0); the
  server takes its type from the ``CAST(... AS vector(n))`` around the parameter and reads it
  with pgvector's binary input.
- ``vector_send(embedding)`` in a select: the stored vector's binary form as ``bytea``, which
  psycopg decodes in C; ``decode`` turns it into a float32 array.

Registering ``pgvector.psycopg.register_vector`` on the engine instead would change what every
``vector`` column returns on that connection (a ``Vector`` parsed from text by the same slow
loop, since SQLAlchemy asks psycopg for text results), including for a ``PostgresDb`` sharing
the engine; these tools change nothing outside the vector store's own statements.
"""

from __future__ import annotations

import importlib.util
import struct
from functools import cache
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

_HEADER = struct.Struct(">HH")


class QueryVector:
    """A float32 vector to bind as a binary pgvector parameter (see the module docstring)."""

    __slots__ = ("payload",)

    def __init__(self, vector: np.ndarray) -> None:
        self.payload = _HEADER.pack(vector.shape[0], 0) + vector.astype(">f4", copy=False).tobytes()


@cache
def _dumper() -> type:
    # Built on first use: psycopg comes with the [postgres] extra, and SQLite or MySQL stores
    # import this module without it.
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class QueryVectorDumper(Dumper):
        format = Format.BINARY
        oid = 0  # unknown: the server types the parameter from the cast around it

        def dump(self, obj: QueryVector) -> bytes:
            return obj.payload

    return QueryVectorDumper


def register(adapters: Any) -> None:
    """Teach a psycopg adapters map (a connection's, or ``psycopg.adapters``) to bind ``QueryVector``."""
    adapters.register_dumper(QueryVector, _dumper())


def registered(driver_connection: Any, info: dict[Any, Any]) -> None:
    """Register on a pooled connection once (``info`` is the pool record's dict, kept across checkouts).

    Connections made after this module was imported already have it from the global map; this
    covers those a shared engine opened before.
    """
    if info.get(_INFO_KEY) is None:
        register(driver_connection.adapters)
        info[_INFO_KEY] = True


_INFO_KEY = "agno_models.vectors.query_vector"

if importlib.util.find_spec("psycopg") is not None:
    import psycopg

    register(psycopg.adapters)


def decode(data: bytes | memoryview | None) -> np.ndarray | None:
    """A ``vector_send`` result as a float32 array."""
    if data is None:
        return None
    dimensions, unused = _HEADER.unpack_from(data)
    if unused != 0 or len(data) != 4 + 4 * dimensions:
        raise ValueError(f"not a pgvector binary vector ({len(data)} bytes for {dimensions} dimensions)")
    return np.frombuffer(data, dtype=">f4", offset=4).astype(np.float32)


class VectorBytes(sa.types.TypeDecorator[np.ndarray]):
    """The result type of ``vector_send(embedding)``: bytea in, float32 array out."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> np.ndarray | None:
        return decode(value)


def binary_embedding(column: ColumnElement[Any], vector_schema: str | None) -> ColumnElement[np.ndarray]:
    """``<schema>.vector_send(column)``, read as a float32 array, labelled ``embedding``."""
    function = getattr(sa.func, vector_schema).vector_send if vector_schema else sa.func.vector_send
    return sa.type_coerce(function(column), VectorBytes()).label("embedding")

"""Checks that make every dialect refuse the same bad values, before anything is written.

Without them PostgreSQL and MySQL reject an over-long string with a driver error, MySQL's
INSERT IGNORE would truncate, and SQLite would store it: one call, three behaviours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import sqlalchemy as sa

V = TypeVar("V", bound=Mapping[str, Any])


class OwnershipError(PermissionError):
    """A write aimed at a row that belongs to another user (or another session)."""


class MissingRowError(LookupError, ValueError):
    """A write that needs a row that does not exist (a session before its runs, a component ...).

    A ``LookupError`` by meaning; also a ``ValueError`` because agno's own classes raise that here.
    """


def checked(table: sa.Table, values: V, *, exact: bool = False) -> V:
    """``values`` unchanged, or a ValueError naming the first column that cannot hold its value.

    ``exact``: values that must come back as given (hashes, secrets) refuse U+0000, which
    PostgreSQL's text types would otherwise drop.
    """
    for name, value in values.items():
        if name not in table.c:
            continue
        column_type = table.c[name].type
        if isinstance(value, str):
            # U+0000 is not refused: PostgreSQL's text types drop it (agno_models.types), as agno does.
            if exact and "\x00" in value:
                raise ValueError(f"{name} contains the character U+0000 (NUL), which PostgreSQL cannot store")
            length = getattr(column_type, "length", None)
            if length is not None and len(value) > length:
                raise ValueError(f"{name} is {len(value)} characters long; {table.name}.{name} holds at most {length}")
        elif isinstance(value, int) and not isinstance(value, bool):
            bits = 64 if isinstance(column_type, sa.BigInteger) else 32 if isinstance(column_type, sa.Integer) else 0
            if bits and not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
                raise ValueError(f"{name} must fit in a signed {bits}-bit integer; got {value}")
    return values

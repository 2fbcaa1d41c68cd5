"""Checks that make every dialect refuse the same bad values, before anything is written.

Without them PostgreSQL and MySQL reject an over-long string or a NUL with a driver error, MySQL's
INSERT IGNORE would truncate, and SQLite would store it: one call, three behaviours.

JSON: a NaN or an unpaired surrogate fails in the driver's bind step, before the statement runs (a
``StatementError`` on SQLite and MySQL, a bare ``ValueError`` on PostgreSQL), and the executor
turns that into one ValueError naming the column (``operation.bind_error``). MariaDB's JSON holds
at most 32 levels of nesting (deeper documents fail its validity check), so that is the limit
everywhere, checked here: a document stored on one backend stores on all.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

import sqlalchemy as sa

from agno_models.engine import json_dumps

V = TypeVar("V", bound=Mapping[str, Any])

MAX_JSON_DEPTH = 32  # MariaDB's JSON_VALID refuses deeper documents
TOO_DEEP = f"nests deeper than {MAX_JSON_DEPTH} levels, the most MariaDB's JSON holds"

ownership_log = logging.getLogger("repositories.ownership")


class OwnershipError(PermissionError):
    """A write aimed at a row that belongs to another user (or another session)."""


class MissingRowError(LookupError, ValueError):
    """A write that needs a row that does not exist (a session before its runs, a component ...).

    A ``LookupError`` by meaning; also a ``ValueError`` because agno's own classes raise that here.
    """


def refuse_ownership(message: str) -> OwnershipError:
    """The error to raise for a write on another owner's row, logged so the loss is never silent.

    agno catches exceptions from some storage calls (``upsert_run`` inside ``Agent.run``) and goes
    on; the WARNING on ``repositories.ownership`` is then the only trace of the refused write.
    """
    ownership_log.warning("refused: %s", message)
    return OwnershipError(message)


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests deeper than ``limit`` (MySQL's JSON_DEPTH: a scalar is 1), level by level, without recursing."""
    containers = (dict, list, tuple)
    level = [value] if isinstance(value, containers) else []
    depth = 1
    while level:
        below: list[Any] = []
        add = below.append
        for node in level:
            if not node:
                continue  # an empty container adds no level
            if depth >= limit:
                return True
            for child in node.values() if isinstance(node, dict) else node:
                if isinstance(child, containers):
                    add(child)
        level = below
        depth += 1
    return False


def json_problem(value: Any) -> str | None:
    """Why ``value`` cannot be stored as a JSON document on every dialect, or None."""
    if json_depth_exceeds(value):
        return TOO_DEEP
    try:
        json_dumps(value)
    except ValueError as error:  # NaN / Infinity, unpaired surrogates
        text = str(error).removeprefix("JSON value ")
        return "contains NaN or Infinity, which JSON cannot represent" if "Out of range float" in text else text
    except TypeError as error:
        return str(error)
    except RecursionError:
        return "nests too deeply to serialize"
    return None


def _is_json(column_type: sa.types.TypeEngine[Any]) -> bool:
    return isinstance(getattr(column_type, "impl", column_type), sa.JSON) or isinstance(column_type, sa.JSON)


def _is_string(column_type: sa.types.TypeEngine[Any]) -> bool:
    return isinstance(column_type, sa.String) or isinstance(getattr(column_type, "impl", None), sa.String)


def id_values(table: sa.Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """The ids in ``values`` (``id`` and ``*_id`` columns of ``table``): refused with a NUL, never stripped."""
    return {k: v for k, v in values.items() if k in table.c and (k == "id" or k.endswith("_id"))}


def checked(table: sa.Table, values: V) -> V:
    """``values`` unchanged, or a ValueError naming the table, the first bad column and the problem."""
    for name, value in values.items():
        if name not in table.c or value is None:
            continue
        column_type = table.c[name].type
        where = f"{table.name}.{name}"
        if _is_json(column_type):
            # Only the nesting here: NaN, surrogates and unserializable values fail when the value is
            # bound, before the statement runs, and operation.bind_error names the column then (one
            # serialization per write instead of two).
            if json_depth_exceeds(value):
                raise ValueError(f"{where}: the JSON value {TOO_DEEP}")
        elif _is_string(column_type):
            if not isinstance(value, str):
                raise ValueError(f"{where} must be a string, got {type(value).__name__} {value!r}"[:300])
            if "\x00" in value:
                raise ValueError(f"{where}: {name} contains the character U+0000 (NUL), which PostgreSQL cannot store")
            length = getattr(column_type, "length", None)
            if length is not None and len(value) > length:
                raise ValueError(f"{name} is {len(value)} characters long; {where} holds at most {length}")
        elif isinstance(column_type, sa.Integer):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{where} must be an integer, got {type(value).__name__} {value!r}"[:300])
            bits = 64 if isinstance(column_type, sa.BigInteger) else 32
            if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
                raise ValueError(f"{where}: {name} must fit in a signed {bits}-bit integer; got {value}")
    return values

"""Checks that make every dialect refuse the same bad values, before anything is written.

Without them PostgreSQL and MySQL reject an over-long string with a driver error, MySQL's
INSERT IGNORE would truncate, and SQLite would store it: one call, three behaviours.

JSON: a NaN or an unpaired surrogate fails in the driver's bind step, before the statement runs (a
``StatementError`` on SQLite and MySQL, a bare ``ValueError`` on PostgreSQL), and the executor
turns that into one ValueError naming the column (``operation.bind_error``). MariaDB's JSON holds
at most 32 levels of nesting, so MySQL's serializer refuses deeper documents the same way; SQLite
and PostgreSQL store them, as agno's own classes do (a refused write there would be a lost run).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa

from agno_models.engine import MYSQL_JSON_DEPTH, json_depth_exceeds, json_dumps

V = TypeVar("V", bound=Mapping[str, Any])

MAX_JSON_DEPTH = MYSQL_JSON_DEPTH
TOO_DEEP = f"nests deeper than {MAX_JSON_DEPTH} levels, the most MariaDB's JSON holds"

ownership_log = logging.getLogger("repositories.ownership")


class OwnershipError(PermissionError):
    """A write aimed at a row that belongs to another user (or another session)."""


class MissingRowError(LookupError, ValueError):
    """A write that needs a row that does not exist (a session before its runs, a component ...).

    A ``LookupError`` by meaning; also a ``ValueError`` because agno's own classes raise that here.
    """


class AlreadyExists(sa.exc.IntegrityError, ValueError):
    """A write whose unique key a stored row already has: a ValueError naming the table and the key.

    Also an ``IntegrityError``, the unique violation agno's own classes raise here, so agno's
    ``is_unique_violation`` (and its routers' 409) and callers that catch it keep working.
    ``from_constraint`` marks one the database raised (``operation.duplicate_error``), not a
    method's own check: the executor reruns the operation once on it, so a writer that lost a
    race gets the same answer as one that came second (the method's own check then sees the row).
    """

    def __init__(
        self,
        message: str,
        *,
        orig: BaseException | None = None,
        statement: str | None = None,
        from_constraint: bool = False,
    ) -> None:
        super().__init__(statement, None, orig if orig is not None else ValueError(message))
        self.message = message
        self.from_constraint = from_constraint

    def __str__(self) -> str:
        return self.message


class CommitOutcomeUnknown(sa.exc.OperationalError):
    """The connection was lost during COMMIT (the server was killed or restarted mid-commit).

    The write may or may not be stored, so it is not rerun (that could store it twice): the
    caller reads to find out. An ``OperationalError`` like the driver's, which stays as ``orig``.
    """

    def __init__(self, method: str, error: sa.exc.DBAPIError) -> None:
        orig = error.orig if error.orig is not None else error
        super().__init__(error.statement, error.params, orig, connection_invalidated=True)
        self.message = (
            f"{method}: the connection to the database was lost during COMMIT, so the write may or "
            f"may not be stored; it was not retried. Driver error: {str(error.orig).strip()[:300]}"
        )

    def __str__(self) -> str:
        return self.message


def refuse_ownership(message: str) -> OwnershipError:
    """The error to raise for a write on another owner's row, logged so the loss is never silent.

    agno catches exceptions from some storage calls (``upsert_run`` inside ``Agent.run``) and goes
    on; the WARNING on ``repositories.ownership`` is then the only trace of the refused write.
    """
    ownership_log.warning("refused: %s", message)
    return OwnershipError(message)


def json_problem(value: Any) -> str | None:
    """Why ``value`` could not be bound as a JSON document, or None."""
    try:
        json_dumps(value)
    except ValueError as error:  # NaN / Infinity, unpaired surrogates
        text = str(error).removeprefix("JSON value ")
        return "contains NaN or Infinity, which JSON cannot represent" if "Out of range float" in text else text
    except TypeError as error:
        return str(error)
    except RecursionError:
        return "nests too deeply to serialize"
    if json_depth_exceeds(value, MAX_JSON_DEPTH):
        return TOO_DEEP  # only MySQL's serializer refuses this (agno_models.engine.json_dumps_mysql)
    return None


def _is_json(column_type: sa.types.TypeEngine[Any]) -> bool:
    return isinstance(getattr(column_type, "impl", column_type), sa.JSON) or isinstance(column_type, sa.JSON)


def _is_string(column_type: sa.types.TypeEngine[Any]) -> bool:
    return isinstance(column_type, sa.String) or isinstance(getattr(column_type, "impl", None), sa.String)


def id_values(table: sa.Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """The ids in ``values`` (``id`` and ``*_id`` columns of ``table``): refused with a NUL, never stripped."""
    return {k: v for k, v in values.items() if k in table.c and (k == "id" or k.endswith("_id"))}


class _Column(NamedTuple):
    """What ``checked`` needs of one column, worked out once per table."""

    kind: str  # "json", "string", "integer" or "other"
    is_id: bool
    length: int | None
    bits: int


_PLANS: weakref.WeakKeyDictionary[sa.Table, dict[str, _Column]] = weakref.WeakKeyDictionary()


def _plan(table: sa.Table) -> dict[str, _Column]:
    plan = _PLANS.get(table)
    if plan is None:
        plan = {}
        for column in table.c:
            column_type = column.type
            if _is_json(column_type):
                kind = "json"
            elif _is_string(column_type):
                kind = "string"
            elif isinstance(column_type, sa.Integer):
                kind = "integer"
            else:
                kind = "other"
            length = getattr(column_type, "length", None) if kind == "string" else None
            bits = 64 if isinstance(column_type, sa.BigInteger) else 32
            plan[column.name] = _Column(kind, column.name == "id" or column.name.endswith("_id"), length, bits)
        _PLANS[table] = plan
    return plan


def checked(table: sa.Table, values: V, *, exact: bool = False) -> V:
    """``values`` unchanged, or a ValueError naming the table, the first bad column and the problem.

    U+0000 is refused in ids (and with ``exact``, in values that must come back as given: hashes,
    secrets); in other text PostgreSQL's types drop it (agno_models.types), as agno does.
    NaN, surrogates and (on MySQL) too deep a JSON document fail when the value is bound, and
    operation.bind_error names the column then (one serialization per write instead of two).
    """
    plan = _plan(table)  # on every write of a turn: the column facts are looked up once per table
    for name, value in values.items():
        column = plan.get(name)
        if column is None or value is None or column.kind in ("json", "other"):
            continue
        if column.kind == "string":
            if not isinstance(value, str):
                raise ValueError(f"{table.name}.{name} must be a string, got {type(value).__name__} {value!r}"[:300])
            if "\x00" in value and (exact or column.is_id):
                raise ValueError(
                    f"{table.name}.{name}: {name} contains the character U+0000 (NUL), which PostgreSQL cannot store"
                )
            if column.length is not None and len(value) > column.length:
                raise ValueError(f"{name} is {len(value)} characters long; {table.name}.{name} holds at most {column.length}")
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{table.name}.{name} must be an integer, got {type(value).__name__} {value!r}"[:300])
            bits = column.bits
            if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
                raise ValueError(f"{table.name}.{name}: {name} must fit in a signed {bits}-bit integer; got {value}")
    return values

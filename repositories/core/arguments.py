"""Argument checks at the boundary: every agno method refuses a wrongly typed argument the same way.

Without them a wrong type reaches the driver and each dialect answers differently: a ``str`` where
a list of ids belongs is iterated character by character (``delete_sessions("ab")`` deletes "a"
and "b"), ``limit="10"`` fails a comparison, ``start_timestamp="yesterday"`` matches nothing on
SQLite, everything on MySQL and is a DataError on PostgreSQL. :func:`check_call` runs before an
operation starts (``@operation`` calls it), from the method's own annotations, so nothing is read
or written for a bad call, on the sync and the async classes alike.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ID_LISTS = (list, tuple, set, frozenset)


class ArgumentError(TypeError, ValueError):
    """A wrongly typed argument: a ``ValueError`` like every bad call, and a ``TypeError`` too."""


Check = Callable[[str, str, Any], None]


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:120]


def _check_str(method: str, name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ArgumentError(f"{method}: {name} must be a string, got {_kind(value)}")


def _check_int(method: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"{method}: {name} must be an integer, got {_kind(value)}")


def _list_check(element: Check | None) -> Check:
    def check(method: str, name: str, value: Any) -> None:
        if element is None:
            what = "a list"
        else:
            what = "a list of ids" if name.endswith("ids") else "a list of strings"
        if not isinstance(value, ID_LISTS):
            raise ArgumentError(f"{method}: {name} must be {what} (list, tuple or set), got {_kind(value)}")
        if element is not None:
            for index, item in enumerate(value):
                try:
                    element(method, name, item)
                except ArgumentError:
                    raise ArgumentError(f"{method}: {name} must hold only strings; item {index} is {_kind(item)}") from None

    return check


_SCALARS: dict[Any, Check] = {str: _check_str, int: _check_int}


def _checker(annotation: Any) -> tuple[Check, bool] | None:
    """(check, None allowed) for an annotation we can enforce, or None to leave it alone."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) != 1:
            return None
        inner = _checker(members[0])
        return None if inner is None else (inner[0], True)
    if annotation in _SCALARS:
        return _SCALARS[annotation], False
    if origin in (list, Sequence, set, frozenset) or annotation in (list, Sequence):
        args = typing.get_args(annotation)
        element = _SCALARS.get(args[0]) if args else None
        return _list_check(element), False
    return None


@dataclass(frozen=True)
class Plan:
    signature: inspect.Signature
    checks: tuple[tuple[str, Check, bool], ...]
    texts: frozenset[str]  # str parameters: ids, names and filters compared with stored values
    text_lists: frozenset[str]  # list-of-str parameters
    ids: frozenset[str]  # the str parameters that name a row: ``id`` and ``*_id``


NOT_COMPARED = frozenset({"sort_by", "sort_order"})


@functools.cache
def _plan(fn: Callable[..., Any]) -> Plan:
    signature = inspect.signature(fn)
    hints = typing.get_type_hints(fn)  # every operation's annotations resolve (a test makes sure)
    checks, texts, text_lists = [], set(), set()
    for name, parameter in signature.parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(name)
        found = _checker(annotation)
        if found is None:
            continue
        checks.append((name, *found))
        if name in NOT_COMPARED:
            continue
        if found[0] is _check_str:
            texts.add(name)
        elif _text_list(annotation):
            text_lists.add(name)
    ids = frozenset(name for name in texts if name == "id" or name.endswith("_id"))
    return Plan(signature, tuple(checks), frozenset(texts), frozenset(text_lists), ids)


def _text_list(annotation: Any) -> bool:
    members = [a for a in typing.get_args(annotation) if a is not type(None)] if typing.get_origin(annotation) in (
        typing.Union, types.UnionType) else [annotation]
    return any(typing.get_args(m)[:1] == (str,) for m in members)


def check_call(fn: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]) -> inspect.BoundArguments:
    """Refuse arguments that do not match ``fn``'s annotations (str, int, lists, their Optionals).

    Other annotations (enums, agno objects, dicts) are checked where the value is used.
    """
    plan = _plan(fn)
    try:
        bound = plan.signature.bind(*args, **kwargs)
    except TypeError as error:
        raise ArgumentError(f"{fn.__name__}: {error}") from None
    given = bound.arguments
    for name, check, optional in plan.checks:
        if name not in given:
            continue
        value = given[name]
        if value is None:
            # None stands for "not given" where a parameter has a default; a required one needs a value.
            if not optional and plan.signature.parameters[name].default is inspect.Parameter.empty:
                raise ArgumentError(f"{fn.__name__}: {name} must not be None")
            continue
        check(fn.__name__, name, value)
    return bound


def without_unmatchable(fn: Callable[..., Any], bound: inspect.BoundArguments) -> inspect.BoundArguments | None:
    """``bound`` without the ids no stored row can have, or None when the call can match nothing.

    Such an id (one holding NUL) would make PostgreSQL's driver raise instead of finding nothing;
    no dialect stores it, so a read or delete naming it answers "not found", as agno does. Dropped
    from a list it matches nothing either; a list left empty matches nothing at all.
    """
    plan = _plan(fn)
    given = bound.arguments
    for name in plan.texts:
        if unmatchable(given.get(name)):
            return None
    for name in plan.text_lists:
        values = given.get(name)
        if values and any(unmatchable(v) for v in values):
            kept = [v for v in values if not unmatchable(v)]
            if not kept:
                return None
            given[name] = kept
    return bound


def refuse_nul_ids(fn: Callable[..., Any], bound: inspect.BoundArguments) -> None:
    """A ValueError for an id argument holding NUL, in a method that has no "not found" answer.

    No stored id holds NUL (every write refuses one), and PostgreSQL's columns drop NUL when a
    value is bound (``agno_models.types``): there ``"s1\\x00"`` would compare equal to ``"s1"``
    and reach that row, elsewhere nothing. So an update, claim or upsert naming such an id is
    refused before any statement, on every dialect; reads and deletes answer "not found"
    (``without_unmatchable``).
    """
    plan = _plan(fn)
    for name in sorted(plan.ids):
        value = bound.arguments.get(name)
        if unmatchable(value):
            raise ValueError(f"{fn.__name__}: {name} {value!r} contains the character U+0000 (NUL), which no stored id holds")
    for name in sorted(n for n in plan.text_lists if n == "ids" or n.endswith("_ids")):
        for index, value in enumerate(bound.arguments.get(name) or ()):
            if unmatchable(value):
                raise ValueError(
                    f"{fn.__name__}: {name} item {index} {value!r} contains the character U+0000 (NUL), "
                    "which no stored id holds"
                )


def unmatchable(value: Any) -> bool:
    """No stored value can equal (or contain) this one: it holds NUL, which no dialect keeps."""
    return isinstance(value, str) and "\x00" in value



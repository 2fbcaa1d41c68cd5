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
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from agno_models.types import ID_LENGTH

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


def _resolve(fn: Callable[..., Any], annotation: Any) -> Any:
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, fn.__globals__, {"Dict": dict, "List": list})  # noqa: S307 - the module's own annotation
    except Exception:  # an annotation naming what only a type checker imports: not enforced
        return None


@functools.cache
def _plan(fn: Callable[..., Any]) -> tuple[inspect.Signature, tuple[tuple[str, Check, bool], ...]]:
    signature = inspect.signature(fn)
    checks = []
    for name, parameter in signature.parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        found = _checker(_resolve(fn, parameter.annotation))
        if found is not None:
            checks.append((name, *found))
    return signature, tuple(checks)


def check_call(fn: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse arguments that do not match ``fn``'s annotations (str, int, lists, their Optionals).

    Other annotations (enums, agno objects, dicts) are checked where the value is used.
    """
    signature, checks = _plan(fn)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise ArgumentError(f"{fn.__name__}: {error}") from None
    given = bound.arguments
    for name, check, optional in checks:
        if name not in given:
            continue
        value = given[name]
        if value is None:
            if not optional and signature.parameters[name].default is not None:
                raise ArgumentError(f"{fn.__name__}: {name} must not be None")
            continue
        check(fn.__name__, name, value)


def unstorable_id(value: Any, *, length: int = ID_LENGTH) -> bool:
    """No stored row can have this id: it holds NUL or is longer than an id column."""
    return isinstance(value, str) and ("\x00" in value or len(value) > length)


def any_unstorable(*values: Any) -> bool:
    """Any of ``values`` (strings, lists of them, None) is an id no row can have (reads answer "not found")."""
    for value in values:
        items: Iterable[Any] = value if isinstance(value, ID_LISTS) else (value,)
        if any(unstorable_id(v) for v in items):
            return True
    return False

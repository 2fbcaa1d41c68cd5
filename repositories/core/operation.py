"""Operations: query logic written once, executed by a sync or an async executor.

An operation is a generator that yields SQLAlchemy statements (or :class:`Bound` ones: a
statement built once and cached, with this call's parameters) and receives their results; its
return value is the method's result. It never touches a connection, so the same generator runs
under ``Connection.execute`` and ``AsyncConnection.execute`` (whose results are buffered, so the
operation reads them the same way). Each operation runs in one transaction; a transient conflict
(deadlock, serialization failure, busy SQLite file) reruns it from the start.
"""

from __future__ import annotations

import functools
import inspect
import re
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Result
from sqlalchemy.sql import Executable

from repositories.core.arguments import check_call, without_unmatchable
from repositories.core.values import MAX_JSON_DEPTH, json_problem

T = TypeVar("T")
P = ParamSpec("P")

MAX_ATTEMPTS = 6


@dataclass(frozen=True, slots=True)
class Bound:
    """A statement and its parameters: a dict (one execution) or a list of dicts (executemany).

    Lets a statement be built once per shape and reused: SQLAlchemy then finds its compiled form
    by a cached key, and a list of rows goes out as one batched executemany instead of a
    freshly compiled multi-row VALUES.
    """

    statement: Executable
    parameters: dict[str, Any] | list[dict[str, Any]]


Step = Executable | Bound
Steps = Generator[Step, Result[Any], T]


@dataclass(frozen=True)
class Operation(Generic[T]):
    """A restartable unit of work: ``start()`` makes a fresh generator for each attempt."""

    start: Callable[[], Steps[T]]
    writes: bool
    name: str


NOTHING: Any = object()


def operation(
    *, writes: bool, absent: Any = NOTHING
) -> Callable[[Callable[Concatenate[Any, P], Steps[T]]], Callable[Concatenate[Any, P], T]]:
    """Make a generator method an agno method: one definition, run by the db's executor.

    The decorated generator takes agno's arguments and yields statements; the method it becomes
    hands a fresh generator per attempt to ``self._run``. Sync classes execute it there; the
    async classes derive an ``async def`` twin from the same definition (``async_twin``), so each
    agno method is written once. ``writes`` selects SQLite's write lock.

    Arguments are checked against the method's annotations first (``check_call``). A read or
    delete declares ``absent``, its "not found" answer (a type makes a fresh one; a function gets
    the arguments): a call naming an id no row can have answers it without a statement.
    """

    def decorate(fn: Callable[Concatenate[Any, P], Steps[T]]) -> Callable[Concatenate[Any, P], T]:
        name = fn.__name__

        @functools.wraps(fn)
        def method(self: Any, *args: P.args, **kwargs: P.kwargs) -> T:
            bound = check_call(fn, (self, *args), kwargs)  # before any statement, sync and async alike
            if absent is not NOTHING:
                matchable = without_unmatchable(fn, bound)
                if matchable is None:
                    value = _absent_value(absent, bound)
                    return self._run(Operation(start=lambda: _answer(value), writes=False, name=name))  # type: ignore[no-any-return]
                args, kwargs = matchable.args[1:], matchable.kwargs  # type: ignore[assignment]
            return self._run(Operation(start=lambda: fn(self, *args, **kwargs), writes=writes, name=name))  # type: ignore[no-any-return]

        method.__agno_operation__ = True  # type: ignore[attr-defined]
        return method

    return decorate


def _absent_value(absent: Any, bound: inspect.BoundArguments) -> Any:
    """``absent`` itself, a fresh one from a type (``list``), or a function's answer for these arguments."""
    if isinstance(absent, type):
        return absent()
    if not callable(absent):
        return absent
    copy = bound.signature.bind(*bound.args, **bound.kwargs)
    copy.apply_defaults()
    return absent(dict(copy.arguments))


def _answer(value: T) -> Steps[T]:
    return value
    yield  # a generator that runs no statement


def unit(*, writes: bool) -> Callable[[Callable[P, Steps[T]]], Callable[P, Operation[T]]]:
    """A generator function that builds an :class:`Operation` for a caller to run (not a method)."""

    def decorate(fn: Callable[P, Steps[T]]) -> Callable[P, Operation[T]]:
        @functools.wraps(fn)
        def build(*args: P.args, **kwargs: P.kwargs) -> Operation[T]:
            return Operation(start=lambda: fn(*args, **kwargs), writes=writes, name=fn.__name__)

        return build

    return decorate


def is_operation(fn: Any) -> bool:
    return getattr(fn, "__agno_operation__", False) is True


def is_transient(error: BaseException) -> bool:
    """Conflicts that a rerun resolves: deadlocks, serialization failures, a busy SQLite file."""
    if not isinstance(error, sa.exc.DBAPIError) or error.orig is None:
        return False
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None)  # psycopg
    if sqlstate in ("40001", "40P01", "55P03"):
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in (1205, 1213):  # MySQL lock wait / deadlock
        return True
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


def backoff(attempt: int) -> float:
    return min(0.02 * 2**attempt, 0.5)


# A value the driver could not bind (JSON that does not serialize, a naive datetime): wrapped in
# a StatementError by SQLAlchemy on SQLite and MySQL, bare from psycopg on PostgreSQL.
BIND_ERRORS = (sa.exc.StatementError, ValueError, TypeError, RecursionError)


def bind_error(step: Step, error: BaseException) -> BaseException:
    """One ValueError naming the table and column for a value no dialect could bind; others unchanged."""
    if isinstance(error, sa.exc.DBAPIError):
        return error
    cause = error.orig if isinstance(error, sa.exc.StatementError) else error
    if not isinstance(cause, ValueError | TypeError | RecursionError):
        return error
    statement = step.statement if type(step) is Bound else step
    target = getattr(statement, "table", None)
    table = getattr(target, "name", None) or "a table"
    if type(step) is Bound:
        rows = step.parameters if isinstance(step.parameters, list) else [step.parameters]
    else:
        try:
            rows = [statement.compile().params]  # type: ignore[union-attr]
        except Exception:
            rows = []
    for row in rows:
        for name, value in row.items():
            problem = json_problem(value) if isinstance(value, dict | list) else None
            if problem is not None:
                return ValueError(f"{table}.{_column_of(target, name)}: the JSON value {problem}")
    return ValueError(f"cannot store a value in {table}: {cause}")


def _column_of(table: Any, parameter: str) -> str:
    """The column a compiled parameter binds (``metadata_m0``, ``metadata_1``: ``metadata``)."""
    columns = getattr(table, "c", ())
    for name in (parameter, re.sub(r"_m\d+$", "", parameter), re.sub(r"_\d+$", "", parameter)):
        if name in columns:
            return name
    return parameter


def too_deep(op: Operation[Any]) -> ValueError:
    # agno's own copying of a deeply nested value recurses before any check of ours can run.
    return ValueError(f"{op.name}: a value nests too deeply to store (JSON documents hold at most {MAX_JSON_DEPTH} levels)")


def drive(steps: Steps[T], execute: Callable[..., Result[Any]]) -> T:
    """Run an operation's steps against ``execute`` (a ``Connection.execute``)."""
    try:
        step = next(steps)
        while True:
            try:
                result = execute(step.statement, step.parameters) if type(step) is Bound else execute(step)
            except BIND_ERRORS as error:
                raise bind_error(step, error) from error
            step = steps.send(result)
    except StopIteration as done:
        return done.value


def rerun_after(error: sa.exc.DBAPIError, attempt: int, *, committing: bool) -> float | None:
    """Seconds to wait before rerunning after ``error``, or None to raise it.

    A conflict reruns after a backoff. A lost connection (a pooled one the server closed, a
    restart) reruns at once on a fresh one: the server rolled the transaction back, so nothing
    of the first attempt stays. This replaces a pre-ping round trip on every checkout. Losing
    the connection during COMMIT is different: it may have committed, so that error is raised.
    """
    if attempt + 1 >= MAX_ATTEMPTS:
        return None
    if error.connection_invalidated:
        return None if committing else 0.0
    return backoff(attempt) if is_transient(error) else None


def run_sync(connect: Callable[[bool], Any], op: Operation[T]) -> T:
    """Run ``op`` in one transaction of a connection from ``connect(writes)``, retrying conflicts."""
    for attempt in range(MAX_ATTEMPTS):
        committing = False
        try:
            with connect(op.writes) as conn:
                conn: Connection
                with conn.begin():
                    result = drive(op.start(), conn.execute)
                    committing = True
                return result
        except RecursionError:
            raise too_deep(op) from None
        except sa.exc.DBAPIError as error:
            wait = rerun_after(error, attempt, committing=committing)
            if wait is None:
                raise
            time.sleep(wait)
    raise AssertionError("unreachable")


async def run_async(connect: Callable[[bool], Any], op: Operation[T]) -> T:
    """The async executor: the same steps, awaited on an ``AsyncConnection``.

    ``AsyncConnection.execute`` returns buffered results, so an operation reads them exactly as
    it does under the sync executor.
    """
    import asyncio

    for attempt in range(MAX_ATTEMPTS):
        committing = False
        try:
            async with connect(op.writes) as conn:
                async with conn.begin():
                    steps = op.start()
                    try:
                        step = next(steps)
                        while True:
                            try:
                                if type(step) is Bound:
                                    result = await conn.execute(step.statement, step.parameters)
                                else:
                                    result = await conn.execute(step)
                            except BIND_ERRORS as error:
                                raise bind_error(step, error) from error
                            step = steps.send(result)
                    except StopIteration as done:
                        result = done.value
                    committing = True
                return result
        except RecursionError:
            raise too_deep(op) from None
        except sa.exc.DBAPIError as error:
            wait = rerun_after(error, attempt, committing=committing)
            if wait is None:
                raise
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")

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
import random
import re
import time
from collections.abc import Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, Unpack, final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.sql import Executable

from repositories.core.arguments import check_call, refuse_nul_ids, without_unmatchable
from repositories.core.values import MAX_JSON_DEPTH, AlreadyExists, CommitOutcomeUnknown, json_problem

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")
P = ParamSpec("P")

MAX_ATTEMPTS = 8  # deadlock victims under load (MySQL gap locks) may need several reruns


@final  # executors test ``type(step) is Bound``
@dataclass(frozen=True, slots=True)
class Bound:
    """A statement and its parameters: a dict (one execution) or a list of dicts (executemany).

    Lets a statement be built once per shape and reused: SQLAlchemy then finds its compiled form
    by a cached key, and a list of rows goes out as one batched executemany instead of a
    freshly compiled multi-row VALUES.
    """

    statement: Executable
    parameters: dict[str, Any] | list[dict[str, Any]]


class Special:
    """A step that needs the connection itself (a COPY, a statement on the driver's cursor).

    The executor hands it its connection: ``run_sync`` a ``Connection``, ``run_async`` an
    ``AsyncConnection``; what it returns is sent back to the operation.
    """

    def run_sync(self, conn: Connection) -> Any:
        raise NotImplementedError

    async def run_async(self, conn: Any) -> Any:
        raise NotImplementedError


Step = Executable | Bound | Special
# What a statement step receives: both executors hand back a CursorResult (buffered on async),
# rows of any width.
StepResult = CursorResult[Unpack[tuple[Any, ...]]]
Steps = Generator[Step, StepResult, T]


@dataclass(frozen=True)
class Operation(Generic[T]):
    """A restartable unit of work: ``start()`` makes a fresh generator for each attempt."""

    start: Callable[[], Steps[T]]
    writes: bool
    name: str


NOTHING: Any = object()


def operation(
    *, writes: bool, absent: Any = NOTHING, sync_only: bool = False
) -> Callable[[Callable[Concatenate[Any, P], Steps[T]]], Callable[Concatenate[Any, P], T]]:
    """Make a generator method an agno method: one definition, run by the db's executor.

    The decorated generator takes agno's arguments and yields statements; the method it becomes
    hands a fresh generator per attempt to ``self._run``. Sync classes execute it there; the
    async classes derive an ``async def`` twin from the same definition (``async_twin``), so each
    agno method is written once. ``writes`` selects SQLite's write lock. ``sync_only`` keeps a
    method out of the async classes where agno's ``AsyncBaseDb`` has no such method and agno
    calls it without ``await`` (compaction records): a coroutine there would be dropped unrun.

    Arguments are checked against the method's annotations first (``check_call``). A read or
    delete declares ``absent``, its "not found" answer (a type makes a fresh one; a function gets
    the arguments): a call naming an id no row can have answers it without a statement.
    """

    def decorate(fn: Callable[Concatenate[Any, P], Steps[T]]) -> Callable[Concatenate[Any, P], T]:
        name = fn.__name__

        def build(self: Any, *args: P.args, **kwargs: P.kwargs) -> Operation[T]:
            bound = check_call(fn, (self, *args), kwargs)  # before any statement, sync and async alike
            if absent is not NOTHING:
                matchable = without_unmatchable(fn, bound)
                if matchable is None:
                    value = _absent_value(absent, bound)
                    return Operation(start=lambda: _answer(value), writes=False, name=name)
                args, kwargs = matchable.args[1:], matchable.kwargs  # type: ignore[assignment]
            else:
                refuse_nul_ids(fn, bound)
            return Operation(start=lambda: fn(self, *args, **kwargs), writes=writes, name=name)

        @functools.wraps(fn)
        def method(self: Any, *args: P.args, **kwargs: P.kwargs) -> T:
            return self._run(build(self, *args, **kwargs))  # type: ignore[no-any-return]

        method.__agno_operation__ = build  # type: ignore[attr-defined]
        method.__agno_sync_only__ = sync_only  # type: ignore[attr-defined]
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
    return callable(getattr(fn, "__agno_operation__", None))


@dataclass(frozen=True)
class Call:
    """Work a procedure does outside any transaction, in a sync and an async form (an embedder call)."""

    sync: Callable[[], Any]
    asynchronous: Callable[[], Awaitable[Any]]


Program = Generator[Operation[Any] | Call, Any, T]


def procedure(fn: Callable[Concatenate[Any, P], Program[T]]) -> Callable[Concatenate[Any, P], T]:
    """Make a generator method that yields :class:`Operation` s and :class:`Call` s a method.

    For methods that do more than one transaction's work (embed, then write). The sync method
    runs each operation with ``self._run`` and each call's sync form; ``async_twin`` derives the
    coroutine that awaits ``self._arun`` and the calls' async forms. Written once, like ``@operation``.
    """

    @functools.wraps(fn)
    def program(self: Any, *args: P.args, **kwargs: P.kwargs) -> Program[T]:
        check_call(fn, (self, *args), kwargs)  # as @operation does: a str where ids belong is refused
        return (yield from fn(self, *args, **kwargs))

    @functools.wraps(fn)
    def method(self: Any, *args: P.args, **kwargs: P.kwargs) -> T:
        return run_procedure_sync(program(self, *args, **kwargs), self._run)

    method.__agno_procedure__ = program  # type: ignore[attr-defined]
    return method


def run_procedure_sync(program: Program[T], run: Callable[[Operation[Any]], Any]) -> T:
    """A procedure's steps: operations by ``run``, calls in their sync form."""
    try:
        step = next(program)
        while True:
            step = program.send(run(step) if isinstance(step, Operation) else step.sync())
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def procedure_of(fn: Any) -> Callable[..., Program[Any]] | None:
    return getattr(fn, "__agno_procedure__", None)


async def run_procedure(program: Program[T], arun: Callable[[Operation[Any]], Awaitable[Any]]) -> T:
    """A procedure's steps, awaited: operations by ``arun``, calls in their async form."""
    try:
        step = next(program)
        while True:
            step = program.send(await (arun(step) if isinstance(step, Operation) else step.asynchronous()))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def is_sync_only(fn: Any) -> bool:
    return getattr(fn, "__agno_sync_only__", False) is True


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
    # Jittered: writers that deadlocked together and waited the same delay met again on rerun.
    return min(0.02 * 2.0**attempt, 0.5) * random.uniform(0.25, 1.0)


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
    for row in _parameter_rows(step):
        for name, value in row.items():
            problem = json_problem(value) if isinstance(value, dict | list) else None
            if problem is not None:
                return ValueError(f"{table}.{_column_of(target, name)}: the JSON value {problem}")
    return ValueError(f"cannot store a value in {table}: {cause}")


# MySQL/MariaDB: ER_DUP_ENTRY, ER_DUP_UNIQUE, ER_DUP_ENTRY_WITH_KEY_NAME.
_MYSQL_DUPLICATES = (1062, 1169, 1586)
_SQLITE_DUPLICATES = ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")


def is_unique_violation(error: sa.exc.DBAPIError) -> bool:
    """A duplicate key (primary key or unique constraint), on any of the three drivers."""
    orig = error.orig
    if getattr(orig, "sqlstate", None) == "23505":  # psycopg
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):
        return args[0] in _MYSQL_DUPLICATES
    if getattr(orig, "sqlite_errorname", None) in _SQLITE_DUPLICATES:
        return True
    return str(orig).startswith("UNIQUE constraint failed")


def duplicate_error(step: Step, error: sa.exc.IntegrityError) -> AlreadyExists | None:
    """A unique violation as one ``AlreadyExists`` naming the table and the key; None for other errors.

    The one place a duplicate key becomes a clear error, for every method: a create the database
    refused (no check of the method's own, or a racing writer that slipped past it).
    """
    if isinstance(error, AlreadyExists) or not is_unique_violation(error):
        return None
    statement = step.statement if type(step) is Bound else step
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None) or "a table"
    columns = _key_columns(table, error) if isinstance(table, sa.Table) else []
    if isinstance(table, sa.Table):  # a generated key column is named for what it stands for
        columns = [str(table.c[c].info.get("means", c)) if c in table.c else c for c in columns]
    rows = _parameter_rows(step)
    row = rows[0] if len(rows) == 1 else {}  # of several rows, which one collided is not known
    if columns and all(c in row for c in columns):
        key = ", ".join(f"{c} {row[c]!r}" for c in columns)
        message = f"{name}: a row with {key} already exists"
    elif columns:
        message = f"{name}: a row with the same {', '.join(columns)} already exists"
    else:
        message = f"{name}: a row with the same key already exists"
    return AlreadyExists(message, orig=error.orig, statement=error.statement, from_constraint=True)


def _key_columns(table: sa.Table, error: sa.exc.IntegrityError) -> list[str]:
    """The columns of the key the database named in ``error``, or [] if it cannot be told."""
    orig = error.orig
    text = str(orig)
    named = getattr(getattr(orig, "diag", None), "constraint_name", None)  # psycopg
    if named is None:
        found = re.search(r"for key '(?:[^'.]*\.)?([^']+)'", text)  # MySQL: "... for key 'table.name'"
        named = found.group(1) if found else None
    if named is None:
        found = re.search(r"UNIQUE constraint failed: (?:index '([^']+)'|(.+))$", text)  # SQLite
        if found and found.group(2):
            return [part.split(".")[-1].strip() for part in found.group(2).split(",")]
        named = found.group(1) if found else None
    if named is None:
        return []
    if named == "PRIMARY" or named == table.primary_key.name:
        return [c.name for c in table.primary_key.columns]
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint) and constraint.name == named:
            return [c.name for c in constraint.columns]
    for index in table.indexes:
        if index.name == named:
            return [c.name for c in index.columns]
    return []


def _parameter_rows(step: Step) -> list[dict[str, Any]]:
    """The rows of values a step binds (a compiled statement's own parameters when it is not Bound)."""
    if type(step) is Bound:
        return step.parameters if isinstance(step.parameters, list) else [step.parameters]
    try:
        return [dict(step.compile().params)]  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - only for the error message: a statement that cannot compile names nothing
        return []


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


def drive(steps: Steps[T], conn: Connection) -> T:
    """Run an operation's steps on ``conn``."""
    execute = conn.execute
    try:
        step = next(steps)
        while True:
            if isinstance(step, Special):
                step = steps.send(step.run_sync(conn))
                continue
            try:
                result = execute(step.statement, step.parameters) if type(step) is Bound else execute(step)
            except sa.exc.IntegrityError as error:
                duplicate = duplicate_error(step, error)
                if duplicate is None:
                    raise
                raise duplicate from error
            except BIND_ERRORS as error:
                raise bind_error(step, error) from error
            step = steps.send(result)
    except StopIteration as done:
        value: T = done.value  # the operation's return value
        return value


def rerun_after(
    error: sa.exc.DBAPIError, attempt: int, *, committing: bool, writes: bool, reran_duplicate: bool
) -> float | None:
    """Seconds to wait before rerunning after ``error``, or None to raise it.

    A conflict reruns after a backoff. A lost connection (a pooled one the server closed, a
    restart, a killed session) reruns at once on a fresh one: the server rolled the transaction
    back, so nothing of the first attempt stays. This replaces a pre-ping round trip on every
    checkout. Losing the connection during COMMIT is different: it may have committed, so that
    error is raised (``CommitOutcomeUnknown``). A duplicate key the database refused reruns once,
    at once: a racing writer committed the row, and the rerun's own checks now see it, so the
    loser of a race gets the error a caller who came second gets.
    """
    if attempt + 1 >= MAX_ATTEMPTS:
        return None
    if error.connection_invalidated:
        return None if committing else 0.0
    if isinstance(error, AlreadyExists):
        return 0.0 if error.from_constraint and writes and not reran_duplicate else None
    return backoff(attempt) if is_transient(error) else None


def run_sync(connect: Callable[[bool], AbstractContextManager[Connection]], op: Operation[T]) -> T:
    """Run ``op`` in one transaction of a connection from ``connect(writes)``, retrying conflicts."""
    reran_duplicate = False
    for attempt in range(MAX_ATTEMPTS):
        committing = False
        try:
            with connect(op.writes) as conn:
                with conn.begin():
                    result = drive(op.start(), conn)
                    committing = True
                return result
        except RecursionError:
            raise too_deep(op) from None
        except sa.exc.DBAPIError as error:
            wait = rerun_after(error, attempt, committing=committing, writes=op.writes, reran_duplicate=reran_duplicate)
            if wait is None:
                if committing and error.connection_invalidated:
                    raise CommitOutcomeUnknown(op.name, error) from error
                raise
            reran_duplicate = reran_duplicate or isinstance(error, AlreadyExists)
            time.sleep(wait)
    raise AssertionError("unreachable")


async def run_async(connect: Callable[[bool], AbstractAsyncContextManager[AsyncConnection]], op: Operation[T]) -> T:
    """The async executor: the same steps, awaited on an ``AsyncConnection``.

    ``AsyncConnection.execute`` returns buffered results, so an operation reads them exactly as
    it does under the sync executor.
    """
    import asyncio

    reran_duplicate = False
    for attempt in range(MAX_ATTEMPTS):
        committing = False
        try:
            async with connect(op.writes) as conn:
                async with conn.begin():
                    steps = op.start()
                    try:
                        step = next(steps)
                        while True:
                            if isinstance(step, Special):
                                step = steps.send(await step.run_async(conn))
                                continue
                            try:
                                if type(step) is Bound:
                                    result = await conn.execute(step.statement, step.parameters)
                                else:
                                    result = await conn.execute(step)
                            except sa.exc.IntegrityError as error:
                                duplicate = duplicate_error(step, error)
                                if duplicate is None:
                                    raise
                                raise duplicate from error
                            except BIND_ERRORS as error:
                                raise bind_error(step, error) from error
                            step = steps.send(result)
                    except StopIteration as done:
                        value: T = done.value  # the operation's return value
                    committing = True
                return value
        except RecursionError:
            raise too_deep(op) from None
        except sa.exc.DBAPIError as error:
            wait = rerun_after(error, attempt, committing=committing, writes=op.writes, reran_duplicate=reran_duplicate)
            if wait is None:
                if committing and error.connection_invalidated:
                    raise CommitOutcomeUnknown(op.name, error) from error
                raise
            reran_duplicate = reran_duplicate or isinstance(error, AlreadyExists)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")

"""The vector store's special steps: what ``Connection.execute`` cannot say, run by the core
executors (``repositories.core.operation.Special``) on the operation's own connection."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable

from repositories.core.operation import Special
from repositories.vectors import pgwire


class StepResult:
    """What a COPY gives back to the operation: how many rows it wrote."""

    def __init__(self, rowcount: int) -> None:
        self.rowcount = rowcount


class Rows:
    """A ``Direct`` step's rows, read like a SQLAlchemy result's ``.all()``."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def all(self) -> list[tuple[Any, ...]]:
        return self.rows


class CopyRows(Special):
    """PostgreSQL ``COPY ... FROM STDIN (FORMAT BINARY)`` of an already encoded payload."""

    def __init__(self, sql: str, payload: bytes, count: int) -> None:
        self.sql, self.payload, self.count = sql, payload, count

    def run_sync(self, conn: Connection) -> StepResult:
        driver = conn.connection.driver_connection
        assert driver is not None  # an open connection: the operation's own
        with driver.cursor() as cursor, cursor.copy(self.sql) as copy_in:
            copy_in.write(self.payload)
        return StepResult(self.count)

    async def run_async(self, conn: AsyncConnection) -> StepResult:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        async with driver.cursor() as cursor, cursor.copy(self.sql) as copy_in:
            await copy_in.write(self.payload)
        return StepResult(self.count)


class BinaryVectors(Special):
    """Teach this pooled psycopg connection to bind ``pgwire.QueryVector`` (once per connection)."""

    def run_sync(self, conn: Connection) -> None:
        fairy = conn.connection
        pgwire.registered(fairy.driver_connection, fairy.info)

    async def run_async(self, conn: AsyncConnection) -> None:
        raw = await conn.get_raw_connection()
        pgwire.registered(raw.driver_connection, raw.info)


class Direct(Special):
    """A statement built once, compiled once per store and run on the driver's own cursor.

    For the search's hot path: SQLAlchemy's execute costs about 160 us a statement (context,
    result metadata, row processing), a tenth of a whole search. ``key`` names the statement's
    shape (its SQL is kept in ``compiled`` under it); rows come back as plain tuples, unprocessed.
    """

    def __init__(self, statement: ClauseElement, parameters: dict[str, Any], key: Hashable,
                 compiled: dict[Hashable, str]) -> None:
        self.statement, self.parameters, self.key, self.compiled = statement, parameters, key, compiled

    def _sql(self, conn: Connection) -> str:
        sql = self.compiled.get(self.key)
        if sql is None:
            schemas = conn.get_execution_options().get("schema_translate_map")
            compiled = self.statement.compile(dialect=conn.dialect, schema_translate_map=schemas,
                                              render_schema_translate=bool(schemas))
            sql = self.compiled[self.key] = compiled.string
        return sql

    def _error(self, conn: Connection, sql: str, error: Exception, lost: bool) -> sa.exc.StatementError:
        """The driver's error as SQLAlchemy would raise it (so conflicts still read as transient)."""
        return sa.exc.DBAPIError.instance(sql, self.parameters, error, conn.dialect.loaded_dbapi.Error,
                                          dialect=conn.dialect, connection_invalidated=lost)

    def run_sync(self, conn: Connection) -> Rows:
        sql, parameters = self._sql(conn), self.parameters
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            conn.dispatch.before_cursor_execute(conn, cursor, sql, parameters, None, False)
            cursor.execute(sql, parameters)
            rows = cursor.fetchall() if cursor.description is not None else []
            conn.dispatch.after_cursor_execute(conn, cursor, sql, parameters, None, False)
        except conn.dialect.loaded_dbapi.Error as error:
            lost = conn.dialect.is_disconnect(error, conn.connection.dbapi_connection, None)
            if lost:
                conn.invalidate(error)
            raise self._error(conn, sql, error, lost) from error
        finally:
            cursor.close()
        return Rows(rows)

    async def run_async(self, conn: AsyncConnection) -> Rows:
        sync, parameters = conn.sync_connection, self.parameters
        assert sync is not None
        sql = self._sql(sync)
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            sync.dispatch.before_cursor_execute(sync, cursor, sql, parameters, None, False)
            await cursor.execute(sql, parameters)
            rows = await cursor.fetchall() if cursor.description is not None else []
            sync.dispatch.after_cursor_execute(sync, cursor, sql, parameters, None, False)
        except sync.dialect.loaded_dbapi.Error as error:
            lost = sync.dialect.is_disconnect(error, raw.dbapi_connection, None)
            if lost:
                await conn.invalidate(error)
            raise self._error(sync, sql, error, lost) from error
        finally:
            await cursor.close()
        return Rows(rows)


class Explain(Executable, ClauseElement):
    """``EXPLAIN <select>`` with the select's own bound parameters (the SQLAlchemy recipe)."""

    inherit_cache = False

    def __init__(self, statement: Any, analyze: bool = False) -> None:
        self.statement, self.analyze = statement, analyze


@compiles(Explain, "postgresql")
def _compile_explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if element.analyze else "EXPLAIN "
    return prefix + compiler.process(element.statement, **kw)

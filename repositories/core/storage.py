"""What every class that runs operations shares: where its tables are, how a connection is set up
for one operation, and schema-on-first-use. The db classes and the vector store both build on it.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from agno_models.layout import TableNames
from repositories.core.context import Ctx
from repositories.core.dialects import Dialect, dialect_for
from repositories.core.schema import ensure_schema
from repositories.core.tables import TableSet

SERVER_SCHEMA = "ai"  # agno's default schema (MySQL: database) on PostgreSQL and MySQL


def sqlite_url(db_file: str | None) -> str:
    """agno's SQLite default: ``./agno.db`` unless ``db_file`` names another file."""
    return f"sqlite:///{Path(db_file or 'agno.db').resolve()}"


@dataclass(frozen=True)
class Storage:
    """One table set in one database: its dialect, schema, tables and statement context."""

    dialect: Dialect
    schema: str | None
    names: TableNames
    tables: TableSet
    ctx: Ctx
    auto_upgrade: bool

    @classmethod
    def make(
        cls, *, dialect_name: str, db_schema: str | None, default_schema: str | None, names: TableNames,
        auto_upgrade: bool,
    ) -> Storage:
        dialect = dialect_for(dialect_name)
        schema = db_schema if db_schema is not None else default_schema
        if not dialect.has_schemas and schema is not None:
            raise ValueError("SQLite has no schemas; use a separate database file instead of db_schema")
        tables = TableSet.for_names(names)
        return cls(dialect=dialect, schema=schema, names=names, tables=tables, ctx=Ctx(tables=tables, dialect=dialect),
                   auto_upgrade=auto_upgrade)

    def translate(self) -> dict[str, Any]:
        """Execution options that qualify the (schema-less) tables with the schema."""
        return {} if self.schema is None else {"schema_translate_map": {None: self.schema}}

    def options(self, *, writes: bool) -> dict[str, Any]:
        """Everything one operation's connection is set up with."""
        return {**self.translate(), **self.dialect.begin_options(writes=writes)}


# How long a writer waits for its turn in this process before going on to the database's own
# lock wait (SQLite's busy timeout, 30 s), which then decides.
WRITER_TURN_TIMEOUT = 30.0


class WriterQueue:
    """This process's writing threads of one SQLite file, one write transaction at a time, in turn.

    SQLite lets one writer in at a time; the others wait in its busy handler, which polls with
    sleeps of up to 100 ms, so under contention the file sat idle between writers. Queued on a
    lock here, a finished writer wakes the next at once (8 threads appending to one session:
    about 1.5x faster). Writers in other processes still meet at SQLite's lock. One queue per
    file, shared by every db object of the process on it. The async classes do not queue: their
    writers wait in aiosqlite's threads, off the event loop, and queueing them measured no faster.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()

    @classmethod
    def for_url(cls, url: URL) -> WriterQueue | None:
        """The queue of the SQLite file ``url`` names; None for other databases and memory ones."""
        database = url.database
        if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
            return None
        key = os.path.realpath(database)
        with _queues_lock:
            return _queues.setdefault(key, cls())

    @contextmanager
    def turn(self) -> Iterator[None]:
        acquired = self.lock.acquire(timeout=WRITER_TURN_TIMEOUT)
        try:
            yield
        finally:
            if acquired:
                self.lock.release()


_queues: dict[str, WriterQueue] = {}
_queues_lock = threading.Lock()


@dataclass
class QueryEngines:
    """``engine`` with a storage's execution options, made once per kind (building one costs per call)."""

    engine: Engine
    storage: Storage
    _made: dict[bool, Engine] = field(default_factory=dict)
    _writers: WriterQueue | None = None

    def __post_init__(self) -> None:
        self._writers = WriterQueue.for_url(self.engine.url)

    def get(self, *, writes: bool) -> Engine:
        found = self._made.get(writes)
        if found is None:
            options = self.storage.options(writes=writes)
            found = self._made[writes] = self.engine.execution_options(**options) if options else self.engine
        return found

    def connect(self, writes: bool) -> AbstractContextManager[Connection]:
        """A connection for one operation (``run_sync``'s ``connect``); a SQLite writer waits its turn."""
        if writes and self._writers is not None:
            return self._queued(self.get(writes=True), self._writers)
        return self.get(writes=writes).connect()

    @staticmethod
    @contextmanager
    def _queued(engine: Engine, writers: WriterQueue) -> Iterator[Connection]:
        with writers.turn(), engine.connect() as conn:
            yield conn


class AsyncConnect:
    """``async with`` an AsyncConnection set up for one operation (``run_async``'s ``connect``)."""

    def __init__(self, engine: AsyncEngine, options: dict[str, Any]) -> None:
        self.engine, self.options = engine, options
        self.conn: AsyncConnection | None = None

    async def __aenter__(self) -> AsyncConnection:
        conn = await self.engine.connect()
        self.conn = await conn.execution_options(**self.options) if self.options else conn
        return self.conn

    async def __aexit__(self, *exc: object) -> None:
        assert self.conn is not None
        await self.conn.close()


def require_schema(engine: Engine, schema: str | None, *, create: bool) -> None:
    """With ``create_schema=False`` (agno's keyword) a missing schema is an error, not created."""
    if create or schema is None:
        return
    with engine.connect() as conn:
        if not sa.inspect(conn).has_schema(schema):
            raise ValueError(f"schema {schema!r} does not exist and create_schema=False; create it first, "
                             "or pass create_schema=True")


class SchemaGate:
    """Schema on first use: bring the database to the migration head once per owner.

    The migration itself runs under a database-wide lock (``ensure_schema``); this lock keeps one
    owner's threads (and coroutines, which wait in a worker thread) from starting it twice.
    """

    def __init__(self, storage: Storage, *, create_schema: bool = True) -> None:
        self.storage = storage
        self.create_schema = create_schema  # agno's keyword: False makes a missing schema an error
        self.ready = False
        self.migrated = False  # whether this owner ran the migrations
        self._lock = threading.Lock()

    def ensure(self, engine: Callable[[], Engine], *, temporary: bool = False) -> None:
        """Migrate through ``engine()`` unless done; ``temporary``: dispose that engine afterwards."""
        if self.ready:
            return
        with self._lock:
            if self.ready:
                return
            made = engine()
            try:
                storage = self.storage
                require_schema(made, storage.schema, create=self.create_schema)
                self.migrated = ensure_schema(made, schema=storage.schema, names=storage.names,
                                              auto_upgrade=storage.auto_upgrade)
            finally:
                if temporary:
                    made.dispose()
            self.ready = True

    async def aensure(self, engine: Callable[[], Engine], *, temporary: bool = False) -> None:
        if not self.ready:  # Alembic is synchronous: migrate off the event loop
            await asyncio.to_thread(self.ensure, engine, temporary=temporary)

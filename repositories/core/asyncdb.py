"""``AsyncSqlDb``: agno's ``AsyncBaseDb`` from the very same operations as the sync classes.

Every public agno method is an ``@operation`` (``repositories.core.operation``): calling it hands
``self._run`` an operation. Here ``_run`` hands the operation back instead of executing it, and
:func:`async_twin` wraps each method as a coroutine that awaits the async executor: signatures, argument checks and statements are shared,
only the executor differs. Drivers: psycopg 3 (async mode), aiosqlite, aiomysql.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from agno.db.base import AsyncBaseDb
from sqlalchemy.ext.asyncio import AsyncEngine

from agno_models.engine import create_async_engine, create_engine, sync_url
from repositories.core.db import StorageConfig, check_table_arguments, default_id
from repositories.core.operation import Operation, is_operation, procedure_of, run_async, run_procedure
from repositories.core.storage import AsyncConnect

T = TypeVar("T")


def async_twin(sync_methods: type, name: str, *, rename: Callable[[str], str] = lambda attr: attr) -> type:
    """A class whose methods are coroutine versions of ``sync_methods``' public methods.

    Each must be an ``@operation`` (its coroutine awaits ``self._arun``) or a ``@procedure``
    (awaited step by step). ``rename`` names the twins (agno's VectorDb: ``insert`` -> ``async_insert``).
    """
    namespace: dict[str, Any] = {"__doc__": f"Async twin of {sync_methods.__name__}."}
    for attr in dir(sync_methods):
        fn = getattr(sync_methods, attr)
        if attr.startswith("_"):
            continue
        if inspect.isfunction(fn):
            namespace[rename(attr)] = _coroutine(fn, rename(attr))
        else:
            namespace[attr] = fn  # a public class attribute (e.g. ``serializes_sessions``) is shared
    return type(name, (), namespace)


def _coroutine(fn: Any, name: str) -> Any:
    program = procedure_of(fn)
    if program is not None:

        @functools.wraps(fn)
        async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            return await run_procedure(program(self, *args, **kwargs), self._arun)

    elif is_operation(fn):
        build = fn.__agno_operation__

        @functools.wraps(fn)
        async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            return await self._arun(build(self, *args, **kwargs))

    else:
        raise TypeError(f"{fn.__qualname__} must be an @operation or a @procedure to have an async twin")
    method.__name__ = name
    method.__qualname__ = f"{fn.__qualname__.rpartition('.')[0]}.{name}".lstrip(".")
    return method


class AsyncSqlDb(StorageConfig, AsyncBaseDb):
    """agno's ``AsyncBaseDb`` on the agno-models tables, for any of the three dialects."""

    def __init__(
        self,
        *,
        db_engine: AsyncEngine | None = None,
        db_url: str | None = None,
        db_schema: str | None = None,
        id: str | None = None,
        auto_upgrade: bool = True,
        knowledge_embeddings_table: str | None = None,
        **tables: str | None,
    ) -> None:
        check_table_arguments(type(self).__name__, tables)
        self.db_engine: AsyncEngine = self._adopt_engine(db_engine, db_url, create_async_engine)
        # agno's async base class knows fewer table arguments; table_names_of reads the rest here.
        known = set(inspect.signature(AsyncBaseDb.__init__).parameters)
        AsyncBaseDb.__init__(
            self, id=id or default_id(self.db_engine.url, db_schema), **{k: v for k, v in tables.items() if k in known}
        )
        self._table_arguments = tables
        self._configure(dialect_name=self.db_engine.dialect.name, db_schema=db_schema, auto_upgrade=auto_upgrade,
                        knowledge_embeddings_table=knowledge_embeddings_table)

    # --- plumbing -------------------------------------------------------------------------

    def _run(self, op: Operation[T]) -> Operation[T]:
        return op  # the sync method bodies build operations; the async twin awaits them

    async def _ensure_schema(self) -> None:
        # Alembic is synchronous: migrate through the sync twin of the driver, off the loop.
        await self._schema.aensure(lambda: create_engine(sync_url(self.db_engine.url)), temporary=True)

    def _connect(self, writes: bool) -> AsyncConnect:
        return AsyncConnect(self.db_engine, self._storage.options(writes=writes))

    async def _arun(self, op: Operation[T]) -> T:
        await self._ensure_schema()
        return await run_async(self._connect, op)

    # --- what agno's tooling expects of an async SQL db ------------------------------------

    async def table_exists(self, table_name: str) -> bool:
        async with self.db_engine.connect() as conn:
            return await conn.run_sync(lambda sync: sa.inspect(sync).has_table(table_name, schema=self.db_schema))

    async def _get_table(self, table_type: str, create_table_if_not_found: bool | None = False) -> sa.Table | None:
        table = self.tables.by_type(table_type)
        if table is None:
            return None
        if create_table_if_not_found:
            await self._ensure_schema()
        elif not self._schema_ready and not await self.table_exists(table.name):
            return None
        return table

    async def _create_all_tables(self) -> None:
        await self._ensure_schema()

    async def close(self) -> None:
        await self.db_engine.dispose()


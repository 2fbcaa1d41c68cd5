"""Every agno method is one operation (or a procedure of operations and calls, for work after a
commit), so its async twin is the same code, awaited."""

from __future__ import annotations

import inspect

import pytest
from agno.db.base import AsyncBaseDb

from repositories import AsyncSqliteDb, SqliteDb
from repositories.backends import _Methods
from repositories.core.operation import is_operation, is_sync_only, procedure_of

PUBLIC = sorted(
    name for name in dir(_Methods) if not name.startswith("_") and inspect.isfunction(getattr(_Methods, name))
)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_agno_method_is_one_operation(name: str) -> None:
    # One definition: the method is the operation, so the async twin cannot drift from it.
    method = getattr(_Methods, name)
    assert is_operation(method) or procedure_of(method) is not None, f"{name} must be an @operation or @procedure"
    assert inspect.isgeneratorfunction(inspect.unwrap(method)), f"{name} must be a generator"


@pytest.mark.parametrize("name", PUBLIC)
def test_async_twin_is_a_coroutine_with_the_same_signature(name: str) -> None:
    if is_sync_only(getattr(_Methods, name)):
        # agno's async base has no such method and agno calls it without await (compaction records).
        assert not hasattr(AsyncBaseDb, name) and not hasattr(AsyncSqliteDb, name)
        return
    twin = getattr(AsyncSqliteDb, name)
    assert inspect.iscoroutinefunction(twin)
    assert inspect.signature(twin) == inspect.signature(getattr(SqliteDb, name))

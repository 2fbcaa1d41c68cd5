"""Every agno method is one operation, so its async twin is the same code, awaited."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from repositories import AsyncSqliteDb, SqliteDb
from repositories.backends import _Methods

PUBLIC = sorted(
    name for name in dir(_Methods) if not name.startswith("_") and inspect.isfunction(getattr(_Methods, name))
)


@pytest.mark.parametrize("name", PUBLIC)
def test_method_body_is_a_single_run_of_one_operation(name: str) -> None:
    source = textwrap.dedent(inspect.getsource(getattr(_Methods, name)))
    (function,) = ast.parse(source).body
    runs = [n for n in ast.walk(function) if isinstance(n, ast.Attribute) and n.attr == "_run"]
    last = function.body[-1]  # type: ignore[attr-defined]
    assert len(runs) == 1, f"{name} must call self._run exactly once"
    assert isinstance(last, ast.Return) and isinstance(last.value, ast.Call) and last.value.func is runs[0], (
        f"{name} must end with `return self._run(<operation>)` and do nothing with the result"
    )


@pytest.mark.parametrize("name", PUBLIC)
def test_async_twin_is_a_coroutine_with_the_same_signature(name: str) -> None:
    twin = getattr(AsyncSqliteDb, name)
    assert inspect.iscoroutinefunction(twin)
    assert inspect.signature(twin) == inspect.signature(getattr(SqliteDb, name))

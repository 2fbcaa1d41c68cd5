"""Every VectorDb method of the vector store is written once: its ``async_`` twin is derived."""

from __future__ import annotations

import inspect

import pytest
from agno.vectordb.base import VectorDb

from repositories import MySQLVectorDb, PgVectorDb, SqliteVectorDb, SqlVectorDb
from repositories.core.operation import procedure_of
from repositories.vectors.methods import VectorMethods

PUBLIC = sorted(
    name for name in dir(VectorMethods)
    if not name.startswith("_") and inspect.isfunction(getattr(VectorMethods, name))
)
AGNO_ASYNC = sorted(name for name in dir(VectorDb) if name.startswith("async_"))


@pytest.mark.parametrize("name", PUBLIC)
def test_every_method_is_one_procedure(name: str) -> None:
    program = procedure_of(getattr(VectorMethods, name))
    assert program is not None, f"{name} must be a @procedure"
    assert inspect.isgeneratorfunction(program)


@pytest.mark.parametrize("cls", [SqliteVectorDb, PgVectorDb, MySQLVectorDb])
@pytest.mark.parametrize("name", PUBLIC)
def test_the_async_twin_is_a_coroutine_with_the_same_signature(cls: type, name: str) -> None:
    twin = getattr(cls, f"async_{name}")
    assert inspect.iscoroutinefunction(twin)
    assert twin.__name__ == f"async_{name}"
    assert inspect.signature(twin) == inspect.signature(getattr(cls, name))


@pytest.mark.parametrize("name", AGNO_ASYNC)
def test_no_async_method_of_agno_is_written_by_hand(name: str) -> None:
    # Each async method agno's VectorDb declares comes from a twin, none from the store's own body.
    assert name.removeprefix("async_") in PUBLIC, f"{name} has no sync definition to be derived from"
    assert all(name not in vars(cls) for cls in (SqlVectorDb, SqliteVectorDb, PgVectorDb, MySQLVectorDb))

"""None of agno's storage methods is left to BaseDb's raising stubs by our classes while agno's own
SqliteDb / AsyncSqliteDb implement it: such a method would be a feature an agno user loses on
switching to ours. A new agno release that adds one fails here until it is implemented.
"""

from __future__ import annotations

import pytest
from agno.db.base import AsyncBaseDb, BaseDb
from agno.db.sqlite import AsyncSqliteDb as AgnoAsyncSqliteDb
from agno.db.sqlite import SqliteDb as AgnoSqliteDb

from repositories import AsyncMySQLDb, AsyncPostgresDb, AsyncSqliteDb, MySQLDb, PostgresDb, SqliteDb

PART_A = {
    "upsert_tool_result", "get_tool_result", "get_tool_results_for_session", "delete_tool_results",
    "get_expired_tool_results", "upsert_compaction", "get_compaction", "get_compactions_for_session",
    "delete_compactions_for_session", "search_compactions", "append_transcript_entries", "get_transcript_entries",
    "list_transcript_sessions", "list_transcript_subpaths", "delete_transcript", "get_auth_token",
    "upsert_auth_token", "delete_auth_token",
}


def public_methods(cls: type) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n))}


def left_to_the_stub(ours: type, agnos: type, base: type) -> set[str]:
    def stub(cls: type, name: str) -> bool:
        return getattr(cls, name, None) is getattr(base, name, None)

    return {n for n in public_methods(base) if stub(ours, n) and not stub(agnos, n)}


@pytest.mark.parametrize(
    ("ours", "agnos", "base"),
    [(SqliteDb, AgnoSqliteDb, BaseDb), (PostgresDb, AgnoSqliteDb, BaseDb), (MySQLDb, AgnoSqliteDb, BaseDb),
     (AsyncSqliteDb, AgnoAsyncSqliteDb, AsyncBaseDb), (AsyncPostgresDb, AgnoAsyncSqliteDb, AsyncBaseDb),
     (AsyncMySQLDb, AgnoAsyncSqliteDb, AsyncBaseDb)],
    ids=lambda c: c.__name__,
)
def test_no_method_falls_back_to_agnos_stubs(ours: type, agnos: type, base: type) -> None:
    assert left_to_the_stub(ours, agnos, base) == set(), "implement these"


def parameters(fn: object) -> list[tuple[str, object, object]]:
    import inspect

    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]  # type: ignore[arg-type]


def test_part_a_methods_are_agnos() -> None:
    """Each method of this part is one BaseDb declares (sync), with agno's own parameters."""
    for name in PART_A:
        assert name in public_methods(BaseDb), name
        assert parameters(getattr(SqliteDb, name)) == parameters(getattr(BaseDb, name)), name


COMPANY = {
    "add_product_routine", "complete_task_run", "count_company_acceptances", "create_product", "create_project",
    "create_source", "create_task", "delete_product", "delete_project", "delete_source", "delete_task",
    "get_product", "get_product_counts", "get_products", "get_project", "get_project_counts", "get_projects",
    "get_source", "get_sources", "get_task", "get_tasks", "restore_product", "restore_project", "restore_source",
    "restore_task", "start_task_run", "transition_project", "transition_task", "update_product", "update_project",
    "update_source", "update_task",
}


@pytest.mark.parametrize(("ours", "base"), [(SqliteDb, BaseDb), (AsyncSqliteDb, AsyncBaseDb)], ids=["sync", "async"])
def test_company_methods_have_agnos_parameters(ours: type, base: type) -> None:
    """Names, kinds and defaults as agno declares them, down to its unset-timestamp sentinel."""
    import inspect

    for name in COMPANY:
        assert parameters(getattr(ours, name)) == parameters(getattr(base, name)), name
        assert inspect.iscoroutinefunction(getattr(ours, name)) == inspect.iscoroutinefunction(getattr(base, name))

"""AgentOS's Company routes on our db answer like they do on agno's own db, sync and async classes.

Products, sources, projects and tasks driven over HTTP (``/company/...``) the way the Company
UI drives them: create, list, edit, lifecycle transitions, archive and restore, the refusals.
One app runs on agno's ``SqliteDb`` (the reference), one on our db for the backend under test;
every response must have the same status and shape (generated ids and times by type only).
"""

from __future__ import annotations

from typing import Any

import pytest
from agno.agent import Agent
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from examples.offline_model import OfflineModel
from tests.repositories.conftest import fresh_url, make_db, templates  # noqa: F401 - fixtures: migrated once

# Values the server generates; compared by type.
VOLATILE = {"id", "product_id", "project_id", "created_at", "updated_at", "deleted_at", "accepted_at",
            "session_id", "job_id"}


def shape(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(v, key) for v in value]
    if key in VOLATILE:
        return type(value).__name__
    return value


def build_app(db: Any) -> Any:
    from agno.company.config import CompanyConfig
    from agno.os import AgentOS

    agent = Agent(id="helper", name="Helper", model=OfflineModel(), db=db)
    return AgentOS(agents=[agent], db=db, company=CompanyConfig(), telemetry=False).get_app()


def answers(app: Any) -> list[tuple[str, int, Any]]:
    # One client for the whole scenario: its event loop is the one an async db's connections live on.
    with TestClient(app) as client:
        return run_scenario(client)


def run_scenario(client: TestClient) -> list[tuple[str, int, Any]]:
    results: list[tuple[str, int, Any]] = []

    def call(method: str, path: str, label: str | None = None, **kwargs: Any) -> Any:
        response = client.request(method, path, **kwargs)
        body = response.json() if response.content else None
        shaped = shape(body)
        if isinstance(shaped, dict) and isinstance(shaped.get("data"), list):
            # Rows created in one second tie on created_at; agno breaks ties by random ids.
            shaped["data"] = sorted(shaped["data"], key=repr)
        results.append((f"{method} {label or path}", response.status_code, shaped))
        return body

    product = call("POST", "/company/products", json={"name": "Docs site", "purpose": "Help users",
                                                       "metadata": {"team": "docs"}})
    other = call("POST", "/company/products", json={"name": "Billing"})
    call("POST", "/company/products", json={"name": ""})  # 422
    pid = product["id"]
    call("GET", "/company/products")
    call("GET", "/company/products", params={"sort_by": "updated_at", "sort_order": "asc"})
    call("GET", f"/company/products/{pid}", "/company/products/{id}")
    call("PATCH", f"/company/products/{pid}", "/company/products/{id}", json={"purpose": "Help every user"})
    call("GET", "/company/products/missing")
    call("POST", "/company/sources", json={"product_id": pid, "type": "markdown", "reference": "docs/guide.md"})
    call("GET", "/company/sources", params={"product_id": pid})

    project = call("POST", "/company/projects", json={"product_id": pid, "name": "Launch", "outcome": "Live"})
    prid = project["id"]
    call("GET", "/company/projects", params={"product_id": pid})
    call("PATCH", f"/company/projects/{prid}", "/company/projects/{id}", json={"name": "Launch v1"})
    call("POST", f"/company/projects/{prid}/transitions", "/company/projects/{id}/transitions",
         json={"target": "active", "reason": "Approved"})
    call("POST", f"/company/projects/{prid}/transitions", "/company/projects/{id}/transitions",
         json={"target": "proposed", "reason": "Back"})  # 409

    first = call("POST", "/company/tasks", json={"product_id": pid, "project_id": prid, "title": "Write the guide",
                                                 "brief": "Two pages"})
    second = call("POST", "/company/tasks", json={"product_id": pid, "project_id": prid, "title": "Review"})
    call("POST", "/company/tasks", json={"product_id": other["id"], "project_id": prid, "title": "Wrong"})
    tid = first["id"]
    call("GET", "/company/tasks", params={"product_id": pid})
    call("GET", "/company/tasks", params={"status": "backlog"})
    call("PATCH", f"/company/tasks/{tid}", "/company/tasks/{id}", json={"title": "Write the user guide"})
    call("POST", f"/company/tasks/{tid}/transitions", "/company/tasks/{id}/transitions",
         json={"target": "ready", "reason": "Accepted", "executor_type": "agent", "executor_id": "helper"})
    call("PATCH", f"/company/tasks/{tid}", "/company/tasks/{id}", json={"title": "Too late"})  # 409/422
    call("POST", f"/company/tasks/{tid}/transitions", "/company/tasks/{id}/transitions",
         json={"target": "done", "reason": "Skip"})  # 409
    call("GET", f"/company/products/{pid}", "/company/products/{id}")  # counts
    call("GET", f"/company/projects/{prid}", "/company/projects/{id}")
    call("DELETE", f"/company/products/{pid}", "/company/products/{id}")  # 409: an active task
    call("POST", f"/company/tasks/{tid}/transitions", "/company/tasks/{id}/transitions",
         json={"target": "cancelled", "reason": "Not needed"})
    call("DELETE", f"/company/tasks/{second['id']}", "/company/tasks/{id}")
    call("GET", f"/company/tasks/{second['id']}", "/company/tasks/{id}")
    call("POST", f"/company/tasks/{second['id']}/restore", "/company/tasks/{id}/restore")
    call("DELETE", f"/company/products/{pid}", "/company/products/{id}")
    call("GET", "/company/products", params={"include_deleted": "true"})
    call("GET", "/company/tasks")
    call("POST", f"/company/products/{pid}/restore", "/company/products/{id}/restore")
    call("POST", f"/company/products/{pid}/restore", "/company/products/{id}/restore")  # 409: not archived
    call("GET", "/company/tasks", params={"project_id": prid})
    call("DELETE", f"/company/projects/{prid}", "/company/projects/{id}")
    call("POST", f"/company/projects/{prid}/restore", "/company/projects/{id}/restore")
    return results


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, int, Any]]:
    """The scenario's answers on agno's own SqliteDb, once for every backend and flavour."""
    reference = AgnoSqliteDb(db_file=str(tmp_path_factory.mktemp("company") / "reference.db"))
    try:
        return answers(build_app(reference))
    finally:
        reference.close()


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_company_routes_match_agnos_own_db(
    backend: str, fresh_url: URL, expected: list[tuple[str, int, Any]], flavour: str  # noqa: F811
) -> None:
    ours = make_db(backend, fresh_url, flavour=flavour)
    try:
        actual = answers(build_app(ours))
    finally:
        if flavour == "sync":
            ours.close()
    assert [r[1] for r in expected].count(201) >= 5  # the scenario did create things
    for want, got in zip(expected, actual, strict=True):
        assert got == want, f"{want[0]} differs"

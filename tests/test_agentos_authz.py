"""AgentOS's /authz and /users admin APIs on our db answer as on agno's own SqliteDb."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from agno.agent import Agent
from agno.db.base import BaseDb
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from examples.offline_model import OfflineModel
from tests.repositories.conftest import make_db
from tests.test_agentos import shape

SECRET = "a-test-signing-secret-that-is-long-enough-for-hs256"


def token(subject: str) -> dict[str, str]:
    claims = {"sub": subject, "iat": int(time.time()), "exp": int(time.time()) + 600}
    return {"Authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}


def build_app(db: BaseDb) -> TestClient:
    from agno.os import AgentOS
    from agno.os.authz import Authorization

    authorization = Authorization(db=db, verification_keys=[SECRET], algorithm="HS256", audit=True)
    authorization.define_role("admin", ["agent_os:admin"])
    authorization.define_role("viewer", ["agents:read"], default=True, name="Viewer")
    authorization.seed(admin="alice")
    agent = Agent(id="helper", name="Helper", model=OfflineModel(), db=db)
    app = AgentOS(agents=[agent], db=db, authorization=authorization, user_directory=True,
                  telemetry=False).get_app()
    return TestClient(app)


def run_scenario(client: TestClient) -> list[tuple[str, int, Any]]:
    results: list[tuple[str, int, Any]] = []
    admin, viewer = token("alice"), token("bob")

    def call(method: str, path: str, headers: dict[str, str] = admin, *, unordered: bool = False, **kwargs: Any) -> None:
        response = client.request(method, path, headers=headers, **kwargs)
        shaped = shape(response.json() if response.content else None)
        if unordered:  # events of one second: agno's order among them is arbitrary too
            shaped["data"] = sorted(shaped["data"], key=repr)
        results.append((f"{method} {path}", response.status_code, shaped))

    call("GET", "/authz/roles")
    call("POST", "/authz/roles", json={"slug": "editor", "name": "Editor", "description": "Edits"})
    call("POST", "/authz/roles", json={"slug": "editor"})  # taken
    call("PUT", "/authz/roles/editor/scopes", json={"scopes": ["agents:read", {"scope": "agents:write",
                                                                               "effect": "allow"}]})
    call("PATCH", "/authz/roles/editor/scopes", json={"upsert": [{"scope": "sessions:read", "effect": "deny"}],
                                                      "remove": ["agents:read"]})
    call("PATCH", "/authz/roles/editor", json={"description": "Edits things"})
    call("GET", "/authz/roles/editor")
    call("GET", "/authz/roles/missing")
    call("POST", "/users", json={"id": "bob", "email": "bob@example.com", "name": "Bob"})
    call("POST", "/users", json={"id": "carol", "name": "Carol"})
    call("POST", "/authz/subjects/bob/roles", json={"role": "editor"})
    call("GET", "/authz/subjects/bob/roles")
    call("GET", "/authz/roles", viewer)  # not an admin: 403
    call("GET", "/users", params={"search": "BOB"})
    call("GET", "/users", params={"sort_by": "name", "sort_order": "asc"})
    call("PATCH", "/users/carol", json={"disabled": True})
    call("GET", "/users/carol")
    call("GET", "/users/metrics")
    call("DELETE", "/authz/subjects/bob/roles/editor")
    call("DELETE", "/users/carol")
    call("DELETE", "/authz/roles/editor")
    call("GET", "/authz/roles")
    call("GET", "/authz/audit", params={"limit": 50}, unordered=True)
    call("GET", "/authz/decisions", params={"limit": 50}, unordered=True)
    return results


@pytest.fixture
def reference(tmp_path: Path) -> AgnoSqliteDb:
    return AgnoSqliteDb(db_file=str(tmp_path / "reference.db"))


def test_authz_and_users_endpoints_match_agnos_own_db(backend: str, db_url: URL, reference: AgnoSqliteDb) -> None:
    ours = make_db(backend, db_url)
    try:
        with build_app(reference) as client:
            expected = run_scenario(client)
        with build_app(ours) as client:
            actual = run_scenario(client)
        assert [r[1] for r in expected].count(200) >= 10, expected  # the scenario really reached the store
        for want, got in zip(expected, actual, strict=True):
            assert got == want, f"{want[0]} differs"
    finally:
        ours.close()

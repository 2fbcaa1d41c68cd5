"""Authorization storage: agno's contract side by side with agno's own SqliteDb, and
``Authorization(db=ours)`` driving it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from sqlalchemy.engine import URL

from repositories.core.db import SqlDb
from tests.repositories.conftest import make_db


@pytest.fixture
def agno_db(tmp_path: Path) -> AgnoSqliteDb:
    return AgnoSqliteDb(db_file=str(tmp_path / "reference.db"))


def scenario(db: Any) -> list[Any]:
    out: list[Any] = []
    out.append(db.authz_name_is_role("admin"))
    db.set_authz_role_policies("admin", [("*", "*", "allow"), ("billing", "write", "deny")])
    db.set_authz_role_policies("viewer", [("agents", "read", "allow")])
    db.set_authz_role_policies("viewer", [("agents", "read", "allow"), ("sessions", "read", "allow")])
    db.upsert_authz_policy(role="viewer", resource="agents", action="read", effect="deny")
    db.upsert_authz_policy(role="editor", resource="agents", action="write", effect="allow")
    db.delete_authz_policy(role="editor", resource="agents", action="nothing")
    out.append(sorted(db.get_authz_policies(["admin", "viewer", "missing"])))
    out.append(sorted(db.get_authz_role_policies("viewer")))
    out.append(db.get_authz_policies([]))
    db.assign_authz_role("alice", "admin")
    db.assign_authz_role("alice", "admin")  # idempotent
    db.assign_authz_role("bob", "viewer")
    db.assign_authz_role("editor", "viewer")  # role inheritance
    db.assign_authz_role("orphan-role-holder", "auditor")  # an assignment-only role
    out.append(db.get_authz_direct_roles("alice"))
    out.append(db.get_authz_direct_roles_many(["alice", "bob", "nobody"]))
    out.append(sorted(db.list_authz_role_subjects("viewer")))
    out.append([db.authz_name_is_role(n) for n in ("admin", "auditor", "alice", "editor")])
    db.replace_authz_subject_roles("bob", "editor")
    out.append(db.get_authz_direct_roles("bob"))
    db.unassign_authz_role("alice", "admin")
    db.unassign_authz_role("alice", "admin")
    out.append(db.get_authz_direct_roles("alice"))
    out.append(db.list_authz_roles())
    db.upsert_authz_role_meta("viewer", {"name": "Viewer", "description": "Reads", "is_default": True,
                                         "created_at": 100, "updated_at": 100})
    db.upsert_authz_role_meta("viewer", {"name": "Viewers", "description": "Reads", "is_default": False,
                                         "created_at": 100, "updated_at": 200})
    db.upsert_authz_role_meta("editor", {"name": "Editor", "description": None, "is_default": False,
                                         "created_at": 150, "updated_at": 150})
    out.append(db.get_authz_role_meta("viewer"))
    out.append(sorted(db.list_authz_role_meta(), key=lambda r: r["slug"]))
    db.delete_authz_role("editor")
    out.append((db.list_authz_roles(), db.get_authz_role_meta("editor"), db.get_authz_direct_roles("bob")))
    db.delete_authz_role_meta("viewer")
    out.append(db.get_authz_role_meta("viewer"))
    # The user directory.
    for i, (uid, email, name) in enumerate([("u1", "Ann@Example.com", "Ann"), ("u2", None, "Bo_b"),
                                            ("u3", "c@x.io", None), ("u4", "d@x.io", "50% Dan")]):
        db.upsert_authz_user(uid, {"email": email, "name": name, "disabled": False,
                                   "created_at": 86400 * (i // 2) + i, "updated_at": 86400 * (i // 2) + i,
                                   "metadata": {"n": i} if i % 2 else None})
    db.set_authz_user_disabled("u2", True)
    db.upsert_authz_user("u2", {"name": "Bo_b", "disabled": False, "created_at": 1, "updated_at": 999})  # no un-revoke
    db.set_authz_user_disabled("ghost", True)  # an unknown subject gets a tombstone
    out.append([db.is_authz_user_disabled(u) for u in ("u1", "u2", "ghost", "nobody")])
    ghost = db.get_authz_user("ghost")
    out.append({k: v for k, v in ghost.items() if k not in ("created_at", "updated_at")})
    out.append(db.get_authz_user("u2"))
    out.append(db.get_authz_user("nobody"))
    for args in [{}, {"include_disabled": False}, {"search": "ann"}, {"search": "EXAMPLE"}, {"search": "o_b"},
                 {"search": "50%"}, {"search": "%"}, {"sort_by": "email", "order": "asc"},
                 {"sort_by": "name", "order": "desc"}, {"limit": 2, "offset": 1, "sort_by": "id", "order": "asc"},
                 {"sort_by": "no_such_column"}]:
        out.append([u["id"] for u in db.list_authz_users(**args) if u["id"] != "ghost"])
    out.append([db.count_authz_users(), db.count_authz_users(include_disabled=False),
                db.count_authz_users(search="x.io")])
    out.append(db.count_authz_users_by_status())
    out.append(db.list_authz_user_ids(include_disabled=False))
    out.append(db.count_authz_users_by_day(ending_before=86400 * 2))
    out.append(db.count_authz_users_by_day(starting_at=86400, ending_before=86400 * 2))
    db.delete_authz_user("u4")
    out.append(db.get_authz_user("u4"))
    # The audit trails.
    for i in range(4):
        db.record_authz_audit_event({"event_id": f"e{i}", "created_at": 1000 + i, "actor": f"admin{i % 2}",
                                     "action": "role.assign", "target": f"user:U{i}", "before": None, "after": "x"})
    db.record_authz_audit_event({"event_id": "e0", "created_at": 1, "actor": "dup", "action": "dup"})  # kept once
    db.record_authz_decision({"event_id": "d1", "created_at": 5, "actor": "u1", "action": "access.denied",
                              "target": "GET /agents", "token_ref": "jti-1", "required": '["agents:read"]',
                              "scopes": "[]"})
    out.append([e["event_id"] for e in db.read_authz_audit_events()])
    out.append([e["event_id"] for e in db.read_authz_audit_events(search="ADMIN1", order="asc")])
    out.append([e["event_id"] for e in db.read_authz_audit_events(limit=2, offset=1, sort_by="event_id", order="asc")])
    out.append(db.read_authz_audit_events(decisions=True))
    out.append([db.count_authz_audit_events(), db.count_authz_audit_events(search="u2"),
                db.count_authz_audit_events(decisions=True, search="agents")])
    return out


def test_the_same_calls_answer_as_agnos_sqlite_db(db: SqlDb, agno_db: AgnoSqliteDb) -> None:
    assert scenario(db) == scenario(agno_db)


def test_concurrent_role_replacements_leave_exactly_one_role(db: SqlDb) -> None:
    roles = [f"r{i}" for i in range(6)]
    barrier = threading.Barrier(len(roles))
    errors: list[BaseException] = []

    def replace(role: str) -> None:
        try:
            barrier.wait()
            db.replace_authz_subject_roles("carol", role)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=replace, args=(r,)) for r in roles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(db.get_authz_direct_roles("carol")) == 1


def test_concurrent_policy_replacements_leave_one_whole_set(db: SqlDb) -> None:
    sets = [[(f"res{i}", "read", "allow"), (f"res{i}", "write", "allow")] for i in range(5)]
    barrier = threading.Barrier(len(sets))

    def replace(rows: list[tuple[str, str, str]]) -> None:
        barrier.wait()
        db.set_authz_role_policies("ops", rows)

    threads = [threading.Thread(target=replace, args=(rows,)) for rows in sets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(db.get_authz_role_policies("ops")) in [sorted(rows) for rows in sets]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda db: db.get_authz_policies("admin"), "list of strings"),
        (lambda db: db.set_authz_role_policies("r", [("only", "two")]), "resource, action, effect"),
        (lambda db: db.upsert_authz_role_meta("r", {"colour": "red"}), "unknown column"),
        (lambda db: db.upsert_authz_user("u", {"password": "x"}), "unknown column"),
        (lambda db: db.upsert_authz_user("u" * 300, {"disabled": False, "created_at": 1, "updated_at": 1}),
         "id is 300 characters"),
        (lambda db: db.record_authz_audit_event({"event_id": "e"}), "missing required"),
        (lambda db: db.record_authz_decision({"event_id": "e", "created_at": 1, "action": "a", "x": 1}),
         "unknown column"),
        (lambda db: db.list_authz_users(limit=-1), "limit"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(db: SqlDb, call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(db)
    assert db.list_authz_roles() == [] and db.count_authz_users() == 0 and db.count_authz_audit_events() == 0


def _authorization_story(db: Any) -> list[Any]:
    from agno.os.authz import Authorization

    authz = Authorization(db=db, audit=True)
    authz.define_role("admin", ["agent_os:admin"]).define_role("viewer", ["agents:read", "sessions:read"], default=True,
                                                  name="Viewer", description="Read only")
    authz.seed(admin="alice")
    authz.assign("bob", "viewer", actor="alice")
    authz.set_role("carol", "viewer", actor="alice")
    authz.set_role("carol", "admin", actor="alice")
    out: list[Any] = [authz.list_roles(), authz.roles_of("carol"), authz.roles_of("bob"), authz.default_role(),
                      sorted(authz.admin_subjects()), authz.can_manage("alice"), authz.can_manage("bob"),
                      sorted(authz.get_role_scopes("viewer"))]
    authz.set_role_scopes("viewer", ["agents:read"], actor="alice")
    authz.unassign("bob", "viewer", actor="alice")
    out += [sorted(authz.get_role_scopes("viewer")), authz.roles_of("bob")]
    role = authz.get_role("viewer")
    out.append({k: v for k, v in (role or {}).items() if k not in ("created_at", "updated_at")})
    authz.remove_role("viewer", actor="alice")
    out += [authz.list_roles(), authz.roles_of("carol")]
    log = authz.audit_log(limit=50)
    out.append(sorted((str(e.get("actor")), e.get("action")) for e in (log if isinstance(log, list) else log[0])))
    return out


def test_authorization_works_on_our_db_as_on_agnos(backend: str, fresh_url: URL, agno_db: AgnoSqliteDb) -> None:
    ours = make_db(backend, fresh_url)
    try:
        assert _authorization_story(ours) == _authorization_story(agno_db)
    finally:
        ours.close()

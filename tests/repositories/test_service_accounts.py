"""Service accounts: agno's contract, ownership, the active-name rule, errors raised."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.sqlite import SqliteDb as AgnoSqliteDb

from repositories.core.db import SqlDb


def account(name: str = "ci", *, user_id: str | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()), "name": name, "token_hash": uuid.uuid4().hex, "token_prefix": "agno_sa_ab",
        "scopes": ["agents:read"], "user_id": user_id, "created_at": int(time.time()), "expires_at": None,
        "last_used_at": None, "revoked_at": None, "created_by": user_id, **fields,
    }


@pytest.fixture
def agno_db(tmp_path: Any) -> AgnoSqliteDb:
    return AgnoSqliteDb(db_file=str(tmp_path / "reference.db"))


def test_create_and_every_lookup_return_agnos_row(db: SqlDb) -> None:
    row = account(user_id="u1")
    assert db.create_service_account(row) == row
    assert db.get_service_account(row["id"]) == row
    assert db.get_service_account_by_token_hash(row["token_hash"]) == row
    assert db.get_service_account_by_name("ci") == row
    assert db.get_service_account("missing") is None
    assert db.get_service_account_by_token_hash("missing") is None


def test_same_calls_give_the_same_results_as_agnos_sqlite_db(db: SqlDb, agno_db: AgnoSqliteDb) -> None:
    base = int(time.time()) - 100
    rows = [account(f"a{i}", user_id=["u1", "u2", None][i % 3], created_at=base + i, expires_at=base + 50 - i)
            for i in range(7)]

    def scenario(target: Any) -> list[Any]:
        out: list[Any] = []
        for row in rows:
            target.create_service_account(dict(row))
        out.append(target.update_service_account(rows[0]["id"], revoked_at=base + 99))
        out.append(target.update_service_account(rows[1]["id"], return_record=False, last_used_at=base + 98))
        out.append(target.update_service_account("missing", last_used_at=1))
        for args in [
            {}, {"include_revoked": False}, {"user_id": "u1"}, {"user_id": "u2", "sort_order": "asc"},
            {"limit": 2, "page": 2}, {"sort_by": "expires_at", "sort_order": "asc"}, {"sort_by": "name"},
            {"sort_by": "token_hash"},  # not sortable: created_at, as agno does
        ]:
            accounts, total = target.get_service_accounts(**args)
            out.append(([a["id"] for a in accounts], total))
        out.append(target.get_service_account(rows[0]["id"], user_id="u2"))
        out.append(target.get_service_account(rows[2]["id"], user_id="u2"))  # workspace-level: visible
        out.append(target.get_service_account_by_name("a0"))
        out.append(target.get_service_account_by_name("a0", include_revoked=True))
        out.append(target.delete_service_account(rows[3]["id"]))
        out.append(target.delete_service_account(rows[3]["id"]))
        return out

    assert scenario(db) == scenario(agno_db)


def test_another_users_account_is_never_returned(db: SqlDb) -> None:
    mine = account("mine", user_id="alice")
    db.create_service_account(mine)
    assert db.get_service_account(mine["id"], user_id="bob") is None
    assert db.get_service_account(mine["id"], user_id="alice") == mine
    assert db.get_service_accounts(user_id="bob") == ([], 0)
    assert db.get_service_account(mine["id"], user_id="ALICE") is None  # exact comparison, also on MySQL


def test_an_active_name_is_unique_and_reusable_after_revocation(db: SqlDb) -> None:
    first = account("deploy")
    db.create_service_account(first)
    with pytest.raises(sa.exc.IntegrityError):  # what agno's router answers with 409
        db.create_service_account(account("deploy"))
    db.update_service_account(first["id"], revoked_at=int(time.time()))
    second = account("deploy")
    db.create_service_account(second)
    assert db.get_service_account_by_name("deploy")["id"] == second["id"]
    with pytest.raises(sa.exc.IntegrityError):
        db.create_service_account(account("other", token_hash=second["token_hash"]))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda db: db.update_service_account("x"), "at least one column"),
        (lambda db: db.update_service_account("x", scopes=["admin"]), "cannot modify"),
        (lambda db: db.update_service_account("x", revoked_at=None), "one-way"),
        (lambda db: db.create_service_account({"id": "x"}), "missing required"),
        (lambda db: db.create_service_account(account(active_name="x")), "unknown column"),
        (lambda db: db.create_service_account(account(name="n" * 300)), "name is 300 characters"),
        (lambda db: db.get_service_accounts(limit=None, page=2), "page"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(db: SqlDb, call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(db)
    assert db.get_service_accounts() == ([], 0)

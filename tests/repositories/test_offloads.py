"""Tool-result index rows and compaction records on every backend: agno's contract and ownership."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from agno.db.sqlite import SqliteDb as AgnoSqliteDb

from repositories import OwnershipError


def tool_row(result_id: str, *, session_id: str = "s1", user_id: str | None = "u1", created_at: int = 100,
             expires_at: int | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "result_id": result_id, "namespace": "tool-results", "path": f"{session_id}/{result_id}.txt",
        "session_id": session_id, "run_id": "r1", "tool_call_id": f"call-{result_id}", "tool_name": "search",
        "args_hash": "abc123", "content_type": "text/plain", "size_bytes": 12, "line_count": 3,
        "preview": "first lines", "user_id": user_id, "created_at": created_at, "expires_at": expires_at, **fields,
    }


def compaction_row(compaction_id: str, *, session_id: str = "s1", user_id: str | None = "u1", created_at: int = 100,
                   archived: str | None = "user: hello\nassistant: hi", **fields: Any) -> dict[str, Any]:
    return {
        "compaction_id": compaction_id, "session_id": session_id, "run_id": "r1", "user_id": user_id,
        "first_kept_message_id": "m9", "summary": "They greeted.", "archived_messages": archived,
        "messages_compacted": 8, "tokens_before": 900, "tokens_after": 100, "created_at": created_at, **fields,
    }


# --- tool results -----------------------------------------------------------------------------


def test_tool_result_round_trip_and_replace(db: Any) -> None:
    db.upsert_tool_result(tool_row("t1", preview="x" * 70_000))
    assert db.get_tool_result("t1") == tool_row("t1", preview="x" * 70_000)
    db.upsert_tool_result(tool_row("t1", preview="new", size_bytes=3))
    stored = db.get_tool_result("t1")
    assert stored is not None and stored["preview"] == "new" and stored["size_bytes"] == 3
    assert db.get_tool_result("missing") is None


def test_tool_results_for_session_newest_first_with_limit(db: Any) -> None:
    db.upsert_tool_result(tool_row("a", created_at=100))
    db.upsert_tool_result(tool_row("b", created_at=300))
    db.upsert_tool_result(tool_row("c", created_at=200))
    db.upsert_tool_result(tool_row("other", session_id="s2", created_at=400))
    assert [r["result_id"] for r in db.get_tool_results_for_session("s1")] == ["b", "c", "a"]
    assert [r["result_id"] for r in db.get_tool_results_for_session("s1", limit=2)] == ["b", "c"]
    assert db.get_tool_results_for_session("nobody") == []


def test_expired_and_deleted_tool_results(db: Any) -> None:
    db.upsert_tool_result(tool_row("old", expires_at=50))
    db.upsert_tool_result(tool_row("edge", expires_at=100))
    db.upsert_tool_result(tool_row("later", expires_at=500))
    db.upsert_tool_result(tool_row("forever", expires_at=None))
    assert [r["result_id"] for r in db.get_expired_tool_results(100)] == ["old", "edge"]
    assert db.delete_tool_results(["old", "edge", "missing"]) == 2
    assert db.delete_tool_results([]) == 0
    assert db.get_expired_tool_results(10_000)[0]["result_id"] == "later"


def test_two_result_ids_never_share_a_payload(db: Any) -> None:
    db.upsert_tool_result(tool_row("t1"))
    with pytest.raises(Exception):
        db.upsert_tool_result(tool_row("t2", path="s1/t1.txt"))
    assert db.get_tool_result("t2") is None


def test_another_users_tool_result_is_never_changed(db: Any) -> None:
    db.upsert_tool_result(tool_row("t1", user_id="alice", preview="alice's"))
    with pytest.raises(OwnershipError):
        db.upsert_tool_result(tool_row("t1", user_id="bob", preview="bob's"))
    with pytest.raises(OwnershipError):
        db.upsert_tool_result(tool_row("t1", user_id=None, preview="anyone's"))
    assert db.get_tool_result("t1")["preview"] == "alice's"


def test_bad_tool_result_rows_are_refused(db: Any) -> None:
    with pytest.raises(ValueError, match="no column"):
        db.upsert_tool_result(tool_row("t1", colour="red"))
    with pytest.raises(ValueError, match="result_id"):
        db.upsert_tool_result(tool_row(""))
    with pytest.raises(ValueError, match="now"):
        db.get_expired_tool_results("soon")
    assert db.get_tool_results_for_session("s1") == []


# --- compactions ------------------------------------------------------------------------------


@pytest.fixture
def sync_db(db: Any, flavour: str) -> Any:
    if flavour == "async":
        pytest.skip("compaction records are sync-only, as in agno (test_compaction_records_are_sync_only_as_in_agno)")
    return db


def test_compaction_records_are_written_once(sync_db: Any) -> None:
    db = sync_db
    db.upsert_compaction(compaction_row("c1", archived="a" * 100_000))
    db.upsert_compaction(compaction_row("c1", summary="rewritten"))  # immutable: a no-op
    stored = db.get_compaction("c1")
    assert stored == compaction_row("c1", archived="a" * 100_000)
    assert db.get_compaction("missing") is None


def test_compactions_for_session_newest_first_and_deleted_per_session(sync_db: Any) -> None:
    db = sync_db
    db.upsert_compaction(compaction_row("c1", created_at=100))
    db.upsert_compaction(compaction_row("c2", created_at=300))
    db.upsert_compaction(compaction_row("c3", created_at=200, archived=None))
    db.upsert_compaction(compaction_row("x", session_id="s2"))
    assert [r["compaction_id"] for r in db.get_compactions_for_session("s1")] == ["c2", "c3", "c1"]
    assert [r["compaction_id"] for r in db.get_compactions_for_session("s1", limit=1)] == ["c2"]
    assert db.delete_compactions_for_session("s1") == 3
    assert db.get_compactions_for_session("s1") == []
    assert db.get_compaction("x") is not None


def test_search_compactions_within_one_session(sync_db: Any) -> None:
    db = sync_db
    db.upsert_compaction(compaction_row("c1", created_at=100, archived="user: the Invoice ZX-42 is late"))
    db.upsert_compaction(compaction_row("c2", created_at=200, archived="user: ship to Berlin"))
    db.upsert_compaction(compaction_row("c3", created_at=300, archived="user: 100% sure_thing"))
    db.upsert_compaction(compaction_row("c4", created_at=400, archived=None))
    db.upsert_compaction(compaction_row("x", session_id="s2", archived="invoice zx-42 elsewhere"))
    ids = lambda rows: [r["compaction_id"] for r in rows]  # noqa: E731
    assert ids(db.search_compactions("s1", "invoice zx-42")) == ["c1"]
    assert ids(db.search_compactions("s1", ["berlin", "INVOICE"])) == ["c2", "c1"]
    assert ids(db.search_compactions("s1", ["berlin", "INVOICE"], limit=1)) == ["c2"]
    assert ids(db.search_compactions("s1", "0% s")) == ["c3"]
    assert ids(db.search_compactions("s1", "_")) == ["c3"]  # literal, not a wildcard
    assert db.search_compactions("s1", "") == [] and db.search_compactions("s1", []) == []


def test_another_users_compaction_id_is_refused(sync_db: Any) -> None:
    db = sync_db
    db.upsert_compaction(compaction_row("c1", user_id="alice"))
    with pytest.raises(OwnershipError):
        db.upsert_compaction(compaction_row("c1", user_id="bob", session_id="s9"))
    assert db.get_compaction("c1")["user_id"] == "alice"
    assert db.get_compactions_for_session("s9") == []


def test_compaction_records_are_sync_only_as_in_agno(db: Any) -> None:
    """agno calls these without await; an async db must not offer them (agno's async dbs do not)."""
    from agno.compaction.archive import stores_compaction_records

    from tests.repositories.conftest import Blocking

    is_async = isinstance(db, Blocking)
    assert stores_compaction_records(db._db if is_async else db) is not is_async


def test_shapes_match_agnos_own_sqlite_db(db: Any, tmp_path: Path) -> None:
    reference = AgnoSqliteDb(db_file=str(tmp_path / "agno-reference.db"))

    def scenario(target: Any) -> dict[str, Any]:
        target.upsert_tool_result(tool_row("t1", created_at=100, expires_at=150))
        target.upsert_tool_result(tool_row("t2", created_at=200))
        target.upsert_tool_result(tool_row("t1", created_at=100, expires_at=150, preview="changed"))
        result: dict[str, Any] = {
            "get": target.get_tool_result("t1"),
            "missing": target.get_tool_result("nope"),
            "session": target.get_tool_results_for_session("s1"),
            "expired": target.get_expired_tool_results(160),
            "deleted": target.delete_tool_results(["t1", "nope"]),
            "left": target.get_tool_results_for_session("s1"),
        }
        if hasattr(target, "upsert_compaction"):  # sync classes only, as in agno
            target.upsert_compaction(compaction_row("c1", created_at=100, archived="user: Berlin"))
            target.upsert_compaction(compaction_row("c2", created_at=200, archived=None))
            result |= {
                "compaction": target.get_compaction("c1"),
                "compactions": target.get_compactions_for_session("s1"),
                "search": target.search_compactions("s1", ["berlin"]),
                "deleted_compactions": target.delete_compactions_for_session("s1"),
            }
        return result

    ours, theirs = scenario(db), scenario(reference)
    assert ours == {k: v for k, v in theirs.items() if k in ours}
    assert ours["get"]["preview"] == "changed" and ours["left"][0]["result_id"] == "t2"

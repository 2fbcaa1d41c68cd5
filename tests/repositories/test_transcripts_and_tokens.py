"""External-agent transcripts and OAuth tokens on every backend: agno's contract, concurrency,
ownership, and the same answers as agno's own SqliteDb."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from agno.db.sqlite import SqliteDb as AgnoSqliteDb

FW, PROJECT = "claude", "-home-ada-project"


def entries(*uuids: str | None, text: str = "hi") -> list[dict[str, Any]]:
    return [{"uuid": u, "type": "user", "message": {"text": f"{text} {u}", "emoji": "é☃"}} for u in uuids]


# --- transcripts ------------------------------------------------------------------------------


def test_entries_come_back_in_append_order_once_per_uuid(db: Any) -> None:
    db.append_transcript_entries(FW, PROJECT, "s1", entries("a", "b"), agno_session_id="as1")
    db.append_transcript_entries(FW, PROJECT, "s1", entries("b", "c", None, "c"), agno_session_id="as1")
    db.append_transcript_entries(FW, PROJECT, "s1", [], agno_session_id="as1")
    got = db.get_transcript_entries(FW, PROJECT, "s1")
    assert [e["uuid"] for e in got] == ["a", "b", "c", None]
    assert got[0] == entries("a")[0]
    assert db.get_transcript_entries(FW, PROJECT, "s2") == []
    assert db.get_transcript_entries(FW, "other-project", "s1") == []


def test_subpaths_sessions_and_deletes(db: Any) -> None:
    db.append_transcript_entries(FW, PROJECT, "s1", entries("m1"), agno_session_id="as1")
    db.append_transcript_entries(FW, PROJECT, "s1", entries("x1"), agno_session_id="as1", subpath="subagents/b.jsonl")
    db.append_transcript_entries(FW, PROJECT, "s1", entries("y1"), agno_session_id="as1", subpath="subagents/a.jsonl")
    db.append_transcript_entries(FW, PROJECT, "s2", entries("m2"), agno_session_id="as2")
    db.append_transcript_entries(FW, PROJECT, "s3", entries("sub"), agno_session_id="as3", subpath="only-sub")
    assert [e["uuid"] for e in db.get_transcript_entries(FW, PROJECT, "s1", subpath="subagents/b.jsonl")] == ["x1"]
    assert db.list_transcript_subpaths(FW, PROJECT, "s1") == ["subagents/a.jsonl", "subagents/b.jsonl"]
    sessions = db.list_transcript_sessions(FW, PROJECT)
    assert [s["session_id"] for s in sessions] == ["s1", "s2"]  # main transcripts only
    assert all(isinstance(s["mtime"], int) and s["mtime"] > 1_600_000_000_000 for s in sessions)  # epoch ms

    db.delete_transcript(FW, PROJECT, "s1", subpath="subagents/a.jsonl")
    assert db.list_transcript_subpaths(FW, PROJECT, "s1") == ["subagents/b.jsonl"]
    db.delete_transcript(FW, PROJECT, "s1")  # the main transcript and all its subpaths
    assert db.get_transcript_entries(FW, PROJECT, "s1") == [] and db.list_transcript_subpaths(FW, PROJECT, "s1") == []
    assert [s["session_id"] for s in db.list_transcript_sessions(FW, PROJECT)] == ["s2"]


def test_concurrent_appends_never_collide(db: Any) -> None:
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            for batch in range(5):
                db.append_transcript_entries(FW, PROJECT, "busy", entries(f"w{worker}-{batch}"), agno_session_id="as")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=append, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = [e["uuid"] for e in db.get_transcript_entries(FW, PROJECT, "busy")]
    assert sorted(got) == sorted(f"w{w}-{b}" for w in range(4) for b in range(5))
    for w in range(4):  # each writer's entries stay in its order
        mine = [u for u in got if u.startswith(f"w{w}-")]
        assert mine == [f"w{w}-{b}" for b in range(5)]


def test_deleting_the_agno_session_deletes_its_transcripts(db: Any) -> None:
    from agno.session import AgentSession

    db.upsert_session(AgentSession(session_id="as1", agent_id="a", user_id="u1", created_at=1, updated_at=1))
    db.append_transcript_entries(FW, PROJECT, "ext-1", entries("a"), agno_session_id="as1")
    db.append_transcript_entries(FW, PROJECT, "ext-2", entries("b"), agno_session_id="other")
    assert db.delete_session("as1", user_id="u2") is False  # not u2's: nothing goes
    assert db.get_transcript_entries(FW, PROJECT, "ext-1") != []
    assert db.delete_session("as1", user_id="u1") is True
    assert db.get_transcript_entries(FW, PROJECT, "ext-1") == []
    assert db.get_transcript_entries(FW, PROJECT, "ext-2") != []


def test_bad_transcript_arguments_are_refused(db: Any) -> None:
    with pytest.raises(ValueError, match="entries"):
        db.append_transcript_entries(FW, PROJECT, "s1", "not a list", agno_session_id="as1")
    with pytest.raises(ValueError, match="framework"):
        db.append_transcript_entries("", PROJECT, "s1", entries("a"), agno_session_id="as1")
    with pytest.raises(ValueError, match="session_id"):
        db.get_transcript_entries(FW, PROJECT, None)
    assert db.list_transcript_sessions(FW, PROJECT) == []


# --- auth tokens ------------------------------------------------------------------------------


def token(user_id: str | None, data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"provider": "google", "user_id": user_id, "service": "gmail", "token_data": data, **fields}


def test_auth_token_round_trip_update_and_delete(db: Any) -> None:
    first = db.upsert_auth_token(token("u1", {"access": "a1"}, granted_scopes=["mail.read"]))
    assert first["user_id"] == "u1" and first["token_data"] == {"access": "a1"}
    second = db.upsert_auth_token(token("u1", {"access": "a2"}, granted_scopes=["mail.read", "mail.send"]))
    assert second["id"] == first["id"] and second["created_at"] == first["created_at"]  # one row, updated
    stored = db.get_auth_token("google", "u1", "gmail")
    assert stored == second and stored["token_data"] == {"access": "a2"}
    assert stored["granted_scopes"] == ["mail.read", "mail.send"]
    assert db.get_auth_token("google", "u1", "calendar") is None
    assert db.delete_auth_token("google", "u1", "gmail") is True
    assert db.delete_auth_token("google", "u1", "gmail") is False
    assert db.get_auth_token("google", "u1", "gmail") is None


def test_auth_tokens_are_per_user(db: Any) -> None:
    db.upsert_auth_token(token("u1", {"access": "alice"}))
    db.upsert_auth_token(token(None, {"access": "single-user"}))  # single-user mode is user ""
    assert db.get_auth_token("google", "u2", "gmail") is None
    assert db.delete_auth_token("google", "u2", "gmail") is False
    db.upsert_auth_token(token("u2", {"access": "bob"}))
    assert db.get_auth_token("google", "u1", "gmail")["token_data"] == {"access": "alice"}
    assert db.get_auth_token("google", None, "gmail")["token_data"] == {"access": "single-user"}
    assert db.get_auth_token("google", "", "gmail")["user_id"] == ""
    assert db.get_auth_token("google", "U1", "gmail") is None  # ids compare exactly


def test_bad_tokens_are_refused(db: Any) -> None:
    with pytest.raises(ValueError, match="token_data"):
        db.upsert_auth_token({"provider": "google", "user_id": "u1", "service": "gmail"})
    with pytest.raises(ValueError, match="provider"):
        db.upsert_auth_token(token("u1", {"a": 1}, provider=""))
    with pytest.raises(ValueError, match="no column"):
        db.upsert_auth_token(token("u1", {"a": 1}, colour="red"))
    assert db.get_auth_token("google", "u1", "gmail") is None


def test_shapes_match_agnos_own_sqlite_db(db: Any, tmp_path: Path) -> None:
    reference = AgnoSqliteDb(db_file=str(tmp_path / "agno-reference.db"))

    def scenario(target: Any) -> dict[str, Any]:
        target.append_transcript_entries(FW, PROJECT, "s1", entries("a", "b"), agno_session_id="as1")
        target.append_transcript_entries(FW, PROJECT, "s1", entries("b", "c"), agno_session_id="as1")
        target.append_transcript_entries(FW, PROJECT, "s1", entries("z"), agno_session_id="as1", subpath="sub/1")
        sessions = target.list_transcript_sessions(FW, PROJECT)
        result = {
            "entries": target.get_transcript_entries(FW, PROJECT, "s1"),
            "sub": target.get_transcript_entries(FW, PROJECT, "s1", subpath="sub/1"),
            "sessions": [(sorted(s), s["session_id"]) for s in sessions],
            "subpaths": target.list_transcript_subpaths(FW, PROJECT, "s1"),
            "deleted": target.delete_transcript(FW, PROJECT, "s1", subpath="sub/1"),
            "after": target.list_transcript_subpaths(FW, PROJECT, "s1"),
        }
        target.upsert_auth_token(token("u1", {"access": "a1"}, granted_scopes=["x"]))
        stored = target.get_auth_token("google", "u1", "gmail")
        result |= {
            "token_columns": sorted(stored),
            "token": {k: stored[k] for k in ("provider", "user_id", "service", "token_data", "granted_scopes")},
            "missing_token": target.get_auth_token("google", "nobody", "gmail"),
            "token_deleted": target.delete_auth_token("google", "u1", "gmail"),
        }
        return result

    assert scenario(db) == scenario(reference)

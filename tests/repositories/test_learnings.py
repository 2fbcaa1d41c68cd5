"""Learnings on every backend: agno's storage contract, ownership, SQL search, lists and user stats."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.sqlite import SqliteDb as AgnoSqliteDb
from sqlalchemy.dialects.postgresql import JSONB

from repositories import OwnershipError
from repositories.core.db import SqlDb

COLUMNS = sorted([
    "learning_id", "learning_type", "namespace", "user_id", "agent_id", "team_id", "workflow_id", "session_id",
    "entity_id", "entity_type", "content", "metadata", "created_at", "updated_at",
])


def add(db: Any, id: str, content: dict[str, Any] | None = None, *, learning_type: str = "user_profile",
        **fields: Any) -> None:
    db.upsert_learning(id=id, learning_type=learning_type, content=content if content is not None else {"id": id},
                       **fields)


def set_times(db: Any, id: str, *, created_at: int, updated_at: int | None) -> None:
    """Give a row fixed timestamps (writes happen within one second otherwise)."""
    table = db._get_table("learnings") if type(db) is AgnoSqliteDb else db.tables.learnings
    engine = db.db_engine if type(db) is AgnoSqliteDb else db._engine_for_queries()
    with engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.learning_id == id).values(created_at=created_at,
                                                                              updated_at=updated_at))


def set_column(db: SqlDb, id: str, **values: Any) -> None:
    """What an external writer might set (upsert_learning never writes workflow_id)."""
    table = db.tables.learnings
    with db._engine_for_queries().begin() as conn:
        conn.execute(sa.update(table).where(table.c.learning_id == id).values(**values))


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["learning_id"] for r in rows]


# --- single learnings -------------------------------------------------------------------------


def test_round_trip_keeps_every_field(db: SqlDb) -> None:
    before = int(time.time())
    db.upsert_learning(id="l1", learning_type="entity_memory", content={"name": "Sarah Chen", "n": 1, "é": ["ü"]},
                       user_id="u1", agent_id="a1", team_id="t1", session_id="s1", namespace="user",
                       entity_id="e1", entity_type="person", metadata={"source": "test"})
    row = db.get_learning_by_id("l1")
    assert row is not None and sorted(row) == COLUMNS
    assert row["content"] == {"name": "Sarah Chen", "n": 1, "é": ["ü"]}
    assert row["metadata"] == {"source": "test"}
    assert (row["learning_type"], row["user_id"], row["agent_id"], row["team_id"], row["session_id"]) == (
        "entity_memory", "u1", "a1", "t1", "s1")
    identity = (row["namespace"], row["entity_id"], row["entity_type"], row["workflow_id"])
    assert identity == ("user", "e1", "person", None)
    assert isinstance(row["created_at"], int) and row["created_at"] >= before
    assert row["updated_at"] == row["created_at"]
    assert db.get_learning_by_id("missing") is None


def test_get_learning_returns_only_the_content(db: SqlDb) -> None:
    add(db, "p1", {"name": "Ann"}, user_id="u1")
    assert db.get_learning("user_profile", user_id="u1") == {"content": {"name": "Ann"}}
    assert db.get_learning(learning_type="user_profile", user_id="u2") is None
    assert db.get_learning(learning_type="session_context", user_id="u1") is None


def test_get_learning_applies_every_filter(db: SqlDb) -> None:
    scope = dict(user_id="u1", agent_id="a1", team_id="t1", session_id="s1", namespace="ns", entity_id="e1",
                 entity_type="person")
    add(db, "x", {"v": "x"}, learning_type="entity_memory", **scope)
    assert db.get_learning("entity_memory", **scope) == {"content": {"v": "x"}}
    for name in scope:
        assert db.get_learning("entity_memory", **{**scope, name: "other"}) is None, name
    assert db.get_learning("entity_memory", entity_id="e1") == {"content": {"v": "x"}}


def test_get_learning_prefers_the_most_recently_updated_match(db: SqlDb) -> None:
    add(db, "old", {"v": "old"}, user_id="u1")
    add(db, "new", {"v": "new"}, user_id="u1")
    add(db, "never-updated", {"v": "never"}, user_id="u1")
    set_times(db, "old", created_at=100, updated_at=300)
    set_times(db, "new", created_at=100, updated_at=500)
    set_times(db, "never-updated", created_at=400, updated_at=None)
    assert db.get_learning("user_profile", user_id="u1") == {"content": {"v": "new"}}
    set_times(db, "new", created_at=100, updated_at=200)
    # A row never updated counts from its creation time (400 > 300).
    assert db.get_learning("user_profile", user_id="u1") == {"content": {"v": "never"}}


def test_upsert_updates_content_but_never_identity_or_creation_time(db: SqlDb) -> None:
    add(db, "l1", {"v": 1}, user_id="u1", agent_id="a1", namespace="user", metadata={"m": 1})
    set_times(db, "l1", created_at=100, updated_at=100)
    db.upsert_learning(id="l1", learning_type="other_type", content={"v": 2}, user_id="u1", agent_id="a2",
                       namespace="global", metadata=None)
    row = db.get_learning_by_id("l1")
    assert row is not None
    assert row["content"] == {"v": 2} and row["metadata"] is None
    assert (row["learning_type"], row["agent_id"], row["namespace"]) == ("user_profile", "a1", "user")
    assert row["created_at"] == 100 and row["updated_at"] >= int(time.time()) - 5


@pytest.mark.parametrize(("owner", "intruder"), [("alice", "bob"), ("alice", None), (None, "bob")])
def test_upsert_never_changes_a_row_of_another_owner(db: SqlDb, owner: str | None, intruder: str | None) -> None:
    add(db, "l1", {"secret": owner}, user_id=owner, metadata={"m": 1})
    set_times(db, "l1", created_at=100, updated_at=100)
    with pytest.raises(OwnershipError) as raised:
        add(db, "l1", {"stolen": True}, user_id=intruder, metadata=None)
    assert "alice" not in str(raised.value) and "bob" not in str(raised.value)
    row = db.get_learning_by_id("l1")
    assert row is not None
    assert (row["content"], row["metadata"], row["user_id"]) == ({"secret": owner}, {"m": 1}, owner)
    assert row["updated_at"] == 100


def test_upsert_by_the_same_owner_or_without_owners_updates(db: SqlDb) -> None:
    add(db, "mine", {"v": 1}, user_id="alice")
    add(db, "mine", {"v": 2}, user_id="alice")
    add(db, "shared", {"v": 1})
    add(db, "shared", {"v": 2})
    assert db.get_learning_by_id("mine")["content"] == {"v": 2}  # type: ignore[index]
    assert db.get_learning_by_id("shared")["content"] == {"v": 2}  # type: ignore[index]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"id": "", "learning_type": "t", "content": {}}, "id"),
    ({"id": None, "learning_type": "t", "content": {}}, "id"),
    ({"id": "x", "learning_type": "", "content": {}}, "learning_type"),
    ({"id": "x", "learning_type": "t", "content": None}, "content"),
    ({"id": "x", "learning_type": "t", "content": ["not", "a", "dict"]}, "content"),
    ({"id": "x", "learning_type": "t", "content": {}, "metadata": "text"}, "metadata"),
])
def test_upsert_refuses_bad_arguments_before_writing(db: SqlDb, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        db.upsert_learning(**kwargs)
    assert db.get_learnings() == []


def test_update_learning_updates_only_existing_rows(db: SqlDb) -> None:
    add(db, "l1", {"v": 1}, user_id="u1", metadata={"m": 1})
    set_times(db, "l1", created_at=100, updated_at=100)
    assert db.update_learning("l1", content={"v": 2}) is True
    row = db.get_learning_by_id("l1")
    assert row is not None
    assert (row["content"], row["metadata"], row["user_id"], row["created_at"]) == ({"v": 2}, None, "u1", 100)
    assert row["updated_at"] >= int(time.time()) - 5
    # The same values again in the same second still count as matched (MySQL reports found rows).
    assert db.update_learning("l1", content={"v": 2}) is True
    assert db.update_learning("l1", content={"v": 2}, metadata={"m": 2}) is True
    assert db.get_learning_by_id("l1")["metadata"] == {"m": 2}  # type: ignore[index]
    assert db.update_learning("missing", content={"v": 1}) is False
    assert db.get_learning_by_id("missing") is None
    with pytest.raises(ValueError, match="content"):
        db.update_learning("l1", content=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="metadata"):
        db.update_learning("l1", content={}, metadata=[1])  # type: ignore[arg-type]
    assert db.get_learning_by_id("l1")["content"] == {"v": 2}  # type: ignore[index]


def test_delete_learning(db: SqlDb) -> None:
    add(db, "l1")
    add(db, "l2")
    assert db.delete_learning("l1") is True
    assert db.delete_learning("l1") is False
    assert db.get_learning_by_id("l1") is None
    assert ids(db.get_learnings()) == ["l2"]


def test_delete_user_learnings_touches_only_that_users_rows(db: SqlDb) -> None:
    add(db, "a-profile", user_id="alice")
    add(db, "a-memory", learning_type="user_memory", user_id="alice")
    add(db, "a-ctx", learning_type="session_context", user_id="alice")
    add(db, "b-profile", user_id="bob")
    add(db, "global", learning_type="user_memory")
    assert db.delete_user_learnings("alice", learning_type="user_memory") == 1
    assert sorted(ids(db.get_learnings(user_id="alice"))) == ["a-ctx", "a-profile"]
    assert db.delete_user_learnings("alice") == 2
    assert db.delete_user_learnings("alice") == 0
    assert sorted(ids(db.get_learnings())) == ["b-profile", "global"]
    with pytest.raises(ValueError, match="user_id"):
        db.delete_user_learnings(None)  # type: ignore[arg-type]
    assert sorted(ids(db.get_learnings())) == ["b-profile", "global"]


# --- get_learnings ----------------------------------------------------------------------------


def test_get_learnings_filters_orders_and_limits(db: SqlDb) -> None:
    add(db, "a", learning_type="user_profile", user_id="u1", agent_id="ag1")
    add(db, "b", learning_type="user_memory", user_id="u1", team_id="t1", namespace="user")
    add(db, "c", learning_type="entity_memory", namespace="global", entity_id="e1", entity_type="person",
        session_id="s1")
    add(db, "d", learning_type="entity_memory", namespace="global", entity_id="e2", entity_type="company")
    for id, created, updated in (("a", 100, 400), ("b", 100, 300), ("c", 100, 200), ("d", 350, None)):
        set_times(db, id, created_at=created, updated_at=updated)

    assert ids(db.get_learnings()) == ["a", "d", "b", "c"]
    assert ids(db.get_learnings(limit=2)) == ["a", "d"]
    assert ids(db.get_learnings(limit=0)) == []
    assert ids(db.get_learnings(learning_type="entity_memory")) == ["d", "c"]
    assert ids(db.get_learnings(user_id="u1")) == ["a", "b"]
    assert ids(db.get_learnings(agent_id="ag1")) == ["a"]
    assert ids(db.get_learnings(team_id="t1")) == ["b"]
    assert ids(db.get_learnings(session_id="s1")) == ["c"]
    assert ids(db.get_learnings(namespace="global")) == ["d", "c"]
    assert ids(db.get_learnings(entity_id="e2")) == ["d"]
    assert ids(db.get_learnings(entity_type="person")) == ["c"]
    assert ids(db.get_learnings(user_id="nobody")) == []
    rows = db.get_learnings(user_id="u1")
    assert all(sorted(r) == COLUMNS for r in rows)
    with pytest.raises(ValueError, match="limit"):
        db.get_learnings(limit=-1)


# --- search -----------------------------------------------------------------------------------


def test_search_matches_case_insensitively_across_spaces_underscores_and_hyphens(db: SqlDb) -> None:
    add(db, "sarah", {"name": "Sarah Chen", "aliases": ["sarah_chen"]}, learning_type="entity_memory")
    add(db, "slug", {"name": "bob", "key": "SARAH-CHEN"}, learning_type="entity_memory")
    add(db, "tenant", {"note": "Multi Tenant setup"}, learning_type="entity_memory")
    add(db, "other", {"name": "Someone Else"}, learning_type="entity_memory")
    for n, id in enumerate(["sarah", "slug", "tenant", "other"]):
        set_times(db, id, created_at=100, updated_at=1000 - n)

    assert ids(db.search_learnings("sarah chen")) == ["sarah", "slug"]
    assert ids(db.search_learnings("SARAH_CHEN")) == ["sarah", "slug"]
    assert ids(db.search_learnings("multi-tenant")) == ["tenant"]
    assert ids(db.search_learnings("sarah chen", limit=1)) == ["sarah"]
    assert db.search_learnings("nobody at all") == []
    # The entity store's anchored probes: the JSON name field and the quoted value.
    assert ids(db.search_learnings('name": "Sarah Chen')) == ["sarah"]
    assert ids(db.search_learnings('"sarah_chen"')) == ["sarah", "slug"]
    # One separator matches one character: a doubled one is a different word.
    add(db, "doubled", {"key": "sarah__chen"})
    assert "doubled" not in ids(db.search_learnings("sarah chen"))
    rows = db.search_learnings("sarah chen")
    assert all(sorted(r) == COLUMNS for r in rows) and rows[0]["content"]["name"] == "Sarah Chen"


def test_search_treats_wildcards_and_backslashes_literally(db: SqlDb) -> None:
    add(db, "pct", {"note": "100% sure"})
    add(db, "plain", {"note": "1000 sure"})
    add(db, "path", {"note": "C:\\temp"})
    assert ids(db.search_learnings("100%")) == ["pct"]
    assert db.search_learnings("%") == []
    assert db.search_learnings("  _ %  ") == []
    assert db.search_learnings("") == []
    assert ids(db.search_learnings("C:\\temp")) == ["path"]
    add(db, "glob", {"expr": "a*b?[c]"})
    add(db, "near", {"expr": "axxb?[c] and a*bx[c]"})
    assert ids(db.search_learnings("a*b?[c]")) == ["glob"]
    assert ids(db.search_learnings("A*B?[C]")) == ["glob"]
    with pytest.raises(ValueError, match="query"):
        db.search_learnings(None)  # type: ignore[arg-type]


def test_search_folds_case_of_non_ascii_text_but_not_accents(db: SqlDb) -> None:
    add(db, "cafe", {"place": "Café Müller"})
    add(db, "plain", {"place": "Cafe Muller"})
    add(db, "greek", {"word": "Σοφία"})
    assert ids(db.search_learnings("Café Müller")) == ["cafe"]
    assert ids(db.search_learnings("café müller")) == ["cafe"]
    assert ids(db.search_learnings("CAFÉ MÜLLER")) == ["cafe"]
    assert ids(db.search_learnings("cafe muller")) == ["plain"]
    assert ids(db.search_learnings("ΣΟΦΊΑ")) == ["greek"]


def test_search_finds_content_stored_with_json_escapes(db: SqlDb, backend: str) -> None:
    # agno's own SQLite adapter writes ensure_ascii JSON ("Caf\u00e9"); rows it wrote stay findable.
    add(db, "escaped", {"place": "x"})
    add(db, "other", {"place": "Cafeteria"})
    raw = sa.bindparam("doc", '{"place": "Caf\\u00e9 M\\u00fcller"}', type_=sa.Text)  # written as is, not re-encoded
    document = sa.cast(raw, JSONB) if backend == "postgresql" else raw
    table = db.tables.learnings
    with db._engine_for_queries().begin() as conn:
        conn.execute(sa.update(table).where(table.c.learning_id == "escaped").values({table.c.content: document}))
    assert db.get_learning_by_id("escaped")["content"] == {"place": "Café Müller"}  # type: ignore[index]
    assert ids(db.search_learnings("café müller")) == ["escaped"]


def test_search_applies_every_filter(db: SqlDb) -> None:
    scope = dict(learning_type="entity_memory", user_id="u1", agent_id="a1", team_id="t1", session_id="s1",
                 namespace="user", entity_id="e1", entity_type="person")
    add(db, "hit", {"name": "Target"}, **scope)
    add(db, "unscoped", {"name": "Target"}, learning_type="entity_memory")
    set_column(db, "hit", workflow_id="w1")
    assert sorted(ids(db.search_learnings("target"))) == ["hit", "unscoped"]
    assert ids(db.search_learnings("target", workflow_id="w1", **scope)) == ["hit"]
    for name in [*scope, "workflow_id"]:
        assert ids(db.search_learnings("target", **{name: "other"})) == [], name
    with pytest.raises(ValueError, match="limit"):
        db.search_learnings("target", limit=-5)


# --- list_learnings ---------------------------------------------------------------------------


def seed_list(db: SqlDb) -> None:
    for n in range(5):
        add(db, f"a{n}", {"n": n}, user_id="alice", learning_type="user_memory" if n % 2 else "user_profile")
        set_times(db, f"a{n}", created_at=100 + n, updated_at=200 - n)
    add(db, "b0", user_id="bob")
    add(db, "g0", learning_type="entity_memory", namespace="global")
    set_times(db, "b0", created_at=50, updated_at=500)
    set_times(db, "g0", created_at=60, updated_at=600)


def test_list_learnings_pages_and_counts(db: SqlDb) -> None:
    seed_list(db)
    rows, total = db.list_learnings(user_id="alice", limit=2, page=1)
    assert (ids(rows), total) == (["a0", "a1"], 5)
    assert all(sorted(r) == COLUMNS for r in rows)
    rows, total = db.list_learnings(user_id="alice", limit=2, page=3)
    assert (ids(rows), total) == (["a4"], 5)
    rows, total = db.list_learnings(user_id="alice", limit=2, page=4)
    assert (ids(rows), total) == ([], 5)
    rows, total = db.list_learnings()
    assert (ids(rows), total) == (["g0", "b0", "a0", "a1", "a2", "a3", "a4"], 7)
    with pytest.raises(ValueError, match="page"):
        db.list_learnings(page=0)


def test_list_learnings_scopes_and_include_global(db: SqlDb) -> None:
    seed_list(db)
    rows, total = db.list_learnings(user_id="alice", include_global=True)
    assert (ids(rows), total) == (["g0", "a0", "a1", "a2", "a3", "a4"], 6)
    assert "b0" not in ids(db.list_learnings(user_id="alice", include_global=True, limit=100)[0])
    rows, total = db.list_learnings(user_id="bob")
    assert (ids(rows), total) == (["b0"], 1)
    # include_global has no effect without a user.
    assert db.list_learnings(include_global=True)[1] == 7
    rows, total = db.list_learnings(user_id="alice", learning_type="user_memory")
    assert (ids(rows), total) == (["a1", "a3"], 2)
    rows, total = db.list_learnings(namespace="global", entity_id=None)
    assert (ids(rows), total) == (["g0"], 1)
    assert db.list_learnings(user_id="nobody") == ([], 0)


def test_list_learnings_sorting(db: SqlDb) -> None:
    seed_list(db)
    rows, _ = db.list_learnings(user_id="alice", sort_by="created_at", sort_order="asc")
    assert ids(rows) == ["a0", "a1", "a2", "a3", "a4"]
    rows, _ = db.list_learnings(user_id="alice", sort_by="created_at")
    assert ids(rows) == ["a4", "a3", "a2", "a1", "a0"]
    rows, _ = db.list_learnings(user_id="alice", sort_by="updated_at", sort_order="asc")
    assert ids(rows) == ["a4", "a3", "a2", "a1", "a0"]
    # AgentOS documents that an unknown sort field falls back to the default (updated_at desc).
    rows, _ = db.list_learnings(user_id="alice", sort_by="no_such_column", sort_order="desc")
    assert ids(rows) == ["a0", "a1", "a2", "a3", "a4"]
    with pytest.raises(ValueError, match="sort_order"):
        db.list_learnings(sort_order="sideways")


# --- user stats -------------------------------------------------------------------------------


def seed_users(db: SqlDb) -> None:
    rows = [("c1", "carol", "user_profile", 100, 900), ("c2", "carol", "user_memory", 100, 150),
            ("a1", "alice", "user_profile", 100, 300), ("a2", "alice", "user_memory", 700, None),
            ("b1", "bob", "user_memory", 100, 500), ("g1", None, "user_profile", 100, 9999)]
    for id, user, kind, created, updated in rows:
        add(db, id, learning_type=kind, user_id=user)
        set_times(db, id, created_at=created, updated_at=updated)


def test_user_stats_group_in_sql_and_skip_unowned_rows(db: SqlDb) -> None:
    seed_users(db)
    stats, total = db.get_learnings_user_stats()
    # alice's newest row was never updated: it counts from its creation (700).
    assert stats == [
        {"user_id": "carol", "last_learning_updated_at": 900},
        {"user_id": "alice", "last_learning_updated_at": 700},
        {"user_id": "bob", "last_learning_updated_at": 500},
    ]
    assert total == 3 and all(type(s["last_learning_updated_at"]) is int for s in stats)
    stats, total = db.get_learnings_user_stats(learning_type="user_memory")
    assert (stats, total) == ([{"user_id": "alice", "last_learning_updated_at": 700},
                               {"user_id": "bob", "last_learning_updated_at": 500},
                               {"user_id": "carol", "last_learning_updated_at": 150}], 3)
    assert db.get_learnings_user_stats(user_id="bob") == ([{"user_id": "bob", "last_learning_updated_at": 500}], 1)
    assert db.get_learnings_user_stats(user_id="nobody") == ([], 0)


def test_user_stats_sort_and_page(db: SqlDb) -> None:
    seed_users(db)
    users = lambda **kw: [s["user_id"] for s in db.get_learnings_user_stats(**kw)[0]]  # noqa: E731
    assert users(sort_by="user_id", sort_order="asc") == ["alice", "bob", "carol"]
    assert users(sort_by="user_id") == ["carol", "bob", "alice"]
    assert users(sort_order="asc") == ["bob", "alice", "carol"]
    assert users(sort_by="user_id", sort_order="asc", limit=2, page=1) == ["alice", "bob"]
    assert users(sort_by="user_id", sort_order="asc", limit=2, page=2) == ["carol"]
    assert users(sort_by="user_id", sort_order="asc", limit=2, page=3) == []
    assert db.get_learnings_user_stats(limit=1, page=3)[1] == 3
    assert users(limit=2) == ["carol", "alice"]
    with pytest.raises(ValueError, match="sort"):
        db.get_learnings_user_stats(sort_by="count")
    with pytest.raises(ValueError, match="sort_order"):
        db.get_learnings_user_stats(sort_order="up")
    with pytest.raises(ValueError, match="page"):
        db.get_learnings_user_stats(page=2)


# --- concurrency ------------------------------------------------------------------------------


def test_concurrent_upserts_by_rival_owners_leave_one_owner_and_its_content(db: SqlDb) -> None:
    errors: list[BaseException] = []
    refused: list[str] = []
    start = threading.Barrier(8)

    def write(n: int) -> None:
        user = f"user{n % 2}"
        start.wait()
        try:
            for k in range(5):
                db.upsert_learning(id="shared-id", learning_type="user_profile", content={"by": user, "k": k},
                                   user_id=user)
        except OwnershipError:
            refused.append(user)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    row = db.get_learning_by_id("shared-id")
    assert row is not None
    owner = row["user_id"]
    assert row["content"]["by"] == owner
    # Every writer of the other user was refused; no writer of the owner was.
    assert sorted(refused) == [u for u in sorted(["user0", "user1"] * 4) if u != owner]
    assert len(db.get_learnings()) == 1


# --- agno's own SqliteDb ----------------------------------------------------------------------


def test_shapes_match_agnos_own_sqlite_db(db: SqlDb, tmp_path: Path) -> None:
    reference = AgnoSqliteDb(db_file=str(tmp_path / "agno-reference.db"))

    def scenario(target: Any) -> dict[str, Any]:
        target.upsert_learning(id="p1", learning_type="user_profile", content={"name": "Ann"}, user_id="u1",
                               agent_id="a1", metadata={"m": 1})
        target.upsert_learning(id="e1", learning_type="entity_memory", content={"name": "Sarah Chen"},
                               namespace="global", entity_id="sarah", entity_type="person")
        target.upsert_learning(id="p2", learning_type="user_profile", content={"name": "Bob"}, user_id="u2")
        target.upsert_learning(id="p1", learning_type="user_profile", content={"name": "Ann B"}, user_id="u1",
                               agent_id="a1")
        set_times(target, "p1", created_at=100, updated_at=300)
        set_times(target, "e1", created_at=100, updated_at=200)
        set_times(target, "p2", created_at=100, updated_at=250)
        listed, total = target.list_learnings(user_id="u1", include_global=True, limit=10, page=1)
        stats = target.get_learnings_user_stats(limit=10, page=1)
        result = {
            "get": target.get_learning("user_profile", user_id="u1"),
            "get_missing": target.get_learning("user_profile", user_id="nobody"),
            "by_id": target.get_learning_by_id("p1"),
            "by_id_missing": target.get_learning_by_id("nope"),
            "get_learnings": target.get_learnings(learning_type="user_profile"),
            "get_learnings_limited": target.get_learnings(limit=1),
            "search": target.search_learnings("sarah_chen"),
            "search_probe": target.search_learnings('name": "Sarah Chen', namespace="global", limit=20),
            "search_empty": target.search_learnings("  "),
            "list": (listed, total),
            "stats": stats,
            "update": target.update_learning("p2", content={"name": "Bobby"}),
            "update_missing": target.update_learning("nope", content={}),
            "delete_user": target.delete_user_learnings("u2"),
            "delete": target.delete_learning("e1"),
            "delete_missing": target.delete_learning("e1"),
            "left": [r["learning_id"] for r in target.get_learnings()],
        }
        return result

    ours, theirs = scenario(db), scenario(reference)
    assert ours == theirs
    assert ours["by_id"]["content"] == {"name": "Ann B"} and ours["left"] == ["p1"]

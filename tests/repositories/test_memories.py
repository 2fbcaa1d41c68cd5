"""User memories on every backend: round trips, filters, paging, stats, topics, ownership, batching.

Where agno's own ``SqliteDb`` answers the same call identically, the results are compared with it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.schemas.memory import UserMemory
from agno.db.sqlite import SqliteDb as AgnoSqliteDb

from repositories import OwnershipError
from repositories.core.db import SqlDb

COLUMNS = {
    "memory_id", "memory", "input", "feedback", "user_id", "agent_id", "team_id", "topics", "created_at", "updated_at",
}


def mem(memory_id: str | None, user_id: str | None = "alice", *, created_at: int = 1_000, **fields: Any) -> UserMemory:
    return UserMemory(
        memory=fields.pop("memory", f"memory {memory_id}"), memory_id=memory_id, user_id=user_id,
        created_at=created_at, **fields,
    )


def ids(memories: Any) -> list[str]:
    if isinstance(memories, tuple):
        memories = memories[0]
    return [m["memory_id"] if isinstance(m, dict) else m.memory_id for m in memories]


def stored_ids(db: SqlDb) -> set[str]:
    records, _ = db.get_user_memories(deserialize=False)
    return {r["memory_id"] for r in records}


@pytest.fixture
def agno_db(tmp_path: Path) -> Iterator[AgnoSqliteDb]:
    reference = AgnoSqliteDb(db_file=str(tmp_path / "agno_reference.db"))
    yield reference
    reference.db_engine.dispose()


# --- round trips ------------------------------------------------------------------------------


def test_upsert_then_get_round_trips_every_field(db: SqlDb) -> None:
    memory = mem(
        "m1", memory="Zürich 東京 🚀 likes tea", topics=["drinks", "東京"], input="said so", feedback="good",
        agent_id="agent-1", team_id="team-1", created_at=1_700_000_000,
    )
    returned = db.upsert_user_memory(memory)
    assert isinstance(returned, UserMemory)
    assert returned.memory == "Zürich 東京 🚀 likes tea" and returned.topics == ["drinks", "東京"]
    assert (returned.input, returned.feedback) == ("said so", "good")
    assert (returned.agent_id, returned.team_id) == ("agent-1", "team-1")
    assert returned.created_at == 1_700_000_000
    # A new memory without updated_at gets its creation time (agno's PostgresDb).
    assert returned.updated_at == 1_700_000_000

    raw = db.get_user_memory("m1", deserialize=False)
    assert isinstance(raw, dict) and set(raw) == COLUMNS
    assert raw["memory"] == "Zürich 東京 🚀 likes tea" and raw["user_id"] == "alice"
    assert db.get_user_memory("m1") == returned
    assert db.get_user_memory("missing") is None


def test_update_keeps_created_at_and_touches_updated_at(db: SqlDb) -> None:
    db.upsert_user_memory(mem("m1", created_at=1_000, topics=["a"]))
    before = int(time.time())
    updated = db.upsert_user_memory(mem("m1", created_at=5_000, memory="changed", topics=["b"], agent_id="x"))
    assert updated.memory == "changed" and updated.topics == ["b"] and updated.agent_id == "x"
    assert updated.created_at == 1_000  # fixed at insert
    assert before <= updated.updated_at <= int(time.time())
    assert db.get_user_memory("m1") == updated


def test_missing_memory_id_is_assigned_on_the_callers_object(db: SqlDb) -> None:
    memory = mem(None)
    stored = db.upsert_user_memory(memory, deserialize=False)
    assert memory.memory_id and stored["memory_id"] == memory.memory_id
    batch = [mem(None), mem(None)]
    results = db.upsert_memories(batch)
    assert ids(results) == [m.memory_id for m in batch] and None not in ids(results)


def test_nul_and_control_characters_are_stripped_from_input_and_feedback(db: SqlDb) -> None:
    # agno's PostgresDb strips them (PostgreSQL text cannot hold NUL); every backend does the same here.
    stored = db.upsert_user_memory(mem("m1", input="a\x00b", feedback="c\x01d"))
    assert (stored.input, stored.feedback) == ("ab", "cd")


# --- bulk upsert ------------------------------------------------------------------------------


def test_upsert_memories_returns_callers_order_and_honours_preserve_updated_at(db: SqlDb) -> None:
    batch = [mem("m3", updated_at=30), mem("m1", updated_at=10), mem("m2", updated_at=None)]
    preserved = db.upsert_memories(batch, preserve_updated_at=True)
    assert ids(preserved) == ["m3", "m1", "m2"]
    assert [m.updated_at for m in preserved] == [30, 10, None]

    before = int(time.time())
    touched = db.upsert_memories([mem("m1", memory="new", created_at=9_999, updated_at=10)], deserialize=False)
    assert isinstance(touched, list) and isinstance(touched[0], dict) and set(touched[0]) == COLUMNS
    assert touched[0]["memory"] == "new" and touched[0]["created_at"] == 1_000
    assert touched[0]["updated_at"] >= before
    assert db.upsert_memories([]) == []


def test_upsert_memories_batches_rows_instead_of_one_statement_each(db: SqlDb) -> None:
    db.get_user_memories()  # schema first, so only the upserts are counted below
    table = db.tables.memories.name
    inserts: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT") and table in statement:
            inserts.append(statement)

    engine = getattr(db, "statement_engine", db.db_engine)  # the async twin runs on its own
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        total = 1001  # more than one driver batch (insertmanyvalues / PyMySQL split large executemany)
        batch = [mem(f"m{i:05d}", topics=[f"t{i % 7}"]) for i in range(total)]
        assert ids(db.upsert_memories(batch)) == [m.memory_id for m in batch]
        first = len(inserts)
        assert 1 <= first <= 3  # one executemany, which the driver or SQLAlchemy sends in a few batches
        again = db.upsert_memories([mem(m.memory_id, memory="v2") for m in batch], deserialize=False)
        assert len(inserts) - first <= 3 and {r["memory"] for r in again} == {"v2"} and len(again) == total
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert db.get_user_memories(limit=1, deserialize=False)[1] == total


def test_duplicate_ids_in_one_bulk_upsert_are_refused_before_writing(db: SqlDb) -> None:
    with pytest.raises(ValueError, match="same memory_id"):
        db.upsert_memories([mem("m1"), mem("m2"), mem("m1")])
    assert stored_ids(db) == set()


# --- ownership --------------------------------------------------------------------------------


def test_upsert_never_overwrites_another_users_memory(db: SqlDb) -> None:
    original = db.upsert_user_memory(mem("m1", "alice", memory="alice's", topics=["private"]))
    with pytest.raises(OwnershipError, match="memory 'm1' belongs to another user"):
        db.upsert_user_memory(mem("m1", "bob", memory="bob's", topics=["stolen"]))
    with pytest.raises(OwnershipError):
        db.upsert_user_memory(mem("m1", None, memory="anonymous"))
    with pytest.raises(OwnershipError):
        db.upsert_user_memory(mem("m1", "bob"), deserialize=False)
    assert db.get_user_memory("m1") == original


def test_bulk_upsert_with_another_users_memory_is_refused_whole(db: SqlDb) -> None:
    db.upsert_user_memory(mem("m1", "alice", memory="alice's"))
    with pytest.raises(OwnershipError, match=r"memories \['m1'\] belong to another user"):
        db.upsert_memories([mem("m2", "bob"), mem("m1", "bob", memory="hijack"), mem("m3", "bob")])
    assert stored_ids(db) == {"m1"}
    assert db.get_user_memory("m1").memory == "alice's"
    assert db.get_user_memory("m1").user_id == "alice"


def test_a_memory_nobody_owns_is_claimed_by_its_first_owner(db: SqlDb) -> None:
    db.upsert_user_memory(mem("m1", None, memory="unowned"))
    claimed = db.upsert_user_memory(mem("m1", "alice", memory="mine now"))
    assert (claimed.user_id, claimed.memory) == ("alice", "mine now")
    with pytest.raises(OwnershipError):
        db.upsert_user_memory(mem("m1", "bob"))
    assert db.get_user_memory("m1", user_id="alice").memory == "mine now"


def test_reads_and_deletes_through_another_users_id_see_and_change_nothing(db: SqlDb) -> None:
    db.upsert_memories(
        [mem("a1", "alice", topics=["a-topic"]), mem("a2", "alice"), mem("b1", "bob", topics=["b-topic"])]
    )
    assert db.get_user_memory("a1", user_id="bob") is None
    assert db.get_user_memory("a1", user_id="alice", deserialize=False)["memory_id"] == "a1"
    assert ids(db.get_user_memories(user_id="bob")) == ["b1"]
    assert db.get_user_memories(user_id="bob", topics=["a-topic"]) == []
    assert db.get_all_memory_topics(user_id="bob") == ["b-topic"]
    bob_updated = db.get_user_memory("b1").updated_at
    expected = [{"user_id": "bob", "total_memories": 1, "last_memory_updated_at": bob_updated}]
    assert db.get_user_memory_stats(user_id="bob") == (expected, 1)

    db.delete_user_memory("a1", user_id="bob")
    db.delete_user_memories(["a1", "a2", "b1"], user_id="bob")
    assert stored_ids(db) == {"a1", "a2"}
    db.delete_user_memory("a1", user_id="alice")
    assert stored_ids(db) == {"a2"}


def test_concurrent_writers_of_one_new_memory_id_leave_exactly_one_owner(db: SqlDb) -> None:
    db.get_user_memories()  # schema first
    users = [f"user{i}" for i in range(6)]
    barrier = threading.Barrier(len(users))
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def write(user: str) -> None:
        try:
            barrier.wait()
            results[user] = db.upsert_user_memory(mem("shared", user, memory=f"by {user}"))
        except OwnershipError:
            refused.append(user)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    refused: list[str] = []
    threads = [threading.Thread(target=write, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    winners = list(results)
    assert len(winners) == 1 and len(refused) == len(users) - 1
    stored = db.get_user_memory("shared")
    assert (stored.user_id, stored.memory) == (winners[0], f"by {winners[0]}")


# --- deletes ----------------------------------------------------------------------------------


def test_deletes_and_clear(db: SqlDb) -> None:
    db.upsert_memories([mem(f"m{i}", "alice" if i % 2 else "bob") for i in range(6)])
    assert db.delete_user_memory("m0") is None
    assert db.delete_user_memory("missing") is None
    db.delete_user_memories([])
    db.delete_user_memories(["m1", "m2", "missing"])
    assert stored_ids(db) == {"m3", "m4", "m5"}
    db.clear_memories()
    assert stored_ids(db) == set()
    db.clear_memories()  # on an empty table too


def test_delete_user_memories_refuses_a_single_string(db: SqlDb) -> None:
    db.upsert_user_memory(mem("m1"))
    with pytest.raises(ValueError, match="list of ids"):
        db.delete_user_memories("m1")  # type: ignore[arg-type]
    assert stored_ids(db) == {"m1"}


# --- listing: filters, sorting, paging ----------------------------------------------------------


@pytest.fixture
def listed(db: SqlDb) -> SqlDb:
    db.upsert_memories(
        [
            mem(
                "m1", "alice", created_at=100, updated_at=500, agent_id="ag1", topics=["food", "travel"],
                memory="Likes FOOD",
            ),
            mem("m2", "alice", created_at=200, updated_at=None, agent_id="ag2", topics=["seafood"], memory="100% sure"),
            mem("m3", "bob", created_at=300, updated_at=300, team_id="tm1", topics=['say "hi"', "50%"], memory="a_b c"),
            mem("m4", "bob", created_at=400, updated_at=450, team_id="tm1", topics=None, memory="café au lait"),
            mem("m5", None, created_at=500, updated_at=600, agent_id="ag1", topics=["travel"], memory="nobody's"),
        ],
        preserve_updated_at=True,
    )
    return db


def test_filters_by_user_agent_and_team(listed: SqlDb) -> None:
    assert sorted(ids(listed.get_user_memories(user_id="alice"))) == ["m1", "m2"]
    assert sorted(ids(listed.get_user_memories(agent_id="ag1"))) == ["m1", "m5"]
    assert sorted(ids(listed.get_user_memories(team_id="tm1"))) == ["m3", "m4"]
    assert ids(listed.get_user_memories(user_id="alice", agent_id="ag1")) == ["m1"]
    assert listed.get_user_memories(user_id="nobody") == []
    assert listed.get_user_memories(user_id="nobody", deserialize=False) == ([], 0)


def test_topics_filter_matches_any_given_topic_exactly(listed: SqlDb) -> None:
    assert sorted(ids(listed.get_user_memories(topics=["food"]))) == ["m1"]  # not "seafood"
    assert sorted(ids(listed.get_user_memories(topics=["food", "seafood"]))) == ["m1", "m2"]
    assert sorted(ids(listed.get_user_memories(topics=["travel"]))) == ["m1", "m5"]
    assert ids(listed.get_user_memories(topics=['say "hi"'])) == ["m3"]
    assert ids(listed.get_user_memories(topics=["50%"])) == ["m3"]
    assert listed.get_user_memories(topics=["%"]) == [] and listed.get_user_memories(topics=["FOOD"]) == []
    assert sorted(ids(listed.get_user_memories(topics=[]))) == ["m1", "m2", "m3", "m4", "m5"]  # no filter, as agno
    assert ids(listed.get_user_memories(topics=["travel"], user_id="alice")) == ["m1"]


def test_search_content_is_a_case_insensitive_literal_substring(listed: SqlDb) -> None:
    assert ids(listed.get_user_memories(search_content="food")) == ["m1"]
    assert ids(listed.get_user_memories(search_content="likes food")) == ["m1"]
    assert ids(listed.get_user_memories(search_content="%")) == ["m2"]
    assert ids(listed.get_user_memories(search_content="a_b")) == ["m3"]
    assert listed.get_user_memories(search_content="a%b") == [] and listed.get_user_memories(search_content="x_y") == []
    assert ids(listed.get_user_memories(search_content="café")) == ["m4"]
    assert listed.get_user_memories(search_content="absent", deserialize=False) == ([], 0)


def test_sorting(listed: SqlDb) -> None:
    by_created = listed.get_user_memories(sort_by="created_at", sort_order="asc")
    assert ids(by_created) == ["m1", "m2", "m3", "m4", "m5"]
    assert ids(listed.get_user_memories(sort_by="created_at", sort_order="desc")) == ["m5", "m4", "m3", "m2", "m1"]
    # updated_at falls back to created_at for a memory never updated (m2: 200).
    assert ids(listed.get_user_memories(sort_by="updated_at")) == ["m5", "m1", "m4", "m3", "m2"]
    assert ids(listed.get_user_memories(sort_by="updated_at", sort_order="asc")) == ["m2", "m3", "m4", "m1", "m5"]
    # Without sort_by the order is still deterministic.
    assert ids(listed.get_user_memories()) == ids(listed.get_user_memories())


def test_pagination(listed: SqlDb) -> None:
    kwargs: dict[str, Any] = {"sort_by": "created_at", "sort_order": "asc", "limit": 2}
    first, total = listed.get_user_memories(page=1, deserialize=False, **kwargs)
    assert ids(first) == ["m1", "m2"] and total == 5
    assert ids(listed.get_user_memories(page=2, **kwargs)) == ["m3", "m4"]
    last, total = listed.get_user_memories(page=3, deserialize=False, **kwargs)
    assert ids(last) == ["m5"] and total == 5
    assert listed.get_user_memories(page=4, deserialize=False, **kwargs) == ([], 5)
    assert listed.get_user_memories(page=4, **kwargs) == []
    # limit without page: the first rows; the total counts every match.
    assert listed.get_user_memories(limit=3, user_id="alice", deserialize=False, sort_by="created_at")[1] == 2
    assert ids(listed.get_user_memories(limit=3, sort_by="created_at", sort_order="asc")) == ["m1", "m2", "m3"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"page": 1}, "without `limit`"),
        ({"limit": 2, "page": 0}, "page"),
        ({"limit": -1}, "limit"),
        ({"sort_by": "nope"}, "cannot sort"),
        ({"sort_by": "created_at", "sort_order": "sideways"}, "sort_order"),
        ({"topics": "food"}, "list of strings"),
        ({"topics": ["food", 3]}, "strings"),
    ],
)
def test_bad_listing_arguments_raise(listed: SqlDb, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        listed.get_user_memories(**kwargs)


# --- stats and topics -------------------------------------------------------------------------


def test_user_memory_stats_are_grouped_ordered_and_paged(db: SqlDb) -> None:
    db.upsert_memories(
        [
            mem("a1", "alice", updated_at=100), mem("a2", "alice", updated_at=300), mem("a3", "alice", updated_at=200),
            mem("b1", "bob", updated_at=500),
            mem("c1", "carol", updated_at=50), mem("c2", "carol", updated_at=60),
            mem("d1", "dave", updated_at=None),
            mem("n1", None, updated_at=999),
        ],
        preserve_updated_at=True,
    )
    stats, total = db.get_user_memory_stats()
    assert total == 4
    assert stats == [
        {"user_id": "bob", "total_memories": 1, "last_memory_updated_at": 500},
        {"user_id": "alice", "total_memories": 3, "last_memory_updated_at": 300},
        {"user_id": "carol", "total_memories": 2, "last_memory_updated_at": 60},
        {"user_id": "dave", "total_memories": 1, "last_memory_updated_at": None},  # never updated: last
    ]
    assert db.get_user_memory_stats(limit=2, page=1) == (stats[:2], 4)
    assert db.get_user_memory_stats(limit=3, page=2) == (stats[3:], 4)
    assert db.get_user_memory_stats(limit=2, page=3) == ([], 4)
    assert db.get_user_memory_stats(user_id="alice") == ([stats[1]], 1)
    assert db.get_user_memory_stats(user_id="nobody") == ([], 0)
    with pytest.raises(ValueError, match="without `limit`"):
        db.get_user_memory_stats(page=2)


def test_all_memory_topics_are_distinct_and_per_user(db: SqlDb) -> None:
    assert db.get_all_memory_topics() == []
    db.upsert_memories(
        [
            mem("m1", "alice", topics=["food", "Food", "東京 🚀"]),
            mem("m2", "alice", topics=["food", 'say "hi"']),
            mem("m3", "bob", topics=["travel", "50%"]),
            mem("m4", "bob", topics=None),
            mem("m5", "bob", topics=[]),
        ]
    )
    assert db.get_all_memory_topics() == sorted(["food", "Food", "東京 🚀", 'say "hi"', "travel", "50%"])
    assert db.get_all_memory_topics(user_id="alice") == sorted(["food", "Food", "東京 🚀", 'say "hi"'])
    assert db.get_all_memory_topics(user_id="bob") == ["50%", "travel"]
    assert db.get_all_memory_topics(user_id="nobody") == []


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("memory", "message"),
    [
        (mem("m1", memory=None), "memory content"),
        (mem("m1", topics="food"), "list of strings"),
        (mem("m1", topics=["ok", 1]), "strings"),
        (mem("x" * 129), "at most 128"),
        (mem("m1", user_id=""), "non-empty string"),
        (mem("m1", agent_id="a" * 200), "agent_id"),
        (mem(""), "memory_id"),
    ],
)
def test_bad_memories_are_refused_before_anything_is_written(db: SqlDb, memory: UserMemory, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        db.upsert_user_memory(memory)
    with pytest.raises(ValueError, match=message):
        db.upsert_memories([mem("good"), memory])
    assert stored_ids(db) == set()


def test_non_memory_objects_are_refused(db: SqlDb) -> None:
    with pytest.raises(ValueError, match="UserMemory"):
        db.upsert_user_memory({"memory": "x"})  # type: ignore[arg-type]


# --- the same calls on agno's own SqliteDb ------------------------------------------------------


def reference_memories() -> list[UserMemory]:
    return [
        mem("m1", "alice", created_at=100, updated_at=110, agent_id="ag1", topics=["food"], memory="likes food",
            input="i"),
        mem("m2", "alice", created_at=200, updated_at=220, team_id="tm", topics=["travel", "food"], feedback="f"),
        mem("m3", "bob", created_at=300, updated_at=330, topics=["travel"]),
        mem("m4", None, created_at=400, updated_at=440, topics=None),
    ]


@pytest.mark.filterwarnings("ignore:Type object .*ilike_op:sqlalchemy.exc.SADeprecationWarning")  # agno's own query
def test_same_results_as_agnos_sqlite_db(db: SqlDb, agno_db: AgnoSqliteDb) -> None:
    for target in (db, agno_db):
        target.upsert_memories(reference_memories(), preserve_updated_at=True)

    def both(method: str, **kwargs: Any) -> tuple[Any, Any]:
        return getattr(db, method)(**kwargs), getattr(agno_db, method)(**kwargs)

    ours, theirs = both("get_user_memory", memory_id="m2")
    assert isinstance(ours, UserMemory) and ours == theirs
    ours, theirs = both("get_user_memory", memory_id="m2", deserialize=False)
    assert ours == dict(theirs)
    assert both("get_user_memory", memory_id="m1", user_id="bob") == (None, None)

    for kwargs in (
        {"sort_by": "created_at", "sort_order": "asc"},
        {"sort_by": "updated_at", "sort_order": "desc", "user_id": "alice"},
        {"sort_by": "created_at", "topics": ["travel"]},
        {"sort_by": "created_at", "agent_id": "ag1"},
        {"sort_by": "created_at", "search_content": "likes"},
        {"sort_by": "created_at", "sort_order": "asc", "limit": 2, "page": 2},
    ):
        ours, theirs = both("get_user_memories", **kwargs)
        assert ours == theirs and all(isinstance(m, UserMemory) for m in ours), kwargs
        (our_rows, our_total), (their_rows, their_total) = both("get_user_memories", deserialize=False, **kwargs)
        assert (our_rows, our_total) == ([dict(r) for r in their_rows], their_total), kwargs

    ours, theirs = both("get_user_memory_stats")
    assert ours == theirs
    ours, theirs = both("get_user_memory_stats", limit=1, page=1)
    assert ours == theirs and len(ours[0]) == 1
    ours, theirs = both("get_all_memory_topics")
    assert ours == sorted(theirs)
    ours, theirs = both("get_all_memory_topics", user_id="bob")
    assert ours == sorted(theirs) == ["travel"]

    ours, theirs = both("upsert_user_memory", memory=mem("m9", "carol", created_at=900), deserialize=False)
    assert set(ours) == set(dict(theirs)) == COLUMNS
    assert ours == dict(theirs) and ours["updated_at"] == 900  # a new memory's updated_at is its creation time

    for target in (db, agno_db):
        target.delete_user_memories(["m1", "m3"], user_id="alice")
        target.delete_user_memory("m4")
    ours, theirs = both("get_user_memories", sort_by="created_at", deserialize=False)
    assert ids(ours) == ids(([dict(r) for r in theirs[0]], theirs[1])) == ["m9", "m3", "m2"]

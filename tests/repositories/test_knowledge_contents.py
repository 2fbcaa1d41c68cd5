"""Knowledge contents on every backend: round trips, listing, the shared-row rule, ownership, races."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.schemas.knowledge import KnowledgeRow
from agno.db.sqlite import SqliteDb as AgnoSqliteDb

from repositories.core.db import SqlDb


def row(id: str, **fields: Any) -> KnowledgeRow:
    values: dict[str, Any] = {"name": f"name-{id}", "description": f"about {id}", "created_at": 1_000}
    values.update(fields)
    return KnowledgeRow(id=id, **values)


def dumped(rows: list[KnowledgeRow]) -> list[dict[str, Any]]:
    return [r.model_dump() for r in rows]


@pytest.fixture
def agno_db(tmp_path: Path) -> Iterator[AgnoSqliteDb]:
    reference = AgnoSqliteDb(db_file=str(tmp_path / "agno-reference.db"))
    yield reference
    reference.db_engine.dispose()


# --- round trips ------------------------------------------------------------------------------


def test_upsert_then_get_round_trips_every_field(db: SqlDb) -> None:
    original = KnowledgeRow(
        id="k1", name="report.pdf", description="Q3 report", metadata={"tags": ["a", "b"], "pages": 12, "ok": True},
        type="pdf", size=2048, linked_to="docs", access_count=3, status="completed", status_message="done",
        user_id="alice", created_at=1_700_000_000, updated_at=1_700_000_100, external_id="ext-1",
    )
    returned = db.upsert_knowledge_content(original)
    assert returned is original
    stored = db.get_knowledge_content("k1")
    assert isinstance(stored, KnowledgeRow)
    assert stored.model_dump() == original.model_dump()


def test_get_missing_row_is_none(db: SqlDb) -> None:
    assert db.get_knowledge_content("nope") is None
    assert db.get_knowledge_content("nope", user_id="alice") is None


def test_upsert_overwrites_given_fields_and_keeps_the_rest(db: SqlDb) -> None:
    db.upsert_knowledge_content(row("k1", metadata={"v": 1}, status="processing", size=10, user_id="alice"))
    # Fields left at None keep their stored value (agno's rule); fields given overwrite.
    db.upsert_knowledge_content(KnowledgeRow(id="k1", name="renamed", description="new", status="completed",
                                             user_id="alice"))
    stored = db.get_knowledge_content("k1")
    assert stored is not None
    assert (stored.name, stored.description, stored.status) == ("renamed", "new", "completed")
    assert (stored.metadata, stored.size, stored.created_at, stored.user_id) == ({"v": 1}, 10, 1_000, "alice")


def test_unscoped_upsert_updates_an_owned_row_and_keeps_its_owner(db: SqlDb) -> None:
    db.upsert_knowledge_content(row("k1", user_id="alice"))
    db.upsert_knowledge_content(row("k1", status="failed"))  # a system write (no user) may update any row
    stored = db.get_knowledge_content("k1")
    assert stored is not None and stored.status == "failed" and stored.user_id == "alice"


# --- ownership --------------------------------------------------------------------------------


def test_scoped_get_sees_own_and_shared_rows_only(db: SqlDb) -> None:
    db.upsert_knowledge_content(row("mine", user_id="alice"))
    db.upsert_knowledge_content(row("theirs", user_id="bob"))
    db.upsert_knowledge_content(row("shared"))
    assert db.get_knowledge_content("mine", user_id="alice") is not None
    assert db.get_knowledge_content("shared", user_id="alice") is not None
    assert db.get_knowledge_content("theirs", user_id="alice") is None
    assert db.get_knowledge_content("theirs") is not None  # unscoped reads see everything


def test_scoped_upsert_never_overwrites_another_users_row(db: SqlDb) -> None:
    db.upsert_knowledge_content(row("k1", user_id="alice", status="done"))
    with pytest.raises(ValueError, match="Knowledge content k1 not found"):
        db.upsert_knowledge_content(row("k1", user_id="bob", name="hijacked", status="evil"))
    stored = db.get_knowledge_content("k1")
    assert stored is not None
    assert (stored.name, stored.status, stored.user_id) == ("name-k1", "done", "alice")


def test_scoped_upsert_never_overwrites_a_shared_row(db: SqlDb) -> None:
    db.upsert_knowledge_content(row("k1", status="done"))
    with pytest.raises(ValueError, match="not found"):
        db.upsert_knowledge_content(row("k1", user_id="bob", status="evil"))
    stored = db.get_knowledge_content("k1")
    assert stored is not None and stored.status == "done" and stored.user_id is None


def test_scoped_delete_removes_only_own_rows(db: SqlDb) -> None:
    db.upsert_knowledge_content(row("mine", user_id="alice"))
    db.upsert_knowledge_content(row("theirs", user_id="bob"))
    db.upsert_knowledge_content(row("shared"))
    assert db.delete_knowledge_content("theirs", user_id="alice") is None
    assert db.delete_knowledge_content("shared", user_id="alice") is None
    assert db.get_knowledge_content("theirs") is not None
    assert db.get_knowledge_content("shared") is not None
    db.delete_knowledge_content("mine", user_id="alice")
    assert db.get_knowledge_content("mine") is None
    db.delete_knowledge_content("shared")  # unscoped deletes anything
    assert db.get_knowledge_content("shared") is None
    db.delete_knowledge_content("does-not-exist")  # a no-op, not an error


def test_concurrent_scoped_inserts_of_one_id_leave_one_owner(db: SqlDb) -> None:
    ids = [f"race-{i}" for i in range(6)]
    barrier = threading.Barrier(2)
    outcomes: dict[str, list[str]] = {"alice": [], "bob": []}
    errors: list[BaseException] = []

    def writer(user: str) -> None:
        for content_id in ids:
            try:
                barrier.wait(timeout=30)
                db.upsert_knowledge_content(row(content_id, user_id=user, description=f"by {user}"))
                outcomes[user].append(content_id)
            except ValueError:
                pass
            except BaseException as error:  # noqa: BLE001 - surfaced below
                errors.append(error)

    threads = [threading.Thread(target=writer, args=(user,)) for user in outcomes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for content_id in ids:
        stored = db.get_knowledge_content(content_id)
        assert stored is not None
        winners = [user for user, done in outcomes.items() if content_id in done]
        # Exactly one writer succeeds and the stored row is wholly that writer's.
        assert winners == [stored.user_id]
        assert stored.description == f"by {stored.user_id}"


# --- listing ----------------------------------------------------------------------------------


@pytest.fixture
def listed(db: SqlDb) -> SqlDb:
    for i in range(5):
        db.upsert_knowledge_content(row(f"a{i}", linked_to="kb1", user_id="alice", created_at=100 + i))
    db.upsert_knowledge_content(row("b0", linked_to="kb1", user_id="bob", created_at=200))
    db.upsert_knowledge_content(row("s0", linked_to="kb1", created_at=300))
    db.upsert_knowledge_content(row("s1", linked_to="kb2", created_at=301))
    return db


def ids_of(result: tuple[list[KnowledgeRow], int]) -> tuple[list[str | None], int]:
    rows, total = result
    assert all(isinstance(r, KnowledgeRow) for r in rows)
    return [r.id for r in rows], total


def test_list_filters_by_linked_to_and_user(listed: SqlDb) -> None:
    assert ids_of(listed.get_knowledge_contents(sort_by="created_at", sort_order="asc")) == (
        ["a0", "a1", "a2", "a3", "a4", "b0", "s0", "s1"], 8)
    assert ids_of(listed.get_knowledge_contents(linked_to="kb2")) == (["s1"], 1)
    # A user sees their own rows and the shared ones, never bob's.
    assert ids_of(listed.get_knowledge_contents(user_id="alice", linked_to="kb1", sort_by="created_at",
                                                sort_order="asc")) == (["a0", "a1", "a2", "a3", "a4", "s0"], 6)
    assert ids_of(listed.get_knowledge_contents(user_id="bob", sort_by="created_at")) == (["s1", "s0", "b0"], 3)
    assert ids_of(listed.get_knowledge_contents(user_id="carol")) == (["s0", "s1"], 2)
    assert ids_of(listed.get_knowledge_contents(linked_to="nothing")) == ([], 0)


def test_list_sorts_and_pages(listed: SqlDb) -> None:
    kwargs: dict[str, Any] = {"user_id": "alice", "sort_by": "created_at", "sort_order": "desc"}
    assert ids_of(listed.get_knowledge_contents(limit=3, page=1, **kwargs)) == (["s1", "s0", "a4"], 7)
    assert ids_of(listed.get_knowledge_contents(limit=3, page=3, **kwargs)) == (["a0"], 7)  # last page
    assert ids_of(listed.get_knowledge_contents(limit=3, page=4, **kwargs)) == ([], 7)  # past the end
    assert ids_of(listed.get_knowledge_contents(limit=2, **kwargs)) == (["s1", "s0"], 7)  # no page: the first
    by_name, _ = ids_of(listed.get_knowledge_contents(sort_by="name", sort_order="asc"))
    assert by_name == sorted(by_name)
    # Unsorted listings still page without overlap (primary-key order).
    pages = [ids_of(listed.get_knowledge_contents(limit=3, page=p))[0] for p in (1, 2, 3)]
    assert sorted(sum(pages, [])) == ["a0", "a1", "a2", "a3", "a4", "b0", "s0", "s1"]


def test_list_refuses_bad_arguments(listed: SqlDb) -> None:
    with pytest.raises(ValueError, match="sort"):
        listed.get_knowledge_contents(sort_by="no_such_column")
    with pytest.raises(ValueError, match="page"):
        listed.get_knowledge_contents(limit=2, page=0)
    with pytest.raises(ValueError, match="limit"):
        listed.get_knowledge_contents(limit=-1)


# --- bad input ----------------------------------------------------------------------------------


def test_text_a_column_cannot_hold_is_refused_before_writing(db: SqlDb) -> None:
    with pytest.raises(ValueError, match="name is 300 characters long"):
        db.upsert_knowledge_content(row("k1", name="x" * 300))
    assert db.get_knowledge_contents() == ([], 0)
    # Long free text is fine: description is unbounded.
    db.upsert_knowledge_content(row("k3", description="y" * 100_000))
    stored = db.get_knowledge_content("k3")
    assert stored is not None and len(stored.description) == 100_000


def test_user_ids_differing_only_in_case_are_different_users(db: SqlDb) -> None:
    # MySQL's default collations would fold 'ALICE' into 'alice': our columns compare exactly.
    db.upsert_knowledge_content(row("k1", user_id="alice"))
    assert db.get_knowledge_content("k1", user_id="ALICE") is None
    with pytest.raises(ValueError):
        db.upsert_knowledge_content(row("k1", user_id="Alice", status="evil"))


# --- same answers as agno's own SqliteDb ------------------------------------------------------


def test_same_answers_as_agno_sqlite(db: SqlDb, agno_db: AgnoSqliteDb) -> None:
    rows = [
        row("a", user_id="alice", linked_to="kb", created_at=10, metadata={"x": [1, 2]}, size=5, type="text"),
        row("b", user_id="bob", linked_to="kb", created_at=20),
        row("s", linked_to="kb", created_at=30, status="completed"),
        row("t", linked_to="other", created_at=40),
    ]
    for target in (db, agno_db):
        for r in rows:
            assert target.upsert_knowledge_content(r) is r
        target.upsert_knowledge_content(KnowledgeRow(id="a", name="a2", description="d2", user_id="alice"))
        with pytest.raises(ValueError, match="Knowledge content b not found"):
            target.upsert_knowledge_content(row("b", user_id="alice"))
        target.delete_knowledge_content("t", user_id="alice")  # not alice's: stays

    def answers(target: Any) -> list[Any]:
        results: list[Any] = []
        for content_id in ("a", "b", "s", "t", "missing"):
            for user in (None, "alice", "bob"):
                got = target.get_knowledge_content(content_id, user_id=user)
                results.append(None if got is None else got.model_dump())
        for kwargs in (
            {"sort_by": "created_at", "sort_order": "asc"},
            {"sort_by": "created_at", "sort_order": "desc", "user_id": "alice"},
            {"sort_by": "created_at", "sort_order": "asc", "linked_to": "kb", "user_id": "bob"},
            {"sort_by": "created_at", "sort_order": "desc", "limit": 2, "page": 2},
            {"sort_by": "created_at", "sort_order": "desc", "limit": 2, "page": 9},
        ):
            found, total = target.get_knowledge_contents(**kwargs)
            results.append((dumped(found), total))
        return results

    ours, theirs = answers(db), answers(agno_db)
    assert ours == theirs
    assert ours[0] is not None and ours[0]["name"] == "a2"  # the comparison covers real data


def test_rows_written_directly_read_back(db: SqlDb) -> None:
    # A row written by another tool (e.g. agno's own adapter) with NULL optional columns reads back.
    table = db.tables.knowledge
    db.get_knowledge_contents()  # brings the schema up
    with db._engine_for_queries().begin() as conn:
        conn.execute(sa.insert(table).values(id="raw", name="n", description="d"))
    stored = db.get_knowledge_content("raw")
    assert stored is not None and stored.metadata is None and stored.created_at is None

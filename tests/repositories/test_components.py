"""Components, configs and links on every backend, compared with agno's own SqliteDb where shapes matter."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.base import (
    DELETED_CONFIG_STAGE,
    ComponentArchivedError,
    ComponentCycleError,
    ComponentDependencyError,
    ComponentDraftRequiredError,
    ComponentLastConfigError,
    ComponentType,
    ComponentVersionConflictError,
)
from agno.db.sqlite import SqliteDb as AgnoSqliteDb

from repositories.core.db import SqlDb

AGENT, TEAM, WORKFLOW = ComponentType.AGENT, ComponentType.TEAM, ComponentType.WORKFLOW
VOLATILE = {"created_at", "updated_at", "deleted_at"}


def link(
    child: str, version: int = 1, *, kind: str = "member", key: str | None = None, position: int = 0
) -> dict[str, Any]:
    return {
        "link_kind": kind,
        "link_key": key or child,
        "child_component_id": child,
        "child_version": version,
        "position": position,
    }


def published(db: Any, component_id: str, component_type: ComponentType = AGENT, **kwargs: Any) -> dict[str, Any]:
    component, _ = db.create_component_with_config(
        component_id, component_type, kwargs.pop("name", component_id), kwargs.pop("config", {"v": 1}),
        stage="published", **kwargs,
    )
    return component


def stable(value: Any) -> Any:
    """The value without timestamps (and without the configs' deleted_at agno's SQLite table lacks)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list | tuple):
        return [stable(v) for v in value]
    return value


@pytest.fixture
def agno_db(tmp_path: Path) -> Iterator[AgnoSqliteDb]:
    reference = AgnoSqliteDb(db_file=str(tmp_path / "agno-reference.db"))
    yield reference
    reference.db_engine.dispose()


def execute(db: SqlDb, stmt: Any) -> None:
    """Write rows the methods under test do not write (schedules, legacy links)."""
    db._ensure_schema()
    with db._engine_for_queries().begin() as conn:
        conn.execute(stmt)


# --- same answers as agno ---------------------------------------------------------------------


def _scenario(db: Any) -> list[Any]:
    answers: list[Any] = []
    answers.append(db.create_component_with_config("child", AGENT, "Child", {"name": "Child"}, stage="published"))
    answers.append(db.create_component_with_config(
        "team", TEAM, "Team", {"name": "Team"}, description="d", metadata={"k": 1}, label="first", notes="n",
        links=[link("child")],
    ))
    answers.append(db.upsert_config("team", version=1, stage="published"))
    answers.append(db.upsert_config("team", {"name": "Team 2", "description": "two", "metadata": {"m": 2}}))
    answers.append(db.upsert_config("team", {"name": "Team 3"}, label="third", notes="x"))
    answers.append(db.delete_config("team", 2))
    answers.append(db.upsert_component("solo", AGENT, name="Solo", description="s", metadata={"a": [1]}))
    answers.append(db.upsert_component("solo", name="Solo 2"))
    answers.append(db.get_component("team"))
    answers.append(db.get_component("team", component_type=AGENT))
    answers.append(db.list_components())
    answers.append(db.list_components(component_type=TEAM, limit=1))
    answers.append(db.list_components(limit=1, offset=1, exclude_component_ids={"solo"}))
    answers.append(db.get_config("team"))
    answers.append(db.get_config("team", version=2))
    answers.append(db.get_config("team", version=2, include_deleted=True))
    answers.append(db.get_config("team", label="third"))
    answers.append(db.get_current_config("team"))
    answers.append(db.get_latest_config("team"))
    answers.append(db.list_configs("team"))
    answers.append(db.list_configs("team", include_config=True, include_deleted=True))
    answers.append(db.get_links("team", 1))
    answers.append(db.get_dependents("child"))
    answers.append(db.get_dependents("child", active_parents_only=True))
    answers.append(db.load_component_graph("team"))
    answers.append(db.set_current_version("team", 1))
    answers.append(db.get_component("team"))
    answers.append(db.delete_component("solo"))
    answers.append(db.delete_component("solo"))
    answers.append(db.get_component("solo", include_deleted=True))
    answers.append(db.restore_component("solo"))
    answers.append(db.delete_component("solo", hard_delete=True))
    answers.append(db.get_component("solo", include_deleted=True))
    return answers


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # Listings order by created_at (seconds): both sides must see the same clock.
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)


def test_same_answers_as_agno_sqlite(db: SqlDb, agno_db: AgnoSqliteDb, frozen_clock: None) -> None:
    ours, theirs = _scenario(db), _scenario(agno_db)
    assert len(ours) == len(theirs)
    for index, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        assert stable(mine) == stable(reference), f"answer #{index} differs"
    # Beyond the timestamps, a config row has the same keys as agno's PostgresDb (deleted_at too).
    assert set(ours[0][1]) == set(theirs[0][1]) | {"deleted_at"}


# --- components -------------------------------------------------------------------------------


def test_upsert_component_creates_updates_and_keeps_type(db: SqlDb) -> None:
    created = db.upsert_component("c1", AGENT, name="One", description="first", metadata={"tags": ["a"]}, user_id="u1")
    assert created["component_type"] == "agent"
    assert created["metadata"] == {"tags": ["a"]}
    assert created["user_id"] == "u1" and created["current_version"] is None and created["updated_at"] is None

    updated = db.upsert_component("c1", name="Uno")
    assert updated["name"] == "Uno" and updated["description"] == "first" and updated["metadata"] == {"tags": ["a"]}
    assert updated["updated_at"] is not None

    with pytest.raises(ValueError, match="type is fixed"):
        db.upsert_component("c1", TEAM)
    with pytest.raises(ValueError, match="component_type is required"):
        db.upsert_component("new")
    with pytest.raises(ValueError, match="component_type must be one of"):
        db.upsert_component("new", "robot")  # type: ignore[arg-type]
    assert db.get_component("new", include_deleted=True) is None
    # The string spelling of a type is accepted as agno's enum is a str.
    assert db.upsert_component("c2", "team")["component_type"] == "team"  # type: ignore[arg-type]


def test_upsert_component_current_version_must_be_published(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "C", {"v": 1})
    with pytest.raises(ValueError, match="draft"):
        db.upsert_component("c", current_version=1)
    with pytest.raises(ValueError, match="missing"):
        db.upsert_component("c", current_version=7)
    db.upsert_config("c", {"v": 2}, stage="published")
    db.upsert_config("c", {"v": 3}, stage="published")
    assert db.upsert_component("c", current_version=2)["current_version"] == 2


def test_upsert_component_is_owner_scoped(db: SqlDb) -> None:
    db.upsert_component("mine", AGENT, name="Mine", user_id="alice")
    db.upsert_component("shared", AGENT, name="Shared")
    for component_id in ("mine", "shared"):
        with pytest.raises(ValueError, match="not found"):
            db.upsert_component(component_id, name="Stolen", user_id="bob")
        assert db.get_component(component_id)["name"] != "Stolen"  # type: ignore[index]
    assert db.upsert_component("mine", name="Still mine", user_id="alice")["name"] == "Still mine"


def test_archived_component_is_immutable_until_restored(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "C", {"v": 1})
    assert db.delete_component("c") is True
    assert db.get_component("c") is None
    assert db.get_component("c", include_deleted=True)["deleted_at"] is not None  # type: ignore[index]
    with pytest.raises(ComponentArchivedError):
        db.upsert_component("c", name="x")
    with pytest.raises(ComponentArchivedError):
        db.upsert_config("c", {"v": 2})
    with pytest.raises(ValueError, match="not available"):
        db.create_component_with_config("c", AGENT, "C", {"v": 1})
    assert db.get_config("c") is None and db.list_configs("c") == [] and db.get_latest_config("c") is None
    assert db.restore_component("c") is True
    assert db.restore_component("c") is False  # not archived any more
    assert db.upsert_config("c", {"v": 2})["version"] == 2


def test_get_component_visibility_for_a_scoped_reader(db: SqlDb) -> None:
    db.create_component_with_config("alice-draft", AGENT, "a", {"v": 1}, user_id="alice")
    db.create_component_with_config("alice-live", AGENT, "a", {"v": 1}, user_id="alice", stage="published")
    db.create_component_with_config("shared", AGENT, "s", {"v": 1})
    db.create_component_with_config("bob-archived", AGENT, "b", {"v": 1}, user_id="bob", stage="published")
    db.delete_component("bob-archived")

    ids = ("alice-draft", "alice-live", "shared", "bob-archived")
    seen = {cid for cid in ids if db.get_component(cid, user_id="bob")}
    assert seen == {"alice-live", "shared"}  # another user's draft stays private
    assert db.get_component("bob-archived", user_id="bob", include_deleted=True) is not None
    # Archiving withdraws a component from everyone else, even with include_deleted.
    assert db.get_component("bob-archived", user_id="alice", include_deleted=True) is None
    assert db.get_component("alice-draft", user_id="alice") is not None
    assert db.get_component("alice-live", component_type=TEAM) is None


def test_list_components_filters_and_pages(db: SqlDb) -> None:
    for index in range(5):
        db.upsert_component(f"a{index}", AGENT, name="agent" if index % 2 else "other", user_id="alice")
    db.upsert_component("t0", TEAM, name="team")
    db.create_component_with_config("bob-live", WORKFLOW, "w", {"v": 1}, user_id="bob", stage="published")
    db.upsert_component("bob-draft", AGENT, name="x", user_id="bob")
    db.upsert_component("gone", AGENT, name="gone")
    db.delete_component("gone")

    rows, total = db.list_components()
    assert total == 8 and len(rows) == 8
    # Newest first; rows created in the same second are ordered by id (the test may span a second).
    assert rows == sorted(rows, key=lambda r: (-r["created_at"], r["component_id"]))
    assert db.list_components(include_deleted=True)[1] == 9
    assert db.list_components(component_type=AGENT)[1] == 6
    assert {r["component_id"] for r in db.list_components(name="agent")[0]} == {"a1", "a3"}
    assert db.list_components(name="agent")[1] == 2
    ids, total = db.list_components(user_id="alice")
    assert {r["component_id"] for r in ids} == {"a0", "a1", "a2", "a3", "a4", "t0", "bob-live"} and total == 7
    assert {r["component_id"] for r in db.list_components(exclude_component_ids={"a0", "t0"})[0]} == {
        "a1", "a2", "a3", "a4", "bob-live", "bob-draft"
    }

    first, total = db.list_components(limit=3)
    last, _ = db.list_components(limit=3, offset=6)
    past, past_total = db.list_components(limit=3, offset=30)
    middle, _ = db.list_components(limit=3, offset=3)
    assert total == 8 and len(first) == 3 and len(last) == 2 and past == [] and past_total == 8
    assert len({r["component_id"] for r in first + middle + last}) == 8
    with pytest.raises(ValueError, match="limit"):
        db.list_components(limit=-1)
    with pytest.raises(ValueError, match="offset"):
        db.list_components(offset=-2)


def test_create_component_with_config_is_atomic_and_validated(db: SqlDb) -> None:
    component, config = db.create_component_with_config(
        "c", AGENT, "C", {"name": "C"}, description="d", metadata={"m": 1}, label="v1", notes="n", user_id="u"
    )
    assert component["current_version"] is None and component["user_id"] == "u"
    assert config["version"] == 1 and config["stage"] == "draft" and config["label"] == "v1"
    with pytest.raises(ValueError, match="not available"):
        db.create_component_with_config("c", AGENT, "again", {})
    with pytest.raises(ValueError, match="Invalid stage"):
        db.create_component_with_config("x", AGENT, "x", {}, stage="final")
    with pytest.raises(ValueError, match="child_version is required"):
        db.create_component_with_config("x", TEAM, "x", {}, links=[{**link("c"), "child_version": None}])
    with pytest.raises(ValueError, match="missing 'position'"):
        unplaced = {k: v for k, v in link("c").items() if k != "position"}
        db.create_component_with_config("x", TEAM, "x", {}, links=[unplaced])
    with pytest.raises(ValueError, match="repeat"):
        db.create_component_with_config("x", TEAM, "x", {}, links=[link("c"), link("c", position=1)])
    with pytest.raises(ValueError, match="no component nowhere"):
        db.create_component_with_config("x", TEAM, "x", {}, links=[link("nowhere")])
    with pytest.raises(ComponentCycleError):
        db.create_component_with_config("x", TEAM, "x", {}, links=[link("x")])
    with pytest.raises(ValueError, match="at most 128"):
        db.create_component_with_config("x" * 129, AGENT, "x", {})
    # A published team pins published members: the draft member rolls the whole creation back.
    with pytest.raises(ComponentDependencyError, match="publish the child first"):
        db.create_component_with_config("x", TEAM, "x", {}, stage="published", links=[link("c")])
    assert db.get_component("x", include_deleted=True) is None
    assert db.get_dependents("c") == []

    db.create_component_with_config("arch", AGENT, "a", {}, stage="published")
    db.delete_component("arch")
    with pytest.raises(ComponentArchivedError):
        db.create_component_with_config("x", TEAM, "x", {}, links=[link("arch")])
    assert db.get_component("x", include_deleted=True) is None


# --- configs ----------------------------------------------------------------------------------


def test_upsert_config_appends_edits_and_never_reuses_numbers(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "C", {"v": 1})
    assert db.upsert_config("c", {"v": 2})["version"] == 2
    edited = db.upsert_config("c", {"v": 22}, version=2, label="two", notes="edited")
    assert (edited["version"], edited["config"], edited["label"], edited["notes"]) == (2, {"v": 22}, "two", "edited")
    assert edited["updated_at"] is not None
    assert db.upsert_config("c", {"v": 3})["version"] == 3
    assert db.delete_config("c", 3) is True
    assert db.upsert_config("c", {"v": 4})["version"] == 4  # the tombstoned 3 is not reused
    with pytest.raises(ValueError, match="not found"):
        db.upsert_config("c", {"v": 0}, version=3)  # tombstoned
    with pytest.raises(ValueError, match="not found"):
        db.upsert_config("c", {"v": 0}, version=99)
    with pytest.raises(ValueError, match="config is required"):
        db.upsert_config("c")
    with pytest.raises(ValueError, match="Invalid stage"):
        db.upsert_config("c", {"v": 0}, stage="live")
    with pytest.raises(ValueError, match="not found"):
        db.upsert_config("missing", {"v": 0})

    db.upsert_config("c", version=4, stage="published")
    with pytest.raises(ValueError, match="Cannot update published"):
        db.upsert_config("c", {"v": 44}, version=4)
    assert db.get_config("c", version=4)["config"] == {"v": 4}  # type: ignore[index]


def test_labels_are_unique_among_visible_versions(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "C", {"v": 1}, label="stable")
    db.upsert_config("c", {"v": 2}, label="beta")
    with pytest.raises(ValueError, match="already exists"):
        db.upsert_config("c", {"v": 3}, label="stable")
    with pytest.raises(ValueError, match="already exists"):
        db.upsert_config("c", version=2, label="stable")
    assert db.upsert_config("c", version=2, label="beta")["label"] == "beta"  # its own label is fine
    db.upsert_config("c", {"v": 3})
    assert db.delete_config("c", 2) is True
    assert db.get_config("c", version=2, include_deleted=True)["label"] is None  # type: ignore[index]
    assert db.upsert_config("c", {"v": 4}, label="beta")["version"] == 4


def test_upsert_config_is_owner_scoped(db: SqlDb) -> None:
    db.create_component_with_config("mine", AGENT, "m", {"v": 1}, user_id="alice")
    db.create_component_with_config("shared", AGENT, "s", {"v": 1})
    for component_id in ("mine", "shared"):
        with pytest.raises(ValueError, match="not found"):
            db.upsert_config(component_id, {"v": 2}, user_id="bob")
        assert [c["version"] for c in db.list_configs(component_id)] == [1]
    assert db.upsert_config("mine", {"v": 2}, user_id="alice")["version"] == 2


def test_publishing_moves_the_pointer_and_projects_identity(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "Old", {"v": 1}, description="row-only", metadata={"row": True})
    db.upsert_config("c", {"name": "New"}, stage="published")
    row = db.get_component("c")
    assert row["current_version"] == 2 and row["name"] == "New"  # type: ignore[index]
    assert row["description"] == "row-only" and row["metadata"] == {"row": True}  # type: ignore[index]

    # Stamp-only metadata does not claim the column; a present description does (even empty).
    db.upsert_config("c", {"description": None, "metadata": {"studio": {"by": "x"}}}, stage="published")
    row = db.get_component("c")
    assert row["current_version"] == 3 and row["name"] == "New"  # type: ignore[index]
    assert row["description"] == "" and row["metadata"] == {"row": True}  # type: ignore[index]

    # Publishing an existing draft by version projects its stored config.
    db.upsert_config("c", {"name": "Drafted", "metadata": {"m": 1}})
    db.upsert_config("c", version=4, stage="published")
    row = db.get_component("c")
    assert (row["current_version"], row["name"], row["metadata"]) == (4, "Drafted", {"m": 1})  # type: ignore[index]


def test_compare_and_set_guards(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "C", {"v": 1})
    with pytest.raises(ComponentVersionConflictError):
        db.upsert_config("c", {"v": 2}, expected_latest_version=2)
    assert db.upsert_config("c", {"v": 2}, expected_latest_version=1)["version"] == 2
    with pytest.raises(ComponentVersionConflictError):
        db.upsert_config("c", {"v": 3}, stage="published", expected_current_version=1)
    assert db.list_configs("c")[0]["version"] == 2  # the refused publish wrote nothing
    # 0 spells "nothing is live yet".
    assert db.upsert_config("c", {"v": 3}, stage="published", expected_current_version=0)["version"] == 3
    with pytest.raises(ComponentVersionConflictError):
        db.upsert_config("c", {"v": 4}, stage="published", expected_current_version=0)
    assert db.upsert_config("c", {"v": 4}, stage="published", expected_current_version=3)["version"] == 4
    with pytest.raises(ComponentVersionConflictError):
        db.set_current_version("c", 3, expected_current_version=3)
    assert db.set_current_version("c", 3, expected_current_version=4) is True
    with pytest.raises(ComponentVersionConflictError):
        db.delete_component("c", expected_current_version=4)
    assert db.get_component("c") is not None
    assert db.delete_component("c", expected_current_version=3) is True


def test_links_cannot_close_a_cycle(db: SqlDb) -> None:
    for cid in ("a", "b", "c"):
        db.create_component_with_config(cid, TEAM, cid, {"v": 1})
    db.upsert_config("a", version=1, links=[link("b")])
    db.upsert_config("b", version=1, links=[link("c")])
    with pytest.raises(ComponentCycleError):
        db.upsert_config("c", {"v": 2}, links=[link("a")])
    with pytest.raises(ComponentCycleError):
        db.upsert_config("a", version=1, links=[link("a")])
    assert [c["version"] for c in db.list_configs("c")] == [1]
    # A diamond is no cycle.
    db.create_component_with_config("d", AGENT, "d", {"v": 1})
    db.upsert_config("b", version=1, links=[link("c"), link("d", position=1)])
    db.upsert_config("c", version=1, links=[link("d")])
    assert [row["child_component_id"] for row in db.get_links("b", 1)] == ["c", "d"]


def test_publish_needs_published_live_children(db: SqlDb) -> None:
    db.create_component_with_config("m", AGENT, "m", {"v": 1})
    db.create_component_with_config("t", TEAM, "t", {"v": 1}, links=[link("m")])
    with pytest.raises(ComponentDependencyError, match="publish the child first"):
        db.upsert_config("t", version=1, stage="published")
    assert db.get_component("t")["current_version"] is None  # type: ignore[index]
    db.upsert_config("m", version=1, stage="published")
    # Links of other kinds carry no pin.
    db.create_component_with_config("tool", AGENT, "tool", {"v": 1})
    db.upsert_config("t", version=1, links=[link("m"), link("tool", kind="prompt", position=1)])
    assert db.upsert_config("t", version=1, stage="published")["stage"] == "published"
    assert db.get_component("t")["current_version"] == 1  # type: ignore[index]


def test_get_config_lookup_order(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "C", {"v": 1}, label="one")
    db.upsert_config("c", {"v": 2})
    assert db.get_config("c")["version"] == 2  # type: ignore[index]  # nothing live: latest visible
    assert db.get_current_config("c") is None
    db.upsert_config("c", version=1, stage="published")
    db.upsert_config("c", {"v": 3})
    assert db.get_config("c")["version"] == 1  # type: ignore[index]  # the live version
    assert db.get_current_config("c")["version"] == 1  # type: ignore[index]
    assert db.get_latest_config("c")["version"] == 3  # type: ignore[index]
    assert db.get_config("c", label="one")["version"] == 1  # type: ignore[index]
    assert db.get_config("c", version=2, label="one")["version"] == 2  # type: ignore[index]
    assert db.get_config("c", label="nope") is None
    db.delete_config("c", 3)
    assert db.get_latest_config("c")["version"] == 2  # type: ignore[index]
    assert db.get_config("c", version=3) is None
    assert db.get_config("c", version=3, include_deleted=True)["stage"] == DELETED_CONFIG_STAGE  # type: ignore[index]
    assert db.get_config("missing") is None


def test_get_latest_configs_answers_every_id(db: SqlDb) -> None:
    db.create_component_with_config("a", AGENT, "a", {"v": 1})
    db.upsert_config("a", {"v": 2})
    db.upsert_config("a", {"v": 3})
    db.delete_config("a", 3)
    db.create_component_with_config("b", AGENT, "b", {"v": 1}, stage="published")
    db.create_component_with_config("gone", AGENT, "g", {"v": 1})
    db.delete_component("gone")
    latest = db.get_latest_configs({"a", "b", "gone", "missing"})
    assert set(latest) == {"a", "b", "gone", "missing"}
    assert latest["a"]["version"] == 2 and latest["a"]["config"] == {"v": 2}  # type: ignore[index]
    assert latest["b"]["version"] == 1  # type: ignore[index]
    assert latest["gone"] is None and latest["missing"] is None
    assert db.get_latest_configs(set()) == {}


def test_list_configs_shapes(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "C", {"v": 1})
    db.upsert_config("c", {"v": 2})
    db.upsert_config("c", {"v": 3})
    db.delete_config("c", 2)
    brief = db.list_configs("c")
    assert [c["version"] for c in brief] == [3, 1] and "config" not in brief[0]
    assert set(brief[0]) == {"component_id", "version", "label", "stage", "notes", "created_at", "updated_at"}
    full = db.list_configs("c", include_config=True, include_deleted=True)
    assert [c["version"] for c in full] == [3, 2, 1] and full[0]["config"] == {"v": 3}
    assert db.list_configs("missing") == []


def test_delete_config_rules(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "C", {"v": 1}, user_id="alice")
    with pytest.raises(ComponentLastConfigError):
        db.delete_config("c", 1)
    db.upsert_config("c", {"v": 2}, stage="published")
    with pytest.raises(ComponentDraftRequiredError):
        db.delete_config("c", 2)
    db.upsert_config("c", {"v": 3})
    assert db.delete_config("c", 3, user_id="bob") is False  # not the owner: nothing happens
    assert db.get_config("c", version=3) is not None
    assert db.delete_config("c", 99) is False
    assert db.delete_config("missing", 1) is False

    # An active parent pins the draft; an archived parent releases it.
    db.create_component_with_config("p", TEAM, "p", {"v": 1}, links=[link("c", 3)])
    with pytest.raises(ComponentDependencyError, match="pinned by p"):
        db.delete_config("c", 3, user_id="alice")
    db.delete_component("p")
    assert db.delete_config("c", 3, user_id="alice") is True
    assert db.delete_config("c", 3, user_id="alice") is False  # already tombstoned
    db.upsert_config("c", {"v": 4})
    db.set_current_version("c", 2)
    db.delete_component("c")
    with pytest.raises(ComponentArchivedError):
        db.delete_config("c", 4)


def test_delete_config_refuses_the_current_version(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "C", {"v": 1})
    db.upsert_config("c", {"v": 2})
    # A pointer at a draft can only come from outside the methods; the guard still holds.
    components = db.tables.components
    execute(db, sa.update(components).where(components.c.component_id == "c").values(current_version=2))
    with pytest.raises(ValueError, match="current"):
        db.delete_config("c", 2)


def test_set_current_version(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "C", {"v": 1}, stage="published", user_id="alice")
    db.upsert_config("c", {"v": 2}, stage="published")
    db.upsert_config("c", {"v": 3})
    with pytest.raises(ValueError, match="Only published"):
        db.set_current_version("c", 3)
    assert db.set_current_version("c", 9) is False
    assert db.set_current_version("missing", 1) is False
    assert db.set_current_version("c", 1, user_id="bob") is False
    assert db.get_component("c")["current_version"] == 2  # type: ignore[index]
    assert db.set_current_version("c", 1, user_id="alice") is True
    assert db.get_component("c")["current_version"] == 1  # type: ignore[index]


def test_restore_and_set_current_refuse_archived_pinned_children(db: SqlDb) -> None:
    published(db, "m")
    published(db, "t", TEAM, links=[link("m")])
    db.upsert_config("t", {"v": 2}, stage="published")  # v2 pins nothing
    assert db.delete_component("m", require_no_dependents=False) is True
    with pytest.raises(ComponentDependencyError, match="m"):
        db.set_current_version("t", 1)
    assert db.get_component("t")["current_version"] == 2  # type: ignore[index]

    db.set_current_version("t", 2)
    db.delete_component("t")
    assert db.restore_component("t") is True  # its live version pins nothing archived
    db.delete_component("t")
    components = db.tables.components
    execute(db, sa.update(components).where(components.c.component_id == "t").values(current_version=1))
    with pytest.raises(ComponentDependencyError, match="Restore them first"):
        db.restore_component("t")
    assert db.get_component("t") is None
    assert db.restore_component("m") is True
    assert db.restore_component("t") is True


# --- deleting components ----------------------------------------------------------------------


def test_delete_component_refuses_with_dependents(db: SqlDb) -> None:
    published(db, "m", user_id="alice")
    published(db, "t", TEAM, links=[link("m")], user_id="alice")
    published(db, "foreign", TEAM, links=[link("m", key="x")], user_id="bob")
    with pytest.raises(ComponentDependencyError, match="referenced by foreign, t"):
        db.delete_component("m")
    # A parent the caller does not own does not veto the owner's delete; the caller's own does.
    with pytest.raises(ComponentDependencyError, match="referenced by t$"):
        db.delete_component("m", user_id="alice")
    assert db.delete_component("t", user_id="bob") is False
    assert db.get_component("t") is not None
    db.delete_component("t", user_id="alice")
    assert db.delete_component("m", user_id="alice") is True
    assert db.delete_component("m", user_id="alice") is False


def test_hard_delete_removes_configs_and_links(db: SqlDb) -> None:
    published(db, "m")
    published(db, "t", TEAM, links=[link("m")])
    db.upsert_config("t", {"v": 2}, links=[link("m")])
    with pytest.raises(ComponentDependencyError):
        db.delete_component("m", hard_delete=True)
    db.delete_component("t")  # archived parents still count for a hard delete
    with pytest.raises(ComponentDependencyError):
        db.delete_component("m", hard_delete=True)
    assert db.delete_component("t", hard_delete=True) is True
    assert db.get_links("t", 1) == [] and db.get_dependents("m") == []
    assert db.get_config("t", version=1, include_deleted=True) is None
    assert db.get_component("t", include_deleted=True) is None
    # The id is free again.
    assert db.create_component_with_config("t", AGENT, "t", {})[1]["version"] == 1

    published(db, "p", TEAM, links=[link("m")])
    assert db.delete_component("m", hard_delete=True, require_no_dependents=False) is True
    assert db.get_links("p", 1) == []


def test_delete_component_disables_its_schedules(db: SqlDb) -> None:
    published(db, "c")
    published(db, "other")
    schedules = db.tables.schedules
    now = int(time.time())

    def schedule(schedule_id: str, **values: Any) -> dict[str, Any]:
        return {
            "id": schedule_id, "name": schedule_id, "method": "POST", "endpoint": "/x", "cron_expr": "* * * * *",
            "timezone": "UTC", "timeout_seconds": 60, "max_retries": 0, "retry_delay_seconds": 0, "enabled": True,
            "target_type": None, "target_id": None, "created_at": now, **values,
        }

    execute(db, sa.insert(schedules).values([
        schedule("by-target", target_type="agent", target_id="c"),
        schedule("by-endpoint", endpoint="/agents/c/runs/"),
        schedule("wrong-type", target_type="team", target_id="c"),
        schedule("other", endpoint="/agents/other/runs"),
        schedule("already-off", endpoint="/agents/c/runs", enabled=False),
    ]))
    stats: dict[str, int] = {}
    assert db.delete_component("c", cascade_stats=stats) is True
    assert stats == {"schedules_disabled": 2}
    with db._engine_for_queries().connect() as conn:
        rows = {r.id: (r.enabled, r.disabled_reason) for r in conn.execute(sa.select(schedules))}
    assert rows["by-target"] == (False, "target_archived:agent:c")
    assert rows["by-endpoint"] == (False, "target_archived:agent:c")
    assert rows["wrong-type"][0] and rows["other"][0] and rows["already-off"] == (False, None)
    untouched: dict[str, int] = {}
    assert db.delete_component("c", cascade_stats=untouched) is False and untouched == {}


def test_restore_component_is_owner_scoped(db: SqlDb) -> None:
    db.upsert_component("c", AGENT, user_id="alice")
    db.delete_component("c", user_id="alice")
    assert db.restore_component("c", user_id="bob") is False
    assert db.restore_component("missing") is False
    assert db.get_component("c") is None
    assert db.restore_component("c", user_id="alice") is True


# --- links and graphs -------------------------------------------------------------------------


def test_links_and_dependents(db: SqlDb) -> None:
    for cid in ("a", "b", "c"):
        published(db, cid, user_id="alice" if cid != "c" else None)
    published(db, "p", TEAM, user_id="alice", links=[
        link("b", position=2), link("a", position=1), link("c", kind="step_agent", key="s", position=0),
    ])
    db.upsert_config("p", {"v": 2}, links=[link("a")])
    published(db, "q", TEAM, user_id="bob", links=[link("a")])
    assert [(row["child_component_id"], row["position"]) for row in db.get_links("p", 1)] == [("c", 0), ("a", 1), ("b", 2)]
    assert [row["child_component_id"] for row in db.get_links("p", 1, link_kind="member")] == ["a", "b"]
    assert db.get_links("p", 7) == []

    parents = [(d["parent_component_id"], d["parent_version"]) for d in db.get_dependents("a")]
    assert parents == [("p", 1), ("p", 2), ("q", 1)]
    assert set(db.get_dependents("a")[0]) == {
        "parent_component_id", "parent_version", "link_kind", "link_key", "child_component_id", "child_version",
        "position", "meta", "created_at", "updated_at",
    }
    assert [d["parent_component_id"] for d in db.get_dependents("a", parent_user_id="alice")] == ["p", "p"]
    assert db.get_dependents("a", version=2) == []
    db.delete_config("p", 2)
    active = db.get_dependents("a", active_parents_only=True)
    assert [(d["parent_component_id"], d["parent_version"]) for d in active] == [("p", 1), ("q", 1)]
    db.delete_component("q")
    assert [d["parent_component_id"] for d in db.get_dependents("a", active_parents_only=True)] == ["p"]


def _graph_scenario(db: Any) -> list[Any]:
    db.create_component_with_config("leaf", AGENT, "leaf", {"v": 1}, stage="published")
    db.create_component_with_config("mid", TEAM, "mid", {"v": 1}, stage="published", links=[link("leaf")])
    db.create_component_with_config(
        "top", WORKFLOW, "top", {"v": 1}, stage="published",
        links=[link("mid", kind="step_team"), link("leaf", kind="step_agent", position=1)],
    )
    db.upsert_config("top", {"v": 2}, label="draft-two", links=[link("leaf", kind="step_agent")])
    db.create_component_with_config("draft-only", AGENT, "d", {"v": 1})
    return [
        db.load_component_graph("top"),
        db.load_component_graph("top", version=2),
        db.load_component_graph("mid", version=1),
        db.load_component_graph("top", version=9),
        db.load_component_graph("draft-only"),
        db.load_component_graph("missing"),
    ]


def test_load_component_graph_matches_agno(db: SqlDb, agno_db: AgnoSqliteDb, frozen_clock: None) -> None:
    ours, theirs = _graph_scenario(db), _graph_scenario(agno_db)
    assert stable(ours) == stable(theirs)
    top = ours[0]
    assert top["resolved_versions"] == {"top": 1, "mid": 1, "leaf": 1}
    assert [c["graph"]["component"]["component_id"] for c in top["children"]] == ["mid", "leaf"]
    assert top["children"][0]["graph"]["children"][0]["graph"]["config"]["config"] == {"v": 1}
    assert ours[3] is None and ours[4] is None and ours[5] is None


def test_load_component_graph_by_label_and_with_stored_cycles(db: SqlDb) -> None:
    _graph_scenario(db)
    assert db.load_component_graph("top", label="draft-two")["config"]["version"] == 2  # type: ignore[index]
    assert db.load_component_graph("top", label="unknown") is None
    # Links written before cycle checks existed: the graph stops with agno's stub.
    links = db.tables.component_links
    execute(db, sa.insert(links).values(
        parent_component_id="leaf", parent_version=1, link_kind="member", link_key="back",
        child_component_id="top", child_version=1, position=0,
    ))
    graph = db.load_component_graph("top")
    leaf = graph["children"][1]["graph"]  # type: ignore[index]
    assert leaf["children"][0]["graph"] == {
        "component": {"component_id": "top"}, "config": None, "children": [], "resolved_versions": {},
        "cycle_detected": True,
    }
    # An archived child resolves to no graph, like agno.
    db.delete_component("mid", require_no_dependents=False)
    graph = db.load_component_graph("top")
    assert graph["children"][0]["graph"] is None  # type: ignore[index]


def test_load_component_graph_stops_at_agno_depth(db: SqlDb) -> None:
    db.create_component_with_config("n0", AGENT, "n0", {}, stage="published")
    for index in range(1, 52):
        db.create_component_with_config(f"n{index}", TEAM, "n", {}, stage="published", links=[link(f"n{index - 1}")])
    graph = db.load_component_graph("n51")
    depth = 0
    node = graph
    while node is not None and node["children"]:
        node = node["children"][0]["graph"]
        depth += 1
    assert depth == 50 and node is None  # the 51st level is cut, as agno's _max_depth does


# --- concurrency ------------------------------------------------------------------------------


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[index] = error

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_appends_get_distinct_versions(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "C", {"n": 0})
    results = run_together(8, lambda i: db.upsert_config("c", {"n": i + 1}))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r["version"] for r in results) == list(range(2, 10))
    assert [c["version"] for c in db.list_configs("c")] == list(range(9, 0, -1))


def test_concurrent_creations_of_one_id_have_one_winner(db: SqlDb) -> None:
    results = run_together(6, lambda i: db.create_component_with_config("c", AGENT, f"C{i}", {"n": i}))
    winners = [r for r in results if isinstance(r, tuple)]
    losers = [r for r in results if not isinstance(r, tuple)]
    assert len(winners) == 1
    assert all(isinstance(r, ValueError) and "not available" in str(r) for r in losers), losers
    assert db.get_component("c")["name"] == winners[0][0]["name"]  # type: ignore[index]


def test_concurrent_publishes_with_one_expected_pointer_have_one_winner(db: SqlDb) -> None:
    db.create_component_with_config("c", AGENT, "C", {"n": 0}, stage="published")
    results = run_together(5, lambda i: db.upsert_config("c", {"n": i}, stage="published", expected_current_version=1))
    assert len([r for r in results if isinstance(r, dict)]) == 1
    assert all(isinstance(r, ComponentVersionConflictError) for r in results if not isinstance(r, dict))
    assert [c["version"] for c in db.list_configs("c")] == [2, 1]


# --- agno's own callers -----------------------------------------------------------------------


def test_agent_save_and_load(db: SqlDb, flavour: str) -> None:
    from agno.agent import Agent

    if flavour == "async":
        pytest.skip("agno's Agent.save() refuses async databases")

    agent = Agent(id="helper", name="Helper", description="helps", instructions="be brief")
    assert agent.save(db=db) == 1
    assert agent.save(db=db, stage="draft", label="next") == 2
    row = db.get_component("helper")
    assert row["component_type"] == "agent" and row["current_version"] == 1  # type: ignore[index]
    loaded = Agent.load("helper", db=db)
    assert loaded is not None and loaded.name == "Helper" and loaded.instructions == "be brief"
    assert Agent.load("helper", db=db, label="next") is not None
    assert Agent.load("nobody", db=db) is None
    assert agent.delete(db=db) is True
    assert Agent.load("helper", db=db) is None


def test_concurrent_upserts_of_a_new_component_all_land(db: SqlDb) -> None:
    results = run_together(6, lambda i: db.upsert_component("c", AGENT, name=f"N{i}", user_id="alice"))
    assert all(isinstance(r, dict) and r["component_id"] == "c" for r in results), results
    assert db.list_components()[1] == 1
    # Racing owners: the first creates, every other owner is refused like a missing row.
    results = run_together(4, lambda i: db.upsert_component("d", AGENT, name=f"N{i}", user_id=f"user{i}"))
    assert len([r for r in results if isinstance(r, dict)]) == 1
    assert all(isinstance(r, ValueError) and "not found" in str(r) for r in results if not isinstance(r, dict))


def test_archive_and_pin_race_never_leaves_a_live_parent_pinning_an_archived_child(db: SqlDb) -> None:
    for round_ in range(6):
        child, parent = f"child{round_}", f"parent{round_}"
        published(db, child)

        def work(index: int) -> Any:
            if index == 0:
                return db.delete_component(child)
            return db.create_component_with_config(parent, TEAM, parent, {}, stage="published", links=[link(child)])

        results = run_together(2, work)
        archived = db.get_component(child) is None
        parent_live = db.get_component(parent) is not None
        assert not (archived and parent_live), results
        assert archived or parent_live, results  # one of the two always succeeds
        expected = (ComponentDependencyError, ComponentArchivedError)
        assert all(not isinstance(r, Exception) or isinstance(r, expected) for r in results), results

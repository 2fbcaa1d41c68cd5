"""Real agno Agents, Teams and Workflows on our db, offline, on every backend."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from agno.agent import Agent
from agno.run.base import RunContext, RunStatus
from agno.session import AgentSession, TeamSession, WorkflowSession
from agno.team import Team
from agno.workflow import Step, Workflow
from sqlalchemy.engine import URL

from examples.offline_model import OfflineModel
from repositories.core.db import SqlDb
from tests.repositories.conftest import make_db


@pytest.fixture
def db(backend: str, db_url: URL) -> Iterator[SqlDb]:
    instance = make_db(backend, db_url)
    yield instance
    instance.close()


def set_state(run_context: RunContext, key: str, value: str) -> str:
    """Remember a value in the session state."""
    assert run_context.session_state is not None
    run_context.session_state[key] = value
    return f"{key} is now {value}"


def test_second_run_sees_the_first_runs_messages(db: SqlDb) -> None:
    model = OfflineModel()
    agent = Agent(model=model, db=db, add_history_to_context=True, num_history_runs=3)
    first = agent.run("My name is Ada.", session_id="s1", user_id="u1")
    agent.run("What is my name?", session_id="s1", user_id="u1")

    second_input = [(m.role, m.get_content_string()) for m in model.requests[-1].messages]
    assert ("user", "My name is Ada.") in second_input
    assert ("assistant", first.content) in second_input
    assert second_input[-1] == ("user", "What is my name?")

    stored = db.get_session("s1", user_id="u1")
    assert isinstance(stored, AgentSession)
    assert [r.run_id for r in stored.runs] == [r.run_id for r in agent.get_session("s1").runs]
    assert len(stored.runs) == 2
    # Another user cannot read the conversation.
    assert db.get_session("s1", user_id="u2") is None


def test_session_state_changed_by_a_tool_persists_across_runs(db: SqlDb) -> None:
    agent = Agent(model=OfflineModel(), db=db, tools=[set_state], session_state={"color": "red"})
    agent.run("remember color=blue", session_id="s1", user_id="u1")

    fresh = Agent(model=OfflineModel(), db=db, tools=[set_state], session_state={})
    fresh.run("hello again", session_id="s1", user_id="u1")
    assert fresh.get_session_state(session_id="s1") == {"color": "blue"}
    assert db.get_session("s1", user_id="u1").session_data["session_state"] == {"color": "blue"}


def test_session_summaries_are_stored(db: SqlDb) -> None:
    agent = Agent(model=OfflineModel(), db=db, enable_session_summaries=True)
    agent.run("I like tea.", session_id="s1", user_id="u1")
    agent.run("And biscuits.", session_id="s1", user_id="u1")
    summary = db.get_session("s1", user_id="u1").summary
    assert summary is not None
    assert "I like tea." in summary.summary and "And biscuits." in summary.summary


def test_memories_are_stored_per_user(db: SqlDb) -> None:
    agent = Agent(model=OfflineModel(), db=db, update_memory_on_run=True)
    agent.run("I live in Lisbon #home", session_id="s1", user_id="ada")
    agent.run("I play chess #hobby", session_id="s2", user_id="bob")
    ada = db.get_user_memories(user_id="ada")
    assert [(m.memory, m.topics) for m in ada] == [("User said: I live in Lisbon #home", ["home"])]
    assert [m.memory for m in db.get_user_memories(user_id="bob")] == ["User said: I play chess #hobby"]


def test_team_with_two_members(db: SqlDb) -> None:
    members = [Agent(name=f"member-{i}", model=OfflineModel()) for i in (1, 2)]
    team = Team(name="pair", members=members, model=OfflineModel(), db=db, delegate_to_all_members=True,
                add_history_to_context=True)
    team.run("Plan a picnic", session_id="t1", user_id="u1")
    team.run("Add dessert", session_id="t1", user_id="u1")

    stored = db.get_session("t1", user_id="u1")
    assert isinstance(stored, TeamSession)
    top_level = [r for r in stored.runs if r.parent_run_id is None]
    member_runs = [r for r in stored.runs if r.parent_run_id is not None]
    assert len(top_level) == 2
    assert {r.agent_id for r in member_runs} == {m.id for m in members}
    rows, total = db.get_runs(session_id="t1", deserialize=False)
    assert total == len(stored.runs)
    assert sorted(r["run_index"] for r in rows) == list(range(total))


def test_workflow_session_and_runs(db: SqlDb) -> None:
    writer = Agent(name="writer", model=OfflineModel())
    workflow = Workflow(name="write", db=db, steps=[Step(name="draft", agent=writer)])
    first = workflow.run("Write a haiku", session_id="w1", user_id="u1")
    workflow.run("Another one", session_id="w1", user_id="u1")
    stored = db.get_session("w1", user_id="u1")
    assert isinstance(stored, WorkflowSession)
    assert [r.run_id for r in stored.runs][:1] == [first.run_id]
    assert len(stored.runs) == 2
    assert "Write a haiku" in str(stored.runs[0].step_results[0].content)


# --- another user's session through a real run --------------------------------------------------


def _components() -> dict[str, Any]:
    def agent() -> Agent:
        return Agent(name="solo", model=OfflineModel())

    return {
        "agent": lambda db: Agent(model=OfflineModel(), db=db),
        "team": lambda db: Team(name="pair", members=[agent()], model=OfflineModel(), db=db),
        "workflow": lambda db: Workflow(name="write", db=db, steps=[Step(name="draft", agent=agent())]),
    }


@pytest.mark.parametrize("kind", ["agent", "team", "workflow"])
def test_a_run_on_another_users_session_stores_nothing_and_says_so_in_the_log(
    db: SqlDb, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    component = _components()[kind](db)
    component.run("alice's secret", session_id="shared", user_id="alice")
    before = db.get_session("shared", user_id="alice", deserialize=False)
    with caplog.at_level(logging.WARNING, logger="repositories.ownership"):
        intruder = _components()[kind](db).run("bob was here", session_id="shared", user_id="bob")
    # agno catches storage errors inside run() and reports the run as completed (its behaviour,
    # not ours): our refusal is visible only in the log, and nothing of bob's run is stored.
    assert intruder.status == RunStatus.completed
    refusals = [r for r in caplog.records if r.name == "repositories.ownership"]
    assert refusals and all(r.levelno == logging.WARNING for r in refusals)
    assert any("session 'shared' belongs to another user" in r.getMessage() for r in refusals)
    after = db.get_session("shared", user_id="alice", deserialize=False)
    assert after == before
    assert db.get_session("shared", user_id="bob") is None
    assert "bob was here" not in str(db.get_runs(session_id="shared", deserialize=False))

"""U+0000 in text and JSON is stored on every write path, never refused: PostgreSQL (which cannot
hold it) drops it, as agno's PostgresDb does; SQLite and MySQL keep it, as agno's classes do.
A refused write would be a lost run."""

from __future__ import annotations

from typing import Any

import pytest

from agno.agent import Agent
from agno.db.base import SessionType
from agno.db.schemas.evals import EvalRunRecord, EvalType
from agno.db.schemas.knowledge import KnowledgeRow
from agno.db.schemas.memory import UserMemory

from examples.offline_model import OfflineModel

NUL = "\x00"


def expect(text: str, backend: str) -> str:
    return text.replace(NUL, "") if backend == "postgresql" else text


def test_a_run_with_nul_in_its_input_is_stored(db: Any, backend: str) -> None:
    agent = Agent(model=OfflineModel(), db=db, session_state={"note": f"a{NUL}b"})
    agent.run(f"binary{NUL}junk", session_id="s1", user_id="u1", session_state={"note": f"a{NUL}b"})
    session = db.get_session("s1", user_id="u1")
    assert session is not None and len(session.runs) == 1
    assert session.runs[0].input.input_content == expect(f"binary{NUL}junk", backend)
    assert session.session_data["session_state"]["note"] == expect(f"a{NUL}b", backend)
    db.rename_session("s1", session_type=SessionType.AGENT, session_name=f"name{NUL}1")
    assert db.get_session("s1", user_id="u1").session_data["session_name"] == expect(f"name{NUL}1", backend)


def test_memories_knowledge_and_evals_with_nul_are_stored(db: Any, backend: str) -> None:
    db.upsert_user_memory(UserMemory(memory_id="m1", user_id="u1", memory=f"likes{NUL}tea", topics=[f"t{NUL}"]))
    memory = db.get_user_memory("m1", user_id="u1")
    assert memory is not None and memory.memory == expect(f"likes{NUL}tea", backend)
    assert memory.topics == [expect(f"t{NUL}", backend)]

    db.upsert_knowledge_content(KnowledgeRow(id="k1", name=f"doc{NUL}", description=f"d{NUL}x",
                                             metadata={"k": f"v{NUL}"}, created_at=1))
    content = db.get_knowledge_content("k1")
    assert content is not None
    assert (content.name, content.description) == (expect(f"doc{NUL}", backend), expect(f"d{NUL}x", backend))
    assert content.metadata == {"k": expect(f"v{NUL}", backend)}

    db.create_eval_run(EvalRunRecord(run_id="e1", eval_type=EvalType.ACCURACY, eval_data={"out": f"o{NUL}"},
                                     eval_input={"in": f"i{NUL}"}, name=f"eval{NUL}"))
    run = db.get_eval_run("e1")
    assert run is not None and run.name == expect(f"eval{NUL}", backend)
    assert (run.eval_data, run.eval_input) == ({"out": expect(f"o{NUL}", backend)}, {"in": expect(f"i{NUL}", backend)})


def test_an_id_with_a_nul_is_refused_and_never_found(db: Any) -> None:
    # Ids are identities: dropping the NUL would file "r\x001" under "r1". Text around them is kept.
    row = {
        "result_id": f"r{NUL}1", "namespace": "ns", "path": "p", "session_id": "s1", "run_id": "r", "tool_call_id": "c",
        "tool_name": "t", "args_hash": "h", "content_type": "text", "size_bytes": 1, "line_count": 1,
        "preview": f"pre{NUL}view", "user_id": None, "created_at": 1, "expires_at": None,
    }
    with pytest.raises(ValueError, match="result_id contains the character U\\+0000"):
        db.upsert_tool_result(row)
    assert db.get_tool_result(f"r{NUL}1") is None
    assert db.get_tool_result("r1") is None


def test_update_methods_treat_nul_in_text_and_json_as_their_insert_paths_do(db: Any, backend: str) -> None:
    """Each update or rename stores text and JSON with NUL as the insert path does: PostgreSQL
    drops the NUL, SQLite and MySQL keep it. (NUL in the id an update names: tests/repositories/test_bad_input.py.)"""
    from agno.db.schemas.approval import Approval
    from agno.db.schemas.scheduler import Schedule
    from agno.run.agent import RunOutput
    from agno.session import AgentSession

    text = f"a{NUL}b"
    db.upsert_session(AgentSession(session_id="s1", agent_id="a1", user_id="u1", created_at=1))
    db.upsert_run(RunOutput(run_id="r1", session_id="s1", agent_id="a1", content="c"), session_id="s1", user_id="u1")
    db.upsert_user_memory(UserMemory(memory_id="m1", user_id="u1", memory="old"))
    db.create_eval_run(EvalRunRecord(run_id="e1", eval_type=EvalType.ACCURACY, eval_data={}, eval_input={}, name="n"))
    db.create_schedule(Schedule(id="sch1", name="n", cron_expr="0 3 * * *", endpoint="/agents/a1/runs",
                                created_at=1).to_dict())
    db.create_approval(Approval(id="ap1", run_id="r1", session_id="s1", created_at=1).to_dict())
    db.upsert_learning(id="l1", learning_type="user_profile", content={"v": "old"}, user_id="u1")
    db.upsert_knowledge_content(KnowledgeRow(id="k1", name="doc", description="old", created_at=1))
    db.upsert_component("c1", component_type="agent", name="old")

    db.update_run_in_session("s1", "r1", {"content": text}, user_id="u1", session_data={"session_state": {"v": text}})
    db.upsert_user_memory(UserMemory(memory_id="m1", user_id="u1", memory=text, topics=[text]))
    db.rename_eval_run("e1", text)
    db.update_schedule("sch1", description=text, payload={"v": text})
    db.update_approval("ap1", status="approved", resolved_by=text, resolution_data={"v": text})
    db.update_learning("l1", {"v": text}, metadata={"m": text})
    db.upsert_knowledge_content(KnowledgeRow(id="k1", name="doc", description=text, metadata={"k": text}, created_at=1))
    db.upsert_component("c1", name=text, description=text)

    run = db.get_run("r1", deserialize=False)
    memory = db.get_user_memory("m1", user_id="u1")
    schedule, approval = db.get_schedule("sch1"), db.get_approval("ap1")
    learning, knowledge, component = db.get_learning_by_id("l1"), db.get_knowledge_content("k1"), db.get_component("c1")
    got = {
        "run content": run["run_data"]["content"],
        "session_state": db.get_session("s1", user_id="u1").session_data["session_state"]["v"],
        "memory": memory.memory, "memory topic": memory.topics[0],
        "eval name": db.get_eval_run("e1").name,
        "schedule description": schedule["description"], "schedule payload": schedule["payload"]["v"],
        "approval resolved_by": approval["resolved_by"], "approval resolution": approval["resolution_data"]["v"],
        "learning content": learning["content"]["v"], "learning metadata": learning["metadata"]["m"],
        "knowledge description": knowledge.description, "knowledge metadata": knowledge.metadata["k"],
        "component name": component["name"], "component description": component["description"],
    }
    assert got == dict.fromkeys(got, expect(text, backend))

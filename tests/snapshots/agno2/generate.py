"""Write agno 2.x databases with agno 2.x's own classes, and what agno 2.x reads back from them.

Run by ``scripts/make-agno2-snapshots`` inside a virtualenv holding agno 2.x (not agno 3: one
process cannot hold both). Writes, next to this file: ``agno2.sqlite``, ``postgresql.sql``
(pg_dump --no-owner), ``mysql.sql`` (mariadb-dump) and ``expected.json``: per session its type,
owner, state, summary and runs (id, content, status) in agno 2.x's order, and the memories.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from agno.db.schemas import UserMemory
from agno.models.message import Message
from agno.run.agent import RunInput, RunOutput
from agno.run.base import RunStatus
from agno.run.team import TeamRunOutput
from agno.run.workflow import WorkflowRunOutput
from agno.session import AgentSession, TeamSession, WorkflowSession
from agno.session.summary import SessionSummary

T0 = 1_764_000_000  # fixed times: the snapshots are reproducible


def _run(cls: Any, run_id: str, session_id: str, text: str, at: int, **ids: Any) -> Any:
    return cls(
        run_id=run_id, session_id=session_id, content=f"answer to {text}", status=RunStatus.completed,
        input=RunInput(input_content=text), created_at=at,
        messages=[Message(role="user", content=text), Message(role="assistant", content=f"answer to {text}")],
        **ids,
    )


def write(db: Any) -> None:
    runs = [_run(RunOutput, f"a-{i}", "s1", f"question {i}", T0 + i, agent_id="helper") for i in range(4)]
    db.upsert_session(AgentSession(
        session_id="s1", agent_id="helper", user_id="ada", session_data={"session_state": {"color": "blue"}},
        summary=SessionSummary(summary="Ada asked four questions.", topics=["questions"]),
        runs=runs, created_at=T0, updated_at=T0 + 10,
    ))
    db.upsert_session(AgentSession(
        session_id="s2", agent_id="helper", user_id="bob", runs=[_run(RunOutput, "b-0", "s2", "hello", T0 + 20, agent_id="helper")],
        created_at=T0 + 20, updated_at=T0 + 21,
    ))
    db.upsert_session(AgentSession(session_id="s-empty", agent_id="helper", user_id="bob", runs=[], created_at=T0 + 30))
    leader = _run(TeamRunOutput, "t-0", "t1", "plan a picnic", T0 + 40, team_id="pair")
    members = [_run(RunOutput, f"t-0-m{i}", "t1", "plan a picnic", T0 + 41, agent_id=f"member-{i}", parent_run_id="t-0")
               for i in (1, 2)]
    leader.member_responses = members
    db.upsert_session(TeamSession(session_id="t1", team_id="pair", user_id="ada", runs=[*members, leader],
                                  created_at=T0 + 40, updated_at=T0 + 42))
    flows = [WorkflowRunOutput(run_id=f"w-{i}", session_id="w1", workflow_id="write", content=f"haiku {i}",
                               status=RunStatus.completed, created_at=T0 + 50 + i) for i in range(2)]
    db.upsert_session(WorkflowSession(session_id="w1", workflow_id="write", user_id="bob", runs=flows,
                                      created_at=T0 + 50, updated_at=T0 + 52))
    db.upsert_user_memory(UserMemory(memory="lives in Lisbon", topics=["home"], user_id="ada", memory_id="m1", updated_at=T0))
    db.upsert_user_memory(UserMemory(memory="plays chess", topics=["hobby"], user_id="bob", memory_id="m2", updated_at=T0))


def read(db: Any) -> dict[str, Any]:
    from agno.db.base import SessionType

    sessions = {}
    for kind in (SessionType.AGENT, SessionType.TEAM, SessionType.WORKFLOW):
        for session in db.get_sessions(session_type=kind):
            full = db.get_session(session.session_id, session_type=kind)
            sessions[full.session_id] = {
                "type": kind.value, "user_id": full.user_id,
                "session_state": (full.session_data or {}).get("session_state"),
                "summary": full.summary.summary if getattr(full, "summary", None) else None,
                "runs": [[r.run_id, r.content, getattr(r.status, "value", r.status), getattr(r, "parent_run_id", None)]
                         for r in full.runs or []],
            }
    memories = sorted([m.memory_id, m.memory, m.topics, m.user_id] for m in db.get_user_memories())
    return {"sessions": sessions, "memories": memories}


def _fresh_pg(url: str, name: str) -> str:
    admin = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def _fresh_mysql(url: str, name: str) -> str:
    admin = sa.create_engine(url.replace("mysql://", "mysql+pymysql://") + "/")
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    admin.dispose()
    return f"{url}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pg-url", required=True)
    parser.add_argument("--mysql-url", required=True)
    args = parser.parse_args()
    expected: dict[str, Any] = {}

    from agno.db.mysql import MySQLDb
    from agno.db.postgres import PostgresDb
    from agno.db.sqlite import SqliteDb

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "agno2.sqlite"
        db = SqliteDb(db_file=str(path))
        write(db)
        expected["sqlite"] = read(db)
        db.close() if hasattr(db, "close") else None
        shutil.copy(path, args.out / "agno2.sqlite")

    pg = _fresh_pg(args.pg_url, "agno2_snapshot")
    db = PostgresDb(db_url=pg.replace("postgresql://", "postgresql+psycopg://"))
    write(db)
    expected["postgresql"] = read(db)
    db.db_engine.dispose()
    dump = subprocess.run(["pg_dump", "--no-owner", "--no-privileges", "--dbname", pg], check=True, capture_output=True, text=True)
    (args.out / "postgresql.sql").write_text(dump.stdout)

    my = _fresh_mysql(args.mysql_url, "agno2_snapshot")
    db = MySQLDb(db_url=my.replace("mysql://", "mysql+pymysql://"), db_schema="agno2_snapshot")
    write(db)
    expected["mysql"] = read(db)
    db.db_engine.dispose()
    parts = urlsplit(args.mysql_url)
    dump = subprocess.run(
        ["mariadb-dump" if shutil.which("mariadb-dump") else "mysqldump", "-h", parts.hostname or "127.0.0.1",
         "-P", str(parts.port or 3306), "-u", parts.username or "root", "--skip-comments", "--skip-dump-date",
         "agno2_snapshot"],
        check=True, capture_output=True, text=True, env={**os.environ, "MYSQL_PWD": parts.password or ""},
    )
    (args.out / "mysql.sql").write_text(dump.stdout)
    (args.out / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()

"""agno-models demo: an offline agent remembers a conversation on the embedded SQLite default.

No server and no API key: the model is a scripted offline one (examples/offline_model.py), the
database is ``./agno.db``, brought to the migration head on first use. Run it twice: the usage
table at the end grows, because everything is really stored.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import sqlalchemy as sa
from agno.agent import Agent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from examples.offline_model import OfflineModel  # noqa: E402
from repositories import SqliteDb  # noqa: E402


def usage_by_agent(db: SqliteDb) -> list[sa.Row]:
    """Runs, sessions and tokens per agent and user, straight from the runs table."""
    runs = db.tables.runs
    tokens = runs.c.run_data["metrics"]
    query = (
        sa.select(
            runs.c.agent_id,
            runs.c.user_id,
            sa.func.count(sa.distinct(runs.c.session_id)).label("sessions"),
            sa.func.count().label("runs"),
            sa.func.sum(tokens["input_tokens"].as_integer()).label("input_tokens"),
            sa.func.sum(tokens["output_tokens"].as_integer()).label("output_tokens"),
        )
        .group_by(runs.c.agent_id, runs.c.user_id)
        .order_by(runs.c.agent_id, runs.c.user_id)
    )
    with db.db_engine.connect() as conn:
        return list(conn.execute(query))


def main() -> None:
    db = SqliteDb(db_file="agno.db")
    agent = Agent(
        id="demo-agent",
        name="Demo agent",
        model=OfflineModel(),
        db=db,
        add_history_to_context=True,
        num_history_runs=3,
        enable_session_summaries=True,
        update_memory_on_run=True,
    )
    session_id = f"demo-{uuid.uuid4().hex[:8]}"
    user_id = "ada"

    print(f"Database: {Path('agno.db').resolve()} (migrated to head on first use)")
    print(f"Session {session_id}, user {user_id}\n")
    agent.run("Hi, I'm Ada and I love sailing #hobby", session_id=session_id, user_id=user_id)
    agent.run("What did I tell you a moment ago?", session_id=session_id, user_id=user_id)

    stored = db.get_session(session_id, user_id=user_id)
    print("Stored conversation, read back from the database:")
    for index, run in enumerate(stored.runs, start=1):
        print(f"  run {index}  user:      {run.input.input_content}")
        print(f"         assistant: {run.content}")
    print(f"\nSession summary: {stored.summary.summary if stored.summary else '(none)'}")

    print(f"\nMemories about {user_id}:")
    for memory in db.get_user_memories(user_id=user_id):
        print(f"  - {memory.memory}  (topics: {', '.join(memory.topics or [])})")

    print("\nUsage per agent and user (SQL over agno_runs):")
    header = f"  {'agent':<12} {'user':<6} {'sessions':>8} {'runs':>5} {'in tokens':>10} {'out tokens':>10}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for row in usage_by_agent(db):
        print(
            f"  {row.agent_id or '-':<12} {row.user_id or '-':<6} {row.sessions:>8} {row.runs:>5} "
            f"{row.input_tokens or 0:>10} {row.output_tokens or 0:>10}"
        )
    db.close()


if __name__ == "__main__":
    main()

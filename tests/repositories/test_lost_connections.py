"""A pooled connection the server closed is replaced without a pre-ping on every checkout.

The executors rerun an operation whose connection turns out to be gone (the server rolled its
transaction back, so the rerun starts clean). Here the server kills every other connection to
the test database between two calls, as a restart or an idle timeout would.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.schemas.memory import UserMemory
from agno.session import AgentSession
from sqlalchemy.engine import URL


def kill_other_connections(backend: str, url: URL) -> int:
    """Close, server side, every connection to the database but this one; returns how many."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            if backend == "postgresql":
                return len(conn.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )).fetchall())
            ids = conn.execute(sa.text(
                "SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()"
            )).scalars().all()
            for connection_id in ids:
                conn.execute(sa.text(f"KILL {int(connection_id)}"))
            return len(ids)
    finally:
        engine.dispose()


@pytest.fixture
def server_backend(backend: str) -> str:
    if backend == "sqlite":
        pytest.skip("SQLite has no server to close connections")
    return backend


def test_reads_and_writes_survive_the_server_closing_pooled_connections(
    db: Any, server_backend: str, fresh_url: URL
) -> None:
    db.upsert_session(AgentSession(session_id="s1", agent_id="a", user_id="u", created_at=1))
    assert kill_other_connections(server_backend, fresh_url) >= 1

    # The next call's pooled connection is dead: it is replaced and the call still succeeds.
    assert db.get_session("s1", user_id="u") is not None
    assert kill_other_connections(server_backend, fresh_url) >= 1
    stored = db.upsert_user_memory(UserMemory(memory="m", memory_id="m1", user_id="u"))
    assert stored is not None and stored.memory_id == "m1"
    assert [m.memory_id for m in db.get_user_memories(user_id="u")] == ["m1"]

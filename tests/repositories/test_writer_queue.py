"""SQLite writers of one process take turns on one queue per file (repositories/core/storage.py)."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from agno.run.agent import RunOutput
from agno.session import AgentSession
from sqlalchemy.engine import make_url

from repositories import SqliteDb
from repositories.core.storage import WriterQueue


def test_one_queue_per_file_whatever_the_spelling(tmp_path: Path) -> None:
    os.symlink(tmp_path, tmp_path.parent / f"{tmp_path.name}-link")
    spellings = [f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path.parent / (tmp_path.name + '-link') / 'a.db'}"]
    queues = {id(WriterQueue.for_url(make_url(url))) for url in spellings}
    assert len(queues) == 1
    assert WriterQueue.for_url(make_url(f"sqlite:///{tmp_path / 'b.db'}")) is not WriterQueue.for_url(
        make_url(spellings[0]))
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql+psycopg://u@h/db"):
        assert WriterQueue.for_url(make_url(url)) is None
    first, second = SqliteDb(db_url=spellings[0]), SqliteDb(db_url=spellings[1])
    assert first._query_engines._writers is second._query_engines._writers is WriterQueue.for_url(make_url(spellings[0]))


def test_a_writer_outside_the_queue_still_meets_sqlites_lock(tmp_path: Path) -> None:
    """Another process (here: a bare sqlite3 connection) holding the write lock makes ours wait, not fail."""
    path = tmp_path / "shared.db"
    db = SqliteDb(db_url=f"sqlite:///{path}")
    db.upsert_session(AgentSession(session_id="s1", agent_id="a", user_id="u"))
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE agno_sessions SET summary = NULL WHERE session_id = 's1'")
    done = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            db.upsert_run(RunOutput(run_id="r1", session_id="s1", agent_id="a"), session_id="s1", user_id="u")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert not done.wait(0.3)  # waiting on the other connection's lock
    other.execute("COMMIT")
    other.close()
    assert done.wait(30)
    writer.join()
    assert errors == []
    assert [r.run_id for r in db.get_session("s1").runs] == ["r1"]

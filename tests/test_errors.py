"""Errors that name their cause and the fix: an unopenable SQLite file, a too-big MySQL statement."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from agno.session import AgentSession
from sqlalchemy.engine import URL

from agno_models.engine import create_engine
from agno_models.errors import explain_packet
from repositories import AsyncSqliteDb, MaxAllowedPacketError, MySQLDb, SqliteDb


def first_call_error(db_file: Path) -> str:
    with pytest.raises(sa.exc.OperationalError) as raised:
        SqliteDb(db_file=str(db_file)).get_sessions()
    return str(raised.value)


def test_a_directory_is_named_as_such(tmp_path: Path) -> None:
    message = first_call_error(tmp_path)
    assert repr(str(tmp_path)) in message and "is a directory" in message


def test_a_folder_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("")
    db_file = tmp_path / "plain-file" / "sub" / "agno.db"
    message = first_call_error(db_file)
    assert repr(str(db_file)) in message and "folder cannot be created" in message


def test_a_missing_folder_is_created_as_agno_does(tmp_path: Path) -> None:
    db_file = tmp_path / "a" / "b" / "agno.db"
    assert SqliteDb(db_file=str(db_file)).get_sessions(deserialize=False) == ([], 0)
    assert db_file.is_file()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_a_folder_without_write_permission_is_named(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        message = first_call_error(locked / "agno.db")
        assert repr(str(locked / "agno.db")) in message and "no permission" in message
    finally:
        locked.chmod(0o700)


def test_the_async_class_names_the_path_too(tmp_path: Path) -> None:
    async def first_call() -> None:
        await AsyncSqliteDb(db_file=str(tmp_path)).get_sessions()

    with pytest.raises(sa.exc.OperationalError, match="is a directory") as raised:
        asyncio.run(first_call())
    assert str(tmp_path) in str(raised.value)


def test_the_packet_advice_asks_for_enough() -> None:
    explained = explain_packet(2006, size=3_000_000, limit=1_048_576)
    assert explained is not None
    message = str(explained)
    assert "3,000,000 bytes" in message and "1,048,576 bytes" in message
    assert "SET GLOBAL max_allowed_packet = 8388608;" in message  # room to grow: twice the need, rounded up
    assert explain_packet(2006, size=1000, limit=1_048_576) is None  # a lost connection, not a big statement
    assert explain_packet(1062, size=3_000_000, limit=1_048_576) is None


SMALL_PACKET = 1024 * 1024


def test_a_statement_over_max_allowed_packet_names_it_and_the_fix(mysql_admin: sa.Engine, mysql_url: URL) -> None:
    # A connection keeps the packet limit it was opened with (the session value is read-only), so
    # the global is lowered only while one pooled connection opens, and restored at once.
    engine = create_engine(mysql_url, pool_size=1, max_overflow=0)
    with mysql_admin.connect() as admin:
        before = admin.execute(sa.text("SELECT @@GLOBAL.max_allowed_packet")).scalar()
        try:
            admin.execute(sa.text(f"SET GLOBAL max_allowed_packet = {SMALL_PACKET}"))
            engine.connect().close()
        finally:
            admin.execute(sa.text(f"SET GLOBAL max_allowed_packet = {before}"))
    db = MySQLDb(db_engine=engine, db_schema=mysql_url.database)
    big = AgentSession(session_id="big", agent_id="a", user_id="u", created_at=1, session_data={"blob": "x" * 2 * SMALL_PACKET})
    try:
        db.get_sessions()  # migrates through the small-packet connection: its statements are small
        with pytest.raises(MaxAllowedPacketError) as raised:
            db.upsert_session(big)
        message = str(raised.value)
        assert "max_allowed_packet is 1,048,576 bytes" in message and "SET GLOBAL max_allowed_packet = " in message
        assert "gone away" in message
        assert raised.value.__cause__.args[0] in (1153, 2006, 2013)  # the driver's error, kept as the cause

        # Following the advice (here: the server's raised global) works on the next connection.
        db.upsert_session(big)
        stored = db.get_session("big", session_type=big_type(), user_id="u", deserialize=False)
        assert stored is not None and len(stored["session_data"]["blob"]) == 2 * SMALL_PACKET
    finally:
        engine.dispose()


def big_type():  # agno's enum
    from agno.db.base import SessionType

    return SessionType.AGENT

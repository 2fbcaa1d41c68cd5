"""Revision 0003 on every dialect: the backfill of rows stored before it (batched, flat in memory,
identical to what a write computes), the views it creates for the table set being migrated, and
a downgrade that removes them and the columns without touching a stored row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.utils import canonical_run_status
from agno.metrics import RunMetrics
from agno.run.agent import RunErrorEvent, RunOutput
from agno.run.base import RunStatus
from agno.run.team import TeamRunOutput
from agno.run.workflow import WorkflowRunOutput
from sqlalchemy.engine import URL

from agno_models import analytics, migrate, migration_context  # noqa: F401 (makes the frozen modules importable)
from agno_models.engine import create_engine
from agno_models.layout import DEFAULT_NAMES, TableNames, metadata_for
from agno_models.types import json_type

RUNS, SESSIONS, BATCH = 57, 9, 7  # several batches of each, the last one partial


def url_of(db_url: URL) -> str:
    return db_url.render_as_string(hide_password=False)


def legacy_run(i: int) -> dict[str, Any]:
    """Run dicts of every shape agno writes, and a few it would not."""
    kind = i % 6
    metrics = RunMetrics(input_tokens=i, output_tokens=2 * i, total_tokens=3 * i, reasoning_tokens=i % 3,
                         cache_read_tokens=i % 5, cost=i / 1000, duration=i / 10, time_to_first_token=i / 100)
    if kind == 0:
        return RunOutput(run_id=f"r{i:03}", agent_id="a", model="gpt-4o", model_provider="OpenAI",
                         metrics=metrics, status=RunStatus.completed).to_dict()
    if kind == 1:
        return RunOutput(run_id=f"r{i:03}", agent_id="a", model="gpt-4o", status=RunStatus.error, content="partial",
                         events=[RunErrorEvent(content=f"failure {i}")], metrics=metrics).to_dict()
    if kind == 2:
        return RunOutput(run_id=f"r{i:03}", agent_id="a", status=RunStatus.error, content=f"crash {i}").to_dict()
    if kind == 3:
        return TeamRunOutput(run_id=f"r{i:03}", team_id="t", model="claude", model_provider="Anthropic",
                             metrics=metrics).to_dict()
    if kind == 4:
        run = WorkflowRunOutput(run_id=f"r{i:03}", workflow_id="w").to_dict()
        run["metrics"] = {"steps": {}, "duration": 2.5}
        return run
    return {"run_id": f"r{i:03}", "model": 42, "status": "error", "error": "lowercase status",
            "metrics": {"input_tokens": "x", "cost": 0.1, "duration": 3}}


def created_at_of(i: int) -> int:
    return 2**62 if i == 5 else 1_767_000_000 + i * 3_600  # one beyond any datetime


def seed_legacy(engine: sa.Engine, names: TableNames = DEFAULT_NAMES, *, runs: int = RUNS,
                sessions: int = SESSIONS) -> None:
    """Rows as revision 0002 stores them (no analytics columns yet)."""
    session_table = sa.table(names.sessions, sa.column("session_id"), sa.column("session_type"),
                             sa.column("user_id"), sa.column("created_at"))
    run_table = sa.table(names.runs, sa.column("run_id"), sa.column("session_id"), sa.column("run_type"),
                         sa.column("status"), sa.column("run_index"), sa.column("run_data", json_type()),
                         sa.column("created_at"))
    with engine.begin() as conn:
        conn.execute(sa.insert(session_table), [
            {"session_id": f"s{k}", "session_type": "agent", "user_id": "u", "created_at": 1} for k in range(sessions)])
        # The last session keeps no runs.
        conn.execute(sa.insert(run_table), [
            {"run_id": f"r{i:03}", "session_id": f"s{i % (sessions - 1)}", "run_type": "agent",
             "status": canonical_run_status(legacy_run(i)["status"]) if legacy_run(i).get("status") else None,
             "run_index": i, "run_data": legacy_run(i), "created_at": created_at_of(i)} for i in range(runs)])


def stored(engine: sa.Engine, names: TableNames = DEFAULT_NAMES) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    metadata = metadata_for(names)
    runs, sessions = metadata.tables[names.runs], metadata.tables[names.sessions]
    # Without revision 0007's version counters: every rewrite of a row raises them, by design.
    run_columns = [c for c in runs.c if c.name != "row_version"]
    session_columns = [c for c in sessions.c if c.name != "runs_version"]
    with engine.connect() as conn:
        run_rows = [dict(r._mapping) for r in conn.execute(sa.select(*run_columns).order_by(runs.c.run_id))]
        session_rows = [dict(r._mapping) for r in
                        conn.execute(sa.select(*session_columns).order_by(sessions.c.session_id))]
    return run_rows, session_rows


def assert_backfilled(engine: sa.Engine, names: TableNames = DEFAULT_NAMES, *, runs: int = RUNS,
                      sessions: int = SESSIONS) -> None:
    run_rows, session_rows = stored(engine, names)
    assert len(run_rows) == runs and len(session_rows) == sessions
    for row in run_rows:
        # Exactly what a write of the same run computes.
        expected = analytics.run_analytics(row["run_data"], created_at=row["created_at"])
        assert {k: row[k] for k in analytics.RUN_COLUMNS} == expected, row["run_id"]
    by_session: dict[str, list[int]] = {}
    for row in run_rows:
        by_session.setdefault(row["session_id"], []).append(row["created_at"])
    for row in session_rows:
        times = by_session.get(row["session_id"], [])
        assert (row["run_count"], row["last_run_at"]) == (len(times), max(times, default=None)), row["session_id"]


def view_names_in(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_view_names())


def columns_of(engine: sa.Engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns(table)}


@pytest.fixture
def legacy(db_url: URL, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    """A database at revision 0002 holding runs and sessions, with a small backfill batch."""
    import _0003_analytics  # revision 0003's frozen backfill (importable once agno_models.migration_context is)

    monkeypatch.setattr(_0003_analytics, "BACKFILL_BATCH", BATCH)
    migrate.upgrade(url_of(db_url), revision="0002")
    engine = create_engine(db_url)
    seed_legacy(engine)
    yield engine
    engine.dispose()


def test_the_backfill_fills_every_row_in_batches_with_a_progress_bar(
    legacy: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    statements: list[tuple[str, Any, bool]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters, executemany))

    sa.event.listen(legacy, "before_cursor_execute", record)
    with legacy.connect() as conn:
        migrate.upgrade(connection=conn)
    sa.event.remove(legacy, "before_cursor_execute", record)
    assert_backfilled(legacy)

    # Keyset pages of at most BATCH rows (the last one empty), one executemany UPDATE per page.
    pages = [(s, p) for s, p, _ in statements if re.search(r"ORDER BY agno_runs\.run_id\s+LIMIT", s)]
    assert len(pages) == math.ceil(RUNS / BATCH) + 1
    # Each page starts after the previous one's last key (SQLite renders a constant OFFSET 0).
    assert ["agno_runs.run_id >" in s for s, _ in pages] == [False] + [True] * (len(pages) - 1)
    for statement, parameters in pages:
        values = list(parameters.values() if isinstance(parameters, dict) else parameters)
        assert BATCH in values and all(v in (0, BATCH) for v in values if isinstance(v, int)), values
        # Only parts of run_data are read, never the whole document.
        for extract, arrow in re.findall(r"(JSON_EXTRACT\()?agno_runs\.run_data( ->)?", statement, flags=re.IGNORECASE):
            assert extract or arrow, statement
    updates = [s for s, _, many in statements if s.lstrip().upper().startswith("UPDATE AGNO_RUNS")]
    assert len(updates) == math.ceil(RUNS / BATCH)
    session_pages = [s for s, _, _ in statements if re.search(r"ORDER BY agno_sessions\.session_id\s+LIMIT", s)]
    assert len(session_pages) == math.ceil(SESSIONS / BATCH) + 1

    err = capsys.readouterr().err
    assert f"backfill agno_runs [{'#' * 30}] {RUNS}/{RUNS}" in err
    assert f"backfill agno_sessions [{'#' * 30}] {SESSIONS}/{SESSIONS}" in err


def test_upgrade_creates_the_views_and_downgrade_removes_them_keeping_every_row(legacy: sa.Engine) -> None:
    url = legacy.url.render_as_string(hide_password=False)
    before = stored_core(legacy)
    migrate.upgrade(url)
    views = analytics.view_names(DEFAULT_NAMES)
    assert view_names_in(legacy) == set(views.in_creation_order())
    with legacy.connect() as conn:
        usage = conn.execute(sa.text(f"SELECT SUM(runs), SUM(errors) FROM {views.daily_usage}")).one()
        overview = conn.execute(sa.text(f"SELECT COUNT(*), SUM(run_count) FROM {views.session_overview}")).one()
    assert (int(usage[0]), int(usage[1])) == (RUNS, sum(1 for i in range(RUNS) if i % 6 in (1, 2, 5)))
    assert (int(overview[0]), int(overview[1])) == (SESSIONS, RUNS)

    migrate.downgrade(url, revision="0002")
    assert view_names_in(legacy) == set()
    assert not set(analytics.RUN_COLUMNS) & columns_of(legacy, DEFAULT_NAMES.runs)
    assert not set(analytics.SESSION_COLUMNS) & columns_of(legacy, DEFAULT_NAMES.sessions)
    # Dropping the columns rebuilt nothing: no cascade from sessions reached a run.
    assert stored_core(legacy) == before

    migrate.upgrade(url)
    assert_backfilled(legacy)


def stored_core(engine: sa.Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """agno's own columns of every run and session."""
    with engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT run_id, session_id, run_index, created_at FROM agno_runs ORDER BY run_id"))
        sessions = conn.execute(sa.text("SELECT session_id, created_at FROM agno_sessions ORDER BY session_id"))
        return [tuple(r) for r in runs], [tuple(r) for r in sessions]


def test_a_sqlite_too_old_to_drop_columns_is_refused_before_anything_changes(legacy: sa.Engine, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("only SQLite drops columns natively from a given version on")
    url = legacy.url.render_as_string(hide_password=False)
    migrate.upgrade(url)
    with legacy.connect() as conn:
        conn.dialect.server_version_info = (3, 34, 1)
        try:
            with pytest.raises(RuntimeError, match=r"needs SQLite 3\.35 or later.*Nothing was changed"):
                migrate.downgrade(connection=conn, revision="0002")
        finally:
            conn.dialect.server_version_info = tuple(int(p) for p in __import__("sqlite3").sqlite_version.split("."))
    assert view_names_in(legacy) == set(analytics.view_names(DEFAULT_NAMES).in_creation_order())
    assert set(analytics.RUN_COLUMNS) <= columns_of(legacy, DEFAULT_NAMES.runs)


def test_a_renamed_table_set_gets_views_of_its_own(db_url: URL) -> None:
    url = url_of(db_url)
    custom = TableNames.prefixed("my_")
    migrate.upgrade(url)
    migrate.upgrade(url, revision="0002", names=custom)
    engine = create_engine(db_url)
    try:
        seed_legacy(engine, custom, runs=5, sessions=3)
        migrate.upgrade(url, names=custom)
        mine, default = analytics.view_names(custom), analytics.view_names(DEFAULT_NAMES)
        assert mine.daily_usage == "my_runs_daily_usage" and mine.memory_topics == "my_memories_topics"
        assert view_names_in(engine) == set(mine.in_creation_order()) | set(default.in_creation_order())
        assert_backfilled(engine, custom, runs=5, sessions=3)
        with engine.connect() as conn:
            assert conn.execute(sa.text(f"SELECT SUM(runs) FROM {mine.daily_usage}")).scalar() == 5
            assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {default.daily_usage}")).scalar() == 0

        migrate.downgrade(url, revision="base", names=custom)
        assert view_names_in(engine) == set(default.in_creation_order())
    finally:
        engine.dispose()


# --- `agno-models backfill`: the same derivation, on demand, for rows another writer stored ---------


def test_the_backfill_command_fills_rows_another_writer_stored(db_url: URL, capsys: pytest.CaptureFixture[str]) -> None:
    url = url_of(db_url)
    migrate.upgrade(url)
    engine = create_engine(db_url)
    try:
        seed_legacy(engine)  # at head, as agno's own class or a hand-written INSERT would leave them
        assert {r["model_id"] for r in stored(engine)[0]} == {None}
        # --schema '': the URL's own schema, where migrate.upgrade(url) put the tables.
        assert migrate.main(["--url", url, "--schema", "", "backfill", "--batch", str(BATCH)]) == 0
        assert_backfilled(engine)
        assert f"backfill agno_runs [{'#' * 30}] {RUNS}/{RUNS}" in capsys.readouterr().err
        # Idempotent: a second pass changes nothing.
        before = stored(engine)
        migrate.main(["--url", url, "--schema", "", "backfill"])
        assert stored(engine) == before
    finally:
        engine.dispose()


def test_the_backfill_command_takes_a_renamed_table_set(db_url: URL) -> None:
    url = url_of(db_url)
    custom = TableNames.prefixed("team_a_")
    migrate.upgrade(url, names=custom)
    engine = create_engine(db_url)
    try:
        seed_legacy(engine, custom, runs=5, sessions=3)
        assert migrate.main(["--url", url, "--schema", "", "backfill", "--prefix", "team_a_"]) == 0
        assert_backfilled(engine, custom, runs=5, sessions=3)
    finally:
        engine.dispose()


def test_the_backfill_command_refuses_a_database_before_0003_and_changes_nothing(
    db_url: URL, capsys: pytest.CaptureFixture[str]
) -> None:
    url = url_of(db_url)
    with pytest.raises(RuntimeError, match=r"\(not migrated\).*agno-models upgrade"):
        migrate.backfill(url)
    migrate.upgrade(url, revision="0002")
    engine = create_engine(db_url)
    try:
        seed_legacy(engine)
        assert migrate.main(["--url", url, "--schema", "", "backfill"]) == 1
        assert re.search(r"backfill: error: .*at revision 0002.*revision 0003", capsys.readouterr().err)
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == "0002"
        assert "model_id" not in columns_of(engine, DEFAULT_NAMES.runs)
    finally:
        engine.dispose()
    with pytest.raises(ValueError, match="batch must be at least 1, got 0"):
        migrate.backfill(url, batch=0)

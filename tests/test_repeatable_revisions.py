"""A revision that stopped half-way is completed by the next upgrade.

MySQL/MariaDB commit each DDL statement on its own: a failed or killed upgrade leaves part of a
revision behind with the version unchanged. The other dialects roll the revision back, but a
hand-applied part (a DBA adding an index early) is the same problem there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import URL

from agno_models import migrate, migration_context  # noqa: F401  (makes the frozen modules importable)
from agno_models.engine import create_engine
from agno_models.layout import DEFAULT_NAMES, TableNames
from tests.test_migration_0003 import assert_backfilled, seed_legacy, url_of
from tests.test_migrations import _check

# isort: split
import _0001_types as t  # revision 0001's frozen types: the DDL the revision itself emits

ROOT = Path(__file__).resolve().parent.parent
KILL_RUNS, KILL_SESSIONS = 2_000, 40  # four backfill batches of 500: killed after the first


def _ops(conn: sa.Connection) -> Operations:
    return Operations(MigrationContext.configure(conn))


def _revision(engine: sa.Engine, names: TableNames = DEFAULT_NAMES) -> str | None:
    with engine.connect() as conn:
        return migrate.current_revision(conn, names=names)


def _columns(engine: sa.Engine, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns(table)}


@pytest.mark.parametrize("names", [DEFAULT_NAMES, TableNames.prefixed("team_a_")], ids=["default", "renamed"])
def test_upgrade_completes_a_half_applied_0003(db_url: URL, names: TableNames) -> None:
    url = url_of(db_url)
    migrate.upgrade(url, revision="0002", names=names)
    engine = create_engine(db_url)
    seed_legacy(engine, names)
    with engine.begin() as conn:  # what a run that died after its first statements left
        ops = _ops(conn)
        with ops.batch_alter_table(names.runs) as batch:
            batch.add_column(sa.Column("model_id", t.name_string(), nullable=True))
            batch.add_column(sa.Column("input_tokens", sa.BigInteger(), nullable=True))
            batch.create_index(f"ix_{names.runs}_model_id", ["model_id"])
        with ops.batch_alter_table(names.sessions) as batch:
            batch.add_column(sa.Column("run_count", sa.BigInteger(), server_default="0", nullable=False))
    assert _revision(engine, names) == "0002"

    migrate.upgrade(url, names=names)

    assert _revision(engine, names) == migrate.head_revision()
    assert_backfilled(engine, names)
    _check(db_url, names=names)
    engine.dispose()


def test_upgrade_completes_a_half_applied_0001_and_0004(db_url: URL) -> None:
    """0001 stopped after some tables (version table created, still empty), 0004's index made early."""
    url = url_of(db_url)
    migrate.upgrade(url, revision="0001")
    engine = create_engine(db_url)
    with engine.begin() as conn:
        ops = _ops(conn)
        for table in (DEFAULT_NAMES.component_links, DEFAULT_NAMES.spans, DEFAULT_NAMES.runs, DEFAULT_NAMES.memories):
            ops.drop_table(table)
        ops.drop_index(f"ix_{DEFAULT_NAMES.approvals}_workflow_id", table_name=DEFAULT_NAMES.approvals)
        conn.execute(sa.text(f"DELETE FROM {DEFAULT_NAMES.version_table}"))
    assert _revision(engine) is None
    migrate.upgrade(url, revision="0003")
    with engine.begin() as conn:
        _ops(conn).create_index(f"ix_{DEFAULT_NAMES.runs}_session_id_created_at", DEFAULT_NAMES.runs,
                                ["session_id", "created_at"])

    migrate.upgrade(url)

    assert _revision(engine) == migrate.head_revision()
    _check(db_url)
    engine.dispose()


def test_a_table_set_still_refuses_tables_without_its_version_table(db_url: URL) -> None:
    """Completing a half-applied 0001 trusts the set's own version table, not any table of that name."""
    engine = create_engine(db_url)
    with engine.begin() as conn:
        # Not agno's either (a column agno never creates), so it is not adopted.
        conn.execute(sa.text("CREATE TABLE agno_sessions (session_id VARCHAR(64) PRIMARY KEY, mine INTEGER)"))
    with pytest.raises(RuntimeError, match="agno_sessions already exist but are not tracked"):
        migrate.upgrade(url_of(db_url))
    assert not sa.inspect(engine).has_table(DEFAULT_NAMES.version_table)
    engine.dispose()


# A migration process that pauses after the first backfill batch (its UPDATEs sent, not committed)
# and says so on stdout, so the test kills it at a known point rather than after a guessed sleep.
_PAUSING_UPGRADE = """
import sys, time
from agno_models import migrate, migration_context  # noqa: F401  (makes the frozen modules importable)
import _0003_analytics

advance = _0003_analytics.Progress.advance

def pause_after_first_batch(self, count):
    advance(self, count)
    if self.label.endswith(" agno_runs"):
        print(f"BACKFILLED {self.done}", flush=True)
        time.sleep(600)

_0003_analytics.Progress.advance = pause_after_first_batch
migrate.upgrade(sys.argv[1])
"""


def test_upgrade_killed_during_the_backfill_is_completed_by_the_next(db_url: URL, backend: str) -> None:
    url = url_of(db_url)
    migrate.upgrade(url, revision="0002")
    engine = create_engine(db_url)
    seed_legacy(engine, runs=KILL_RUNS, sessions=KILL_SESSIONS)

    child = subprocess.Popen(
        [sys.executable, "-c", _PAUSING_UPGRADE, url],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()  # blocks until the first batch is written (or the child dies)
        assert line.strip() == "BACKFILLED 500", child.stderr.read() if child.stderr else line
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL

    assert _revision(engine) == "0002"
    if backend == "mysql":
        # The DDL committed itself: the columns of the killed run are there (the state that made
        # every later upgrade fail with "Duplicate column name").
        assert {"model_id", "created_date"} <= _columns(engine, DEFAULT_NAMES.runs)
    else:
        assert "model_id" not in _columns(engine, DEFAULT_NAMES.runs)  # transactional DDL: all rolled back

    migrate.upgrade(url)

    assert _revision(engine) == migrate.head_revision()
    assert_backfilled(engine, runs=KILL_RUNS, sessions=KILL_SESSIONS)  # every row filled, none added
    _check(db_url)
    engine.dispose()

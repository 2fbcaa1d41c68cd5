"""Databases written by agno 3.1's own classes, adopted by ours on first use: same reads, clean check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from agno_models import migrate
from tests.adopt.agno_data import read_everything, run_agents, write_everything
from tests.adopt.conftest import agno_db, alembic_check, revision, schema_for
from tests.repositories.conftest import make_db

ROOT = Path(__file__).resolve().parents[2]


def test_an_agno_database_reads_the_same_after_adoption(backend: str, db_url: URL) -> None:
    theirs = agno_db(backend, db_url)
    write_everything(theirs, backend)
    before = read_everything(theirs, backend)
    theirs.close()

    ours = make_db(backend, db_url)
    after = read_everything(ours, backend)
    ours.close()
    for key in before:
        assert after[key] == before[key], key
    assert len(before["sessions"]) == 4 and before["memories"]
    schema = schema_for(backend, db_url)
    assert revision(db_url, schema=schema) == migrate.head_revision()
    alembic_check(db_url, schema=schema)


def test_the_command_line_adopts_an_agno_sqlite_file(tmp_path: Path) -> None:
    """`agno-models upgrade` from outside, on a file agno's SqliteDb wrote."""
    path = tmp_path / "agno.db"
    url = make_url(f"sqlite:///{path}")
    theirs = agno_db("sqlite", url)
    run_agents(theirs)
    before = read_everything(theirs, "sqlite")
    theirs.close()
    done = subprocess.run(
        [sys.executable, "-m", "agno_models.migrate", "--url", str(url), "upgrade"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "adopting agno's tables" in done.stderr
    assert revision(url, schema=None) == migrate.head_revision()
    ours = make_db("sqlite", url)
    after = read_everything(ours, "sqlite")
    ours.close()
    assert after["sessions"] == before["sessions"] and after["memories"] == before["memories"]

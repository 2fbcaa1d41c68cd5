"""Adoption killed (SIGKILL) in the middle of its schema changes is finished by the next start.

On MySQL each ALTER commits, so the next start finds agno's tables half converted; on SQLite and
PostgreSQL the schema change is one transaction and the next start finds agno's tables untouched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy.engine import URL

from agno_models import migrate
from tests.adopt.agno_data import read_everything, run_agents
from tests.adopt.conftest import agno_db, alembic_check, revision, schema_for
from tests.repositories.conftest import make_db

ROOT = Path(__file__).resolve().parents[2]
# The step to die in, per backend: SQLite rebuilds tables, the servers rename indexes.
HOOK = {"sqlite": "rebuild_sqlite", "postgresql": "_rename_index", "mysql": "_rename_index"}


def test_an_adoption_killed_mid_schema_change_is_finished_by_the_next_start(backend: str, db_url: URL) -> None:
    theirs = agno_db(backend, db_url)
    run_agents(theirs)
    before = read_everything(theirs, backend)
    theirs.close()

    hook = HOOK[backend]
    die_on = 1 if backend == "sqlite" else 5
    script = textwrap.dedent(f"""
        import os, signal
        from sqlalchemy.engine import make_url
        from agno_models.adopt import baseline
        from tests.repositories.conftest import make_db
        calls = 0
        real = baseline.{hook}
        def hooked(*args, **kwargs):
            global calls
            calls += 1
            if calls == {die_on}:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        baseline.{hook} = hooked
        make_db({backend!r}, make_url({db_url.render_as_string(hide_password=False)!r})).get_sessions()
    """)
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=300, check=False)
    assert killed.returncode == -9, killed.stderr
    schema = schema_for(backend, db_url)
    assert revision(db_url, schema=schema) is None

    ours = make_db(backend, db_url)
    after = read_everything(ours, backend)
    ours.close()
    assert after == before
    assert revision(db_url, schema=schema) == migrate.head_revision()
    alembic_check(db_url, schema=schema)

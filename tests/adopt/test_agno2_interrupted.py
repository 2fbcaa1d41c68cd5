"""A 2.x conversion killed (SIGKILL) at a known point is finished by the next start: nothing lost or doubled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from agno_models import migrate
from agno_models.engine import create_engine
from tests.adopt.conftest import alembic_check, revision, schema_for
from tests.adopt.snapshots import expected, load
from tests.repositories.conftest import make_db

ROOT = Path(__file__).resolve().parents[2]
EXTRA = 1000  # runs appended to the team session: five batches of the converter


def _grow_team_session(backend: str, url: URL, schema: str | None) -> list[str]:
    """Give session t1 a long runs array; returns its run ids in array order."""
    sessions = f"{schema}.agno_sessions" if schema else "agno_sessions"
    engine = create_engine(url)
    with engine.begin() as conn:
        raw = conn.execute(sa.text(f"SELECT runs FROM {sessions} WHERE session_id = 't1'")).scalar()
        runs = raw if isinstance(raw, list) else json.loads(raw)
        runs = json.loads(runs) if isinstance(runs, str) else runs  # agno 2.x SQLite encodes twice
        member = runs[0]
        runs += [{**member, "run_id": f"bulk-{i:04d}", "content": f"bulk {i}"} for i in range(EXTRA)]
        value = "CAST(:v AS jsonb)" if backend == "postgresql" else ":v"
        conn.execute(sa.text(f"UPDATE {sessions} SET runs = {value} WHERE session_id = 't1'"), {"v": json.dumps(runs)})
    engine.dispose()
    return [r["run_id"] for r in runs]


def _open_and_die_on_insert(backend: str, url: URL, die_on: int) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(f"""
        import os, signal
        from sqlalchemy.engine import make_url
        from agno_models.adopt import convert_v2
        from tests.repositories.conftest import make_db
        calls = 0
        real = convert_v2.insert_batch
        def insert_batch(connection, runs, rows):
            global calls
            calls += 1
            if calls == {die_on}:
                os.kill(os.getpid(), signal.SIGKILL)  # mid-transaction, as a crash would
            real(connection, runs, rows)
        convert_v2.insert_batch = insert_batch
        make_db({backend!r}, make_url({url.render_as_string(hide_password=False)!r})).get_sessions()
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_a_killed_conversion_is_finished_by_the_next_start(backend: str, db_url: URL) -> None:
    load(backend, db_url)
    schema = schema_for(backend, db_url)
    order = _grow_team_session(backend, db_url, schema)
    # Sessions convert by id: s1 (insert 1), s2 (2), then t1's batches (3, 4, ...): die inside t1.
    killed = _open_and_die_on_insert(backend, db_url, die_on=4)
    assert killed.returncode == -9, killed.stderr
    assert revision(db_url, schema=schema) is None  # not stamped: the next start resumes

    ours = make_db(backend, db_url)
    team = ours.get_session("t1", user_id="ada")
    s1 = ours.get_session("s1", user_id="ada")
    rows, total = ours.get_runs(session_id="t1", deserialize=False)
    ours.close()
    assert [r.run_id for r in team.runs] == order
    assert total == len(order) == EXTRA + 3 and sorted(r["run_index"] for r in rows) == list(range(total))
    assert [r.run_id for r in s1.runs] == [r[0] for r in expected(backend)["sessions"]["s1"]["runs"]]
    assert revision(db_url, schema=schema) == migrate.head_revision()
    alembic_check(db_url, schema=schema)

"""The ``agno-models`` command, run from outside as a user runs it: a subprocess in another folder."""

from __future__ import annotations

import logging
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from agno_models import migrate
from agno_models.engine import create_engine
from repositories import SchemaNotReadyError
from tests.repositories.conftest import make_db

ROOT = Path(__file__).resolve().parent.parent
HEAD = migrate.head_revision()


def agno_models(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "agno_models.migrate", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def ok(*args: str, cwd: Path) -> str:
    run = agno_models(*args, cwd=cwd)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def tables(url: URL, schema: str | None) -> set[str]:
    engine = create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names(schema=schema))
    finally:
        engine.dispose()


def text_url(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def test_every_command_says_what_it_did(backend: str, db_url: URL, tmp_path: Path) -> None:
    url = text_url(db_url)
    # MySQL's schema is a server-wide database: keep it the per-test one; PostgreSQL gets the
    # default (schema ai, inside the per-test database).
    schema = ["--schema", db_url.database or ""] if backend == "mysql" else []
    where = {"sqlite": "in the file of", "postgresql": "in schema ai of", "mysql": f"in schema {db_url.database} of"}[backend]

    out = ok("upgrade", "--url", url, *schema, cwd=tmp_path)
    assert f"from base to {HEAD}" in out and where in out and "default table set" in out
    assert "already at " + HEAD in ok("upgrade", "--url", url, *schema, cwd=tmp_path)
    assert ok("current", "--url", url, *schema, cwd=tmp_path).startswith(f"{HEAD} (head)")
    assert "matches the models" in ok("check", "--url", url, *schema, cwd=tmp_path)

    assert f"from {HEAD} to 0003" in ok("downgrade", "0003", "--url", url, *schema, cwd=tmp_path)
    assert ok("current", "--url", url, *schema, cwd=tmp_path).startswith(f"0003 (head is {HEAD})")
    behind = agno_models("check", "--url", url, *schema, cwd=tmp_path)
    assert behind.returncode == 1 and "not up to date" in behind.stderr

    stamped = ok("stamp", HEAD, "--url", url, *schema, cwd=tmp_path)
    assert f"at {HEAD} (was 0003)" in stamped and "no migration was run" in stamped
    ok("stamp", "0003", "--url", url, *schema, cwd=tmp_path)
    assert f"from 0003 to {HEAD}" in ok("upgrade", "--url", url, *schema, cwd=tmp_path)
    assert "0 run(s) and 0 session(s)" in ok("backfill", "--url", url, *schema, cwd=tmp_path)

    # Where the command put the tables is where the db class looks: it opens without migrating.
    db = make_db(backend, db_url, auto_upgrade=False)
    assert db.get_sessions(deserialize=False) == ([], 0)
    if backend == "postgresql":
        assert "agno_sessions" in tables(db_url, "ai") and "agno_sessions" not in tables(db_url, "public")


def test_heads_history_and_help_need_no_database(tmp_path: Path) -> None:
    assert ok("heads", cwd=tmp_path).strip() == HEAD
    scripts = list(reversed(list(ScriptDirectory(migrate.script_location()).walk_revisions())))
    expected = [f"{s.down_revision or 'base'} -> {s.revision}{' (head)' if s.revision == HEAD else ''}: {s.doc}" for s in scripts]
    assert ok("history", cwd=tmp_path).splitlines() == expected
    assert "examples:" in ok("--help", cwd=tmp_path) and "--schema" in ok("upgrade", "--help", cwd=tmp_path)
    assert list(tmp_path.iterdir()) == []  # no database was opened or created


def test_options_go_before_or_after_the_command(tmp_path: Path) -> None:
    after = ok("upgrade", "--url", f"sqlite:///{tmp_path / 'after.db'}", "--prefix", "team_a_", cwd=tmp_path)
    before = ok("--url", f"sqlite:///{tmp_path / 'before.db'}", "--prefix", "team_a_", "upgrade", cwd=tmp_path)
    for out, name in ((after, "after.db"), (before, "before.db")):
        assert f"from base to {HEAD}" in out and "sessions:team_a_sessions" in out
        assert "team_a_sessions" in tables(make_url(f"sqlite:///{tmp_path / name}"), None)


def test_bad_input_names_what_is_wrong(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    bad_tables = agno_models("upgrade", "--url", url, "--tables", "sessions", cwd=tmp_path)
    assert bad_tables.returncode == 1 and "KIND:NAME" in bad_tables.stderr and "'sessions'" in bad_tables.stderr
    unknown = agno_models("upgrade", "--url", url, "--tables", "sesions:x", cwd=tmp_path)
    assert unknown.returncode == 1 and "sesions" in unknown.stderr
    schema = agno_models("upgrade", "--url", url, "--schema", "ai", cwd=tmp_path)
    assert schema.returncode == 1 and "SQLite has no schemas" in schema.stderr
    assert not (tmp_path / "x.db").exists()


def test_the_not_ready_advice_works_word_for_word(backend: str, db_url: URL, tmp_path: Path) -> None:
    renamed = {"session_table": "my_sessions", "memory_table": "my_memories"}
    db = make_db(backend, db_url, auto_upgrade=False, **renamed)
    with pytest.raises(SchemaNotReadyError) as raised:
        db.get_sessions()
    advice = re.search(r"run `(agno-models [^`]+)`", str(raised.value))
    assert advice, str(raised.value)
    words = shlex.split(advice.group(1))
    assert words[:2] == ["agno-models", "upgrade"] and "--tables" in words
    assert f"from base to {HEAD}" in ok(*words[1:], cwd=tmp_path)

    again = make_db(backend, db_url, auto_upgrade=False, **renamed)
    assert again.get_sessions(deserialize=False) == ([], 0)
    assert again.migrated_on_first_use is False


def test_alembic_without_schema_migrates_schema_ai_like_the_classes(postgres_url: URL, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "-x", f"url={text_url(postgres_url)}", "upgrade", "head"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "agno_sessions" in tables(postgres_url, "ai") and "agno_sessions" not in tables(postgres_url, "public")
    assert make_db("postgresql", postgres_url, auto_upgrade=False).get_sessions(deserialize=False) == ([], 0)


def test_upgrades_are_logged_with_their_revisions(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="agno_models")
    caplog.set_level(logging.INFO, logger="repositories")
    migrate.upgrade(f"sqlite:///{tmp_path / 'a.db'}", revision="0002")
    migrate.upgrade(f"sqlite:///{tmp_path / 'a.db'}")
    moves = [r.getMessage() for r in caplog.records if r.name == "agno_models.migrate"]
    assert moves == [
        "migrated table set agno_models_version (schema None) from base to 0002",
        f"migrated table set agno_models_version (schema None) from 0002 to {HEAD}",
    ]
    caplog.clear()
    make_db("sqlite", make_url(f"sqlite:///{tmp_path / 'b.db'}")).get_sessions()
    first_use = [r.getMessage() for r in caplog.records if r.name == "repositories.core.schema"]
    assert len(first_use) == 1 and f"from (none) to {HEAD} on first use" in first_use[0]


def test_the_package_loggers_are_silent_by_default() -> None:
    for name in ("agno_models", "repositories"):
        assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger(name).handlers)

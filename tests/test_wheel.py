"""The built wheel, installed as a user installs it: a clean virtualenv, the core dependencies only.

The virtualenv (its dependencies from ``requirements.lock``) is built once and kept in pytest's
cache, keyed by the dependency lists; the wheel itself is rebuilt and reinstalled every session.
Everything then runs from a folder outside the source tree, so nothing is imported from it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.test_typing import USER_SCRIPT, expected_errors, reported_errors, revealed

ROOT = Path(__file__).resolve().parent.parent
BIN = "Scripts" if os.name == "nt" else "bin"

AGENT = '''
import sys
from dataclasses import dataclass
from typing import Any

from agno.agent import Agent
from agno.models.base import Model
from agno.models.response import ModelResponse

from repositories import SqliteDb


@dataclass
class Echo(Model):
    """Answers with every user message it was sent, so the history it saw is visible."""

    id: str = "echo"
    name: str = "Echo"
    provider: str = "Offline"

    def invoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        said = [m.get_content_string() for m in kwargs["messages"] if m.role == "user"]
        return ModelResponse(role="assistant", content=" | ".join(said))

    async def ainvoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self.invoke(*args, **kwargs)

    def invoke_stream(self, *args: Any, **kwargs: Any):
        yield self.invoke(*args, **kwargs)

    async def ainvoke_stream(self, *args: Any, **kwargs: Any):
        yield self.invoke(*args, **kwargs)

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        return response

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        return response


def agent() -> Agent:
    # A new db object each turn: the second turn's history can only come from the file.
    db = SqliteDb(db_file=sys.argv[1])
    return Agent(model=Echo(), db=db, add_history_to_context=True, num_history_runs=3)


first = agent().run("my name is Ada", session_id="s1", user_id="u1")
second = agent().run("what is my name?", session_id="s1", user_id="u1")
print(first.content)
print(second.content)
'''


def _cache_key() -> str:
    parts = [sys.version, (ROOT / "requirements.lock").read_text(), (ROOT / "pyproject.toml").read_text()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


@contextmanager
def _exclusive(request: pytest.FixtureRequest, temp: pytest.TempPathFactory) -> Iterator[Path]:
    """The cache folder, held by one xdist worker at a time (builds share the source tree's build/)."""
    cache_provider = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    cache = Path(cache_provider.mkdir("wheel-env")) if cache_provider else temp.getbasetemp()
    with open(cache / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield cache


@pytest.fixture(scope="session")
def wheel(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # No network and no isolation: the build backend is this environment's setuptools.
    with _exclusive(request, tmp_path_factory):
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
            capture_output=True, text=True, check=False,
        )
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = out.glob("agno_models-*.whl")
    return path


def installed(request: pytest.FixtureRequest, temp: pytest.TempPathFactory, wheel: Path, extras: str) -> Path:
    """A clean virtualenv with the wheel, its core dependencies and ``extras``, nothing else.

    The dependencies are installed once into a cached env (pip resolves and installs them in
    about 20 s); each session copies it (a venv's interpreter finds its site-packages from its
    own location) and installs this session's wheel into the copy.
    """
    kind = extras.replace(",", "-") or "core"
    with _exclusive(request, temp) as cache:
        base = cache / f"{kind}-{_cache_key()}"
        if not (base / "complete").exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(base)], check=True)
            python = base / BIN / "python"
            requirement = f"agno-models[{extras}] @ {wheel.as_uri()}" if extras else str(wheel)
            _pip(python, "install", "-q", "-c", str(ROOT / "requirements.lock"), requirement)
            _pip(python, "uninstall", "-q", "-y", "agno-models")
            (base / "complete").touch()
        env = temp.mktemp("venv") / kind
        shutil.copytree(base, env, symlinks=True)
    _pip(env / BIN / "python", "install", "-q", "--no-deps", str(wheel))
    return env


@pytest.fixture(scope="session")
def core_env(request: pytest.FixtureRequest, wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return installed(request, tmp_path_factory, wheel, "")


@pytest.fixture(scope="session")
def postgres_env(request: pytest.FixtureRequest, wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return installed(request, tmp_path_factory, wheel, "postgres,vectors")


def _pip(python: Path, *args: str) -> None:
    # Without PYTHONPATH: a source tree on it reads as an installed agno-models to pip.
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run = subprocess.run([str(python), "-m", "pip", *args], env=clean, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def outside(env: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a program of ``env`` in ``cwd``, with no trace of the source tree on its paths."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URL", "VIRTUAL_ENV")}
    clean["PATH"] = f"{env / BIN}{os.pathsep}{clean.get('PATH', '')}"
    return subprocess.run(list(args), cwd=cwd, env=clean, capture_output=True, text=True, check=False)


def test_the_wheel_ships_every_package_the_migrations_and_py_typed(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    source = [p.parent for p in ROOT.glob("agno_models/**/__init__.py")] + [p.parent for p in ROOT.glob("repositories/**/__init__.py")]
    for package in source:
        assert f"{package.relative_to(ROOT).as_posix()}/__init__.py" in names, package
    for script in (ROOT / "migrations").rglob("*.py"):
        assert f"agno_models/migrations/{script.relative_to(ROOT / 'migrations').as_posix()}" in names, script
    assert {"agno_models/migrations/script.py.mako", "agno_models/py.typed", "repositories/py.typed"} <= names
    assert not any(n.startswith(("tests/", "examples/", "bench/")) for n in names)


def test_the_core_install_serves_sqlite_from_outside_the_tree(core_env: Path, tmp_path: Path) -> None:
    python = str(core_env / BIN / "python")
    imports = outside(
        core_env, python, "-c",
        textwrap.dedent("""
            import repositories, agno_models
            from repositories import (SqliteDb, PostgresDb, MySQLDb, AsyncSqliteDb, AsyncPostgresDb, AsyncMySQLDb,
                                      SchemaNotReadyError, OwnershipError)
            import agno_models.migrate, agno_models.cli
            print(repositories.__file__)
            print(agno_models.__file__)
        """),
        cwd=tmp_path,
    )
    assert imports.returncode == 0, imports.stderr
    assert all(str(core_env) in line for line in imports.stdout.splitlines()), imports.stdout

    upgraded = outside(core_env, "agno-models", "upgrade", "--url", "sqlite:///x.db", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "from base to" in upgraded.stdout and (tmp_path / "x.db").is_file()
    current = outside(core_env, "agno-models", "current", "--url", "sqlite:///x.db", cwd=tmp_path)
    assert current.returncode == 0 and "(head)" in current.stdout, current.stdout + current.stderr

    (tmp_path / "two_turns.py").write_text(AGENT)
    turns = outside(core_env, python, "two_turns.py", "chat.db", cwd=tmp_path)
    assert turns.returncode == 0, turns.stderr
    first, second = turns.stdout.strip().splitlines()[-2:]
    assert first == "my name is Ada"
    assert second.split(" | ") == ["my name is Ada", "what is my name?"]  # the history came from chat.db
    assert {p.name for p in tmp_path.iterdir()} <= {"x.db", "chat.db", "two_turns.py"} | {
        f"{db}-{suffix}" for db in ("x.db", "chat.db") for suffix in ("wal", "shm")
    }


# A user's strict configuration. The big dependencies are not followed (their types read as Any):
# the check is about what the wheel ships, and it then takes ~4 s instead of ~20.
USER_MYPY_INI = """
[mypy]
strict = True

[mypy-agno.*,sqlalchemy.*,sqlmodel.*,pydantic.*,pydantic_core.*,alembic.*]
follow_imports = skip
"""


def test_a_users_script_type_checks_against_the_installed_wheel(core_env: Path, tmp_path: Path) -> None:
    """py.typed ships: mypy reads the installed packages' annotations, no import-untyped."""
    (tmp_path / "mypy.ini").write_text(USER_MYPY_INI)
    script = tmp_path / "user_script.py"
    script.write_text(USER_SCRIPT)
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / ".mypy_cache"),
         "--python-executable", str(core_env / BIN / "python"), script.name],
        cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=300, check=False,
    )
    report = (done.stdout + done.stderr).splitlines()
    assert done.returncode == 1, "\n".join(report)  # the marked wrong call, nothing else
    assert not [line for line in report if "import-untyped" in line or "import-not-found" in line], report
    assert reported_errors(script, report) == expected_errors(script), "\n".join(report)
    # The async classes' method types come from agno's AsyncBaseDb, not followed here.
    sync, _ = revealed(script, report)
    assert sync.startswith("def (session_id: str,") and "runs_limit: int | None =" in sync, sync


def test_the_core_install_names_the_extra_a_server_or_vectors_need(core_env: Path, tmp_path: Path) -> None:
    python = str(core_env / BIN / "python")
    script = textwrap.dedent("""
        import importlib.util, sys
        assert importlib.util.find_spec("numpy") is None, "numpy is not a core dependency"
        import repositories
        attempts = {
            "vectors": lambda: repositories.SqliteVectorDb,
            "postgres": lambda: repositories.PostgresDb(db_url="postgresql+psycopg://user@localhost/agno"),
            "mysql": lambda: repositories.MySQLDb(db_url="mysql+pymysql://user@localhost/agno"),
        }
        for extra, attempt in attempts.items():
            try:
                attempt()
            except ImportError as error:
                print(extra, "=>", error)
            else:
                sys.exit(f"{extra}: no error")
    """)
    run = outside(core_env, python, "-c", script, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = dict(line.split(" => ", 1) for line in run.stdout.strip().splitlines())
    for extra, message in lines.items():
        assert f"pip install 'agno-models[{extra}]'" in message, message
    assert re.search(r"'numpy'", lines["vectors"]) and "psycopg" in lines["postgres"] and "pymysql" in lines["mysql"]


SERVER = """
import sys
from agno.session import AgentSession
from agno.knowledge.document import Document
from repositories import HashingEmbedder, PgVectorDb, PostgresDb

db = PostgresDb(db_url=sys.argv[1], auto_upgrade=False)  # the command migrated schema ai
db.upsert_session(AgentSession(session_id="s1", agent_id="a", user_id="u", created_at=1))
print(len(db.get_sessions(user_id="u")))
store = PgVectorDb("handbook", db=db, embedder=HashingEmbedder(dimensions=64))
store.create()
store.insert("h1", [Document(id="d1", content="the E1234 error means the disk is full"), Document(id="d2", content="lunch is at noon")])
print(store.search("what does E1234 mean?", limit=1)[0].content.split()[1])
"""


def test_the_postgres_extra_serves_postgresql_and_knowledge(postgres_env: Path, postgres_url: URL, tmp_path: Path) -> None:
    url = postgres_url.render_as_string(hide_password=False)
    python = str(postgres_env / BIN / "python")
    upgraded = outside(postgres_env, "agno-models", "upgrade", "--url", url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "in schema ai of" in upgraded.stdout and "from base to" in upgraded.stdout
    (tmp_path / "server.py").write_text(SERVER)
    run = outside(postgres_env, python, "server.py", url, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["1", "E1234"]

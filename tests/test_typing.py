"""The packages stay mypy-clean under the project's configuration, and users' code type-checks.

mypy runs as the suite's own interpreter runs it (``python -m mypy``, the ``test`` extra), from
the repository root so ``[tool.mypy]`` in pyproject.toml applies. Its incremental cache lives in
pytest's cache (a temporary folder under ``-p no:cacheprovider``), held by one xdist worker at a
time: mypy's cache does not take concurrent writers, and a warm one turns ~25 s into ~2 s.
"""

from __future__ import annotations

import fcntl
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A user's script: the public API, what mypy infers for it, and one call it must refuse (so a
# public API that silently became Any fails here). Lines ending in "# E: <code>" must report that
# error code on that line and nothing else may be reported.
USER_SCRIPT = '''
from typing import assert_type

from agno.session import AgentSession
from repositories import AsyncSqliteDb, OwnershipError, SqliteDb
from agno_models import DEFAULT_NAMES, TableNames

db = SqliteDb(db_file="agno.db", session_table="my_sessions")
reveal_type(db.get_session)
reveal_type(AsyncSqliteDb(db_file="agno.db").get_session)
assert_type(db.delete_session("s1"), bool)
db.upsert_session(AgentSession(session_id="s1"))
names = TableNames.prefixed("team_a_")
assert_type(names.sessions, str)
assert_type(names.version_table, str)
assert_type(DEFAULT_NAMES == names, bool)
error: type[Exception] = OwnershipError
db.get_session(session_id=123)  # E: arg-type
'''

VECTOR_SCRIPT = '''
from repositories import HashingEmbedder, SqliteVectorDb

store = SqliteVectorDb("handbook", db_file="agno.db", embedder=HashingEmbedder(dimensions=64))
reveal_type(store.search)
store.search(42)  # E: arg-type
'''


@pytest.fixture(scope="module")
def mypy_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache_provider = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    return Path(cache_provider.mkdir("mypy")) if cache_provider else tmp_path_factory.mktemp("mypy")


def mypy(cache: Path, *targets: str, python: Path | None = None, cwd: Path = ROOT) -> tuple[int, list[str]]:
    """Run mypy on ``targets`` from ``cwd`` (its config); the exit code and the report's lines."""
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(cache / ("wheel" if python else "tree"))]
    if python is not None:
        command += ["--python-executable", str(python)]
    with open(cache / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run([*command, *targets], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert "No module named mypy" not in done.stderr, "mypy comes with the test extra: ./scripts/bootstrap"
    return done.returncode, (done.stdout + done.stderr).splitlines()


def expected_errors(script: Path) -> set[tuple[int, str]]:
    lines = script.read_text().splitlines()
    return {(n, m.group(1)) for n, line in enumerate(lines, 1) if (m := re.search(r"# E: ([\w-]+)$", line))}


def _of(script: Path, line: str) -> bool:
    # By file name: mypy's cache replays an unchanged file's messages under the path it had when
    # they were cached (an earlier session's tmp_path).
    return re.match(rf"(.*/)?{re.escape(script.name)}:\d+: ", line) is not None


def reported_errors(script: Path, report: list[str]) -> set[tuple[int, str]]:
    found = set()
    for line in report:
        m = re.search(r":(\d+): error: .*\[([\w-]+)\]$", line)
        if m and _of(script, line):
            found.add((int(m.group(1)), m.group(2)))
    return found


def revealed(script: Path, report: list[str]) -> list[str]:
    return [line.split('Revealed type is "', 1)[1].rstrip('"') for line in report
            if _of(script, line) and "Revealed type is" in line]


def test_agno_models_and_repositories_are_mypy_clean(mypy_cache: Path) -> None:
    code, report = mypy(mypy_cache, "agno_models", "repositories")
    assert code == 0, "\n".join(report)
    assert re.match(r"Success: no issues found in \d+ source files", report[-1]), report


def test_a_users_script_type_checks_against_the_public_api(mypy_cache: Path, tmp_path: Path) -> None:
    script = tmp_path / "user_script.py"
    script.write_text(USER_SCRIPT)
    vectors = tmp_path / "vector_script.py"
    vectors.write_text(VECTOR_SCRIPT)
    code, report = mypy(mypy_cache, str(script), str(vectors))
    assert code == 1, "\n".join(report)  # the two calls marked "# E:", nothing else
    assert not [line for line in report if "import-untyped" in line or "import-not-found" in line], report
    assert reported_errors(script, report) == expected_errors(script), "\n".join(report)
    assert reported_errors(vectors, report) == expected_errors(vectors), "\n".join(report)
    sync, asynchronous = revealed(script, report)
    assert sync.startswith("def (session_id: str, session_type: agno.db.base.SessionType | None =, user_id: str | None ="), sync
    assert asynchronous.startswith("def (session_id: str,") and "-> typing.Coroutine[Any, Any, " in asynchronous, asynchronous
    (search,) = revealed(vectors, report)
    assert search.startswith("def (query: str, limit: int =") and search.endswith("-> list[agno.knowledge.document.base.Document]"), search

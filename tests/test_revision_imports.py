"""Revisions carry what they need: they import only stdlib, SQLAlchemy, Alembic, their frozen
modules and the runtime contract, so editing the package never changes an applied revision."""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

import pytest

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
CONTRACT = "agno_models.migration_context"
LIBRARIES = {"sqlalchemy", "alembic"}


def _frozen_names(versions: Path) -> set[str]:
    return {path.stem for path in (versions / "frozen").glob("*.py") if path.stem != "__init__"}


def import_problems(versions: Path) -> list[str]:
    """Every import in the revisions and their frozen modules that is not allowed, as ``file:line: why``."""
    frozen = _frozen_names(versions)
    problems: list[str] = []
    files = sorted(versions.glob("*.py")) + sorted((versions / "frozen").glob("*.py"))
    for path in files:
        contract_seen = False
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            where = f"{path.relative_to(versions)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
                called = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                if called in ("__import__", "import_module"):
                    problems.append(f"{where}: dynamic import {called}()")
                continue
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    problems.append(f"{where}: relative import")
                    continue
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if module == CONTRACT:
                    contract_seen = True
                elif top in frozen:
                    if not contract_seen:
                        problems.append(f"{where}: {module} imported before {CONTRACT} (which makes it importable)")
                elif not (top in LIBRARIES or top in sys.stdlib_module_names or top == "__future__"):
                    problems.append(f"{where}: imports {module}")
    return problems


def test_revisions_import_only_what_they_carry() -> None:
    assert import_problems(VERSIONS) == []
    assert len(list(VERSIONS.glob("2*.py"))) >= 4  # the check read the revisions


@pytest.mark.parametrize(
    ("target", "planted", "expected"),
    [
        ("2026_11_22_0003_analytics.py", "from agno_models import analytics\n", "imports agno_models"),
        ("2026_11_22_0001_create_every_agno_table.py", "import numpy as np\n", "imports numpy"),
        ("frozen/_0001_types.py", "from agno_models.types import Embedding\n", "imports agno_models.types"),
        ("2026_11_22_0004_run_times_per_session.py", "from agno_models.layout import TableNames\n", "imports agno_models.layout"),
        ("2026_11_22_0002_knowledge_search.py", "from . import helpers\n", "relative import"),
        ("2026_11_22_0002_knowledge_search.py", "x = __import__('agno_models.knowledge')\n", "dynamic import"),
    ],
)
def test_the_check_catches_a_planted_import(tmp_path: Path, target: str, planted: str, expected: str) -> None:
    copy = tmp_path / "versions"
    shutil.copytree(VERSIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / target
    path.write_text(path.read_text() + "\n" + planted)
    problems = import_problems(copy)
    assert len(problems) == 1 and expected in problems[0] and target in problems[0], problems


def test_the_check_catches_a_frozen_module_imported_before_the_contract(tmp_path: Path) -> None:
    copy = tmp_path / "versions"
    shutil.copytree(VERSIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / "2026_11_22_0004_run_times_per_session.py"
    path.write_text("import _repeatable\n" + path.read_text())
    expected = (
        "2026_11_22_0004_run_times_per_session.py:1: _repeatable imported before agno_models.migration_context "
        "(which makes it importable)"
    )
    assert [p for p in import_problems(copy) if "imported before" in p] == [expected]

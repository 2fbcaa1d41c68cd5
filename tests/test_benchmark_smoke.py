"""The benchmark (``python -m bench``, docs/benchmarks.md) runs end to end at a tiny size, so it cannot rot.

No timing is asserted: only that every operation is measured on every implementation, that our
class and the raw baseline returned the same results for it and sent as many statements (so
bench/raw.py keeps doing what our SQL does; agno's may differ), and that the vector
section reports insert rates, search latency and recall (HNSW on PostgreSQL, our exact path elsewhere).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.cli import main
from bench.payloads import Payloads
from bench.storage import Sizes, memory_ops, session_ops

TINY = Sizes(sessions=12, users=2, runs_per_session=2, memories=12, memory_users=2, bulk_sessions=3, bulk_runs=2,
             bulk_memories=5)
ARGS = [
    "--sessions", "12", "--users", "2", "--runs-per-session", "2", "--memories", "12", "--memory-users", "2",
    "--bulk-sessions", "3", "--bulk-runs", "2", "--bulk-memories", "5", "--repeat", "2", "--heavy-repeat", "1",
]


def test_benchmark_runs_every_operation_at_a_tiny_size(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    args = [*ARGS, "--backends", backend, "--workdir", str(tmp_path / "work"), "--json", str(out),
            "--markdown", str(tmp_path / "bench.md")]
    # One data set is enough here: the uniform one runs the very same code.
    args += ["--vector-sizes", "300", "--vector-data", "clustered", "--vector-queries", "3", "--ef-search", "10,40"]
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
        args += ["--postgres-url", url.render_as_string(hide_password=False)]
    if backend == "mysql":
        request.getfixturevalue("mysql_admin")  # skips (or fails in CI) when the server is unreachable
        from tests.conftest import MYSQL_URL

        args += ["--mysql-url", MYSQL_URL]

    assert main(args) == 0
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())

    ops = session_ops(Payloads(templates=2), TINY) + memory_ops(Payloads(templates=2), TINY)
    rows = {row["op"]: row for row in report["storage"] if row["backend"] == backend}
    assert sorted(rows) == sorted(op.key for op in ops)
    for op in ops:
        row = rows[op.key]
        assert op.label in printed
        assert "ours and raw differ" not in row["note"], row["note"]
        # The raw baseline must send what ours sends, or ours/raw measures something else.
        assert row["statements"]["ours"] == row["statements"]["raw"], (op.key, row["statements"])
        for implementation in ("ours", "agno", "raw"):
            assert row[f"{implementation}_n"] == (1 if op.heavy else 2)
            assert row[f"{implementation}_p50_ms"] > 0
    assert "appending a run" in printed
    markdown = (tmp_path / "bench.md").read_text().splitlines()
    markdown_rows = [line for line in markdown if line.startswith(f"| {backend} | ")]
    for op in ops:
        assert sum(f"| {op.label} |" in line for line in markdown_rows) == 1, op.label

    vectors = report["vectors"]
    assert [(v["backend"], v["kind"], v["n"]) for v in vectors] == [(backend, "clustered", 300)]
    for v in vectors:
        if backend != "postgresql":
            # Our exact NumPy path: every search finds the true top 10.
            assert [s["ef_search"] for s in v["searches"]] == [0]
            assert v["searches"][0]["recall"]["ours"] == 1.0 and v["searches"][0]["ours_p50_ms"] > 0
            continue
        assert v["insert_rows_per_s"]["agno"] > 0 and v["insert_rows_per_s"]["raw COPY"] > 0
        assert [s["ef_search"] for s in v["searches"]] == [10, 40]
        for search in v["searches"]:
            for store in search["recall"]:  # agno, and ours once repositories/vectors exists
                assert 0 <= search["recall"][store] <= 1 and not math.isnan(search["recall"][store])
                assert search["same_ids"][store] == 1.0  # the raw replay ran the same SQL on the same index
                assert search[f"{store}_p50_ms"] > 0 and search[f"raw ({store})_p50_ms"] > 0


def test_the_agent_turn_benchmark_runs_and_sees_no_stale_run(tmp_path: Path) -> None:
    """``python -m bench.turns`` at a tiny size on SQLite, with the two-process row: it must not rot."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "bench.turns", "--backends", "sqlite", "--sizes", "2", "--repeat", "2", "--two-processes"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "| sqlite | 2 runs |" in done.stdout
    assert "(stale reads: 0)" in done.stdout


def test_the_contention_benchmark_runs_and_ours_stores_every_run_once() -> None:
    """``python -m bench.contention`` at a tiny size on SQLite, every workload: it must not rot."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "bench.contention", "--backends", "sqlite", "--writers", "3", "--runs", "2"],
        check=False, cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| sqlite | ")]
    assert [row.split(" | ")[1] for row in rows] == ["upserts (3 x 2)", "agents (3 x 2)", "async (3 x 2)"]
    for row in rows:
        cells = row.split(" | ")
        stored, duplicates, lost, errors = (cells[i].split(" / ")[0] for i in (4, 5, 6, 7))
        assert (stored, duplicates, lost, errors) == ("6", "0", "0", "0"), row

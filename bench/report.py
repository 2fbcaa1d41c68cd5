"""The printed and written tables, and the targets each row is held to."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.storage import Result

# The targets.
MAX_OURS_OVER_RAW = 1.5
MAX_OURS_OVER_AGNO = 0.5  # where agno's own ratio to raw is above AGNO_SLOW
AGNO_SLOW = 3.0
MAX_APPEND_GROWTH = 1.2
MAX_SEARCH_OVER_RAW = 1.2
MIN_RECALL = 0.95
MIN_INSERT_RATE_OF_COPY = 0.5


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    value = seconds * 1e3
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def x(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"


@dataclass
class Verdict:
    text: str
    missed: bool


def verdict(result: Result) -> Verdict:
    s = result.samples
    if "ours" not in s:
        return Verdict("", False)
    ours = s["ours"].p50
    over_raw = ratio(ours, s["raw"].p50) if "raw" in s else math.nan
    agno_over_raw = ratio(s["agno"].p50, s["raw"].p50) if "agno" in s and "raw" in s else math.nan
    over_agno = ratio(ours, s["agno"].p50) if "agno" in s else math.nan
    misses = []
    if not math.isnan(over_raw) and over_raw > MAX_OURS_OVER_RAW:
        misses.append(f"ours/raw>{MAX_OURS_OVER_RAW}")
    if not math.isnan(agno_over_raw) and agno_over_raw > AGNO_SLOW and over_agno > MAX_OURS_OVER_AGNO:
        misses.append(f"ours/agno>{MAX_OURS_OVER_AGNO}")
    return Verdict("MISS " + ", ".join(misses) if misses else "ok", bool(misses))


STORAGE_HEADER = ("backend", "operation", "ours p50", "ours p95", "agno p50", "agno p95", "raw p50", "raw p95",
                  "ours/agno", "ours/raw", "agno/raw", "stmts o/a/r", "target")


def storage_rows(results: Sequence[Result]) -> list[list[str]]:
    rows = []
    for r in results:
        s = r.samples

        def cell(name: str, attr: str, s: dict[str, Any] = s) -> str:
            return ms(getattr(s[name], attr)) if name in s else "-"

        def p50(name: str, s: dict[str, Any] = s) -> float:
            return s[name].p50 if name in s else math.nan

        rows.append([
            r.backend, r.op.label, cell("ours", "p50"), cell("ours", "p95"), cell("agno", "p50"), cell("agno", "p95"),
            cell("raw", "p50"), cell("raw", "p95"), x(ratio(p50("ours"), p50("agno"))),
            x(ratio(p50("ours"), p50("raw"))), x(ratio(p50("agno"), p50("raw"))),
            "/".join(str(r.statements.get(n, "-")) for n in ("ours", "agno", "raw")), verdict(r).text,
        ])
    return rows


def append_checks(results: Sequence[Result]) -> list[tuple[str, float, bool]]:
    """(backend, ours append-to-long / append-to-short, met) per backend."""
    out = []
    by = {(r.backend, r.op.key): r for r in results}
    for backend in dict.fromkeys(r.backend for r in results):
        short, long = by.get((backend, "append_short")), by.get((backend, "append_long"))
        if short and long and "ours" in short.samples:
            growth = ratio(long.samples["ours"].p50, short.samples["ours"].p50)
            out.append((backend, growth, growth <= MAX_APPEND_GROWTH))
    return out


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    numeric = [i for i, h in enumerate(header) if any(k in h for k in ("p50", "p95", "/", "rate", "recall", "ms"))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).rjust(w) if i in numeric else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def as_json(results: Sequence[Result]) -> list[dict[str, Any]]:
    return [
        {
            "backend": r.backend, "op": r.op.key, "label": r.op.label, "note": r.note,
            "verdict": verdict(r).text, "statements": r.statements,
            **{f"{name}_p50_ms": s.p50 * 1e3 for name, s in r.samples.items()},
            **{f"{name}_p95_ms": s.p95 * 1e3 for name, s in r.samples.items()},
            **{f"{name}_n": len(s.seconds) for name, s in r.samples.items()},
        }
        for r in results
    ]

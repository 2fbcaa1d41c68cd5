"""agno 2.x kept a session's runs as one JSON array in ``sessions.runs``: make them one row each.

Each run becomes a row of the runs table the way agno 3.1's own v3.0.0 migration makes it
(``run_index`` is the position in the array, ``run_type`` from the ids, the session's owner),
so agno's class and ours read the same conversation afterwards. The ``runs`` column is kept as
it is (additive: agno keeps it as a backup too).

Streamed: the array is never loaded whole. The database's own JSON functions hand out
``BATCH`` elements per query (``json_each`` on SQLite, ``jsonb_array_elements`` on PostgreSQL,
``JSON_EXTRACT(runs, '$[i]')`` on MySQL), so memory holds one batch whatever the session's size.
Resumable: each session converts in one transaction, and a session that already has run rows
is done, so a conversion killed at any point is finished by the next start, with nothing
converted twice or lost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from agno_models.analytics import Progress
from agno_models.layout import TableNames
from agno_models.types import json_type

BATCH = 200  # runs per query and per INSERT
SESSIONS_PER_PAGE = 100


def has_legacy_runs(connection: Connection, names: TableNames, schema: str | None) -> bool:
    inspector = sa.inspect(connection)
    if names.sessions not in inspector.get_table_names(schema=schema):
        return False
    return "runs" in {c["name"] for c in inspector.get_columns(names.sessions, schema=schema)}


def _q(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def _length(connection: Connection, names: TableNames, session_id: str) -> int:
    s = _q(connection, names.sessions)
    kind, length = {
        "sqlite": ("json_type(runs)", "json_array_length(runs)"),
        "postgresql": ("jsonb_typeof(runs::jsonb)", "jsonb_array_length(runs::jsonb)"),
    }.get(connection.dialect.name, ("JSON_TYPE(runs)", "JSON_LENGTH(runs)"))
    row = connection.execute(
        sa.text(f"SELECT {kind}, CASE WHEN LOWER({kind}) = 'array' THEN {length} END FROM {s} WHERE session_id = :s"),
        {"s": session_id},
    ).one()
    if row[0] is None or str(row[0]).lower() != "array":
        return 0  # NULL, or not an array: nothing agno could read as runs either
    return int(row[1] or 0)


def _elements(connection: Connection, names: TableNames, session_id: str, lo: int, hi: int) -> list[tuple[int, Any]]:
    """Elements ``lo`` to ``hi - 1`` of the session's runs array, as (position, JSON text or value)."""
    s = _q(connection, names.sessions)
    dialect = connection.dialect.name
    params: dict[str, Any] = {"s": session_id, "lo": lo, "hi": hi}
    if dialect == "sqlite":
        sql = (f"SELECT j.key, j.value FROM {s}, json_each({s}.runs) AS j "
               "WHERE session_id = :s AND j.key >= :lo AND j.key < :hi ORDER BY j.key")
    elif dialect == "postgresql":
        sql = (f"SELECT t.ord - 1, t.elem::text FROM {s}, jsonb_array_elements({s}.runs::jsonb) "
               "WITH ORDINALITY AS t(elem, ord) WHERE session_id = :s AND t.ord > :lo AND t.ord <= :hi ORDER BY t.ord")
    else:
        paths = {f"p{i}": f"$[{i}]" for i in range(lo, hi)}
        params.update(paths)
        picks = ", ".join(f"JSON_EXTRACT(runs, :{key})" for key in paths)
        row = connection.execute(sa.text(f"SELECT {picks} FROM {s} WHERE session_id = :s"), params).one()
        return list(zip(range(lo, hi), row, strict=True))
    return [(int(r[0]), r[1]) for r in connection.execute(sa.text(sql), params)]


def _row(position: int, raw: Any, session_id: str, user_id: str | None, now: int) -> dict[str, Any] | None:
    run = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(run, dict) or run.get("run_id") is None:
        return None  # agno's migration skips these too
    run_type = "agent" if run.get("agent_id") else "team" if run.get("team_id") else "workflow"
    return {
        "run_id": run["run_id"], "session_id": session_id, "run_type": run_type,
        "agent_id": run.get("agent_id"), "team_id": run.get("team_id"), "workflow_id": run.get("workflow_id"),
        "user_id": user_id, "parent_run_id": run.get("parent_run_id"), "status": run.get("status"),
        "run_index": position, "run_data": run, "created_at": run.get("created_at") or now, "updated_at": now,
    }


def _pending_sessions(connection: Connection, names: TableNames) -> Iterator[tuple[str, str | None]]:
    """Sessions holding a runs array and no run rows yet, by session_id, a page at a time."""
    s, r = _q(connection, names.sessions), _q(connection, names.runs)
    last: str | None = None
    while True:
        after = "" if last is None else "AND s.session_id > :last "
        page = connection.execute(
            sa.text(f"SELECT s.session_id, s.user_id FROM {s} s WHERE s.runs IS NOT NULL {after}"
                    f"AND NOT EXISTS (SELECT 1 FROM {r} x WHERE x.session_id = s.session_id) "
                    f"ORDER BY s.session_id LIMIT {SESSIONS_PER_PAGE}"),
            {"last": last},
        ).all()
        if connection.in_transaction():
            connection.commit()
        if not page:
            return
        yield from ((row[0], row[1]) for row in page)
        last = page[-1][0]


def convert_session(connection: Connection, names: TableNames, session_id: str, user_id: str | None) -> int:
    """Write one session's runs as rows, in one transaction; returns the rows written."""
    runs = sa.table(
        names.runs, *[sa.column(c) for c in ("run_id", "session_id", "run_type", "agent_id", "team_id", "workflow_id",
                                             "user_id", "parent_run_id", "status", "run_index", "created_at", "updated_at")],
        sa.column("run_data", json_type()),
    )
    now = int(time.time())
    written = 0
    with connection.begin():
        length = _length(connection, names, session_id)
        for lo in range(0, length, BATCH):
            rows = [
                row for position, raw in _elements(connection, names, session_id, lo, min(lo + BATCH, length))
                if (row := _row(position, raw, session_id, user_id, now)) is not None
            ]
            if rows:
                insert_batch(connection, runs, rows)
                written += len(rows)
    return written


def insert_batch(connection: Connection, runs: sa.TableClause, rows: list[dict[str, Any]]) -> None:
    connection.execute(sa.insert(runs), rows)


def convert(connection: Connection, names: TableNames, *, out: TextIO | None = None) -> int:
    """Convert every session's runs array that is not converted yet; returns the run rows written."""
    s = _q(connection, names.sessions)
    total = connection.execute(sa.text(f"SELECT COUNT(*) FROM {s} WHERE runs IS NOT NULL")).scalar_one()
    if connection.in_transaction():
        connection.commit()
    progress = Progress(f"convert {names.sessions}.runs", total, out)
    written = 0
    for session_id, user_id in _pending_sessions(connection, names):
        written += convert_session(connection, names, session_id, user_id)
        progress.advance(1)
    return written

"""Deserialized runs kept per session, so an agent turn costs the same on run 500 as on run 5.

Every agent turn reads its whole session, and rebuilding every run object from its row made a
turn's cost grow with the session. agno 3.1 keeps run objects per session too
(``SessionRunObjectCache``), but validates each by hashing its text, so it still reads every
run's ``run_data`` on every turn. Here the validity token is cheaper: revision 0007's triggers
give each session a ``runs_version`` that any write of one of its runs raises, and each run the
``row_version`` of its last write. A turn reads the session row (which it reads anyway); if the
version is the cached one, no run is read at all; otherwise only the runs written since are, by
the ``(session_id, row_version)`` index. A deletion leaves no row to find: it shows as a cached
run count that no longer matches the session's ``run_count`` (kept by the same triggers), and
then the session's runs are read again in full.

The triggers fire for every writer, so a run another process (or agno's own class) wrote is
never served stale. Shared run objects are immutable by agno's contract (every path that changes
a historical run copies it first), as agno's own cache relies on too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from agno.db.utils import deserialize_history_run

from repositories.core.context import Ctx, statement
from repositories.core.operation import Bound, Steps

MAX_SESSIONS = 64


@dataclass
class _Entry:
    version: int
    # run_id -> ((run_index, created_at, run_id), run object or None)
    runs: dict[str, tuple[tuple[Any, ...], Any]] = field(default_factory=dict)
    ordered: list[Any] = field(default_factory=list)
    last: tuple[Any, ...] | None = None  # the sort key of the last run


@statement
def _written_since(ctx: Ctx) -> sa.Select[Any]:
    runs = ctx.tables.runs
    return (
        sa.select(runs.c.run_id, runs.c.run_index, runs.c.created_at, runs.c.run_data)
        .where(runs.c.session_id == sa.bindparam("session_id"), runs.c.row_version > sa.bindparam("since"))
    )


class RunCache:
    """Run objects of the most recently read sessions of one db object (least recently read go)."""

    def __init__(self, max_sessions: int = MAX_SESSIONS) -> None:
        self._sessions: OrderedDict[str, _Entry] = OrderedDict()
        self._max = max_sessions
        self._lock = threading.Lock()

    def runs(self, ctx: Ctx, session_id: str, *, version: int, run_count: int) -> Steps[list[Any]]:
        """The session's run objects in ``run_index`` order, given its current version and count."""
        with self._lock:
            entry = self._sessions.get(session_id)
            if entry is not None:
                self._sessions.move_to_end(session_id)
        if entry is not None and entry.version == version and len(entry.runs) == run_count:
            return entry.ordered
        since = entry.version if entry is not None else -1
        rows = (yield Bound(_written_since(ctx), {"session_id": session_id, "since": since})).fetchall()
        fresh = _merged(entry, rows, version)
        if len(fresh.runs) != run_count and entry is not None:
            # A run was deleted (or moved to another session): read them all again.
            rows = (yield Bound(_written_since(ctx), {"session_id": session_id, "since": -1})).fetchall()
            fresh = _merged(None, rows, version)
        with self._lock:
            self._sessions[session_id] = fresh
            self._sessions.move_to_end(session_id)
            while len(self._sessions) > self._max:
                self._sessions.popitem(last=False)
        return fresh.ordered

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)


def _merged(entry: _Entry | None, rows: Sequence[Any], version: int) -> _Entry:
    """``entry`` with ``rows`` (new or rewritten runs) applied, in run order."""
    runs = dict(entry.runs) if entry is not None else {}
    last = entry.last if entry is not None else None
    appended = last is not None
    for run_id, run_index, created_at, run_data in rows:
        key = (_sortable(run_index), created_at, run_id)
        appended = appended and run_id not in runs and key > last  # type: ignore[operator]
        runs[run_id] = (key, _object(run_data))
    fresh = _Entry(version=version, runs=runs)
    if appended:
        fresh.last = max((runs[r[0]][0] for r in rows), default=last)
    else:
        fresh.last = max((item[0] for item in runs.values()), default=None)
    if appended and entry is not None:
        # The usual turn: one new run at the end; no re-sort of the whole session.
        new = sorted((runs[r[0]] for r in rows), key=lambda item: item[0])
        fresh.ordered = entry.ordered + [obj for _, obj in new if obj is not None]
    else:
        fresh.ordered = [obj for _, obj in sorted(runs.values(), key=lambda item: item[0]) if obj is not None]
    return fresh


def _sortable(run_index: int | None) -> tuple[bool, int]:
    # Runs without an index sort first, as NULLs do in the runs query's ORDER BY run_index.
    return (run_index is not None, run_index or 0)


def _object(run_data: Any) -> Any:
    return deserialize_history_run(run_data) if isinstance(run_data, dict) else None

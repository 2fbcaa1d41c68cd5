"""What a session delete owes agno's sandbox coordinators registered on the db.

agno's sandbox coordinator (``agno.sandbox.coordinator``) registers itself on the db it keeps its
leases in (``db.sandbox_coordinators``). A session delete cascades into the session's binding, which
is the only record of the sandbox computer and checkpoints the session leaves behind, so, as agno's
PostgresDb does, the delete first asks each coordinator what it would orphan (inside the delete's
transaction, in a savepoint so a failed read cannot undo the delete) and, after the commit, has
each one remove it. Best effort, as in agno: the session is gone either way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from repositories.core.operation import Call, Special

Leftovers = list[tuple[Any, Any]]  # (coordinator, what it reported)


def coordinators_of(db: Any) -> list[Any]:
    return list(getattr(db, "sandbox_coordinators", None) or [])


class CollectLeftovers(Special):
    """Each coordinator's ``collect_deleted_sessions`` on the delete's own connection."""

    def __init__(self, coordinators: list[Any], session_ids: list[str]) -> None:
        self.coordinators, self.session_ids = coordinators, session_ids

    def run_sync(self, conn: Connection) -> Leftovers:
        collected: Leftovers = []
        for coordinator in self.coordinators:
            try:
                with conn.begin_nested():
                    collected.append((coordinator, coordinator.collect_deleted_sessions(conn, self.session_ids)))
            except Exception as error:  # noqa: BLE001 - agno's contract: report, keep deleting
                _warn(f"Could not read sandbox resources of deleted sessions: {error}")
        return collected

    async def run_async(self, conn: Any) -> Leftovers:
        collected: Leftovers = []
        for coordinator in self.coordinators:
            try:
                async with conn.begin_nested():
                    found = await conn.run_sync(lambda sync, c=coordinator: c.collect_deleted_sessions(sync, self.session_ids))
                collected.append((coordinator, found))
            except Exception as error:  # noqa: BLE001 - as above
                _warn(f"Could not read sandbox resources of deleted sessions: {error}")
        return collected


def release_leftovers(collected: Leftovers) -> Call:
    """After the commit: each coordinator removes the computers and checkpoints it reported."""

    def release() -> None:
        for coordinator, leftovers in collected:
            if leftovers:
                try:
                    coordinator.release_deleted_sessions(leftovers)
                except Exception as error:  # noqa: BLE001 - after the commit: report, as agno does
                    _warn(f"Could not remove sandbox resources of deleted sessions: {error}")

    async def arelease() -> None:
        for coordinator, leftovers in collected:
            if leftovers:
                try:
                    await coordinator.arelease_deleted_sessions(leftovers)
                except Exception as error:  # noqa: BLE001 - as above
                    _warn(f"Could not remove sandbox resources of deleted sessions: {error}")

    return Call(sync=release, asynchronous=arelease)


def _warn(message: str) -> None:
    from agno.utils.log import log_warning

    log_warning(message)

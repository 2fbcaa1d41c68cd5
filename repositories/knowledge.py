"""Knowledge contents: one row per piece of content a ``Knowledge`` tracks (chunks live in the vector store).

The contract is agno 3.1's: ``user_id`` NULL marks a row shared with every user, so a user-scoped
read sees the user's own rows plus the shared ones, while a user-scoped delete touches only the
user's own rows. An upsert overwrites only the columns it is given (None leaves the stored value).
On top of it:
- a user-scoped upsert never overwrites a row of another user or a shared row, even when a
  concurrent writer inserts that row between the check and the write (the write itself is guarded);
- text that a column cannot hold (too long, or containing NUL) is refused with a ValueError
  naming the column, on every dialect, before anything is written;
- database errors propagate; nothing is turned into ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import sqlalchemy as sa
from agno.db.schemas.knowledge import KnowledgeRow
from sqlalchemy.engine import Connection

from repositories.core.dialects import Dialect
from repositories.core.operation import Steps, drive, operation
from repositories.core.query import as_dict, count_of, ordered, paged
from repositories.core.repository import Repository
from repositories.core.values import MissingRowError, checked

# KnowledgeRow fields stored as columns of the same name.
_FIELDS = (
    "id", "name", "description", "metadata", "type", "size", "linked_to", "access_count", "status",
    "status_message", "created_at", "updated_at", "external_id", "user_id",
)


def _visible_to(table: sa.Table, user_id: str | None) -> sa.ColumnElement[bool]:
    # agno: a scoped read sees the user's rows plus the shared (user_id IS NULL) ones.
    if user_id is None:
        return sa.true()
    return sa.or_(table.c.user_id == user_id, table.c.user_id.is_(None))


def _knowledge_row(record: Mapping[str, Any]) -> KnowledgeRow:
    return KnowledgeRow.model_validate(dict(record))


def _incoming(column: str) -> Callable[[Callable[[str], Any]], Any]:
    return lambda incoming: incoming(column)


class KnowledgeRepository(Repository):
    """agno's knowledge-content methods, each one operation."""

    @operation(writes=True, absent=None)
    def delete_knowledge_content(self, id: str, user_id: str | None = None) -> Steps[None]:
        ctx = self._ctx
        table = ctx.tables.knowledge
        stmt = sa.delete(table).where(table.c.id == id)
        if user_id is not None:
            # Only the user's own row: a shared row is not the user's to delete.
            stmt = stmt.where(table.c.user_id == user_id)
        yield stmt

    @operation(writes=False, absent=None)
    def get_knowledge_content(self, id: str, user_id: str | None = None) -> Steps[KnowledgeRow | None]:
        ctx = self._ctx
        table = ctx.tables.knowledge
        row = (yield sa.select(table).where(table.c.id == id, _visible_to(table, user_id))).first()
        return None if row is None else _knowledge_row(as_dict(row))

    @operation(writes=False, absent=lambda a: ([], 0))
    def get_knowledge_contents(
        self,
        limit: int | None = None,
        page: int | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        linked_to: str | None = None,
        user_id: str | None = None,
    ) -> Steps[tuple[list[KnowledgeRow], int]]:
        ctx = self._ctx
        table = ctx.tables.knowledge
        stmt = sa.select(table).where(_visible_to(table, user_id))
        if linked_to is not None:
            stmt = stmt.where(table.c.linked_to == linked_to)
        listing = paged(ordered(stmt, table, sort_by, sort_order), limit, page)  # validates before any query
        total = (yield count_of(stmt)).scalar_one()
        rows = (yield listing).fetchall()
        return [_knowledge_row(as_dict(r)) for r in rows], total

    @operation(writes=True)
    def upsert_knowledge_content(self, knowledge_row: KnowledgeRow) -> Steps[KnowledgeRow]:
        # agno's rule: an update writes only the fields that are set, so None never clears a column.
        yield from _upsert(self._ctx.dialect, self._ctx.tables.knowledge, knowledge_row, unset="kept")
        return knowledge_row

    def _upsert_knowledge_content_on(self, conn: Connection, table: sa.Table, knowledge_row: KnowledgeRow) -> None:
        """agno's page store publishing a catalog row inside its own transaction on ``conn``.

        agno's ``PageCoordinator`` writes the page's file, chunks and catalog row in one transaction
        of its own connection, so this opens, commits and retries nothing. As in agno, every field is
        written, so a None clears what an earlier attempt left (a page's ``status_message``), and
        ``created_at`` keeps its first value. ``table`` is the catalog from ``_get_table``; its
        statements are built on this db's own schema-qualified copy, as that connection translates
        no schema.
        """
        own = self._qualified(self._ctx.tables.knowledge)
        if (table.schema, table.name) != (own.schema, own.name):
            raise ValueError(f"{table.fullname} is not this db's knowledge table ({own.fullname})")
        drive(_upsert(self._ctx.dialect, own, knowledge_row, unset="cleared"), conn)


def _upsert(
    dialect: Dialect, table: sa.Table, knowledge_row: KnowledgeRow, *, unset: Literal["kept", "cleared"]
) -> Steps[None]:
    """Insert the row, or update it: ``unset="kept"`` leaves a column the row has as None alone,
    ``"cleared"`` writes it (and keeps ``created_at``)."""
    given = {field: getattr(knowledge_row, field) for field in _FIELDS}
    if not given["id"]:
        raise ValueError("a knowledge row needs an id")
    for required in ("name", "description"):
        if given[required] is None:
            raise ValueError(f"a knowledge row needs a {required}")
    checked(table, given)
    if unset == "kept":
        update = {column: _incoming(column) for column, value in given.items() if column != "id" and value is not None}
    else:
        update = {column: _incoming(column) for column in given if column not in ("id", "created_at")}
    owner = knowledge_row.user_id
    def owned_by_the_writer(incoming: Any) -> Any:
        return table.c.user_id == incoming("user_id")

    # A scoped write must not overwrite a row it does not own (a shared row included).
    only_if = owned_by_the_writer if owner is not None else None
    yield dialect.upsert(table, given, key=["id"], update=update, only_if=only_if)
    if owner is not None:
        # A locking read sees the latest committed row even under MySQL's REPEATABLE READ snapshot.
        stored = (yield dialect.locked(sa.select(table.c.user_id).where(table.c.id == given["id"]))).first()
        if stored is None or stored.user_id != owner:
            raise MissingRowError(f"Knowledge content {given['id']} not found")

"""PostgreSQL (psycopg 3)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, Executable, FromClause, Select
from sqlalchemy.sql.dml import Insert

from agno_models.engine import json_dumps_postgres
from repositories.core.dialects.base import Dialect, Incoming, Rows, Updates, Values, _assignments, _values, agno_fs_table


class PostgreSQLDialect(Dialect):
    name = "postgresql"

    migration_sets_search_path = True

    @contextmanager
    def migration_lock(self, conn: Connection, key: str, *, timeout: int) -> Iterator[None]:
        ident = int(hashlib.sha256(key.encode()).hexdigest()[:15], 16)  # fits a signed bigint
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": ident})
        conn.commit()
        try:
            yield
        except BaseException:
            conn.rollback()  # a failed statement aborted the transaction: unlock in a fresh one, raise the cause
            raise
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ident})
            conn.commit()
    json_kinds: ClassVar[Mapping[str, tuple[str, ...]]] = {"string": ("string",), "number": ("number",), "boolean": ("boolean",), "null": ("null",),
                  "array": ("array",)}

    def json_dumps(self, value: Any) -> str:
        return json_dumps_postgres(value)  # drops U+0000, which PostgreSQL cannot store (as agno does)

    def payload_table(self) -> tuple[sa.TableClause, Select[Any]] | None:
        # agno's DbFileSystem keeps its table in schema "fs", shared by every schema of the database.
        found = sa.select(1).where(sa.func.to_regclass("fs.agno_fs").is_not(None))
        return agno_fs_table("fs"), found

    def upsert(
        self,
        table: sa.Table,
        rows: Rows,
        *,
        key: Sequence[str],
        update: Updates,
        only_if: Callable[[Incoming], ColumnElement[bool]] | None = None,
    ) -> Insert:
        return _on_conflict(postgresql.insert(table), rows, key=key, update=update, only_if=only_if)

    def insert_ignore(self, table: sa.Table, rows: Values, *, key: Sequence[str] | None) -> Insert:
        stmt = postgresql.insert(table).values(_values(rows)).on_conflict_do_nothing(
            index_elements=None if key is None else list(key)
        )
        # psycopg reports no rowcount for INSERT unless SQLAlchemy is asked to keep it.
        return stmt.execution_options(preserve_rowcount=True)

    def epoch_now(self) -> ColumnElement[int]:
        # now() is the transaction's start: every statement of one operation sees the same second.
        return sa.cast(sa.func.floor(sa.extract("epoch", sa.func.now())), sa.BigInteger)

    def transaction_lock(self, key: str) -> Executable | None:
        digest = hashlib.sha256(key.encode()).digest()[:8]
        return sa.select(sa.func.pg_advisory_xact_lock(sa.literal(int.from_bytes(digest, "big", signed=True), sa.BigInteger)))

    def json_array_contains(self, column: sa.Column[Any], value: str | ColumnElement[str]) -> ColumnElement[bool]:
        return column.op("@>")(sa.func.jsonb_build_array(value))

    def is_json_array(self, column: sa.Column[Any]) -> ColumnElement[bool]:
        return sa.func.jsonb_typeof(column) == "array"

    def json_array_elements(self, table: sa.Table, column: sa.Column[Any]) -> tuple[ColumnElement[Any], FromClause]:
        # A set-returning function in the select list runs after WHERE, so scalars never reach it.
        return sa.func.jsonb_array_elements_text(column), table

    def bytewise(self, column: ColumnElement[str]) -> ColumnElement[str]:
        return column.collate("C")

    def json_kind(self, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
        return sa.func.jsonb_typeof(column.op("#>")(sa.literal(list(keys), sa.ARRAY(sa.Text))))

    def json_text(self, column: Any, keys: Sequence[str]) -> ColumnElement[Any]:
        text: ColumnElement[Any] = column.op("#>>")(sa.literal(list(keys), sa.ARRAY(sa.Text)))
        return text

    def json_contains(self, column: Any, document: Mapping[str, Any]) -> ColumnElement[bool]:
        # The column's Python type is the generic JSON (a JSONB variant): compare as JSONB (``@>``).
        return sa.type_coerce(column, postgresql.JSONB).contains(document)


def _on_conflict(
    stmt: Any,
    rows: Rows,
    *,
    key: Sequence[str],
    update: Updates,
    only_if: Callable[[Incoming], ColumnElement[bool]] | None,
) -> Insert:
    """ON CONFLICT DO UPDATE, which PostgreSQL and SQLite spell the same way."""
    values = _values(rows)
    if values is not None:
        stmt = stmt.values(values)
    incoming: Incoming = lambda name: stmt.excluded[name]  # noqa: E731
    where = only_if(incoming) if only_if is not None else None
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(key), set_=_assignments(update, incoming), where=where
    )

"""The ownership-guarded upsert that sessions and memories share.

A row belongs to its ``user_id``: an upsert overwrites only the caller's own row, or one nobody
owns yet, and reports back only the rows it stored. Statements are built once per shape
(``statement``) and executed with the rows as parameters (``Bound``): one cached compilation,
and a batch goes out as one executemany. PostgreSQL and SQLite return the stored rows from the
upsert itself (RETURNING skips a row the guard left alone); MySQL reads them back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from repositories.core.context import Ctx, statement
from repositories.core.operation import Bound, Steps
from repositories.core.query import as_dict


def owned_upsert(
    ctx: Ctx,
    table: sa.Table,
    rows: list[dict[str, Any]],
    *,
    key: str,
    fixed: Sequence[str],
    touch: int | None,
    returning: Sequence[sa.Column[Any]],
) -> Steps[dict[str, dict[str, Any]]]:
    """Upsert ``rows``; return the stored rows the caller owns (``returning`` columns), by ``key``.

    ``fixed`` columns keep their inserted value. ``touch`` is the ``updated_at`` an existing row
    gets (None: the incoming row's own); only a single-row upsert touches.
    """
    if touch is not None and len(rows) != 1:
        raise ValueError("only a single-row upsert can touch updated_at")
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(row), []).append(row)
    wanted = {r[key]: r["user_id"] for r in rows}
    found: list[Any] = []
    for columns, same in by_columns.items():
        stmt = _upsert_shape(ctx, table, columns, key=key, fixed=tuple(fixed), touch=touch is not None,
                             returning=tuple(returning))
        result = yield Bound(stmt, same[0] | {"touch": touch} if touch is not None else same)
        if ctx.dialect.returns_upserted:
            found.extend(result.fetchall())
    if not ctx.dialect.returns_upserted:
        read_back = _read_back(table, key, tuple(returning))
        found.extend((yield Bound(read_back, {"keys": list(wanted)})).fetchall())  # found is empty here
    return {rec[key]: rec for rec in map(as_dict, found) if rec["user_id"] == wanted[rec[key]]}


@statement
def _read_back(table: sa.Table, key: str, returning: tuple[sa.Column[Any], ...]) -> sa.Select[Any]:
    return sa.select(*returning).where(table.c[key].in_(sa.bindparam("keys", expanding=True)))


@statement
def _upsert_shape(
    ctx: Ctx,
    table: sa.Table,
    columns: tuple[str, ...],
    *,
    key: str,
    fixed: tuple[str, ...],
    touch: bool,
    returning: tuple[sa.Column[Any], ...],
) -> Any:
    update: dict[str, Any] = {
        c: (lambda col: lambda incoming: incoming(col))(c) for c in columns if c != key and c not in fixed
    }
    if touch:
        update["updated_at"] = lambda incoming: sa.bindparam("touch", type_=sa.BigInteger)
    stmt = ctx.dialect.upsert(table, None, key=[key], update=update, only_if=lambda incoming: (
        (table.c.user_id == incoming("user_id")) | table.c.user_id.is_(None)
    ))
    return stmt.returning(*returning) if ctx.dialect.returns_upserted else stmt

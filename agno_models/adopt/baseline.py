"""Bring agno's tables to what revision 0001 creates, then stamp 0001.

- SQLite: each adopted table is rebuilt in our shape (SQLite cannot add constraints or change
  types in place) with foreign keys off, all in one transaction: all or nothing.
- PostgreSQL and MySQL: in place, with ALTERs computed by Alembic's comparison against the
  0001 shape: missing columns, types and nullability, our indexes (agno's equivalents renamed,
  the rest dropped), unique and foreign keys, and on MySQL our binary collation on every string
  column. PostgreSQL runs it all in one transaction; MySQL commits each DDL statement, so an
  interrupted adoption leaves a mix that the next start recognises and finishes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.engine import Connection

from agno_models.adopt.detect import FILL, LEGACY_COLUMNS, AdoptionError, Found, concrete
from agno_models.layout import TableNames

log = logging.getLogger("agno_models.adopt")


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def renumber_duplicate_runs(connection: Connection, runs: str) -> int:
    """Give the runs of each session holding a duplicate ``run_index`` the indexes 0..n-1.

    The new order is agno's read order (``ORDER BY run_index, created_at, run_id`` on the same
    dialect, NULLs where that dialect sorts them), so every reader sees the runs as before;
    sessions without duplicates keep their numbers. Returns the sessions renumbered.
    """
    q = _quote(connection, runs)
    sessions = [
        row[0]
        for row in connection.execute(
            sa.text(
                f"SELECT session_id FROM {q} WHERE run_index IS NOT NULL "
                "GROUP BY session_id, run_index HAVING COUNT(*) > 1"
            )
        )
    ]
    for session_id in dict.fromkeys(sessions):
        ids = [
            row[0]
            for row in connection.execute(
                sa.text(f"SELECT run_id FROM {q} WHERE session_id = :s ORDER BY run_index, created_at, run_id"),
                {"s": session_id},
            )
        ]
        # Out of the way first (negative, never used by agno), then the final numbers.
        for offset, run_id in enumerate(ids):
            connection.execute(
                sa.text(f"UPDATE {q} SET run_index = :i WHERE run_id = :r"), {"i": -1 - offset, "r": run_id}
            )
        for position, run_id in enumerate(ids):
            connection.execute(sa.text(f"UPDATE {q} SET run_index = :i WHERE run_id = :r"), {"i": position, "r": run_id})
    if sessions:
        log.warning("renumbered the runs of %d session(s) of %s that held duplicate run_index values", len(set(sessions)), runs)
    return len(set(sessions))


def check_lengths(connection: Connection, target: sa.MetaData, found: Iterable[Found]) -> None:
    """Every stored string must fit our column's length; otherwise say where it does not."""
    problems = []
    length_fn = "length" if connection.dialect.name == "sqlite" else "char_length"
    for table in found:
        ours = target.tables[table.name]
        for column in ours.c:
            length = getattr(concrete(column.type, connection.dialect), "length", None)
            if column.name not in table.columns or not length or column.computed is not None:
                continue
            existing = getattr(table.columns[column.name], "length", None)
            if existing is not None and existing <= length:
                continue
            q = _quote(connection, column.name)
            longest = connection.execute(
                sa.text(f"SELECT MAX({length_fn}({q})) FROM {_quote(connection, table.name)}")
            ).scalar()
            if longest is not None and longest > length:
                problems.append(f"{table.name}.{column.name} holds a value of {longest} characters; agno-models allows {length}")
    if problems:
        raise AdoptionError("cannot adopt: " + "; ".join(problems) + ". Nothing was changed.")


# --- SQLite ----------------------------------------------------------------------------------


def rebuild_sqlite(connection: Connection, target: sa.MetaData, found: list[Found]) -> None:
    """Rebuild each found table in our shape (run inside a transaction with foreign keys off)."""
    by_name = {f.name: f for f in found}
    scratch_metadata = sa.MetaData()  # holds the parents, so the copies' foreign keys resolve
    for table in target.sorted_tables:
        table.to_metadata(scratch_metadata)
    for table in target.sorted_tables:
        existing = by_name.get(table.name)
        if existing is None:
            table.create(connection)
            continue
        scratch = f"{table.name}__adopting"
        copy = table.to_metadata(scratch_metadata, name=scratch)
        for index in list(copy.indexes):  # created after the rename, under their final table
            copy.indexes.discard(index)
        legacy = [c for c in LEGACY_COLUMNS.get(existing.entity, {}) if c in existing.columns]
        for name in legacy:  # agno 2.x's columns stay, with their data
            copy.append_column(sa.Column(name, existing.columns[name]))
        copy.create(connection)
        columns = [c.name for c in table.columns if c.name in existing.columns and c.computed is None] + legacy
        filled = {c: v for (entity, c), v in FILL.items() if entity == existing.entity and c not in existing.columns}
        listed = ", ".join(_quote(connection, c) for c in [*columns, *filled])
        values = ", ".join([_quote(connection, c) for c in columns] + [f":fill_{c}" for c in filled])
        connection.execute(
            sa.text(f"INSERT INTO {_quote(connection, scratch)} ({listed}) SELECT {values} FROM {_quote(connection, table.name)}"),
            {f"fill_{c}": v for c, v in filled.items()},
        )
        connection.execute(sa.text(f"DROP TABLE {_quote(connection, table.name)}"))
        connection.execute(sa.text(f"ALTER TABLE {_quote(connection, scratch)} RENAME TO {_quote(connection, table.name)}"))
        for index in table.indexes:
            index.create(connection)
    _decode_sqlite_json(connection, target, found)
    broken = connection.execute(sa.text("PRAGMA foreign_key_check")).fetchall()
    if broken:
        where = sorted({f"{row[0]} -> {row[2]}" for row in broken})
        raise AdoptionError(
            f"cannot adopt: {len(broken)} row(s) point at rows that do not exist ({', '.join(where)}). Nothing was changed."
        )


def _decode_sqlite_json(connection: Connection, target: sa.MetaData, found: list[Found]) -> None:
    """agno 2.x's SQLite class stored JSON documents twice encoded (a JSON string holding the
    document's text); agno 3 decodes either on read, ours reads JSON. Store the document itself.

    Only a string whose content is a JSON object or array is decoded; ``memories.memory`` (which
    may be any text) is left as it is.
    """
    for table in found:
        json_columns = [
            c.name for c in target.tables[table.name].c
            if c.name in table.columns and isinstance(concrete(c.type, connection.dialect), sa.JSON)
            and (table.entity, c.name) != ("memories", "memory")
        ]
        json_columns += [c for c in LEGACY_COLUMNS.get(table.entity, {}) if c in table.columns]  # the runs array too
        for name in json_columns:
            c = _quote(connection, name)
            inner = f"json_extract({c}, '$')"
            connection.execute(sa.text(
                f"UPDATE {_quote(connection, table.name)} SET {c} = {inner} "
                f"WHERE CASE WHEN json_valid({c}) THEN json_type({c}) END = 'text' "
                f"AND CASE WHEN json_valid({inner}) THEN json_type({inner}) END IN ('object', 'array')"
            ))


# --- PostgreSQL and MySQL --------------------------------------------------------------------


def _diffs(connection: Connection, target: sa.MetaData, names: TableNames) -> list[tuple[Any, ...]]:
    # Revision 0001's tables only: agno's tables of later kinds (company, jobs, ...) beside them are
    # their own revisions' to keep, not differences to remove.
    tables = set(target.tables) & set(names.as_dict().values())
    ctx = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "include_name": lambda name, kind, parent: kind != "table" or name in tables},
    )
    legacy = {(getattr(names, entity), column) for entity, columns in LEGACY_COLUMNS.items() for column in columns}
    flat: list[tuple[Any, ...]] = []
    for diff in compare_metadata(ctx, target):
        flat.extend(diff if isinstance(diff, list) else [diff])
    # agno 2.x's legacy columns are kept on purpose.
    return [d for d in flat if not (d[0] == "remove_column" and (d[2], d[3].name) in legacy)]


def needs_changes(connection: Connection, target: sa.MetaData, names: TableNames) -> bool:
    return bool(_diffs(connection, target, names))


def _index_key(index: sa.Index | sa.UniqueConstraint) -> tuple[str, tuple[str, ...], bool]:
    assert index.table is not None  # from a diff of tables: always attached
    return (index.table.name, tuple(c.name for c in index.columns), bool(getattr(index, "unique", True)))


def alter_in_place(connection: Connection, target: sa.MetaData, found: list[Found], names: TableNames) -> None:
    ops = Operations(MigrationContext.configure(connection))
    dialect = connection.dialect.name
    present = {f.name for f in found}
    diffs = _diffs(connection, target, names)
    kinds: dict[str, list[tuple[Any, ...]]] = {}
    for diff in diffs:
        kinds.setdefault(diff[0], []).append(diff)

    # agno's foreign keys go first (MySQL will not change a column or drop an index a foreign key
    # uses); ours are added last, validating every row once.
    inspector = sa.inspect(connection)
    for name in present:
        wanted = {fk.name for fk in target.tables[name].foreign_key_constraints}
        for reflected in inspector.get_foreign_keys(name):
            fk_name = reflected["name"]  # always named on PostgreSQL and MySQL, the servers adopted in place
            if fk_name is not None and fk_name not in wanted:
                ops.drop_constraint(fk_name, name, type_="foreignkey")
    for _, _schema, table_name, column in kinds.get("add_column", []):
        entity = next((f.entity for f in found if f.name == table_name), "")
        if (entity, column.name) in FILL:  # a required column older agno lacks: existing rows get agno's value
            added_column = column._copy()
            added_column.server_default = sa.DefaultClause(FILL[(entity, column.name)])
            ops.add_column(table_name, added_column)
            ops.alter_column(table_name, column.name, server_default=None, existing_type=column.type,
                             existing_nullable=False)
        else:
            ops.add_column(table_name, column._copy())
    for diff in kinds.get("modify_type", []) + kinds.get("modify_nullable", []):
        _alter_column(ops, connection, target, diff)
    if dialect in ("mysql", "mariadb"):
        _mysql_collations(ops, connection, target, present)

    # agno's index on the same columns becomes ours by a rename (no rebuild); the others go.
    # Our tables agno lacks, once agno's columns have our types (MySQL wants equal collations
    # on both ends of a foreign key).
    if dialect == "postgresql" and any(t.name not in present for t in target.sorted_tables):
        _vector_extension(connection)
    for table in target.sorted_tables:
        if table.name not in present:
            table.create(connection)
    added = {_index_key(d[1]): d[1] for d in kinds.get("add_index", []) if d[1].table.name in present}
    for _, constraint in kinds.get("remove_constraint", []):
        ops.drop_constraint(constraint.name, constraint.table.name, type_="unique")
    for _, index in kinds.get("remove_index", []):
        twin = added.pop(_index_key(index), None)
        if twin is not None:
            _rename_index(connection, index.table.name, str(index.name), str(twin.name))
        else:
            ops.drop_index(index.name, table_name=index.table.name)
    for index in added.values():
        ops.create_index(index.name, index.table.name, [c.name for c in index.columns], unique=bool(index.unique))
    for _, constraint in kinds.get("add_constraint", []):
        ops.create_unique_constraint(constraint.name, constraint.table.name, [c.name for c in constraint.columns])
    inspector = sa.inspect(connection)
    for name in present:
        existing = {fk["name"] for fk in inspector.get_foreign_keys(name)}
        for fk in target.tables[name].foreign_key_constraints:
            if fk.name not in existing:
                # fk.name is the naming convention's conv; SQLAlchemy types it wider than Alembic's argument.
                ops.create_foreign_key(
                    fk.name, name, fk.elements[0].column.table.name,  # type: ignore[arg-type]
                    [c.name for c in fk.columns], [e.column.name for e in fk.elements], ondelete=fk.ondelete,
                )
    if dialect == "postgresql":
        _rename_primary_keys(connection, target, present)
    left = [d[0] for d in _diffs(connection, target, names)]
    if left:
        raise AdoptionError(f"adoption left differences Alembic still reports: {left}")


def _rename_index(connection: Connection, table: str, old: str, new: str) -> None:
    def q(name: str) -> str:
        return _quote(connection, name)

    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"ALTER INDEX {q(old)} RENAME TO {q(new)}"))
    else:
        connection.execute(sa.text(f"ALTER TABLE {q(table)} RENAME INDEX {q(old)} TO {q(new)}"))


def _alter_column(ops: Operations, connection: Connection, target: sa.MetaData, diff: tuple[Any, ...]) -> None:
    kind, _, table_name, column_name, existing, old, new = diff
    column = target.tables[table_name].c[column_name]
    kwargs: dict[str, Any] = {"existing_nullable": existing.get("existing_nullable", column.nullable)}
    if kind == "modify_type":
        kwargs["type_"] = column.type
        kwargs["existing_type"] = old
        if connection.dialect.name == "postgresql":
            impl = concrete(column.type, connection.dialect)
            compiled = impl.compile(dialect=connection.dialect)
            kwargs["postgresql_using"] = f"{_quote(connection, column_name)}::{compiled}"
    else:
        kwargs["nullable"] = new
        kwargs["existing_type"] = existing.get("existing_type")
        if new is False:
            nulls = connection.execute(
                sa.text(f"SELECT COUNT(*) FROM {_quote(connection, table_name)} WHERE {_quote(connection, column_name)} IS NULL")
            ).scalar()
            if nulls:
                raise AdoptionError(f"cannot adopt: {table_name}.{column_name} is NULL in {nulls} row(s); agno-models requires a value")
    ops.alter_column(table_name, column_name, **kwargs)


def _mysql_collations(ops: Operations, connection: Connection, target: sa.MetaData, present: set[str]) -> None:
    """Give every string column of agno's tables our binary NO PAD collation (ids compare exactly)."""
    rows = connection.execute(
        sa.text(
            "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL"
        )
    ).fetchall()
    for table_name, column_name, collation in rows:
        if table_name not in present or table_name not in target.tables:
            continue
        table = target.tables[table_name]
        if column_name not in table.c:
            continue
        column = table.c[column_name]
        impl = concrete(column.type, connection.dialect)
        wanted = getattr(impl, "collation", None)
        if wanted is None or wanted == collation or column.computed is not None:
            continue
        ops.alter_column(table_name, column_name, type_=column.type, existing_nullable=column.nullable,
                         existing_server_default=column.server_default)


def _rename_primary_keys(connection: Connection, target: sa.MetaData, present: set[str]) -> None:
    inspector = sa.inspect(connection)
    for name in present:
        wanted = target.tables[name].primary_key.name
        current = inspector.get_pk_constraint(name).get("name")
        if current and wanted and current != wanted:
            connection.execute(
                sa.text(f"ALTER TABLE {_quote(connection, name)} RENAME CONSTRAINT {_quote(connection, current)} TO {_quote(connection, str(wanted))}")
            )


def _vector_extension(connection: Connection) -> None:
    """pgvector for the chunk table, where revision 0001 puts it (public when there is one)."""
    if not connection.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).scalar():
        return  # creating the chunk table then reports what is missing
    public = connection.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")).scalar()
    connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector" + (" SCHEMA public" if public else "")))

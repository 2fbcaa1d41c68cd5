"""Version every run row, and keep the session counters in the database.

An agent turn reads its whole session. To serve runs it has already deserialized, the db keeps
them per session in memory, and needs a token that says cheaply which rows changed, whoever
wrote them (another process, agno's own class during a switch, a hand-written UPDATE):
- ``sessions.runs_version`` goes up on every insert, update or delete of one of its runs;
- ``runs.row_version`` is the session's ``runs_version`` at the run's last write, so "what
  changed since version V" is one indexed range ``(session_id, row_version > V)``.
Both are kept by triggers, not by our code, so no writer can forget them. The same triggers
recount ``run_count`` and ``last_run_at`` (revision 0003) after an insert or delete, which saves
the writer a round trip and keeps the counters right for rows other writers store.

The version bump runs in a BEFORE trigger that updates the session row first: it locks that row,
so two writers of one session get distinct versions even when they do not lock it themselves.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 02:00:00.000000
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op as alembic_op

from agno_models.migration_context import names_in_context
from agno_models.migration_context import owned_op as op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _name(kind: str, table: str) -> str:
    """``tr_<table>_<kind>``, shortened with a digest where it would pass the 63-character limit."""
    name = f"tr_{table}_{kind}"
    if len(name) <= 63:
        return name
    return f"tr_{table[:40]}_{hashlib.sha256(table.encode()).hexdigest()[:8]}_{kind}"


def _recount(sessions: str, runs: str, session_id: str) -> str:
    """run_count and last_run_at from the runs themselves (as revision 0003's backfill counts)."""
    return (
        f"run_count = (SELECT count(*) FROM {runs} r WHERE r.session_id = {session_id}), "
        f"last_run_at = (SELECT r.created_at FROM {runs} r WHERE r.session_id = {session_id} "
        f"ORDER BY r.created_at DESC LIMIT 1)"
    )


def _sqlite(s: str, r: str) -> list[str]:
    # Writers hold the file's write lock, so AFTER triggers see no concurrent writer. The inner
    # UPDATE of row_version is excluded by the WHEN guard (and recursive triggers are off).
    bump = f"UPDATE {s} SET runs_version = runs_version + 1"
    stamp = f"UPDATE {r} SET row_version = (SELECT runs_version FROM {s} WHERE session_id = NEW.session_id) WHERE run_id = NEW.run_id"
    return [
        f"CREATE TRIGGER {_name('ai', r)} AFTER INSERT ON {r} BEGIN "
        f"{bump}, {_recount(s, r, 'NEW.session_id')} WHERE session_id = NEW.session_id; {stamp}; END",
        f"CREATE TRIGGER {_name('au', r)} AFTER UPDATE ON {r} WHEN NEW.row_version IS OLD.row_version BEGIN "
        f"{bump} WHERE session_id = NEW.session_id; {stamp}; END",
        f"CREATE TRIGGER {_name('ad', r)} AFTER DELETE ON {r} BEGIN "
        f"{bump}, {_recount(s, r, 'OLD.session_id')} WHERE session_id = OLD.session_id; END",
    ]


def _postgresql(s: str, r: str, schema: str) -> list[str]:
    qs, qr = f'"{schema}"."{s}"', f'"{schema}"."{r}"'
    version, counters = _name('fv', r), _name('fc', r)
    return [
        f"""CREATE OR REPLACE FUNCTION "{schema}"."{version}"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {qs} SET runs_version = runs_version + 1 WHERE session_id = NEW.session_id
        RETURNING runs_version INTO NEW.row_version;
    RETURN NEW;
END $$""",
        f"""CREATE OR REPLACE FUNCTION "{schema}"."{counters}"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE {qs} SET runs_version = runs_version + 1, {_recount(qs, qr, 'OLD.session_id')}
            WHERE session_id = OLD.session_id;
        RETURN OLD;
    END IF;
    UPDATE {qs} SET {_recount(qs, qr, 'NEW.session_id')} WHERE session_id = NEW.session_id;
    RETURN NEW;
END $$""",
        f'CREATE TRIGGER {_name("bv", r)} BEFORE INSERT OR UPDATE ON {qr} FOR EACH ROW EXECUTE FUNCTION "{schema}"."{version}"()',
        f'CREATE TRIGGER {_name("ac", r)} AFTER INSERT OR DELETE ON {qr} FOR EACH ROW EXECUTE FUNCTION "{schema}"."{counters}"()',
    ]


def _mysql(s: str, r: str) -> list[str]:
    qs, qr = f"`{s}`", f"`{r}`"
    bump = (f"UPDATE {qs} SET runs_version = runs_version + 1 WHERE session_id = NEW.session_id; "
            f"SET NEW.row_version = (SELECT runs_version FROM {qs} WHERE session_id = NEW.session_id);")
    return [
        f"CREATE TRIGGER {_name('bi', r)} BEFORE INSERT ON {qr} FOR EACH ROW BEGIN {bump} END",
        f"CREATE TRIGGER {_name('bu', r)} BEFORE UPDATE ON {qr} FOR EACH ROW BEGIN {bump} END",
        f"CREATE TRIGGER {_name('ai', r)} AFTER INSERT ON {qr} FOR EACH ROW "
        f"UPDATE {qs} SET {_recount(qs, qr, 'NEW.session_id')} WHERE session_id = NEW.session_id",
        f"CREATE TRIGGER {_name('ad', r)} AFTER DELETE ON {qr} FOR EACH ROW "
        f"UPDATE {qs} SET runs_version = runs_version + 1, {_recount(qs, qr, 'OLD.session_id')} "
        f"WHERE session_id = OLD.session_id",
    ]


def _triggers(dialect: str) -> list[str]:
    n = names_in_context()
    if dialect == "sqlite":
        return _sqlite(n.sessions, n.runs)
    if dialect == "postgresql":
        schema = alembic_op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
        return _postgresql(n.sessions, n.runs, schema)
    return _mysql(n.sessions, n.runs)


def _trigger_names(dialect: str, runs: str) -> list[str]:
    kinds = {"sqlite": ("ai", "au", "ad"), "postgresql": ("bv", "ac"), "mysql": ("bi", "bu", "ai", "ad")}[dialect]
    return [_name(kind, runs) for kind in kinds]


def _exists(dialect: str, name: str) -> bool:
    """Whether trigger ``name`` is there already (MySQL DDL is not transactional: reruns must skip it)."""
    bind = alembic_op.get_bind()
    query = {
        "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = :n",
        "postgresql": "SELECT 1 FROM pg_trigger WHERE tgname = :n AND NOT tgisinternal",
        "mysql": "SELECT 1 FROM information_schema.triggers WHERE trigger_schema = DATABASE() AND trigger_name = :n",
    }[dialect]
    return bind.execute(sa.text(query), {"n": name}).first() is not None


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(alembic_op.get_bind()).get_columns(table)}


def upgrade() -> None:
    n = names_in_context()
    dialect = alembic_op.get_bind().dialect.name
    dialect = "mysql" if dialect == "mariadb" else dialect
    if "runs_version" not in _columns(n.sessions):
        op.add_column(n.sessions, sa.Column('runs_version', sa.BigInteger(), server_default='0', nullable=False))
    if "row_version" not in _columns(n.runs):
        op.add_column(n.runs, sa.Column('row_version', sa.BigInteger(), server_default='0', nullable=False))
    index = op.f(f'ix_{n.runs}_session_id_row_version')
    if index not in {i["name"] for i in sa.inspect(alembic_op.get_bind()).get_indexes(n.runs)}:
        op.create_index(index, n.runs, ['session_id', 'row_version'], unique=False)
    names = _trigger_names(dialect, n.runs)
    if all(_exists(dialect, name) for name in names):
        return
    for name in names:  # a half-created set (MySQL) is replaced whole
        _drop_trigger(dialect, name, n.runs)
    for statement in _triggers(dialect):
        alembic_op.execute(statement)


def _drop_trigger(dialect: str, name: str, runs: str) -> None:
    if dialect == "postgresql":
        alembic_op.execute(f'DROP TRIGGER IF EXISTS {name} ON "{runs}"')
    else:
        alembic_op.execute(f"DROP TRIGGER IF EXISTS {name}")


def downgrade() -> None:
    n = names_in_context()
    dialect = alembic_op.get_bind().dialect.name
    dialect = "mysql" if dialect == "mariadb" else dialect
    for name in _trigger_names(dialect, n.runs):
        _drop_trigger(dialect, name, n.runs)
    if dialect == "postgresql":
        for kind in ("fv", "fc"):
            alembic_op.execute(f'DROP FUNCTION IF EXISTS "{_name(kind, n.runs)}"()')
    op.drop_index(op.f(f'ix_{n.runs}_session_id_row_version'), table_name=n.runs)
    op.drop_column(n.runs, 'row_version')
    op.drop_column(n.sessions, 'runs_version')

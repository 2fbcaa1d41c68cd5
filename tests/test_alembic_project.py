"""agno-models inside a user's own Alembic project: their autogenerate ignores our objects, both
histories upgrade the same database, and our db class still opens it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from agno_models import migrate
from agno_models.autogenerate import exclude_agno_models
from agno_models.engine import create_engine
from agno_models.layout import TableNames
from repositories import SqliteDb

ROOT = Path(__file__).resolve().parent.parent

MODELS = '''
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(sa.Text)
    __table_args__ = (sa.Index("ix_notes_body", "body"),)
'''

ENV = '''
from alembic import context
from sqlalchemy import create_engine

from agno_models import migrate
from agno_models.autogenerate import exclude_agno_models
from agno_models.layout import TableNames
from models import Base

url = context.config.get_main_option("sqlalchemy.url")
# Our history first, on its own (its own version table and revision ids); then theirs.
migrate.upgrade(url)
migrate.upgrade(url, names=TableNames.prefixed("team_a_"))

engine = create_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_name=exclude_agno_models(TableNames.prefixed("team_a_")),
    )
    with context.begin_transaction():
        context.run_migrations()
'''


def user_project(root: Path, url: str) -> Path:
    project = root / "app"
    (project / "migrations" / "versions").mkdir(parents=True)
    (project / "models.py").write_text(MODELS)
    (project / "migrations" / "env.py").write_text(ENV)
    (project / "migrations" / "script.py.mako").write_text(
        (Path(sa.__file__).parent.parent / "alembic" / "templates" / "generic" / "script.py.mako").read_text()
    )
    (project / "alembic.ini").write_text(
        textwrap.dedent(f"""
            [alembic]
            script_location = %(here)s/migrations
            prepend_sys_path = .
            path_separator = os
            sqlalchemy.url = {url}
        """)
    )
    return project


def alembic(project: Path, *args: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "alembic", *args], cwd=project,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout + run.stderr


def upgrade_ops(project: Path, slug: str) -> str:
    (script,) = (project / "migrations" / "versions").glob(f"*_{slug}.py")
    text = script.read_text()
    return text[text.index("def upgrade()"):text.index("def downgrade()")]


def test_a_user_autogenerate_ignores_our_objects_and_both_histories_upgrade(tmp_path: Path) -> None:
    db_file = tmp_path / "app.db"
    url = f"sqlite:///{db_file}"
    project = user_project(tmp_path, url)

    first = alembic(project, "revision", "--autogenerate", "-m", "notes")
    ops = upgrade_ops(project, "notes")
    assert "create_table('notes'" in ops and "ix_notes_body" in ops, ops
    assert "agno" not in ops and "team_a_" not in ops, ops
    assert "agno" not in first.replace("agno_models", ""), first  # no "Detected removed table 'agno_...'"
    alembic(project, "upgrade", "head")

    engine = create_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
        assert {"notes", "alembic_version", "agno_sessions", "agno_models_version", "team_a_sessions"} <= tables
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
            # Without the hook, their autogenerate would drop every one of our tables.
            context = MigrationContext.configure(conn)
            from_scratch = compare_metadata(context, sa.MetaData())
            assert any(d[0] == "remove_table" and d[1].name == "agno_sessions" for d in from_scratch)
            hooked = MigrationContext.configure(conn, opts={"include_name": exclude_agno_models(TableNames.prefixed("team_a_"))})
            assert {d[1].name for d in compare_metadata(hooked, sa.MetaData())} == {"notes", "ix_notes_body"}  # theirs only
    finally:
        engine.dispose()

    # A second autogenerate finds nothing to do, and our class opens the database as it is.
    alembic(project, "revision", "--autogenerate", "-m", "nothing")
    nothing = upgrade_ops(project, "nothing")
    assert "op." not in nothing and "pass" in nothing, nothing
    db = SqliteDb(db_file=str(db_file), auto_upgrade=False)
    assert db.get_sessions(deserialize=False) == ([], 0)

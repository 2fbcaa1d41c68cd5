"""Engines configured the same way for the repositories, the migrations and the tests."""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
import sqlalchemy.ext.asyncio as sa_async
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from agno_models import errors
from agno_models.extras import EXTRA_OF, missing

# Big JSON payloads (16 MB and more) must reach MySQL in one packet; the server's own
# max_allowed_packet must be raised to match (see the README).
MYSQL_MAX_PACKET = 1024 * 1024 * 1024


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"value of type {type(value).__name__} cannot be stored as JSON: {value!r}")


def json_dumps(value: Any) -> str:
    # NaN is not JSON; refusing it keeps every dialect's JSON column readable.
    document = json.dumps(value, default=_default, ensure_ascii=False, allow_nan=False)
    try:
        document.encode("utf-8")
    except UnicodeEncodeError as error:
        bad = document[error.start : error.end]
        raise ValueError(
            f"JSON value contains {bad!r}, an unpaired surrogate: not valid Unicode, so no database can store it"
        ) from None
    return document


MYSQL_JSON_DEPTH = 32  # MariaDB's JSON_VALID refuses deeper documents (MySQL's limit is 100)


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit`` (MySQL's JSON_DEPTH: a scalar is 1), level by level, without recursing."""
    containers = (dict, list, tuple)
    level = [value] if isinstance(value, containers) else []
    depth = 1
    while level:
        below: list[Any] = []
        add = below.append
        for node in level:
            if not node:
                continue  # an empty container adds no level
            if depth >= limit:
                return True
            for child in node.values() if isinstance(node, dict) else node:
                if isinstance(child, containers):
                    add(child)
        level = below
        depth += 1
    return False


def json_dumps_mysql(value: Any) -> str:
    # Only here: SQLite and PostgreSQL store deeper documents, as agno's own classes do there.
    if json_depth_exceeds(value, MYSQL_JSON_DEPTH):
        raise ValueError(f"JSON value nests deeper than {MYSQL_JSON_DEPTH} levels, the most MariaDB's JSON holds")
    return json_dumps(value)


# \u0000 preceded by an even number of backslashes is an escaped NUL, not an escaped backslash.
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def json_dumps_postgres(value: Any) -> str:
    document = json_dumps(value)
    # PostgreSQL JSONB cannot hold U+0000: drop it (from keys and strings), as agno's PostgresDb
    # does, so the write is stored rather than refused. The escaping backslashes before it stay.
    if "\\u0000" in document:
        document = _ESCAPED_NUL.sub(lambda m: m.group(0)[:-6], document)
    return document


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy emits BEGIN itself (see _on_sqlite_begin); stop pysqlite from doing it lazily.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")  # runs cascade with their session
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _on_sqlite_begin(conn: Any) -> None:
    # Writers ask for BEGIN IMMEDIATE (execution option sqlite_begin) so they take the file's
    # write lock before reading; readers keep a plain deferred BEGIN.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    # Straight to the driver: exec_driver_sql would build a whole execution context for it.
    # Its errors are wrapped as SQLAlchemy's would be, so a busy file still reads as transient.
    statement = f"BEGIN {mode}"
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.cursor()
    try:
        cursor.execute(statement)
    except dbapi_error as error:
        raise sa.exc.DBAPIError.instance(statement, None, error, dbapi_error, dialect=conn.dialect) from error
    finally:
        cursor.close()


# The async twin of each sync driver, and back: one URL serves both kinds of engine.
_ASYNC_DRIVER = {"sqlite": "aiosqlite", "postgresql": "psycopg", "mysql": "aiomysql", "mariadb": "aiomysql"}
_SYNC_DRIVER = {"sqlite": "pysqlite", "postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}


def sync_url(url: str | URL) -> URL:
    url = make_url(url)
    return url.set(drivername=f"{url.get_backend_name()}+{_SYNC_DRIVER.get(url.get_backend_name(), url.get_driver_name())}")


def async_url(url: str | URL) -> URL:
    url = make_url(url)
    return url.set(drivername=f"{url.get_backend_name()}+{_ASYNC_DRIVER.get(url.get_backend_name(), url.get_driver_name())}")


def _engine_options(url: URL, kwargs: dict[str, Any]) -> dict[str, Any]:
    backend = url.get_backend_name()
    serializers = {"postgresql": json_dumps_postgres, "mysql": json_dumps_mysql, "mariadb": json_dumps_mysql}
    kwargs.setdefault("json_serializer", serializers.get(backend, json_dumps))
    connect_args: dict[str, Any] = dict(kwargs.pop("connect_args", {}))
    if backend in ("mysql", "mariadb"):
        connect_args.setdefault("charset", "utf8mb4")
        if url.get_driver_name() == "pymysql":  # aiomysql takes no client-side packet limit
            connect_args.setdefault("max_allowed_packet", MYSQL_MAX_PACKET)
        kwargs.setdefault("pool_recycle", 3600)
    # No pool_pre_ping (a round trip per checkout): the executors rerun an operation whose
    # pooled connection turns out to be closed (repositories/core/operation.py).
    kwargs["connect_args"] = connect_args
    return kwargs


def _sqlite_file(cargs: Any, cparams: dict[str, Any]) -> str | None:
    database = cargs[0] if cargs else cparams.get("database")
    if not isinstance(database, str) or database in ("", ":memory:") or cparams.get("uri"):
        return None
    return database


def _open_sqlite(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
    """Open the file as agno does (creating its folder), naming the path when it cannot be opened."""
    path = _sqlite_file(cargs, cparams)
    if path is not None:
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        except OSError as error:
            raise dialect.loaded_dbapi.OperationalError(
                f"cannot open SQLite database {path!r}: its folder cannot be created ({error.strerror})"
            ) from error
    try:
        return dialect.loaded_dbapi.connect(*cargs, **cparams)
    except dialect.loaded_dbapi.OperationalError as error:
        if path is None or "unable to open database file" not in str(error):
            raise
        raise dialect.loaded_dbapi.OperationalError(f"cannot open SQLite database {path!r}: {_why(path)}") from error


def _why(path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return "that path is a directory; give the path of a database file"
    if not os.path.isdir(folder):
        return f"{folder!r} is not a folder"
    if os.path.exists(path) and not os.access(path, os.R_OK | os.W_OK):
        return "no permission to read and write the file"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"no permission to create files in {folder!r}"
    return "the file cannot be opened (see the error it was raised from)"


def _install_events(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "do_connect", _open_sqlite)
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)
    elif engine.dialect.name in ("mysql", "mariadb"):
        # "Server has gone away" after a too-big statement becomes an error naming max_allowed_packet.
        sa.event.listen(engine, "connect", errors.record_packet_limit)
        sa.event.listen(engine, "handle_error", errors.on_error)


def _driver_missing(url: URL, error: ModuleNotFoundError) -> Exception:
    if error.name is None or error.name.split(".", 1)[0] not in EXTRA_OF:
        return error
    return missing(error.name, needed_for=f"a {url.drivername} database URL")


def create_engine(url: str | URL, **kwargs: Any) -> Engine:
    """``sqlalchemy.create_engine`` with this project's per-dialect settings."""
    url = make_url(url)
    try:
        engine = sa.create_engine(url, **_engine_options(url, kwargs))
    except ModuleNotFoundError as error:  # the driver's extra is not installed
        raise _driver_missing(url, error) from None
    _install_events(engine)
    return engine


def create_async_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """The asyncio engine for ``url`` (psycopg 3 async, aiosqlite, aiomysql), same settings."""
    url = async_url(url)
    try:
        engine = sa_async.create_async_engine(url, **_engine_options(url, kwargs))
    except ModuleNotFoundError as error:
        raise _driver_missing(url, error) from None
    _install_events(engine.sync_engine)
    return engine

"""Load the agno 2.x snapshots (``tests/snapshots/agno2``) into a fresh test database."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots" / "agno2"


def expected(backend: str) -> dict[str, Any]:
    return json.loads((SNAPSHOTS / "expected.json").read_text())[backend]  # type: ignore[no-any-return]


def load(backend: str, url: URL) -> None:
    if backend == "sqlite":
        shutil.copy(SNAPSHOTS / "agno2.sqlite", str(url.database))
    elif backend == "postgresql":
        host, port = url.query["host"], url.query["port"]
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(host), "-p", str(port), "-U", str(url.username),
                        "-d", str(url.database), "-f", str(SNAPSHOTS / "postgresql.sql")], check=True, capture_output=True)
    else:
        with open(SNAPSHOTS / "mysql.sql", "rb") as dump:
            subprocess.run(["mariadb", "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306), "-u", url.username or "root",
                            str(url.database)], stdin=dump, check=True, capture_output=True)

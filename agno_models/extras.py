"""Optional dependencies, imported where they are needed, with an error naming the extra.

The core install serves SQLite; the server drivers and NumPy come with extras
(``pip install 'agno-models[postgres]'``, ``[mysql]``, ``[vectors]``), so nothing at import time
may need them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# Which extra brings each optional top-level module.
EXTRA_OF = {
    "psycopg": "postgres",
    "psycopg_binary": "postgres",
    "pgvector": "postgres",
    "pymysql": "mysql",
    "aiomysql": "mysql",
    "numpy": "vectors",
}


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def missing(module: str, *, needed_for: str) -> MissingExtraError:
    top = module.split(".", 1)[0]
    extra = EXTRA_OF.get(top, "all")
    return MissingExtraError(
        f"{needed_for} needs the Python package {top!r}, which is not installed: "
        f"pip install 'agno-models[{extra}]'",
        name=top,
    )


def require(module: str, *, needed_for: str) -> ModuleType:
    """``import module``, or a MissingExtraError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name is None or error.name.split(".", 1)[0] not in EXTRA_OF:
            raise
        raise missing(error.name, needed_for=needed_for) from None

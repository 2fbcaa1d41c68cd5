"""The base of every entity's method group: what its agno methods may use of the db."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from repositories.core.context import Ctx
from repositories.core.operation import Operation


class Repository:
    """One entity's agno methods, each an ``@operation`` (written once, sync and async).

    The db class provides ``_ctx`` (tables, dialect, cached statements) and ``_run`` (the sync
    executor, or the async class's hand-back to its awaited executor).
    """

    _ctx: Ctx
    _run: Callable[[Operation[Any]], Any]  # declared only: the db class's own _run must win in the MRO
    _qualified: Callable[[sa.Table], sa.Table]  # declared only: a table with its real schema (StorageConfig)

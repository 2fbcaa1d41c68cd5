"""``SqlDb``: the part of every agno ``db`` class that is not query logic.

It owns the engine, the table set, schema-on-first-use and the executor. The query logic lives
in one operations module per entity (``repositories/sessions.py``, ...), each contributing its
agno methods through a small mixin, so a method reads the same for all three databases.
"""

from __future__ import annotations

import inspect
from contextlib import AbstractContextManager
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from agno.db.base import BaseDb
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.orm import scoped_session, sessionmaker

from agno_models.engine import create_engine
from agno_models.layout import TableNames
from agno_models.registry import kinds
from repositories.core.context import Ctx
from repositories.core.operation import Operation, run_sync
from repositories.core.run_cache import RunCache
from repositories.core.storage import QueryEngines, SchemaGate, Storage
from repositories.core.tables import TableSet

T = TypeVar("T")

def table_arguments() -> set[str]:
    """The constructor keywords that rename a table (``session_table=``, ...), from the registry."""
    return {k.argument for k in kinds() if k.argument is not None}


def table_names_of(db: Any, knowledge_embeddings_table: str | None) -> TableNames:
    """Our TableNames from the names agno's base class derived (it renames runs with sessions).

    A kind agno's base class has no attribute for (the async base lacks some) keeps its default,
    or the name passed for its constructor keyword (``db._table_arguments``).
    """
    given: dict[str, str | None] = getattr(db, "_table_arguments", {})
    names: dict[str, str] = {}
    for kind in kinds():
        if kind.attribute is not None:
            value = getattr(db, kind.attribute, None) or given.get(kind.argument or "")
            if value:
                names[kind.kind] = value  # else TableNames' default (the sandbox bindings follow sessions)
    # The chunk table follows the knowledge table when that one is renamed.
    knowledge = names["knowledge"]
    names["knowledge_embeddings"] = knowledge_embeddings_table or (
        "agno_knowledge_embeddings" if knowledge == "agno_knowledge" else f"{knowledge}_embeddings"
    )
    return TableNames(**names)


class StorageConfig:
    """What the sync and async classes share: dialect, schema, table names, statement context."""

    default_db_schema: ClassVar[str | None] = None
    # agno's class of the same name ("module:Name"): its constructor keywords are accepted here too.
    agno_class: ClassVar[str | None] = None
    create_schema: bool = True
    dialect: str
    db_schema: str | None
    table_names: TableNames
    tables: TableSet
    _ctx: Ctx
    _storage: Storage
    _schema: SchemaGate

    def _configure(
        self, *, dialect_name: str, db_schema: str | None, auto_upgrade: bool, knowledge_embeddings_table: str | None
    ) -> None:
        self._storage = storage = Storage.make(
            dialect_name=dialect_name, db_schema=db_schema, default_schema=self.default_db_schema,
            names=table_names_of(self, knowledge_embeddings_table), auto_upgrade=auto_upgrade,
        )
        self.dialect = storage.dialect.name
        self.db_schema = storage.schema
        self.auto_upgrade = auto_upgrade
        self.table_names = storage.names
        for kind in kinds():
            # agno code reads the name of a table agno's base class does not know (sandbox_table_name).
            if kind.attribute is not None and not getattr(self, kind.attribute, None):
                setattr(self, kind.attribute, storage.names[kind.kind])
        self.tables = storage.tables
        self._ctx = storage.ctx
        self._schema = SchemaGate(storage, create_schema=self.create_schema)
        self._metrics_refreshed_at = 0.0  # get_metrics recalculates at most once a minute
        self._run_cache = RunCache()  # deserialized runs of recently read sessions

    @property
    def migrated_on_first_use(self) -> bool:
        """Whether this instance ran the migrations."""
        return self._schema.migrated

    @property
    def _schema_ready(self) -> bool:
        return self._schema.ready

    def _adopt_engine(self, db_engine: Any, db_url: str | None, factory: Any) -> Any:
        """Use the caller's engine, or build one from ``db_url`` with ``factory``."""
        if db_engine is None:
            if db_url is None:
                raise ValueError("One of db_url or db_engine must be provided")
            db_engine = factory(db_url)
        self.db_url: str | None = db_url
        self.db_engine = db_engine
        return db_engine

    def _qualified(self, table: sa.Table) -> sa.Table:
        """``table`` as it is in the database: its real name and ``db_schema``, so a query a user
        builds from ``_get_table`` runs against the right schema on any connection."""
        if self.db_schema is None:
            return table
        copies: dict[str, sa.Table] | None = self.__dict__.get("_qualified_tables")
        if copies is None:
            # All tables in one metadata, so foreign keys between them resolve in the copy too.
            metadata = sa.MetaData()
            copies = {t.name: t.to_metadata(metadata, schema=self.db_schema) for t in self.tables.all()}
            self.__dict__["_qualified_tables"] = copies
        return copies[table.name]

    def _translate(self) -> dict[str, Any]:
        """Execution options that qualify the (schema-less) tables with ``db_schema``."""
        return self._storage.translate()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": getattr(self, "id", None),
            "type": type(self).__name__,
            "db_schema": self.db_schema,
            "tables": self.table_names.as_dict(),
        }


def agno_table_arguments(agno_class: str | None) -> set[str]:
    """The table keywords of agno's class ``"module:Name"`` (``job_table=``, ``sandbox_table=``, ...)."""
    if agno_class is None:
        return set()
    import importlib

    module, _, name = agno_class.partition(":")
    parameters = inspect.signature(getattr(importlib.import_module(module), name).__init__).parameters
    return {p for p in parameters if p.endswith("_table")}


def check_table_arguments(owner: str, tables: dict[str, Any], agno_class: str | None = None) -> None:
    unknown = sorted(set(tables) - table_arguments() - agno_table_arguments(agno_class))
    if unknown:
        raise TypeError(f"{owner} got unexpected argument(s) {unknown}")


def base_init(db: Any, base_init: Any, id: str, tables: dict[str, Any]) -> None:
    """Run agno's base ``__init__`` with the table keywords it knows; keep the others as agno does.

    A keyword agno's class takes for a table we do not store (yet), e.g. ``products_table=``, is
    kept under agno's attribute name (``products_table_name``) so agno code reading it finds it.
    """
    known = set(inspect.signature(base_init).parameters)
    base_init(db, id=id, **{k: v for k, v in tables.items() if k in known})
    for keyword, value in tables.items():
        if keyword not in known and value is not None:
            setattr(db, f"{keyword}_name", value)


class SqlDb(StorageConfig, BaseDb):
    """agno's ``BaseDb`` on the agno-models tables, for any of the three dialects."""

    def __init__(
        self,
        *,
        db_engine: Engine | None = None,
        db_url: str | None = None,
        db_schema: str | None = None,
        id: str | None = None,
        auto_upgrade: bool = True,
        knowledge_embeddings_table: str | None = None,
        **tables: str | None,
    ) -> None:
        check_table_arguments(type(self).__name__, tables, self.agno_class)
        self.db_engine: Engine = self._adopt_engine(db_engine, db_url, create_engine)
        base_init(self, BaseDb.__init__, id or default_id(self.db_engine.url, db_schema), tables)
        self._configure(dialect_name=self.db_engine.dialect.name, db_schema=db_schema, auto_upgrade=auto_upgrade,
                        knowledge_embeddings_table=knowledge_embeddings_table)
        # What agno's own tooling reaches for (e.g. the Session factory in AgentOS helpers).
        self._query_engines = QueryEngines(self.db_engine, self._storage)
        self.Session: scoped_session[Any] = scoped_session(
            sessionmaker(bind=self._engine_for_queries(), expire_on_commit=False)
        )

    # --- plumbing -------------------------------------------------------------------------

    def _engine_for_queries(self, *, writes: bool = False) -> Engine:
        """The engine with this db's execution options (made once: building one costs per call)."""
        return self._query_engines.get(writes=writes)

    def _ensure_schema(self) -> None:
        self._schema.ensure(lambda: self.db_engine)

    def _connect(self, writes: bool) -> AbstractContextManager[Connection]:
        return self._query_engines.connect(writes)

    def _run(self, op: Operation[T]) -> T:
        self._ensure_schema()
        return run_sync(self._connect, op)

    # --- what agno's tooling expects of a SQL db ---------------------------------------------

    def table_exists(self, table_name: str) -> bool:
        with self.db_engine.connect() as conn:
            return sa.inspect(conn).has_table(table_name, schema=self.db_schema)

    def _get_table(self, table_type: str, create_table_if_not_found: bool | None = False) -> sa.Table | None:
        table = self.tables.by_type(table_type)
        if table is None:
            return None
        if create_table_if_not_found:
            self._ensure_schema()
        elif not self._schema_ready and not self.table_exists(table.name):
            return None
        return self._qualified(table)

    def _create_all_tables(self) -> None:
        self._ensure_schema()

    def close(self) -> None:
        self.Session.remove()
        self.db_engine.dispose()


def default_id(url: URL, schema: str | None) -> str:
    from agno.utils.string import generate_id

    return generate_id(f"{url.render_as_string(hide_password=True)}#{schema}")

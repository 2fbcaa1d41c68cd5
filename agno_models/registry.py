"""The one registry of table kinds: what each stored entity is called, by agno and by us.

Each model module declares its kind next to its model (``register(AgnoSession, kind="sessions",
argument="session_table", attribute="session_table_name")``); table names, table sets, the db
classes' constructor keywords and ``_get_table(table_type)`` are all derived from this registry,
so adding an entity adds no line anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table

from agno_models.base import AgnoTable


@dataclass(frozen=True, slots=True)
class TableKind:
    """One kind of table.

    ``kind`` is agno's ``table_type`` string (``_get_table("sessions")``) and our attribute name
    (``names.sessions``, ``tables.sessions``). ``argument`` is the db constructor keyword that
    renames it (``session_table=``) and ``attribute`` the name agno's base class stores it under
    (``session_table_name``); both are None where agno has none.
    """

    kind: str
    default: str
    argument: str | None
    attribute: str | None

    @property
    def table(self) -> Table:
        from agno_models.base import metadata

        return metadata.tables[self.default]


KINDS: dict[str, TableKind] = {}


def register(
    model: type[AgnoTable], *, kind: str, argument: str | None = None, attribute: str | None = None
) -> TableKind:
    """Declare ``model``'s table as a kind; its default name is the model's ``__tablename__``."""
    if kind in KINDS:
        raise ValueError(f"table kind {kind!r} is registered twice")
    entry = TableKind(kind=kind, default=str(model.__tablename__), argument=argument, attribute=attribute)
    KINDS[kind] = entry
    return entry


def kinds() -> tuple[TableKind, ...]:
    """Every registered kind, in declaration order (importing ``agno_models`` registers them all)."""
    import agno_models  # noqa: F401  (the package imports every model module)

    return tuple(KINDS.values())

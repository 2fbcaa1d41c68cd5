"""The shared metadata: one registry, one naming convention for every constraint and index.

Names are derived from the table name, so a table set with custom names (``session_table=...``)
gets its own index names instead of clashing with the default set in the same schema.

Attribute names are the column names agno uses, so adoption needs no renames. The one exception
is ``metadata_`` for agno's ``metadata`` column (SQLModel reserves ``metadata``); ``meta_data``
(knowledge chunks) and ``meta`` (component links) are agno's own spellings of the same idea.
"""

from sqlalchemy import MetaData
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AgnoTable(SQLModel, registry=registry(metadata=metadata)):
    """Base of every stored entity; kept out of SQLModel's global metadata on purpose."""

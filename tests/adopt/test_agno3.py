"""Databases written by agno 3.1's own classes, adopted by ours on first use: same reads, clean check."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from agno_models import migrate
from agno_models.engine import create_engine
from tests.adopt.agno_data import read_everything, write_everything
from tests.adopt.conftest import agno_db, alembic_check, revision, schema_for
from tests.repositories.conftest import make_db


def test_an_agno_database_reads_the_same_after_adoption(backend: str, db_url: URL) -> None:
    theirs = agno_db(backend, db_url)
    write_everything(theirs, backend)
    before = read_everything(theirs, backend)
    theirs.close()

    ours = make_db(backend, db_url)
    after = read_everything(ours, backend)
    ours.close()
    for key in before:
        assert after[key] == before[key], key
    assert len(before["sessions"]) == 4 and before["memories"]
    schema = schema_for(backend, db_url)
    assert revision(db_url, schema=schema) == migrate.head_revision()
    alembic_check(db_url, schema=schema)

"""Every table takes a row through the models and gives it back unchanged, on every dialect.

Values are generated from the column types, so a table added later is covered without editing
this file: strings at their full declared length in 4-byte UTF-8, the largest 64-bit integers,
a 16 MB JSON document, non-ASCII text everywhere.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import URL
from sqlmodel import Session

import agno_models
from agno_models import migrate
from agno_models.base import AgnoTable
from agno_models.types import Embedding, UTCDateTime

BIG_INT = 2**63 - 1  # agno's epoch integers, token counts and sizes are BIGINT
INT32 = 2**31 - 1
NON_ASCII = "Zürich 東京 مرحبا 🚀"
PAYLOAD_BYTES = 16 * 1024 * 1024

MODELS: list[type[AgnoTable]] = sorted(
    {mapper.class_ for mapper in AgnoTable._sa_registry.mappers}, key=lambda cls: cls.__tablename__
)


def big_json() -> dict[str, Any]:
    """A JSON document of at least 16 MB when encoded, with non-ASCII text and extreme numbers."""
    chunk = (NON_ASCII + " ") * 40
    count = PAYLOAD_BYTES // len(chunk.encode()) + 1
    doc = {"texts": [chunk] * count, "max": BIG_INT, "min": -BIG_INT - 1, "float": 0.1, "nested": {"ok": True}}
    assert len(json.dumps(doc, ensure_ascii=False).encode()) >= PAYLOAD_BYTES
    return doc


def value_for(column: sa.Column[Any], payload: dict[str, Any] | None) -> Any:
    """A demanding value that still fits ``column``."""
    kind = column.type
    if isinstance(kind, Embedding):
        return np.array([0.5, -1.25, 3.0e38, 1e-30], dtype=np.float32)
    if isinstance(kind, UTCDateTime):
        return datetime(2026, 11, 22, 3, 4, 5, 678901, tzinfo=UTC)
    if isinstance(kind, sa.JSON):
        return payload if payload is not None else {"text": NON_ASCII, "n": [BIG_INT, -1, 0.5]}
    base = kind.impl_instance if isinstance(kind, sa.types.TypeDecorator) else kind
    python = base.python_type
    if python is bool:
        return True
    if python is date:
        return date(2026, 2, 28)
    if python is int:
        return BIG_INT if isinstance(base, sa.BigInteger) else INT32
    if python is str:
        length = getattr(base, "length", None) or 5000
        text = (NON_ASCII * (length // len(NON_ASCII) + 1))[:length]
        return text
    raise AssertionError(f"no test value for {column.table.name}.{column.name} of type {kind!r}")


def row_for(model: type[AgnoTable], payload: dict[str, Any]) -> dict[str, Any]:
    table = model.__table__
    values: dict[str, Any] = {}
    big_placed = False
    for attr, column in model.__mapper__.columns.items():
        if column.computed is not None:
            continue
        is_json = isinstance(column.type, sa.JSON)
        values[attr] = value_for(column, payload if is_json and not big_placed else None)
        big_placed = big_placed or is_json
    assert table is not None
    return values


def assert_same(expected: Any, actual: Any, where: str) -> None:
    if isinstance(expected, np.ndarray):
        np.testing.assert_array_equal(actual, expected, err_msg=where)
    else:
        assert actual == expected, where


@pytest.fixture
def migrated(engine: sa.Engine, db_url: URL) -> sa.Engine:
    migrate.upgrade(db_url.render_as_string(hide_password=False))
    return engine


def parents_first(models: list[type[AgnoTable]]) -> list[type[AgnoTable]]:
    order = {t.name: i for i, t in enumerate(agno_models.metadata.sorted_tables)}
    return sorted(models, key=lambda m: order[m.__tablename__])


def test_every_model_is_a_migrated_table() -> None:
    assert {m.__tablename__ for m in MODELS} == set(agno_models.metadata.tables)
    assert len(MODELS) == 39


# Revision 0007's triggers keep these from the runs: what a row says is overwritten by the count.
DERIVED_BY_THE_DATABASE = {
    ("agno_sessions", "run_count"), ("agno_sessions", "last_run_at"), ("agno_sessions", "runs_version"),
    ("agno_runs", "row_version"),
}


def test_every_table_round_trips_a_demanding_row(migrated: sa.Engine) -> None:
    payload = big_json()
    rows = {m: row_for(m, payload) for m in parents_first(MODELS)}
    for model, values in rows.items():
        for table, attr in DERIVED_BY_THE_DATABASE:
            if model.__tablename__ == table:
                values[attr] = 0  # the triggers count up from here; the largest BIGINT would overflow
    # Foreign keys point at the parents' (identical, full-length) ids; link parents by key.
    for model, values in rows.items():
        for fk in model.__table__.foreign_keys:
            parent_model = next(m for m in MODELS if m.__tablename__ == fk.column.table.name)
            parent_attr = next(a for a, c in parent_model.__mapper__.columns.items() if c.name == fk.column.name)
            child_attr = next(a for a, c in model.__mapper__.columns.items() if c.name == fk.parent.name)
            values[child_attr] = rows[parent_model][parent_attr]

    with Session(migrated) as session:
        for model, values in rows.items():  # parents first: the models declare no relationships
            session.add(model(**values))
            session.flush()
        session.commit()

    with Session(migrated) as session:
        for model, values in rows.items():
            # By primary key: the migration also writes agno's own schema-version rows.
            key = tuple(values[c.key] for c in model.__table__.primary_key.columns)
            stored = session.get(model, key if len(key) > 1 else key[0])
            assert stored is not None, model.__tablename__
            for attr, expected in values.items():
                if (model.__tablename__, attr) in DERIVED_BY_THE_DATABASE:
                    continue
                assert_same(expected, getattr(stored, attr), f"{model.__tablename__}.{attr}")


def test_none_is_sql_null_not_json_null(migrated: sa.Engine) -> None:
    with Session(migrated) as session:
        session.add(agno_models.AgnoSession(session_id="s", session_type="agent", created_at=1, summary=None))
        session.commit()
    with migrated.connect() as conn:
        nulls = conn.execute(sa.text("SELECT COUNT(*) FROM agno_sessions WHERE summary IS NULL")).scalar()
    assert nulls == 1


def test_schedule_names_are_unique_per_owner_and_among_unowned(migrated: sa.Engine) -> None:
    def schedule(id_: str, name: str, user_id: str | None) -> agno_models.Schedule:
        return agno_models.Schedule(
            id=id_, name=name, user_id=user_id, method="POST", endpoint="/x", cron_expr="* * * * *",
            timezone="UTC", timeout_seconds=1, max_retries=0, retry_delay_seconds=1, created_at=1,
        )

    with Session(migrated) as session:
        session.add_all([schedule("1", "daily", None), schedule("2", "daily", "u1"), schedule("3", "daily", "u2")])
        session.commit()
    for duplicate in (schedule("4", "daily", None), schedule("5", "daily", "u1")):
        with Session(migrated) as session:
            session.add(duplicate)
            with pytest.raises(sa.exc.IntegrityError):
                session.commit()


def test_deleting_a_session_deletes_its_runs(migrated: sa.Engine) -> None:
    with Session(migrated) as session:
        session.add(agno_models.AgnoSession(session_id="s", session_type="agent", created_at=1))
        session.commit()
        session.add(agno_models.AgnoRun(run_id="r", session_id="s", run_type="agent", run_index=0, run_data={}, created_at=1))
        session.commit()
    with migrated.begin() as conn:
        conn.execute(sa.text("DELETE FROM agno_sessions WHERE session_id = 's'"))
    with migrated.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM agno_runs")).scalar() == 0


def test_embeddings_reject_non_finite_values(migrated: sa.Engine) -> None:
    with Session(migrated) as session:
        session.add(
            agno_models.KnowledgeEmbedding(knowledge_base="kb", id="c", dimensions=3, embedding=[0.1, float("nan"), 0.3])
        )
        with pytest.raises(sa.exc.StatementError, match="position 1 is nan"):
            session.commit()
    with migrated.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM agno_knowledge_embeddings")).scalar() == 0


def test_nul_characters(migrated: sa.Engine, backend: str) -> None:
    """PostgreSQL cannot store U+0000: dropped there (as agno does), a faithful round trip elsewhere."""
    document = {"tool_output": "binary\x00junk", "path": "C:\\u0000 is a folder, not a NUL", "k\x00ey": ["\x00"]}
    with Session(migrated) as session:
        session.add(agno_models.AgnoSession(session_id="nul", session_type="agent", created_at=1, session_data=document,
                                            user_id="u\x001"))
        session.commit()
    with Session(migrated) as session:
        stored = session.get(agno_models.AgnoSession, "nul")
        assert stored is not None
        if backend == "postgresql":
            assert stored.session_data == {"tool_output": "binaryjunk", "path": "C:\\u0000 is a folder, not a NUL",
                                           "key": [""]}
            assert stored.user_id == "u1"
        else:
            assert stored.session_data == document and stored.user_id == "u\x001"


def test_unpaired_surrogates_are_refused(migrated: sa.Engine) -> None:
    with Session(migrated) as session:
        session.add(agno_models.AgnoSession(session_id="s", session_type="agent", created_at=1, session_data={"k": "\ud800"}))
        with pytest.raises((ValueError, sa.exc.StatementError), match="unpaired surrogate"):
            session.commit()


# JSONB keeps numbers as decimals: an integral float past 2**53 written in exponent form comes
# back as an int, so floats stay within the range where every dialect keeps their type.
json_text = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | json_text
    | st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False, width=64),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.dictionaries(json_text, json_values, max_size=5))
def test_json_documents_round_trip(migrated: sa.Engine, document: dict[str, Any]) -> None:
    with Session(migrated) as session:
        session.merge(agno_models.AgnoSession(session_id="h", session_type="agent", created_at=1, session_data=document))
        session.commit()
    with Session(migrated) as session:
        stored = session.get(agno_models.AgnoSession, "h")
        assert stored is not None
        assert stored.session_data == document


def test_strings_compare_exactly_on_every_dialect(migrated: sa.Engine) -> None:
    """MySQL's default collations would make 'ALICE ' equal 'alice'; ids must stay distinct."""
    with Session(migrated) as session:
        for session_id in ("alice", "ALICE", "alice "):
            session.add(agno_models.AgnoSession(session_id=session_id, session_type="agent", created_at=1, user_id=session_id))
        session.commit()
    with migrated.connect() as conn:
        matches = conn.execute(sa.text("SELECT COUNT(*) FROM agno_sessions WHERE user_id = 'alice'")).scalar()
    assert matches == 1

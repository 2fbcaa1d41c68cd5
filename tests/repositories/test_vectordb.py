"""The vector store (repositories.vectors) on every backend: agno's VectorDb, filters in SQL,
owner scoping, upsert by content hash, validation, exact search against NumPy brute force, and on
PostgreSQL the per-base HNSW index, its plan and its recall at 20,000 clustered vectors."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from agno.filters import AND, CONTAINS, EQ, GT, GTE, IN, LT, LTE, NEQ, NOT, OR, STARTSWITH
from agno.knowledge.document import Document
from agno.knowledge.reranker.base import Reranker
from agno.vectordb.distance import Distance
from agno.vectordb.search import SearchType
from alembic import command
from sqlalchemy.engine import URL

from agno_models import migrate
from agno_models.engine import create_engine
from repositories import HashingEmbedder, MySQLVectorDb, PgVectorDb, SqliteVectorDb
from repositories.vectors.store import SqlVectorDb

CLASSES = {"sqlite": SqliteVectorDb, "postgresql": PgVectorDb, "mysql": MySQLVectorDb}


class QueryVectors(HashingEmbedder):
    """Hashed bag of words, except for queries registered with a vector of their own."""

    def __init__(self, dimensions: int = 384, vectors: dict[str, np.ndarray] | None = None) -> None:
        super().__init__(dimensions=dimensions)
        self.vectors = vectors or {}

    def get_embedding(self, text: str) -> list[float]:
        if text in self.vectors:
            return np.asarray(self.vectors[text], dtype=np.float32).tolist()
        return super().get_embedding(text)


class Twin:
    """A store driven through its sync methods, or through their ``async_`` twins on one loop."""

    _OWN = frozenset({"store", "flavour", "loop"})

    def __init__(self, store: SqlVectorDb, flavour: str) -> None:
        self.store, self.flavour = store, flavour
        self.loop = asyncio.new_event_loop() if flavour == "async" else None

    def __setattr__(self, name: str, value: Any) -> None:
        # Settings (search_type, embedder, reranker) belong to the store itself.
        object.__setattr__(self, name, value) if name in self._OWN else setattr(self.store, name, value)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.store, name)
        twin = getattr(self.store, f"async_{name}", None)
        if self.loop is None or twin is None or not inspect.iscoroutinefunction(twin):
            return attr
        return lambda *args, **kwargs: self.loop.run_until_complete(twin(*args, **kwargs))  # type: ignore[union-attr]

    def close(self) -> None:
        if self.loop is not None:
            self.loop.run_until_complete(self.store.aclose())
            self.loop.close()
        else:
            self.store.close()


Make = Callable[..., Any]


@pytest.fixture
def make(backend: str, fresh_url: URL) -> Iterator[Make]:
    made: list[Twin] = []

    def build(kb: str = "kb", *, flavour: str = "sync", embedder: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("db_url", fresh_url.render_as_string(hide_password=False))
        if backend == "mysql":
            kwargs.setdefault("db_schema", fresh_url.database)
        store = CLASSES[backend](kb, embedder=embedder or HashingEmbedder(), **kwargs)
        twin = Twin(store, flavour)
        made.append(twin)
        return twin

    yield build
    for twin in made:
        twin.close()


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def docs(*texts: str, **meta: Any) -> list[Document]:
    return [Document(content=t, name=f"doc{i}", meta_data=dict(meta)) for i, t in enumerate(texts)]


def vector_docs(vectors: np.ndarray, meta: Callable[[int], dict[str, Any]] = lambda i: {}) -> list[Document]:
    return [Document(content=f"chunk {i}", id=f"c{i}", name=f"c{i}", meta_data=meta(i), embedding=v.tolist())
            for i, v in enumerate(vectors)]


def names(results: list[Document]) -> list[str | None]:
    return [d.name for d in results]


def brute_force(vectors: np.ndarray, query: np.ndarray, distance: Distance, k: int) -> list[str]:
    if distance == Distance.cosine:
        scores = -(vectors @ query) / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query))
    elif distance == Distance.l2:
        scores = np.linalg.norm(vectors - query, axis=1)
    else:
        scores = -(vectors @ query)
    return [f"c{i}" for i in np.argsort(scores, kind="stable")[:k]]


# --- round trips -------------------------------------------------------------------------------


def test_insert_and_search_round_trip(make: Make, flavour: str, backend: str) -> None:
    store = make(flavour=flavour)
    # A base "exists" once its search structures do: its HNSW index (PostgreSQL), the FTS5 mirror
    # (SQLite); MySQL has nothing per base, so there it is the migrated table.
    assert store.exists() is (backend == "mysql")
    store.create()
    assert store.exists() is True
    chunk = Document(content="The reactor runs on green crystals", name="reactor", meta_data={"topic": "energy"},
                     content_id="content-1")
    store.insert("hash-1", [chunk, *docs("Cats sleep most of the day", "Dogs like long walks")], filters={"src": "kb"})
    assert store.get_count() == 3

    (best, *_) = store.search("reactor green crystals", limit=3)
    assert best.name == "reactor" and best.content == "The reactor runs on green crystals"
    assert best.content_id == "content-1"
    assert best.meta_data["topic"] == "energy" and best.meta_data["src"] == "kb"  # filters stamped on chunks
    assert 0.5 < best.meta_data["similarity_score"] <= 1.0
    assert len(best.embedding) == 384
    assert store.id_exists(best.id) and not store.id_exists("no-such-id")
    assert store.name_exists("reactor") and not store.name_exists("nothing")
    assert store.content_hash_exists("hash-1") and not store.content_hash_exists("hash-2")
    assert store.get_supported_search_types() == [SearchType.vector, SearchType.keyword, SearchType.hybrid]


def test_search_types(make: Make) -> None:
    store = make()
    store.insert("h", docs("The reactor runs on green crystals", "Reactor safety needs training",
                           "Cats sleep most of the day"))
    store.search_type = SearchType.keyword
    assert set(names(store.search("reactor", limit=5))) == {"doc0", "doc1"}  # only chunks holding the word
    assert store.search("the of and", limit=5) == []  # only stopwords: nothing to match
    store.search_type = SearchType.hybrid
    assert names(store.search("reactor green crystals", limit=2))[0] == "doc0"


def test_hybrid_finds_a_rare_keyword_the_vector_search_misses(make: Make) -> None:
    """The question's words are common ones, so by vector the chatty chunks win; only the keyword
    part sees the rare code."""
    store = make()
    target = "Unit XK42Z must be recalibrated every ninety days by a certified technician"
    fillers = [f"What is it that they do with the {thing} on weekends" for thing in
               ("garden", "boat", "kitchen", "garage", "attic", "piano")]
    store.insert("h", docs(target, *fillers))
    question = "what is it that they do with the XK42Z"

    store.search_type = SearchType.vector
    assert target not in [d.content for d in store.search(question, limit=3)]
    store.search_type = SearchType.keyword
    assert [d.content for d in store.search(question, limit=3)] == [target]
    store.search_type = SearchType.hybrid
    assert store.search(question, limit=3)[0].content == target


# --- filters and owners --------------------------------------------------------------------------


def test_filters_apply_before_the_top_k(make: Make) -> None:
    """The nearest chunks are all outside the filter: a filter applied after the top-k would leave nothing."""
    rng = np.random.default_rng(7)
    query = rng.normal(size=16).astype(np.float32)
    vectors = np.stack([query + 0.05 * i * rng.normal(size=16) for i in range(60)]).astype(np.float32)
    ranked = brute_force(vectors, query, Distance.cosine, len(vectors))
    far = {int(c[1:]) for c in ranked[50:]}  # the ten farthest carry group "b" and a rank >= 50
    store = make(embedder=QueryVectors(16, {"q": query}))
    store.insert("h", vector_docs(vectors, lambda i: {"group": "b" if i in far else "a",
                                                       "rank": ranked.index(f"c{i}")}))

    expected = ranked[50:55]
    for filters in ({"group": "b"}, [EQ("group", "b")], [GTE("rank", 50)]):
        found = names(store.search("q", limit=5, filters=filters))
        assert found == expected, filters
    # A top-10 query returns 10 rows whenever 10 rows match.
    assert len(store.search("q", limit=10, filters={"group": "b"})) == 10
    assert len(store.search("q", limit=10, filters={"group": "z"})) == 0


def test_filter_expressions_compare_typed_json_values(make: Make) -> None:
    store = make()
    store.insert("h", [
        Document(content="one as a number", name="num", meta_data={"n": 1, "tag": "Alpha", "on": True}),
        Document(content="one as a string", name="str", meta_data={"n": "1", "tag": "beta", "on": False}),
        Document(content="two", name="two", meta_data={"n": 2, "tags": ["x", "y"]}),
        Document(content="three", name="three", meta_data={"n": 3.5}),
    ])

    def found(filters: Any) -> set[str | None]:
        return set(names(store.search("one two three", limit=10, filters=filters)))

    assert found({"n": 1}) == {"num"}
    assert found({"n": "1"}) == {"str"}
    assert found({"on": True}) == {"num"} and found({"on": False}) == {"str"}
    assert found({"tags": ["y"]}) == {"two"} and found({"tags": ["y", "z"]}) == set()
    assert found([IN("n", [1, 2])]) == {"num", "two"}
    assert found([NEQ("n", 1)]) == {"str", "two", "three"}
    assert found([GT("n", 1)]) == {"two", "three"} and found([LT("n", 2)]) == {"num"}
    assert found([LTE("n", 2), GTE("n", 2)]) == {"two"}
    assert found([CONTAINS("tag", "ALPH")]) == {"num"}  # case-insensitive, as agno documents
    assert found([STARTSWITH("tag", "be")]) == {"str"}
    assert found([OR(EQ("n", 3.5), AND(EQ("tag", "beta"), NOT(EQ("on", True))))]) == {"three", "str"}
    assert found([NOT(EQ("n", 1))]) == {"str", "two", "three"}
    with pytest.raises(ValueError, match="unknown filter operator"):
        store.search("one", filters=[{"op": "NEAR", "key": "n", "value": 1}])


def test_user_scope(make: Make, flavour: str) -> None:
    store = make(flavour=flavour)
    store.insert("shared", docs("shared handbook page about parking"))
    store.insert("h", docs("alice private note about parking"), user_id="alice")
    store.insert("h", docs("bob private note about parking"), user_id="bob")

    assert {d.content for d in store.search("parking", limit=10, user_id="alice")} == {
        "shared handbook page about parking", "alice private note about parking"}
    assert len(store.search("parking", limit=10)) == 3  # no user_id: everything, as in agno
    # Content hashes are per owner bucket: bob's "h" is not alice's, and neither is the shared one.
    assert store.content_hash_exists("h", user_id="alice") and not store.content_hash_exists("h")
    assert not store.content_hash_exists("shared", user_id="alice") and store.content_hash_exists("shared")


# --- writes --------------------------------------------------------------------------------------


def test_upsert_by_content_hash_does_not_duplicate(make: Make, flavour: str) -> None:
    store = make(flavour=flavour)
    store.upsert("h1", docs("first version of the page", "a second chunk"))
    store.upsert("h1", docs("first version of the page", "a second chunk"))
    assert store.get_count() == 2
    store.upsert("h1", docs("the page was rewritten"))  # fewer chunks: the stale ones go
    assert [d.content for d in store.search("page", limit=10)] == ["the page was rewritten"]
    store.upsert("h1", docs("alice's copy of the page"), user_id="alice")  # another owner's bucket
    store.upsert("h2", docs("another document"))
    assert store.get_count() == 3


def test_insert_of_an_existing_chunk_is_an_error(make: Make) -> None:
    store = make()
    store.insert("h1", docs("same chunk"))
    with pytest.raises(sa.exc.IntegrityError):
        store.insert("h1", docs("same chunk"))
    assert store.get_count() == 1


def test_precomputed_embeddings_take_the_bulk_path(make: Make, backend: str) -> None:
    """Documents that carry embeddings are not re-embedded (COPY on PostgreSQL, executemany elsewhere)."""
    class Refuses(HashingEmbedder):
        def get_embedding_and_usage(self, text: str) -> Any:
            raise AssertionError("precomputed embeddings must not be embedded again")

    vectors = np.random.default_rng(3).normal(size=(150, 384)).astype(np.float32)
    store = make(embedder=Refuses())
    store.insert("h", vector_docs(vectors))
    store.upsert("h", vector_docs(vectors[:120]))  # the COPY + merge path on PostgreSQL
    assert store.get_count() == 120
    store.embedder = QueryVectors(384, {"q": vectors[42]})
    assert names(store.search("q", limit=1)) == ["c42"]


def test_deletes_remove_only_what_matches(make: Make, flavour: str) -> None:
    store = make(flavour=flavour)
    store.insert("h", [
        Document(content="red apple", name="apple", meta_data={"color": "red", "kind": "fruit"}, content_id="c1"),
        Document(content="red car", name="car", meta_data={"color": "red", "kind": "thing"}, content_id="c2"),
        Document(content="green pear", name="pear", meta_data={"color": "green", "kind": "fruit"}, content_id="c1"),
        Document(content="red rose", name="rose", meta_data={"color": "red"}, content_id="c3"),
    ])
    store.insert("h", [Document(content="alice red bike", name="bike", content_id="c3")], user_id="alice")
    other = make("other-kb", flavour=flavour)
    other.insert("h", [Document(content="red in another base", name="elsewhere", meta_data={"color": "red"})])

    assert store.delete_by_metadata({"color": "red", "kind": "fruit"}) is True
    assert sorted(names(store.search("red green", limit=10))) == ["bike", "car", "pear", "rose"]
    assert store.delete_by_content_id("c3", user_id="alice") is True  # alice's chunk of c3 only
    assert sorted(names(store.search("red green", limit=10))) == ["car", "pear", "rose"]
    assert store.delete_by_name("car") is True and store.delete_by_id(store.search("rose")[0].id) is True
    assert names(store.search("red green", limit=10)) == ["pear"]
    assert store.delete_by_content_id("c9") is True  # nothing to delete is not a failure
    assert store.delete() is True and store.get_count() == 0
    assert other.get_count() == 1  # another knowledge base in the same table is untouched
    with pytest.raises(ValueError, match="non-empty dict"):
        store.delete_by_metadata({})


def test_update_metadata_merges_and_sets_filters(make: Make, flavour: str) -> None:
    store = make(flavour=flavour)
    store.insert("h", [Document(content="chunk one", name="a", meta_data={"keep": 1, "v": 1}, content_id="c1"),
                       Document(content="chunk two", name="b", meta_data={"v": 1}, content_id="c2")])
    store.update_metadata("c1", {"v": 2, "new": "yes"})
    (a,) = store.search("chunk", limit=5, filters={"v": 2})
    assert a.name == "a" and a.meta_data["keep"] == 1 and a.meta_data["new"] == "yes"
    assert names(store.search("chunk", limit=5, filters={"v": 1})) == ["b"]


def test_bad_input_is_a_clear_error_and_stores_nothing(make: Make, flavour: str) -> None:
    store = make(flavour=flavour, embedder=HashingEmbedder(dimensions=8))
    good = Document(content="fine", embedding=[0.1] * 8)
    with pytest.raises(ValueError, match="has 7 dimensions; this knowledge base stores 8"):
        store.insert("h", [good, Document(content="short", embedding=[0.1] * 7)])
    with pytest.raises(ValueError, match="nan at position 3"):
        store.upsert("h", [good, Document(content="nan", embedding=[0.1, 0.2, 0.3, float("nan"), 0, 0, 0, 0])])
    with pytest.raises(ValueError, match="not JSON|NaN|nan"):
        store.insert("h", [Document(content="bad meta", embedding=[0.1] * 8, meta_data={"x": float("nan")})])
    assert store.get_count() == 0
    for query in ("", "   "):
        with pytest.raises(ValueError, match="query must be a non-empty string"):
            store.search(query)
    with pytest.raises(ValueError, match="limit must be an integer"):
        store.search("fine", limit=0)
    store.embedder = QueryVectors(8, {"wrong": np.ones(9)})
    with pytest.raises(ValueError, match="query embedding has 9 dimensions"):
        store.search("wrong")


def test_a_wrong_backend_or_setting_is_refused(fresh_url: URL, backend: str) -> None:
    url = fresh_url.render_as_string(hide_password=False)
    other = PgVectorDb if backend != "postgresql" else SqliteVectorDb
    with pytest.raises(ValueError, match="needs a"):
        other("kb", db_url=url, embedder=HashingEmbedder())
    with pytest.raises(ValueError, match="ef_search"):
        SqlVectorDb("kb", db_url=url, embedder=HashingEmbedder(), ef_search=0)
    with pytest.raises(ValueError, match="exactly one"):
        SqlVectorDb("kb", embedder=HashingEmbedder())


# --- search quality --------------------------------------------------------------------------------


@pytest.mark.parametrize("distance", [Distance.cosine, Distance.l2, Distance.max_inner_product])
def test_nearest_neighbours_match_brute_force(make: Make, distance: Distance) -> None:
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(200, 16)).astype(np.float32) * rng.uniform(0.5, 2.0, size=(200, 1)).astype(np.float32)
    queries = rng.normal(size=(5, 16)).astype(np.float32)
    store = make(embedder=QueryVectors(16, {f"q{i}": q for i, q in enumerate(queries)}), distance=distance)
    store.insert("h", vector_docs(vectors))
    for i, query in enumerate(queries):
        assert names(store.search(f"q{i}", limit=10)) == brute_force(vectors, query, distance, 10)


@pytest.mark.parametrize("dimensions", [2500, 4500])
def test_wide_embeddings_halfvec_index_or_exact(make: Make, backend: str, dimensions: int) -> None:
    """Above 2,000 dimensions PostgreSQL indexes a halfvec cast (the query vector too), above 4,000
    it searches exactly; either way the nearest chunk comes back with its full float32 embedding."""
    rng = np.random.default_rng(12)
    vectors = rng.normal(size=(80, dimensions)).astype(np.float32)
    store = make(embedder=QueryVectors(dimensions, {"q": vectors[17] + 0.01}))
    store.insert("h", vector_docs(vectors))
    (hit,) = store.search("q", limit=1)
    assert hit.name == "c17" and np.array_equal(np.asarray(hit.embedding, dtype=np.float32), vectors[17])
    if backend == "postgresql" and dimensions <= 4000:
        assert "Index Scan using vix_" in store.store.explain("q", limit=1)


def test_reranker_is_applied(make: Make) -> None:
    class Reverse(Reranker):
        def rerank(self, query: str, documents: list[Document], limit: int | None = None) -> list[Document]:
            return list(reversed(documents))

    store = make()
    store.insert("h", docs("alpha beta gamma", "alpha beta", "alpha"))
    plain = names(store.search("alpha beta gamma", limit=3))
    store.reranker = Reverse()
    assert names(store.search("alpha beta gamma", limit=3)) == list(reversed(plain))


# --- schema ------------------------------------------------------------------------------------------


def test_migrations_stay_in_agreement_after_knowledge_bases_exist(make: Make, backend: str, fresh_url: URL) -> None:
    """Per-base HNSW indexes (PostgreSQL) and the FTS5 mirror (SQLite) are not schema drift."""
    first = make("kb-one")
    first.insert("h", docs("some text"))
    second = make("kb-two", embedder=HashingEmbedder(dimensions=8), distance=Distance.l2)
    second.insert("h", docs("other text"))
    assert first.get_count() == 1 and second.get_count() == 1
    engine = create_engine(fresh_url)
    try:
        with engine.connect() as conn:
            command.check(migrate.alembic_config(connection=conn, schema="ai" if backend == "postgresql" else None))
    finally:
        engine.dispose()


# --- PostgreSQL: the HNSW index ------------------------------------------------------------------------


def _indexes(store: Any) -> dict[str, str]:
    with store.store.sync_engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'ai' AND indexname LIKE 'vix%'"
        )).all()
    return dict(rows)


def test_hnsw_index_exists_with_the_base_and_serves_its_queries(make: Make, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the HNSW index is PostgreSQL's")
    store = make("handbook")
    assert _indexes(store) == {}
    store.create()  # before any row, unlike agno's PgVector (no index until optimize())
    (definition,) = _indexes(store).values()
    assert "USING hnsw" in definition and "vector_cosine_ops" in definition
    assert "knowledge_base" in definition and "'handbook'" in definition and "384" in definition

    store.insert("h", docs(*[f"page {i} of the handbook about topic {i % 7}" for i in range(200)]))
    plan = store.explain("handbook topic 3", limit=10)
    index_name = next(iter(_indexes(store)))
    assert f"Index Scan using {index_name}" in plan, plan
    filtered = store.explain("handbook topic 3", limit=10, filters={"x": 1}, user_id="u1")
    assert f"Index Scan using {index_name}" in filtered, filtered

    for distance, opclass in ((Distance.l2, "vector_l2_ops"), (Distance.max_inner_product, "vector_ip_ops")):
        make(f"kb-{distance.value}", distance=distance).create()
        assert any(opclass in d for d in _indexes(store).values())
    store.drop()
    assert not store.exists()
    assert not any("'handbook'" in d for d in _indexes(store).values())
    assert len(_indexes(store)) == 2  # the other bases keep theirs
    assert store.get_count() == 0 and store.exists()  # using a dropped base creates it again


def test_keyword_search_uses_the_gin_index(make: Make, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the GIN index is PostgreSQL's")
    store = make(embedder=HashingEmbedder(dimensions=8))
    vectors = np.random.default_rng(5).normal(size=(3000, 8)).astype(np.float32)
    chunks = vector_docs(vectors)
    chunks[7].content = "the only chunk about zorblax"
    store.insert("h", chunks)
    with store.store.sync_engine.begin() as conn:
        conn.execute(sa.text("ANALYZE ai.agno_knowledge_embeddings"))
    plan = store.explain("zorblax", search_type="keyword")
    assert "Bitmap Index Scan on ix_agno_knowledge_embeddings_content_fulltext" in plan, plan
    store.search_type = SearchType.keyword
    assert names(store.search("zorblax")) == ["c7"]


def test_ef_search_is_set_per_query(make: Make, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("ef_search is an HNSW setting")
    store = make(ef_search=40)
    store.insert("h", docs("one chunk"))
    seen: list[str] = []
    sa.event.listen(store.store.sync_engine, "before_cursor_execute", lambda c, cur, s, *a: seen.append(s))
    store.search("one", limit=5)
    store.search("one", limit=60)
    settings = [s for s in seen if "ef_search" in s]
    assert [s.split(", set_config")[0] for s in settings] == [
        "SELECT set_config('hnsw.ef_search', '40', true)", "SELECT set_config('hnsw.ef_search', '60', true)"]


def test_hnsw_recall_on_20000_clustered_vectors(make: Make, backend: str) -> None:
    """recall@10 against NumPy brute force: 100 Gaussian clusters in 384 dimensions."""
    if backend != "postgresql":
        pytest.skip("SQLite and MySQL search exactly")
    rng = np.random.default_rng(2026)
    centers = rng.normal(size=(100, 384)).astype(np.float32)
    vectors = (centers[rng.integers(0, 100, 20_000)] + 0.5 * rng.normal(size=(20_000, 384))).astype(np.float32)
    queries = (centers[rng.integers(0, 100, 50)] + 0.5 * rng.normal(size=(50, 384))).astype(np.float32)
    store = make("recall", embedder=QueryVectors(384, {f"q{i}": q for i, q in enumerate(queries)}))
    store.create()
    store.insert("h", vector_docs(vectors))  # COPY, then the HNSW index is rebuilt in bulk

    recalls = []
    for i, query in enumerate(queries):
        found = names(store.search(f"q{i}", limit=10))
        assert len(found) == 10
        recalls.append(len(set(found) & set(brute_force(vectors, query, Distance.cosine, 10))) / 10)
    assert float(np.mean(recalls)) >= 0.95, recalls
    assert "Index Scan using vix_" in store.explain("q0", limit=10)


def _index_state(store: Any) -> list[tuple[str, bool]]:
    """(name, indisvalid) of every HNSW index of the store's base."""
    with store.store.sync_engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'ai' AND c.relname LIKE 'vix%' AND pg_get_indexdef(i.indexrelid) LIKE :base"
        ).bindparams(base=f"%'{store.store.table_name}'%")).all()
    return [(name, valid) for name, valid in rows]


def test_a_bulk_load_rebuilds_the_index_and_searches_use_it(make: Make, backend: str, flavour: str) -> None:
    """A load at least as big as the base drops its HNSW index, COPYs and rebuilds it in one
    transaction: afterwards the one index is there, valid, and serves the searches. Statistics
    cover every column, as autovacuum's would, so the plan does not flip when autovacuum runs
    (below ~4,000 rows a sequential scan is then the cheaper plan, hence these sizes)."""
    if backend != "postgresql":
        pytest.skip("the HNSW index is PostgreSQL's")
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(5000, 384)).astype(np.float32)
    store = make("bulk", flavour=flavour, embedder=QueryVectors(384, {"q": vectors[1234], "r": vectors[4500]}))
    store.create()
    (before,) = _index_state(store)
    statements: list[str] = []
    engine = store.store.async_engine.sync_engine if flavour == "async" else store.store.sync_engine
    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, s, *a: statements.append(s))
    store.insert("h1", vector_docs(vectors[:4000]))  # empty base: rebuilt
    assert sum(s.startswith("DROP INDEX") for s in statements) == 1, statements
    assert sum(s.startswith("CREATE INDEX") for s in statements) == 1, statements
    assert sum(s.startswith("ANALYZE") for s in statements) == 1, statements  # planned on fresh statistics
    assert _index_state(store) == [(before[0], True)]
    assert f"Index Scan using {before[0]}" in store.store.explain("q", limit=10)
    statements.clear()
    more = vector_docs(vectors)[4000:]  # 1,000 rows into a base of 4,000: maintained row by row
    store.insert("h2", more)
    assert not any(s.startswith(("DROP INDEX", "CREATE INDEX")) for s in statements), statements
    assert sum(s.startswith("ANALYZE") for s in statements) == 1, statements
    assert store.get_count() == 5000 and _index_state(store) == [(before[0], True)]
    assert names(store.search("q", limit=1)) == ["c1234"]
    assert names(store.search("r", limit=1)) == ["c4500"]
    assert f"Index Scan using {before[0]}" in store.store.explain("q", limit=10)
    with store.store.sync_engine.begin() as conn:  # what autovacuum does a moment later
        conn.execute(sa.text("ANALYZE"))
    assert f"Index Scan using {before[0]}" in store.store.explain("q", limit=10)
    # An upsert replacing the whole base is a bulk load too (the COPY + merge path).
    store.upsert("h1", vector_docs(vectors[:4000]))
    assert store.get_count() == 5000 and _index_state(store) == [(before[0], True)]
    assert names(store.search("q", limit=1)) == ["c1234"]


def test_writes_and_searches_during_a_bulk_load_wait_for_it(make: Make, backend: str) -> None:
    """Another session writing or searching while a bulk load rebuilds the index waits for the
    load's transaction (DROP INDEX locks the table) and then sees the base with its index."""
    if backend != "postgresql":
        pytest.skip("the HNSW index is PostgreSQL's")
    import threading

    rng = np.random.default_rng(8)
    vectors = rng.normal(size=(4000, 384)).astype(np.float32)
    loader = make("busy", embedder=QueryVectors(384))
    loader.create()
    other = make("busy", embedder=QueryVectors(384, {"q": vectors[42]}))
    other.insert("small", [Document(content="a small chunk", id="small-0", name="small-0",
                                    embedding=vectors[0].tolist())])
    errors: list[BaseException] = []
    dropped = threading.Event()

    def watch(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("DROP INDEX"):
            dropped.set()

    sa.event.listen(loader.store.sync_engine, "after_cursor_execute", watch)

    def load() -> None:
        try:
            loader.insert("big", vector_docs(vectors))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
            dropped.set()

    thread = threading.Thread(target=load)
    thread.start()
    try:
        assert dropped.wait(timeout=60)
        # The load's transaction now holds the table (COPY and CREATE INDEX still to come): this
        # write and this search wait for its commit, then see all of it.
        other.insert("small-1", [Document(content="small", id="s1", name="s1", embedding=vectors[1].tolist())])
        found = other.search("q", limit=10)
    finally:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(found) == 10 and found[0].name == "c42"
    assert other.get_count() == 4002
    assert names(other.search("q", limit=1)) == ["c42"]
    ((name, valid),) = _index_state(other)
    assert valid and f"Index Scan using {name}" in other.store.explain("q", limit=10)


def test_a_connection_the_server_closed_is_replaced(make: Make, backend: str, flavour: str) -> None:
    """Engines skip the pre-ping: a pooled connection the server dropped fails
    its first statement, and the operation runs again on a new one."""
    if backend != "postgresql":
        pytest.skip("killed server side on PostgreSQL here; test_lost_connections.py covers MariaDB")
    store = make("dropped", flavour=flavour)
    store.insert("h", docs("the first chunk about apples", "the second chunk about pears"))
    assert len(store.search("apples", limit=2)) == 2

    admin = create_engine(store.store.sync_engine.url)
    try:
        with admin.begin() as conn:
            own = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            killed = conn.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> :own AND backend_type = 'client backend'"
            ).bindparams(own=own)).scalar()
        assert killed >= 1
    finally:
        admin.dispose()
    assert names(store.search("apples", limit=1)) == ["doc0"]
    store.insert("h2", docs("a third chunk"))
    assert store.get_count() == 3


def test_embeddings_read_exactly_and_a_shared_engine_reads_them_too(backend: str, fresh_url: URL) -> None:
    """Search results carry the stored float32 embedding bit for bit; a store sharing a
    PostgresDb's engine leaves how that engine reads embedding columns unchanged."""
    from repositories import MySQLDb, PostgresDb, SqliteDb

    db_class = {"sqlite": SqliteDb, "postgresql": PostgresDb, "mysql": MySQLDb}[backend]
    kwargs = {"db_schema": fresh_url.database} if backend == "mysql" else {}
    db = db_class(db_url=fresh_url.render_as_string(hide_password=False), **kwargs)
    try:
        vectors = np.random.default_rng(9).normal(size=(70, 384)).astype(np.float32)
        store = CLASSES[backend]("shared", db=db, embedder=QueryVectors(384, {"q": vectors[5]}))
        store.insert("h", vector_docs(vectors))
        (hit,) = store.search("q", limit=1)
        assert hit.name == "c5" and np.array_equal(np.asarray(hit.embedding, dtype=np.float32), vectors[5])
        table = db.table_names  # the shared engine, read through the Embedding column type
        from repositories.core.tables import TableSet

        chunks = TableSet.for_names(table).knowledge_embeddings
        options = {"schema_translate_map": {None: db.db_schema}} if db.db_schema else {}
        with db.db_engine.connect().execution_options(**options) as conn:
            stored = conn.execute(sa.select(chunks.c.embedding).where(chunks.c.id == hit.id)).scalar_one()
        assert isinstance(stored, np.ndarray) and np.array_equal(stored, vectors[5])
    finally:
        db.close()

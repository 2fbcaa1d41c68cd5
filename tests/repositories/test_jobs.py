"""The durable job queue against agno's queue-store contract, on every backend, sync and async."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
import uuid
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from agno.job_queue.store import InMemoryQueueStore
from sqlalchemy.engine import URL

from repositories.core.db import SqlDb
from tests.repositories.conftest import make_db

STAMPS = {"created_at", "updated_at", "available_at", "locked_at", "completed_at"}


def new_job(job_id: str | None = None, *, session_id: str = "s1", serialized: bool = False, **fields: Any) -> dict[str, Any]:
    now = int(time.time())
    payload: dict[str, Any] = {"input": "hi", **({"serialize_session": True} if serialized else {})}
    return {
        "id": job_id or str(uuid.uuid4()), "component_type": "agent", "job_type": "run", "component_id": "helper",
        "session_id": session_id, "user_id": None, "payload": payload, "status": "queued", "attempt": 0,
        "max_attempts": 1, "idempotency_key": None, "available_at": now, "created_at": now, **fields,
    }


def test_enqueue_stores_every_field_and_hides_our_own_columns(db: SqlDb) -> None:
    job = new_job("j1", user_id="u1", idempotency_key="k1", deployment_id="d1")
    result = db.enqueue_job(job)
    assert result["accepted"] is True and result["reason"] is None
    assert result["job"] == job
    assert db.get_job("j1") == job | {"locked_by": None, "locked_at": None, "error": None, "updated_at": None,
                            "completed_at": None}
    assert db.get_job("missing") is None and db.get_job("missing", strict=True) is None


def _agno_and_ours(db: SqlDb) -> tuple[list[Any], list[Any]]:
    """One scenario through agno's in-memory store (the contract's reference) and through ours."""

    def scenario(call: Any) -> list[Any]:
        out: list[Any] = []
        base = int(time.time()) - 100
        jobs = [new_job(f"j{i}", session_id=f"s{i}", created_at=base + i, max_attempts=2) for i in range(4)]
        for job in jobs:
            out.append(call("enqueue_job", job)["accepted"])
        out.append(call("enqueue_job", new_job("k1", idempotency_key="key", user_id="u1", created_at=base + 10)))
        out.append(call("enqueue_job", new_job("k2", idempotency_key="key", user_id="u1"))["reason"])
        out.append(call("enqueue_job", new_job("k3", idempotency_key="key", user_id="u2"))["accepted"])
        out.append(call("enqueue_job", new_job("k4"), max_depth=3))
        out.append(call("count_queued_jobs"))
        first = call("claim_job", "w1")
        out.append((first["id"], first["status"], first["attempt"], first["locked_by"]))
        out.append(call("heartbeat_jobs", "w1", ["j0", "j1"]))
        out.append(call("complete_job", "j0", "w2", 1, "completed"))  # not the holder
        out.append(call("complete_job", "j0", "w1", 2, "completed"))  # not this attempt
        out.append(call("complete_job", "j0", "w1", 1, "completed"))
        second = call("claim_job", "w1")
        out.append(call("retry_or_fail_job", second["id"], "w1", 1, "boom", retry_delay_seconds=0))
        out.append(call("get_job", second["id"])["error"])
        again = call("claim_job", "w1")
        out.append((again["id"], again["attempt"]))
        out.append(call("retry_or_fail_job", again["id"], "w1", 2, "boom again"))
        out.append(call("requeue_job", again["id"]))
        out.append(call("requeue_job", "j2"))  # queued: nothing to requeue
        out.append(call("cancel_job", "j2"))
        out.append(call("cancel_job", "j2"))
        out.append(call("continue_job", "j2", {"x": 1})["outcome"])
        out.append(call("continue_job", "missing", {})["outcome"])
        out.append(call("continue_job", "j3", {})["outcome"])
        out.append(call("settle_paused_job", "j3", "completed"))
        jobs_page, total = call("list_jobs", status=["queued", "failed"], limit=2, page=1, sort_by="created_at",
                                sort_order="asc")
        out.append(([j["id"] for j in jobs_page], total))
        out.append(sorted(j["id"] for j in call("list_jobs", user_id="u1")[0]))
        out.append(call("list_jobs", sort_by="no_such_field")[1])  # ignored, as agno documents
        out.append(call("queue_stats")["counts"])
        out.append(call("cleanup_jobs", 0))
        out.append(call("cleanup_jobs"))
        return [_stable(o) for o in out]

    memory = InMemoryQueueStore()
    reference = scenario(lambda name, *a, **k: asyncio.run(getattr(memory, name)(*a, **k)))
    ours = scenario(lambda name, *a, **k: getattr(db, name)(*a, **k))
    return reference, ours


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in STAMPS}
    return value


def test_the_same_calls_answer_as_agnos_reference_store(db: SqlDb) -> None:
    reference, ours = _agno_and_ours(db)
    assert ours == reference


def test_a_lost_lease_is_fenced_out(db: SqlDb) -> None:
    db.enqueue_job(new_job("j1", max_attempts=2))
    first = db.claim_job("w1")
    assert first["attempt"] == 1
    assert db.claim_job("w2") is None  # a live lease is not reclaimed
    # With no grace the lease is stale at once: w2 reclaims it as attempt 2.
    second = db.claim_job("w2", lock_grace_seconds=0)
    assert (second["id"], second["attempt"], second["locked_by"]) == ("j1", 2, "w2")
    assert db.heartbeat_jobs("w1", ["j1"]) == 0
    assert db.complete_job("j1", "w1", 1, "completed") is False
    assert db.retry_or_fail_job("j1", "w1", 1, "late") is None
    assert db.complete_job("j1", "w2", 2, "completed") is True
    assert db.get_job("j1")["status"] == "completed"


def test_an_exhausted_stale_job_is_swept_by_one_sweeper(db: SqlDb) -> None:
    db.enqueue_job(new_job("j1"))
    db.claim_job("w1")
    assert db.claim_job("w2", lock_grace_seconds=0) is None  # budget spent: never reclaimed
    assert db.sweep_exhausted_jobs(lock_grace_seconds=60) == []
    swept = db.sweep_exhausted_jobs(lock_grace_seconds=0)
    assert [j["id"] for j in swept] == ["j1"]
    assert db.acquire_sweep("j1", "sweeper", lock_grace_seconds=0) is True
    assert db.acquire_sweep("j1", "other", lock_grace_seconds=60) is False  # the sweeper's lock is fresh
    assert db.settle_swept_job("j1", "other", "failed") is False
    assert db.settle_swept_job("j1", "sweeper", "bogus") is False
    assert db.settle_swept_job("j1", "sweeper", "failed", error="worker died") is True
    assert db.get_job("j1")["error"] == "worker died"


def test_a_serialized_session_runs_one_ticket_at_a_time_in_acceptance_order(db: SqlDb) -> None:
    base = int(time.time()) - 10
    # The later ticket is older by created_at: acceptance order (session_seq) still wins.
    db.enqueue_job(new_job("b", serialized=True, created_at=base + 5))
    db.enqueue_job(new_job("a", serialized=True, created_at=base))
    db.enqueue_job(new_job("other", session_id="s2", created_at=base + 1))
    assert [db.get_job(i)["payload"]["session_seq"] for i in ("b", "a")] == [1, 2]
    assert db.session_blocker("a") == "b"
    assert db.session_blocker("b") is None
    # The oldest ticket, "a", waits behind "b": the next in line is another session's.
    assert db.claim_job("w2")["id"] == "other"
    assert db.claim_job("w1")["id"] == "b"
    assert db.claim_job("w3") is None  # "a" waits behind the running "b"
    assert db.session_blocker("a") == "b"
    db.complete_job("b", "w1", 1, "paused")
    assert db.claim_job("w3") is None  # a paused ticket still holds its session
    assert db.settle_paused_job("b", "completed") is True
    assert db.claim_job("w3")["id"] == "a"


def test_a_requeued_serialized_ticket_rejoins_behind_the_live_ones(db: SqlDb) -> None:
    db.enqueue_job(new_job("a", serialized=True))
    db.claim_job("w1")
    db.retry_or_fail_job("a", "w1", 1, "boom")
    db.enqueue_job(new_job("b", serialized=True))
    assert db.requeue_job("a") is True
    assert db.get_job("a")["payload"]["session_seq"] > db.get_job("b")["payload"]["session_seq"]
    assert db.claim_job("w1")["id"] == "b"


def test_idempotency_keys_are_scoped_per_user(db: SqlDb) -> None:
    assert db.enqueue_job(new_job("a", idempotency_key="k", user_id="u1"))["accepted"]
    assert db.enqueue_job(new_job("b", idempotency_key="k", user_id="u2"))["accepted"]
    assert db.enqueue_job(new_job("c", idempotency_key="k"))["accepted"]
    duplicate = db.enqueue_job(new_job("d", idempotency_key="k"))
    assert (duplicate["reason"], duplicate["job"]["id"]) == ("duplicate", "c")
    assert db.enqueue_job(new_job("e", idempotency_key=""))["job"]["idempotency_key"] is None
    assert db.enqueue_job(new_job("f", idempotency_key=""))["accepted"]  # empty is no key


def test_the_database_refuses_a_second_anonymous_job_with_the_same_key(db: SqlDb) -> None:
    """The generated column backs the check even against writers that skip it."""
    db.enqueue_job(new_job("a", idempotency_key="k"))
    row = new_job("b", idempotency_key="k") | {"serialize_session": False}
    with pytest.raises(sa.exc.IntegrityError), db._engine_for_queries().begin() as conn:
        conn.execute(sa.insert(db._ctx.tables.jobs).values(**row))


def test_a_reused_id_raises(db: SqlDb) -> None:
    db.enqueue_job(new_job("a"))
    with pytest.raises(sa.exc.IntegrityError):
        db.enqueue_job(new_job("a"))
    with pytest.raises(RuntimeError, match="already exists"):
        db.enqueue_job(new_job("a", idempotency_key="fresh"))
    assert db.get_job("a")["idempotency_key"] is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda db: db.enqueue_job({"id": "x"}), "missing required"),
        (lambda db: db.enqueue_job(new_job(colour="red")), "unknown column"),
        (lambda db: db.enqueue_job(new_job(serialize_session=True)), "unknown column"),
        (lambda db: db.enqueue_job(new_job(payload=["x"])), "payload must be a dict"),
        (lambda db: db.enqueue_job(new_job(session_id="s" * 200)), "session_id is 200 characters"),
        (lambda db: db.claim_job(""), "worker_id"),
        (lambda db: db.claim_job("w", lock_grace_seconds=-1), "lock_grace_seconds"),
        (lambda db: db.complete_job("j", "w", 1, "done"), "status must be one of"),
        (lambda db: db.list_jobs(sort_order="sideways"), "sort_order"),
        (lambda db: db.list_jobs(page=0), "page"),
        (lambda db: db.continue_job("j", ["x"]), "continue_payload"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(db: SqlDb, call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(db)
    assert db.count_queued_jobs() == 0


def test_concurrent_workers_claim_each_job_exactly_once(db: SqlDb) -> None:
    jobs, workers = 12, 4
    for i in range(jobs):
        db.enqueue_job(new_job(f"j{i:02}", session_id=f"s{i}"))
    # Two tickets of one serialized session: at most one of them may be claimed.
    db.enqueue_job(new_job("ser-a", session_id="ser", serialized=True))
    db.enqueue_job(new_job("ser-b", session_id="ser", serialized=True))
    claims: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def work(worker: str) -> None:
        try:
            barrier.wait()
            while (job := db.claim_job(worker)) is not None:
                claims.append(job["id"])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Counter(claims) == Counter([f"j{i:02}" for i in range(jobs)] + ["ser-a"])


def _claim_in_process(backend: str, url: str, worker: str, queue: Any) -> None:
    from sqlalchemy.engine import make_url

    db = make_db(backend, make_url(url))
    claimed = []
    while (job := db.claim_job(worker)) is not None:
        claimed.append(job["id"])
    db.close()
    queue.put(claimed)


def test_two_processes_claim_each_job_exactly_once(backend: str, fresh_url: URL) -> None:
    db = make_db(backend, fresh_url)
    for i in range(20):
        db.enqueue_job(new_job(f"j{i:02}", session_id=f"s{i}"))
    db.close()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    url = fresh_url.render_as_string(hide_password=False)
    processes = [context.Process(target=_claim_in_process, args=(backend, url, f"p{i}", queue)) for i in range(2)]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert sorted(job for claimed in results for job in claimed) == [f"j{i:02}" for i in range(20)]


def test_durable_queue_config_accepts_our_db(db: SqlDb) -> None:
    from agno.job_queue.config import QueueConfig
    from agno.os.job_queue import resolve_queue_store, store_serializes_sessions

    ours = getattr(db, "_db", db)  # the async db itself, not the test's blocking wrapper
    store = resolve_queue_store(QueueConfig(durable=True), ours)
    assert store_serializes_sessions(store)
    # The async store is awaited on the loop its engine lives on; the sync one runs in threads.
    loop = getattr(db, "_loop", None)
    run = asyncio.run if loop is None else (lambda c: asyncio.run_coroutine_threadsafe(c, loop).result())
    run(store.ensure_jobs_table())
    assert run(store.enqueue_job(new_job("j1")))["accepted"] is True
    assert run(store.claim_job("w1"))["id"] == "j1"

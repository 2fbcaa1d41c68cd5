"""A duplicate key is one clear error, whether the caller came second or lost a race.

Every create-only method is called twice with the same key: the second call raises the method's
own clear error (or ``AlreadyExists``, the executor's, naming the table and the key) and changes
nothing. Then the race: the first call is held open just before its COMMIT (its row inserted,
not yet visible), the second runs, passes any check of its own and waits on the first's key; the
first commits, and the second must raise exactly the error of the calm case.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from agno.db.schemas.approval import Approval
from agno.db.schemas.evals import EvalRunRecord, EvalType
from agno.db.schemas.scheduler import Schedule
from agno.db.utils import is_unique_violation
from sqlalchemy.engine import URL

from repositories import AlreadyExists
from repositories.evals import EvalRunExists
from repositories.schedules import ScheduleNameTaken
from tests.repositories.conftest import make_db
from tests.repositories.server_side import paused_before_commit, server_only, side_engine, wait_for_lock_waiter

NOW = int(time.time())


def eval_run(run_id: str, name: str) -> EvalRunRecord:
    return EvalRunRecord(
        run_id=run_id, eval_type=EvalType.ACCURACY, eval_data={"score": 1}, eval_input={"q": 1}, name=name
    )


def schedule(id: str, name: str, **fields: Any) -> dict[str, Any]:
    return Schedule(
        id=id, name=name, cron_expr="0 3 * * *", endpoint="/agents/a1/runs", created_at=NOW, **fields
    ).to_dict()


def approval(id: str, **fields: Any) -> dict[str, Any]:
    return Approval(id=id, run_id="r1", session_id="s1", created_at=NOW, **fields).to_dict()


def account(id: str, name: str) -> dict[str, Any]:
    return {
        "id": id,
        "name": name,
        "token_hash": uuid.uuid4().hex,
        "token_prefix": "agno_sa_ab",
        "scopes": ["agents:read"],
        "user_id": None,
        "created_at": NOW,
        "expires_at": None,
        "last_used_at": None,
        "revoked_at": None,
        "created_by": None,
    }


def job(id: str) -> dict[str, Any]:
    return {
        "id": id,
        "component_type": "agent",
        "job_type": "run",
        "component_id": "helper",
        "session_id": "s1",
        "user_id": None,
        "payload": {"input": "hi"},
        "status": "queued",
        "attempt": 0,
        "max_attempts": 1,
        "idempotency_key": None,
        "available_at": NOW,
        "created_at": NOW,
    }


def client(client_id: str) -> dict[str, Any]:
    return {"client_id": client_id, "client_metadata": "{}", "now": NOW, "unconsumed_ttl": 100, "max_clients": 10}


@dataclass(frozen=True)
class Duplicate:
    """``method(*first)`` stores a row; ``method(*second)`` repeats its key and must raise ``error``."""

    name: str
    method: str
    first: tuple[Any, ...]
    second: tuple[Any, ...]
    error: type[BaseException]
    match: str
    kind: str  # the table whose rows must not change
    kwargs: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[Any], Any] | None = None


CASES = [
    Duplicate(
        "eval run id",
        "create_eval_run",
        (eval_run("e1", "first"),),
        (eval_run("e1", "second"),),
        EvalRunExists,
        "an eval run with run_id 'e1' already exists",
        "evals",
    ),
    Duplicate(
        "schedule name",
        "create_schedule",
        (schedule("sch1", "nightly"),),
        (schedule("sch2", "nightly"),),
        ScheduleNameTaken,
        "Schedule with name 'nightly' already exists (among unowned schedules)",
        "schedules",
    ),
    Duplicate(
        "owned schedule name",
        "create_schedule",
        (schedule("sch1", "nightly", user_id="u1"),),
        (schedule("sch2", "nightly", user_id="u1"),),
        ScheduleNameTaken,
        "Schedule with name 'nightly' already exists (among user 'u1')",
        "schedules",
    ),
    Duplicate(
        "schedule id",
        "create_schedule",
        (schedule("sch1", "a"),),
        (schedule("sch1", "b"),),
        AlreadyExists,
        "agno_schedules: a row with id 'sch1' already exists",
        "schedules",
    ),
    Duplicate(
        "approval id",
        "create_approval",
        (approval("ap1"),),
        (approval("ap1", tool_name="other"),),
        AlreadyExists,
        "agno_approvals: a row with id 'ap1' already exists",
        "approvals",
    ),
    Duplicate(
        "service account id",
        "create_service_account",
        (account("sa1", "ci"),),
        (account("sa1", "cd"),),
        AlreadyExists,
        "agno_service_accounts: a row with id 'sa1' already exists",
        "service_accounts",
    ),
    Duplicate(
        "active service account name",
        "create_service_account",
        (account("sa1", "ci"),),
        (account("sa2", "ci"),),
        AlreadyExists,
        "agno_service_accounts: a row with the same name among unrevoked accounts already exists",
        "service_accounts",
    ),
    Duplicate(
        "job id",
        "enqueue_job",
        (job("j1"),),
        (job("j1"),),
        AlreadyExists,
        "agno_jobs: a row with id 'j1' already exists",
        "jobs",
    ),
    Duplicate(
        "mcp oauth client id",
        "create_mcp_oauth_client",
        (),
        (),
        AlreadyExists,
        "agno_mcp_oauth_clients: a row with client_id 'c1' already exists",
        "mcp_oauth_clients",
        kwargs=client("c1"),
    ),
]


def rows_of(db: Any, kind: str) -> list[tuple[Any, ...]]:
    engine: sa.Engine = db.db_engine.execution_options(**db._translate())
    with engine.connect() as conn:
        return sorted(tuple(map(repr, row)) for row in conn.execute(sa.select(getattr(db.tables, kind))))


def call(db: Any, case: Duplicate, args: tuple[Any, ...]) -> Any:
    return getattr(db, case.method)(*args, **case.kwargs)


def check(case: Duplicate, error: BaseException | None) -> str:
    assert isinstance(error, case.error), f"{case.name}: {error!r}"
    assert isinstance(error, sa.exc.IntegrityError) and is_unique_violation(error), (
        f"{case.name}: agno's 409 needs this"
    )
    assert case.match in str(error), f"{case.name}: {error}"
    return str(error)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_duplicate_key_is_one_clear_error_and_changes_nothing(db: Any, case: Duplicate) -> None:
    call(db, case, case.first)
    before = rows_of(db, case.kind)
    with pytest.raises(BaseException) as caught:
        call(db, case, case.second)
    check(case, caught.value)
    if isinstance(caught.value, AlreadyExists):
        assert isinstance(caught.value, ValueError)
    assert rows_of(db, case.kind) == before


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_loser_of_a_race_gets_the_same_error(db: Any, backend: str, fresh_url: URL, case: Duplicate) -> None:
    server_only(backend)
    calm = make_db(backend, fresh_url)
    side = side_engine(calm)
    try:
        outcome: dict[str, BaseException] = {}

        def second() -> None:
            try:
                call(db, case, case.second)
            except BaseException as error:  # noqa: BLE001 - inspected below
                outcome["error"] = error

        with paused_before_commit(calm, case.method, *case.first, **case.kwargs):
            loser = threading.Thread(target=second, daemon=True)
            loser.start()
            wait_for_lock_waiter(side, backend)  # the second writer waits on the first's key (or lock)
        loser.join(30)
        assert not loser.is_alive()
        raced = check(case, outcome.get("error"))
        stored = rows_of(db, case.kind)
        # The calm case on the same rows: the first call's row is stored, the second raises the same error.
        with pytest.raises(BaseException) as caught:
            call(db, case, case.second)
        assert (type(caught.value), str(caught.value)) == (type(outcome["error"]), raced)
        assert rows_of(db, case.kind) == stored
    finally:
        side.dispose()
        calm.close()

"""AgentOS with ``QueueConfig(durable=True)`` on our db: the worker starts, and a background run
goes through our job queue from acceptance to completion."""

from __future__ import annotations

import time
from typing import Any

from agno.agent import Agent
from agno.job_queue import QueueConfig
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from examples.offline_model import OfflineModel
from tests.repositories.conftest import make_db


def _wait_for(check: Any, *, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_a_background_run_goes_through_our_durable_queue(backend: str, db_url: URL) -> None:
    from agno.os import AgentOS

    db = make_db(backend, db_url)
    agent = Agent(id="helper", name="Helper", model=OfflineModel(), db=db)
    app = AgentOS(agents=[agent], db=db, queue=QueueConfig(durable=True, poll_interval=0.2),
                  telemetry=False).get_app()
    try:
        with TestClient(app) as client:  # the lifespan starts the queue worker on our db
            response = client.post("/agents/helper/runs", data={"message": "Hello", "session_id": "s1",
                                                                 "user_id": "u1", "stream": "false",
                                                                 "background": "true"})
            assert response.status_code == 202, response.text
            run_id = response.json()["run_id"]
            job = _wait_for(lambda: (j := db.get_job(run_id)) is not None and j["status"] == "completed" and j)
            assert (job["component_id"], job["session_id"], job["attempt"], job["locked_by"]) == (
                "helper", "s1", 1, None)
            stats = client.get("/queue/stats")
            assert stats.status_code == 200, stats.text
            assert stats.json()["counts"].get("completed") == 1
            jobs = client.get("/queue/jobs")
            assert jobs.status_code == 200, jobs.text
        run = db.get_session("s1", session_type="agent", user_id="u1")
        assert run is not None and [r.run_id for r in run.runs] == [run_id]
    finally:
        db.close()

"""`make run` with SCAN_INTERVAL_SECONDS=5: a tracked keyword gains history points without anyone searching.

Starts its own local stack with that environment (the session stack has no admin token and the default rate).
"""

from __future__ import annotations

import secrets
import uuid

import httpx
import pytest

from local_stack.stack import LocalStack, wait_until
from tests.conftest import ARTIFACTS


@pytest.fixture(scope="module")
def scheduled_stack():
    ARTIFACTS.mkdir(exist_ok=True)
    token = secrets.token_urlsafe(24)
    environment = {
        "SCAN_INTERVAL_SECONDS": "5",
        "TRACK_MINUTE_SECONDS": "1",  # what `make run` sets with SCAN_INTERVAL_SECONDS: interval 5 -> every 5 s
        "ADMIN_TOKEN": token,
    }
    with (ARTIFACTS / "scheduled-stack.log").open("w") as log:
        stack = LocalStack(port=0, environment=environment, log=log, worker_processes=1).start()
        try:
            yield stack, token
        finally:
            stack.stop()


def test_a_tracked_keyword_gains_history_points_on_the_schedule(scheduled_stack):
    stack, token = scheduled_stack
    keyword = f"Watched {uuid.uuid4().hex[:6]}"
    assert "SchedulerFunction" in stack.schedules or any(
        child.name == "schedule-SchedulerFunction" for child in stack.children
    )
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        before = client.get("/api/metrics").json()
        denied = client.post("/api/tracked", json={"keyword": keyword, "interval_minutes": 5})
        assert denied.status_code == 401
        tracked = client.post(
            "/api/tracked",
            json={"keyword": keyword, "interval_minutes": 5, "limit": 50},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert tracked.status_code == 201, tracked.text

        def points(least: int):
            body = client.get(f"/api/analyses/{keyword}/history").json()
            return body["points"] if len(body["points"]) >= least else None

        # THEN the schedule queues scans and the worker appends points: two of them, so at least one came from a
        # later tick of the schedule than the one right after tracking
        series = wait_until(lambda: points(2), timeout=60, interval=0.5)
        assert series, "no two history points within 60 s"
        assert all(point["volume"] == 50 for point in series)
        assert series[0]["time"] < series[1]["time"]
        # nobody searched: every job was a scheduled scan, and the latest result is there for the dashboard
        after = client.get("/api/metrics").json()
        assert after["cache_hits"] == before["cache_hits"] and after["cache_misses"] == before["cache_misses"]
        assert after["tasks_enqueued"] - before["tasks_enqueued"] >= 2
        latest = client.get(f"/api/analyses/{keyword}")
        assert latest.status_code == 200 and latest.json()["posts_analyzed"] == 50
        listed = {t["keyword"]: t for t in client.get("/api/tracked").json()["tracked"]}
        assert listed[keyword]["last_scan_at"] is not None

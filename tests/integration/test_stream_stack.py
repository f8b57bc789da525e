"""`make run` with the stream: the local scheduler runs StreamFunction every STREAM_INTERVAL_SECONDS against a
loopback Jetstream; a tracked keyword's live minutes fill up from posts streamed after it was tracked.
"""

from __future__ import annotations

import secrets
import time

import httpx
import pytest

from local_stack.stack import LocalStack, wait_until
from tests.conftest import ARTIFACTS
from tests.fakes.jetstream_server import FakeJetstream, background, now_us, post_event, tid


@pytest.fixture(scope="module")
def stream_stack():
    ARTIFACTS.mkdir(exist_ok=True)
    token = secrets.token_urlsafe(24)
    with FakeJetstream() as jet, (ARTIFACTS / "stream-stack.log").open("w") as log:
        environment = {
            "ADMIN_TOKEN": token,
            "STREAM_ENABLED": "true",
            "JETSTREAM_URL": jet.url,
            "STREAM_INTERVAL_SECONDS": "2",
            "STREAM_IDLE_SECONDS": "0.5",
        }
        stack = LocalStack(port=0, environment=environment, log=log, worker_processes=1).start()
        try:
            yield stack, jet, token
        finally:
            stack.stop()


def test_the_stream_runs_only_while_a_keyword_is_tracked_and_counts_its_posts(stream_stack):
    stack, jet, token = stream_stack
    assert "StreamFunction" in stack.schedules
    time.sleep(4)  # two ticks of the schedule with nothing tracked
    assert jet.connections == [], "the stream connected with no keyword tracked"
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        tracked = client.post(
            "/api/tracked",
            json={"keyword": "Jetstream Demo", "interval_minutes": 60},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert tracked.status_code == 201, tracked.text
        assert wait_until(lambda: jet.connections, timeout=20, interval=0.2), "the stream never connected"
        sent = 0
        for round_ in range(3):  # posts arrive live, between and during runs
            at = now_us()
            jet.add(
                *background(30, at, 1000, seed=round_),
                *(
                    post_event(f"did:plc:d{round_}{i}", tid(at + i, i), f"loving the #JetstreamDemo, take {i}", at + i)
                    for i in range(5)
                ),
            )
            sent += 5
            time.sleep(1.5)

        def counted():
            body = client.get("/api/tracked/Jetstream%20Demo/live", params={"minutes": 5}).json()
            return body if body["total_posts"] >= sent else None

        body = wait_until(counted, timeout=30, interval=0.5)
        assert body, client.get("/api/tracked/Jetstream%20Demo/live", params={"minutes": 5}).text
        assert body["total_posts"] == sent and len(body["buckets"]) == 5
        assert body["lag_seconds"] is not None and body["lag_seconds"] < 30
        assert body["posts"][0]["text"].startswith("loving the #JetstreamDemo")
        assert client.get("/api/tracked/Jetstream%20Demo/live", params={"minutes": 0}).status_code == 422

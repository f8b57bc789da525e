"""`make run` with the archive on: a loopback Jetstream replays two hours of posts, the archive answers a query
nobody tracked, and after Ctrl-C and a new `make run` on the same LOCAL_DATA_DIR the archive is still there."""

from __future__ import annotations

import pytest

from local_stack.stack import wait_until
from tests.fakes.jetstream_server import FakeJetstream, background, now_us, post_event, tid
from tests.integration.test_durable_state import MakeRun

HOUR_US = 3_600_000_000


@pytest.fixture
def jetstream():
    start, end = now_us() - 2 * HOUR_US, now_us() - 30_000_000
    step = (end - start) // 150
    hits = [
        post_event(f"did:plc:k{i:04d}", tid(start + i * step, 3), f"archived lambda number {i}", start + i * step)
        for i in range(150)
    ]
    with FakeJetstream() as jet:
        jet.add(*background(1500, start, (end - start) // 1500), *hits)
        yield jet, hits


def archive_answer(run: MakeRun) -> dict:
    body = {"keyword": "lambda", "providers": ["bluesky_archive"], "limit": 1000, "window_hours": 3, "refresh": True}
    answer = run.client.post("/api/analyses", json=body).json()
    url = answer.get("status_url")
    job: dict = {}

    def finished() -> bool:
        nonlocal job
        job = run.client.get(url).json() if url else answer
        return job.get("status") in ("done", "failed")

    assert wait_until(finished, timeout=60, interval=0.3), job
    assert job["status"] == "done", job
    return next(r for r in job["result"]["source"]["providers"] if r["provider"] == "bluesky_archive")


def test_the_archive_answers_and_survives_a_restart(jetstream, tmp_path):
    jet, _hits = jetstream
    data_dir, log = tmp_path / "local-data", tmp_path / "make-run.log"
    extra = {
        "ARCHIVE_DAYS": "7",
        "ARCHIVE_SETTLE_SECONDS": "0",
        "JETSTREAM_URL": jet.url,
        "STREAM_ENABLED": "true",
        "STREAM_INTERVAL_SECONDS": "2",
        "STREAM_IDLE_SECONDS": "0.5",
        "STREAM_FIRST_LOOKBACK_SECONDS": str(2 * 3600 + 300),
        "PROVIDERS": "bluesky_archive,simulated",
    }
    run = MakeRun(data_dir, log, extra)
    try:
        assert wait_until(lambda: list((data_dir / "archive").rglob("hour.parquet")), timeout=90, interval=0.5)
        # the stream may still be reading the replay when the first hour settles: ask until it has caught up
        answers: list[dict] = []
        assert wait_until(
            lambda: answers.append(archive_answer(run)) or answers[-1]["exact_total"] > 50, timeout=90, interval=1
        ), answers[-1:]
        first = answers[-1]
        assert first["basis"] == "complete"
    finally:
        run.ctrl_c()
    # WHEN make run starts again on the same data folder, with a Jetstream that no longer has those posts
    jet.events.clear()
    run = MakeRun(data_dir, log, extra)
    try:
        second = archive_answer(run)
    finally:
        run.ctrl_c()
    # THEN the archive still answers with the same posts
    assert second["exact_total"] == first["exact_total"]

"""One delivery of a job message (``analyses.run.run_delivery``) through in-memory stores: the retry and fail
decision the worker handler used to hold. No moto, no network."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from social_analytics import composition
from social_analytics.analyses import run
from social_analytics.analyses.outcomes import JobFailed
from social_analytics.models import AnalysisJob
from social_analytics.settings import get_settings

from tests.fakes.stores import InMemoryCounters, InMemoryJobStore, InMemoryQueue


@pytest.fixture
def jobs():
    store = InMemoryJobStore()
    composition.use(jobs=store, results=store, queue=InMemoryQueue(), counters=InMemoryCounters())
    yield store
    composition.reset()


@pytest.fixture
def fetches(monkeypatch):
    """What ``fetch_posts`` is asked, and what it does: ``fetches.outcome`` is raised when it is an exception."""

    class Fetches(list):
        outcome: BaseException | None = None

    calls = Fetches()

    async def fetch_posts(job):
        calls.append(job.job_id)
        if calls.outcome is not None:
            raise calls.outcome
        raise AssertionError("this test does not reach the analysis")

    monkeypatch.setattr(run, "fetch_posts", fetch_posts)
    return calls


def queued(jobs: InMemoryJobStore, keyword: str = "Serverless", age: float = 0.0) -> tuple[AnalysisJob, str]:
    job = AnalysisJob(f"job-{keyword.lower()}", keyword, keyword.lower(), 100, 24, time.time() - age)
    assert jobs.create_job_with_lock(job) is None
    return job, json.dumps(job.to_message())


def deliver(body: str, receive_count: int = 1, request_id: str = "req-1") -> dict:
    return asyncio.run(run.run_delivery(body, receive_count, request_id))


def test_an_unexpected_error_releases_the_lease_for_the_next_delivery_and_the_job_stays_running(jobs, fetches):
    job, body = queued(jobs)
    fetches.outcome = ConnectionResetError("boom")
    with pytest.raises(ConnectionResetError):
        deliver(body, receive_count=1)
    stored = jobs.get_job(job.job_id)
    assert stored.status == "running" and jobs.jobs[job.job_id]["lease_until"] == 0
    # the next delivery may claim it at once (no wait for the lease) and is attempt two
    with pytest.raises(ConnectionResetError):
        deliver(body, receive_count=2)
    assert jobs.jobs[job.job_id]["attempts"] == 2 and fetches == [job.job_id, job.job_id]


def test_the_last_allowed_delivery_fails_the_job_with_its_reason_before_the_dead_letter_queue(jobs, fetches):
    job, body = queued(jobs)
    fetches.outcome = ConnectionResetError("boom")
    last = get_settings().max_receive_count
    with pytest.raises(ConnectionResetError):
        deliver(body, receive_count=last, request_id="req-42")
    error = jobs.get_job(job.job_id).error
    assert error.code == "retries_exhausted"
    assert f"after {last} attempts" in error.message and "req-42" in error.message
    assert "boom" not in error.message  # the exception's own text stays in the logs
    assert jobs.active() == [] and jobs.locks == {}  # the keyword is free for the next request


def test_a_permanent_failure_ends_the_job_at_once_without_a_retry(jobs, fetches):
    job, body = queued(jobs)
    fetches.outcome = JobFailed("no_data", "no provider returned posts")
    assert deliver(body) == {"job_id": job.job_id, "status": "failed"}
    assert jobs.get_job(job.job_id).error.model_dump() == {"code": "no_data", "message": "no provider returned posts"}
    assert jobs.locks == {}


def test_a_job_past_its_deadline_fails_as_expired_without_fetching(jobs, fetches):
    job, body = queued(jobs, age=get_settings().job_deadline_seconds + 5)
    assert deliver(body)["status"] == "failed"
    assert jobs.get_job(job.job_id).error.code == "expired" and fetches == []


def test_a_redelivered_finished_job_is_ignored_and_a_busy_one_is_retried_later(jobs, fetches):
    done, done_body = queued(jobs, "Done")
    jobs.mark_running(done.job_id, 60)
    jobs.complete_job(done, {"posts_analyzed": 1})
    assert deliver(done_body) == {"job_id": done.job_id, "status": "already finished"}

    busy, busy_body = queued(jobs, "Busy")
    jobs.mark_running(busy.job_id, 60)  # another attempt holds a live lease
    with pytest.raises(run.JobInProgress):
        deliver(busy_body, receive_count=get_settings().max_receive_count)
    assert jobs.get_job(busy.job_id).status == "running"  # a redelivery is not a failure, even the last one
    assert fetches == []


def test_a_body_that_is_not_a_job_is_poison(jobs):
    with pytest.raises(run.PoisonMessage):
        deliver('{"not": "a job"}')

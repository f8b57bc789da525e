"""The in-memory job store of the unit tests (``tests/fakes/stores.py``) answers as ``storage.jobs`` does on
DynamoDB (moto): the same transitions, the same answers, the same job shape. Keeps the fast tests honest."""

from __future__ import annotations

import time
import uuid

import pytest
from social_analytics.models import AnalysisJob
from social_analytics.storage import jobs as dynamo_jobs

from tests.fakes.stores import InMemoryJobStore


@pytest.fixture(params=["dynamodb", "in-memory"])
def store(request):
    if request.param == "dynamodb":
        request.getfixturevalue("aws")
        return dynamo_jobs
    return InMemoryJobStore()


def new_job(key: str = "serverless") -> AnalysisJob:
    return AnalysisJob(
        job_id=uuid.uuid4().hex, keyword=key, key=key, limit=50, window_hours=24, submitted_at=round(time.time(), 3)
    )


def test_single_flight_lock(store):
    first, second = new_job(), new_job()

    assert store.create_job_with_lock(first) is None
    assert store.create_job_with_lock(second) == first.job_id
    assert store.get_job(second.job_id) is None  # the loser's job record is not kept
    job = store.get_job(first.job_id)
    assert sorted(job.model_dump(exclude_none=True)) == sorted(
        ["job_id", "keyword", "key", "kind", "status", "limit", "window_hours", "submitted_at", "updated_at"]
    )
    assert (job.status, job.limit, job.window_hours, job.submitted_at) == (
        "queued",
        50,
        24,
        first.submitted_at,
    )


def test_claims_and_completion(store):
    job = new_job()
    store.create_job_with_lock(job)

    assert store.mark_running(job.job_id, lease_seconds=60) == "started"
    assert store.mark_running(job.job_id, lease_seconds=60) == "busy"
    store.release_lease(job.job_id)
    assert store.mark_running(job.job_id, lease_seconds=60) == "started"
    assert store.get_job(job.job_id).attempts == 2

    assert store.complete_job(job, {"posts_analyzed": 1}) is True
    done = store.get_job(job.job_id)
    assert done.status == "done" and done.result == {"posts_analyzed": 1}
    latest = store.get_latest_result(job.key)
    assert latest.result == {"posts_analyzed": 1} and (latest.job_id, latest.limit, latest.window_hours) == (
        job.job_id,
        50,
        24,
    )
    assert store.mark_running(job.job_id, lease_seconds=60) == "finished"
    assert store.create_job_with_lock(new_job()) is None  # the lock went with the job


def test_failures(store):
    job = new_job()
    store.create_job_with_lock(job)

    assert store.fail_job(job.job_id, job.key, "timed_out", "x" * 600) is True
    assert store.fail_job(job.job_id, job.key, "other", "again") is False
    failed = store.get_job(job.job_id)
    assert failed.status == "failed" and failed.error.model_dump() == {"code": "timed_out", "message": "x" * 500}
    assert store.complete_job(job, {"late": True}) is False  # stays failed ...
    assert store.get_job(job.job_id).status == "failed"
    assert store.get_latest_result(job.key).result == {"late": True}  # ... but its result serves the keyword
    assert store.mark_running("f" * 32, lease_seconds=60) == "missing"


def test_discard_and_finish(store):
    job = new_job()
    store.create_job_with_lock(job)
    store.discard_job(job.job_id, job.key)
    assert store.get_job(job.job_id) is None and store.create_job_with_lock(new_job()) is None

    other = new_job("other")
    store.create_job_with_lock(other)
    assert store.finish_job(other.job_id, other.key, {"deleted": 1}) is False  # only a running job finishes
    store.mark_running(other.job_id, lease_seconds=60)
    assert store.finish_job(other.job_id, other.key, {"deleted": 1}) is True
    assert store.get_job(other.job_id).result == {"deleted": 1}
    assert store.get_latest_result("other") is None  # a deletion stores no keyword result

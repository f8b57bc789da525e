"""A job's life (``analyses.submit`` and ``analyses.run``): queued -> running -> done or failed, each job claimed by
one attempt at a time, never run twice, and never left "running" past its deadline."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from social_analytics.analyses import run, submit
from social_analytics.analyses.outcomes import FetchedPosts
from social_analytics.models import AnalysisJob, Post, TimeWindow
from social_analytics.settings import get_settings


def queued_job(stores, keyword: str = "serverless", submitted_ago: float = 0.0) -> AnalysisJob:
    answer = submit.submit(submit.Submission(keyword=keyword))
    (job,) = [job for job in stores.queue.sent if job.job_id == answer.body["job_id"]]
    if submitted_ago:
        stores.jobs.jobs[job.job_id]["submitted_at"] -= submitted_ago
        job = AnalysisJob.from_message({**job.to_message(), "submitted_at": job.submitted_at - submitted_ago})
    return job


def fetched(job: AnalysisJob) -> FetchedPosts:
    window = TimeWindow.last_hours(job.window_hours)
    now = datetime.now(UTC)
    texts = ["I love serverless, it is great", "serverless is terrible and slow", "serverless launched today"]
    posts = [
        Post(id=f"simulated:{i}", text=text, created_at=now - timedelta(minutes=i + 1), provider="simulated")
        for i, text in enumerate(texts)
    ]
    source = {"provider": "simulated", "simulated": True, "attempts": []}
    return FetchedPosts(posts=posts, source=source, window=window)


def test_queued_running_done(stores):
    job = queued_job(stores)
    assert submit.job_status(job.job_id)["status"] == "queued"

    assert run.start(job) is True
    assert submit.job_status(job.job_id)["status"] == "running"
    outcome = run.analyze_and_store(job, fetched(job))

    assert outcome == {"job_id": job.job_id, "status": "done", "posts_analyzed": 3}
    body = submit.job_status(job.job_id)
    assert body["status"] == "done" and body["result"]["posts_analyzed"] == 3
    assert body["result"]["source"]["simulated"] is True
    latest = stores.jobs.get_latest_result("serverless")
    assert latest.result == body["result"] and latest.job_id == job.job_id
    assert stores.jobs.locks == {}  # the keyword is free for the next job
    assert stores.counters.counts["jobs_done"] == 1 and stores.counters.counts["posts_analyzed"] == 3
    assert [name for name, _ in stores.counters.observations] == ["queued"]


def test_the_stored_result_then_answers_the_keyword(stores):
    job = queued_job(stores)
    run.start(job)
    run.analyze_and_store(job, fetched(job))

    answer = submit.submit(submit.Submission(keyword="serverless"))

    assert answer.cached is True and answer.body["result"]["posts_analyzed"] == 3
    assert len(stores.queue.sent) == 1


def test_a_redelivery_while_an_attempt_holds_the_lease_waits(stores):
    job = queued_job(stores)
    assert run.start(job) is True

    with pytest.raises(run.JobInProgress):
        run.start(job)
    assert stores.jobs.jobs[job.job_id]["attempts"] == 1


def test_a_failed_attempt_frees_the_job_for_the_next_delivery(stores):
    job = queued_job(stores)
    run.start(job)

    run.attempt_failed(job)

    assert run.start(job) is True
    assert stores.jobs.jobs[job.job_id]["attempts"] == 2 and submit.job_status(job.job_id)["status"] == "running"


def test_an_expired_lease_is_taken_over(stores):
    job = queued_job(stores)
    run.start(job)
    stores.jobs.jobs[job.job_id]["lease_until"] = time.time() - 1  # the first attempt's worker died

    assert run.start(job) is True


def test_a_redelivery_of_a_finished_job_does_nothing(stores):
    job = queued_job(stores)
    run.start(job)
    run.analyze_and_store(job, fetched(job))

    assert run.start(job) is False
    assert stores.jobs.jobs[job.job_id]["attempts"] == 1


def test_a_message_without_a_job_record_is_poison(stores):
    job = AnalysisJob(job_id="nope", keyword="x", key="x", limit=10, window_hours=24, submitted_at=time.time())

    with pytest.raises(run.PoisonMessage):
        run.start(job)


def test_a_failed_job_says_why_and_frees_its_keyword(stores):
    job = queued_job(stores)
    run.start(job)

    run.fail(job, "no_data", "no provider returned posts")

    body = submit.job_status(job.job_id)
    assert body["status"] == "failed" and body["error"] == {"code": "no_data", "message": "no provider returned posts"}
    assert stores.jobs.locks == {} and stores.counters.counts["jobs_failed"] == 1
    run.fail(job, "no_data", "again")  # a second failure of a finished job changes nothing and is not counted
    assert stores.counters.counts["jobs_failed"] == 1 and submit.job_status(job.job_id)["error"]["message"] != "again"
    assert run.start(job) is False


def test_a_job_past_its_deadline_is_reported_failed(stores):
    job = queued_job(stores, submitted_ago=get_settings().job_deadline_seconds + 5)

    body = submit.job_status(job.job_id)

    assert body["status"] == "failed" and body["error"]["code"] == "timed_out"
    assert stores.jobs.locks == {}  # a new submission of the keyword gets a new job
    assert run.expired(job) is True


def test_a_job_within_its_deadline_is_left_as_it_is(stores):
    job = queued_job(stores, submitted_ago=get_settings().job_deadline_seconds - 60)

    assert submit.job_status(job.job_id)["status"] == "queued"
    assert run.expired(job) is False


def test_a_late_worker_does_not_turn_a_timed_out_job_done_but_its_result_serves(stores):
    job = queued_job(stores)
    run.start(job)
    stores.jobs.jobs[job.job_id]["submitted_at"] -= get_settings().job_deadline_seconds + 5
    assert submit.job_status(job.job_id)["status"] == "failed"

    outcome = run.analyze_and_store(job, fetched(job))

    assert outcome["status"] == "failed" and submit.job_status(job.job_id)["status"] == "failed"
    assert stores.jobs.get_latest_result("serverless").job_id == job.job_id
    assert stores.counters.counts["jobs_done"] == 0


def test_a_finished_jobs_status_is_served_without_a_store_read(stores):
    job = queued_job(stores)
    run.start(job)
    run.fail(job, "no_data", "nothing")
    submit.job_status(job.job_id)
    reads = stores.jobs.calls["get_job"]

    assert submit.job_status(job.job_id)["status"] == "failed"
    assert stores.jobs.calls["get_job"] == reads


def test_an_unknown_job(stores):
    with pytest.raises(submit.UnknownJob):
        submit.job_status("0" * 32)

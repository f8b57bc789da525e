"""The worker handler in-process against moto: one run per job (its lease), poison messages, retries, deadlines."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tests.conftest import sqs_event


def submit(call_api, keyword="Serverless") -> dict:
    status, body = call_api("POST", "/api/analyses", {"keyword": keyword})
    assert status == 202
    return body


def test_a_redelivered_message_is_analyzed_and_counted_once(call_api, queue_messages, lambda_context, monkeypatch):
    from social_analytics.handlers import worker
    from social_analytics.scoring import summary as analysis

    calls = []
    real_analyze = analysis.analyze
    monkeypatch.setattr(
        "social_analytics.analyses.results.analyze", lambda *a, **k: calls.append(1) or real_analyze(*a, **k)
    )
    job = submit(call_api)
    message = queue_messages()[0]

    first = worker.handler(sqs_event([message]), lambda_context)
    second = worker.handler(sqs_event([message]), lambda_context)

    assert first == second == {"batchItemFailures": []}
    assert len(calls) == 1
    _, metrics = call_api("GET", "/api/metrics")
    assert metrics["jobs_done"] == 1 and metrics["latency_ms"]["queued"]["samples"] == 1
    assert metrics["posts_analyzed"] == 100
    assert call_api("GET", job["status_url"])[1]["status"] == "done"


def test_the_job_lease_alone_keeps_a_redelivered_message_from_running_twice(
    call_api, queue_messages, lambda_context, monkeypatch
):
    """The job's lease is the one guard: a redelivery of a done job's message, and one while another attempt still
    holds the job's live lease, neither fetch nor analyze nor count."""
    from social_analytics.analyses import results
    from social_analytics.analyses import run as job_service
    from social_analytics.handlers import worker

    done_job, busy_job = submit(call_api, "Serverless"), submit(call_api, "Lambda")
    by_job = {json.loads(message["Body"])["job_id"]: message for message in queue_messages()}
    done_message, busy_message = by_job[done_job["job_id"]], by_job[busy_job["job_id"]]
    assert worker.handler(sqs_event([done_message]), lambda_context) == {"batchItemFailures": []}
    # an attempt that claimed the second job and still works on it
    assert job_service.start(job_service.parse_job(busy_message["Body"])) is True
    fetches, analyses = [], []
    real_fetch, real_analyze = job_service.fetch_posts, results.analyze

    async def counting_fetch(job):
        fetches.append(job.job_id)
        return await real_fetch(job)

    monkeypatch.setattr(job_service, "fetch_posts", counting_fetch)
    monkeypatch.setattr(
        "social_analytics.analyses.results.analyze", lambda *a, **k: analyses.append(1) or real_analyze(*a, **k)
    )

    response = worker.handler(sqs_event([done_message, busy_message]), lambda_context)

    # the busy job's message is retried later; the done job's is acknowledged
    assert response == {"batchItemFailures": [{"itemIdentifier": busy_message["MessageId"]}]}
    assert fetches == [] and analyses == []
    _, metrics = call_api("GET", "/api/metrics")
    assert metrics["jobs_done"] == 1 and metrics["posts_analyzed"] == 100
    assert metrics["latency_ms"]["queued"]["samples"] == 1
    assert call_api("GET", done_job["status_url"])[1]["status"] == "done"
    assert call_api("GET", busy_job["status_url"])[1]["status"] == "running"


def test_poison_message_is_reported_alone_in_the_batch(call_api, queue_messages, lambda_context):
    from social_analytics.handlers import worker

    submit(call_api)
    good = queue_messages()[0]
    poison = {**good, "MessageId": "poison-1", "Body": "this is not json", "MD5OfBody": "x"}

    response = worker.handler(sqs_event([good, poison]), lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": "poison-1"}]}


def test_a_failing_job_is_retried_then_marked_failed_on_its_last_delivery(
    call_api, queue_messages, lambda_context, monkeypatch
):
    from social_analytics.handlers import worker

    async def broken_fetch(job):
        raise RuntimeError("provider exploded")

    monkeypatch.setattr("social_analytics.analyses.run.fetch_posts", broken_fetch)
    job = submit(call_api)
    message = queue_messages()[0]

    # every record failed: Powertools raises so that Lambda retries the whole batch
    message["Attributes"]["ApproximateReceiveCount"] = "1"
    with pytest.raises(BatchProcessingError):
        worker.handler(sqs_event([message]), lambda_context)
    assert call_api("GET", job["status_url"])[1]["status"] == "running"

    message["Attributes"]["ApproximateReceiveCount"] = "3"
    with pytest.raises(BatchProcessingError):
        worker.handler(sqs_event([message]), lambda_context)
    _status, failed = call_api("GET", job["status_url"])
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "retries_exhausted"
    # a fixed public phrase naming the invocation; the exception text goes to the logs only
    assert "provider exploded" not in failed["error"]["message"]
    assert failed["error"]["message"].startswith("internal_error: the job failed after 3 attempts")
    assert lambda_context.aws_request_id in failed["error"]["message"]
    # the keyword is free again: a new request queues a new job
    assert call_api("POST", "/api/analyses", {"keyword": "Serverless"})[1]["job_id"] != job["job_id"]


def test_a_job_past_its_deadline_is_reported_failed_not_running_forever(call_api, aws, monkeypatch):
    job = submit(call_api)
    table = boto3.resource("dynamodb").Table(aws.physical_names["ResultsTable"])
    table.update_item(
        Key={"pk": f"JOB#{job['job_id']}", "sk": "JOB"},
        UpdateExpression="SET submitted_at = :old",
        ExpressionAttributeValues={":old": int(time.time() - 7200)},
    )

    status, body = call_api("GET", job["status_url"])

    assert status == 200 and body["status"] == "failed" and body["error"]["code"] == "timed_out"


def test_batch_of_many_jobs_completes_all(call_api, queue_messages, lambda_context):
    from social_analytics.handlers import worker

    jobs = [submit(call_api, f"topic {i}") for i in range(10)]
    messages = queue_messages()
    assert len(messages) == 10

    assert worker.handler(sqs_event(messages), lambda_context) == {"batchItemFailures": []}

    for job in jobs:
        body = call_api("GET", job["status_url"])[1]
        assert body["status"] == "done" and body["result"]["keyword"] == job["keyword"]
    _, metrics = call_api("GET", "/api/metrics")
    assert metrics["avg_batch_size"] == 10.0 and metrics["jobs_done"] == 10
    assert json.loads(messages[0]["Body"])["kind"] == "analysis"


def test_a_redelivery_while_the_first_attempt_still_works_waits_and_is_not_a_failure(
    call_api, queue_messages, lambda_context
):
    from social_analytics.analyses import run as job_service
    from social_analytics.handlers import worker

    job = submit(call_api)
    message = queue_messages()[0]
    # GIVEN a first attempt that claimed the job and is still working (its lease is live)
    assert job_service.start(job_service.parse_job(message["Body"])) is True

    # WHEN the message reappears on its last allowed delivery
    message["Attributes"]["ApproximateReceiveCount"] = "3"
    with pytest.raises(BatchProcessingError):
        worker.handler(sqs_event([message]), lambda_context)

    # THEN the job is still running, not failed: the first attempt will finish it
    assert call_api("GET", job["status_url"])[1]["status"] == "running"


def test_a_job_whose_worker_died_is_taken_over_when_its_lease_runs_out(
    call_api, queue_messages, lambda_context, monkeypatch
):
    from social_analytics.analyses import run as job_service
    from social_analytics.handlers import worker
    from social_analytics.settings import get_settings

    monkeypatch.setenv("JOB_LEASE_SECONDS", "0")
    get_settings.cache_clear()
    job = submit(call_api)
    message = queue_messages()[0]
    assert job_service.start(job_service.parse_job(message["Body"])) is True  # then the worker is killed

    assert worker.handler(sqs_event([message]), lambda_context) == {"batchItemFailures": []}

    assert call_api("GET", job["status_url"])[1]["status"] == "done"

"""Messages that arrive wrong, through the real stack: a body that is not a job and a job whose processing raises
on every delivery both end in the dead-letter queue (the job saying failed, with its reason), and a job delivered
three times is analyzed once.

The stack is this module's own: simulated posts only, and a 2 s visibility timeout so the three deliveries of the
redrive policy (MaxReceiveCount 3) take seconds.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from social_analytics.models import normalize_keyword

from local_stack.stack import LocalStack
from tests.reliability.helpers import (
    dead_letters,
    job_item,
    metrics,
    put_queued_job,
    send_job,
    wait_finished,
    wait_until,
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    log = (tmp_path_factory.mktemp("poison") / "local-stack.log").open("w")
    with LocalStack(port=0, log=log, environment={"PROVIDERS": "simulated"}, visibility_timeout=2) as running:
        yield running
    log.close()


@pytest.fixture
def client(stack):
    with httpx.Client(base_url=stack.base_url, timeout=30) as http:
        yield http


def test_a_body_that_is_not_a_job_ends_in_the_dead_letter_queue(stack, report):
    body = f"not a job {uuid.uuid4().hex}"
    stack.boto3_client("sqs").send_message(QueueUrl=stack.resource("JobsQueue"), MessageBody=body)

    assert wait_until(lambda: body in dead_letters(stack), timeout=60, interval=0.5), "never reached the DLQ"
    report("faults survived", "poison messages", 1)


def test_a_job_that_raises_on_every_delivery_ends_failed_with_its_reason_and_in_the_dead_letter_queue(
    stack, client, report
):
    # GIVEN a queued job whose message cannot be worked on (a window of 10^9 hours overflows the date range):
    # every attempt raises an unexpected error, which the worker treats as transient and lets SQS retry
    keyword = f"Poison {uuid.uuid4().hex[:8]}"
    key = normalize_keyword(keyword)
    message = put_queued_job(stack, keyword, key, window_hours=10**9)
    before = metrics(client)

    # WHEN its message is delivered MaxReceiveCount (3) times and raises each time
    send_job(stack, message)

    # THEN the job says failed, with the reason, after the last delivery
    finished = wait_finished(client, {message["job_id"]}, timeout=90)
    assert message["job_id"] in finished, "the job never finished"
    job = finished[message["job_id"]]
    assert job["status"] == "failed"
    assert job["error"]["code"] == "retries_exhausted"
    assert "failed after 3 attempts" in job["error"]["message"]
    assert int(job_item(stack, message["job_id"])["attempts"]) == 3
    # AND the message is in the dead-letter queue, and the failure was counted once
    assert wait_until(
        lambda: any(json.loads(b).get("job_id") == message["job_id"] for b in dead_letters(stack) if b.startswith("{")),
        timeout=30,
        interval=0.5,
    ), "the job's message never reached the DLQ"
    after = metrics(client)
    assert after["jobs_failed"] - before["jobs_failed"] == 1
    assert after["jobs_done"] == before["jobs_done"]
    # AND the keyword is free again (the lock was released): a new search is queued and completes
    again = client.post("/api/analyses", json={"keyword": keyword})
    assert again.status_code == 202 and again.json()["job_id"] != message["job_id"]
    assert wait_finished(client, {again.json()["job_id"]}, timeout=60)[again.json()["job_id"]]["status"] == "done"
    report("faults survived", "poison messages", 1)


def test_a_job_delivered_three_times_is_analyzed_once(stack, client, report):
    # GIVEN a queued job
    keyword = f"Duplicate {uuid.uuid4().hex[:8]}"
    message = put_queued_job(stack, keyword, normalize_keyword(keyword))
    before = metrics(client)

    # WHEN SQS delivers its message three times (at-least-once delivery)
    send_job(stack, message, copies=3)
    finished = wait_finished(client, {message["job_id"]}, timeout=60)

    # THEN it is done, and once: one result, one jobs_done, one latency sample
    assert finished[message["job_id"]]["status"] == "done"

    def settled():  # the other deliveries are processed (or wait out their visibility) after the first finished
        sqs = stack.boto3_client("sqs")
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack.resource("JobsQueue"),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return all(value == "0" for value in attributes.values())

    assert wait_until(settled, timeout=30, interval=0.5), "the duplicate deliveries never left the queue"
    after = metrics(client)
    assert after["jobs_done"] - before["jobs_done"] == 1
    assert after["latency_ms"]["queued"]["samples"] - before["latency_ms"]["queued"]["samples"] == 1
    assert after["posts_analyzed"] - before["posts_analyzed"] == finished[message["job_id"]]["result"]["posts_analyzed"]
    assert after["jobs_failed"] == before["jobs_failed"]
    assert message["job_id"] not in {json.loads(b).get("job_id") for b in dead_letters(stack) if b.startswith("{")}
    report("faults survived", "duplicate deliveries", 3)

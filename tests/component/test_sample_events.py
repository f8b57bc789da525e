"""The handlers in-process (moto) answer the real-shaped sample events of tests/events/ as they answer the local
front's events: the REST proxy GET, POST and percent-encoded keyword, a job batch from SQS, a scheduled run."""

from __future__ import annotations

import json

from tests import events


def invoke(event: dict, lambda_context) -> tuple[int, dict]:
    from social_analytics.handlers import api

    response = api.handler(event, lambda_context)
    return response["statusCode"], json.loads(response.get("body") or "null")


def test_the_rest_samples_queue_a_job_that_the_sqs_sample_runs(aws, call_api, queue_messages, lambda_context):
    from social_analytics.handlers import worker

    status, accepted = invoke(events.load("apigw_post_json"), lambda_context)
    assert status == 202 and accepted["keyword"] == "Serverless" and accepted["status"] == "queued"
    (message,) = queue_messages()
    assert json.loads(message["Body"])["job_id"] == accepted["job_id"]

    batch = events.sqs_batch(message["Body"])
    assert worker.handler(batch, lambda_context) == {"batchItemFailures": []}
    assert call_api("GET", accepted["status_url"])[1]["status"] == "done"

    status, metrics = invoke(events.load("apigw_get"), lambda_context)
    assert status == 200 and (metrics["cache_misses"], metrics["tasks_enqueued"], metrics["jobs_done"]) == (1, 1, 1)


def test_the_percent_encoded_sample_reaches_its_keyword(aws, call_api, queue_messages, lambda_context):
    from social_analytics.handlers import worker

    status, missing = invoke(events.load("apigw_get_encoded_keyword"), lambda_context)
    assert status == 404, missing
    assert call_api("POST", "/api/analyses", {"keyword": "café au lait"})[0] == 202
    assert worker.handler(events.sqs_batch(*(m["Body"] for m in queue_messages())), lambda_context) == {
        "batchItemFailures": []
    }

    status, result = invoke(events.load("apigw_get_encoded_keyword"), lambda_context)
    assert status == 200 and result["keyword"] == "café au lait"


def test_the_scheduled_sample_runs_the_scheduler(aws, lambda_context):
    from social_analytics.handlers import scheduler

    counts = scheduler.handler(events.load("eventbridge_scheduled"), lambda_context)
    assert counts["enqueued"] == 0  # nothing tracked yet

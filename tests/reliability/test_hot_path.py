"""The warm API container's hot path: pre-serialized cached answers and finished jobs served without DynamoDB,
with the same documents and exact counters."""

from __future__ import annotations

import json

from tests.conftest import sqs_event


def _finish_one_job(call_api, queue_messages, lambda_context, keyword: str) -> dict:
    from social_analytics.handlers import worker

    status, queued = call_api("POST", "/api/analyses", {"keyword": keyword})
    assert status == 202
    worker.handler(sqs_event(queue_messages()), lambda_context)
    return queued


def test_a_hot_hit_is_pre_serialized_and_equals_the_stored_answer(call_api, queue_messages, lambda_context):
    from social_analytics.analyses import submit as submissions

    # GIVEN a finished analysis
    _finish_one_job(call_api, queue_messages, lambda_context, "Hot Path")

    # WHEN it is asked for three times (the first read comes from DynamoDB, the next from the warm container)
    first = call_api("POST", "/api/analyses", {"keyword": "hot path"})
    answer = submissions.submit(submissions.Submission(keyword="HOT  path"))
    third = call_api("POST", "/api/analyses", {"keyword": " Hot Path "})

    # THEN the warm answer is the serialized text of the very same document
    assert answer.cached and answer.text is not None
    assert json.loads(answer.text) == answer.body == first[1] == third[1]
    assert first[0] == third[0] == 200
    # AND every hit was counted once
    metrics = call_api("GET", "/api/metrics")[1]
    assert metrics["cache_hits"] == 3 and metrics["cache_misses"] == 1


def test_a_finished_job_is_served_from_memory_until_its_keyword_is_forgotten(
    call_api, queue_messages, lambda_context, monkeypatch
):
    from social_analytics import composition
    from social_analytics.storage import jobs as job_store

    queued = _finish_one_job(call_api, queue_messages, lambda_context, "finished job")
    status, done = call_api("GET", queued["status_url"])
    assert status == 200 and done["status"] == "done"

    # WHEN DynamoDB can no longer be read, the finished job is still answered, identically
    def no_dynamodb(_job_id):
        raise AssertionError("read DynamoDB for a finished job")

    monkeypatch.setattr(job_store, "get_job", no_dynamodb)
    assert call_api("GET", queued["status_url"]) == (200, done)

    # AND forgetting the keyword (its deletion) drops the job from memory too
    composition.hot_results.forget("finished job")
    assert composition.hot_results.finished_job(queued["job_id"]) is None


def test_a_queued_job_is_always_read_from_dynamodb(call_api):
    from social_analytics import composition

    _, queued = call_api("POST", "/api/analyses", {"keyword": "still queued"})
    assert call_api("GET", queued["status_url"])[1]["status"] == "queued"
    assert composition.hot_results.finished_job(queued["job_id"]) is None

"""The API handler in-process against moto: cache policy, single flight, validation, errors."""

from __future__ import annotations

import json

import pytest

from tests.conftest import sqs_event


def run_worker(messages, lambda_context):
    from social_analytics.handlers import worker

    return worker.handler(sqs_event(messages), lambda_context)


def test_miss_queues_one_job_then_worker_result_is_served_from_cache(call_api, queue_messages, lambda_context):
    # GIVEN an empty cache
    status, body = call_api("POST", "/api/analyses", {"keyword": "Serverless"})

    # THEN a job is queued with a status url
    assert status == 202
    assert body["status"] == "queued" and body["keyword"] == "Serverless"
    assert body["status_url"] == f"/api/jobs/{body['job_id']}"
    messages = queue_messages()
    assert len(messages) == 1
    assert json.loads(messages[0]["Body"])["job_id"] == body["job_id"]

    # WHEN the worker processes it
    assert run_worker(messages, lambda_context) == {"batchItemFailures": []}

    # THEN the job is done with a simulated result
    status, job = call_api("GET", body["status_url"])
    assert status == 200 and job["status"] == "done"
    result = job["result"]
    assert result["keyword"] == "Serverless"
    assert result["posts_analyzed"] == 100
    sentiment = result["sentiment"]
    assert sentiment["positive"] + sentiment["neutral"] + sentiment["negative"] == 100
    assert result["source"]["simulated"] is True and result["source"]["provider"] == "simulated"
    assert 0 < len(result["posts"]) <= 50

    # AND the same keyword, differently spelled, is a cache hit
    status, cached = call_api("POST", "/api/analyses", {"keyword": "  SERVERLESS  "})
    assert status == 200 and cached["cached"] is True and cached["status"] == "done"
    assert cached["result"] == result

    status, latest = call_api("GET", "/api/analyses/serverless")
    assert status == 200 and latest["analyzed_at"] == result["analyzed_at"]

    status, metrics = call_api("GET", "/api/metrics")
    assert (metrics["cache_hits"], metrics["cache_misses"], metrics["tasks_enqueued"]) == (1, 1, 1)
    assert metrics["batches_processed"] == 1 and metrics["avg_batch_size"] == 1.0
    assert metrics["latency_ms"]["cached"]["samples"] == 1
    assert metrics["latency_ms"]["queued"]["samples"] == 1


def test_identical_requests_share_one_job(call_api, queue_messages):
    answers = [
        call_api("POST", "/api/analyses", {"keyword": f"{' ' * (i % 3)}Coffee{' ' * (i % 2)}"}) for i in range(20)
    ]

    assert {status for status, _ in answers} == {202}
    assert len({body["job_id"] for _, body in answers}) == 1
    assert len(queue_messages()) == 1
    _, metrics = call_api("GET", "/api/metrics")
    assert metrics["tasks_enqueued"] == 1 and metrics["cache_misses"] == 20


def test_refresh_skips_the_cache_but_not_single_flight(call_api, queue_messages, lambda_context):
    _, first = call_api("POST", "/api/analyses", {"keyword": "tea"})
    run_worker(queue_messages(), lambda_context)

    status, refreshed = call_api("POST", "/api/analyses", {"keyword": "tea", "refresh": True})
    status_again, again = call_api("POST", "/api/analyses", {"keyword": "tea", "refresh": True})

    assert (status, status_again) == (202, 202)
    assert refreshed["job_id"] != first["job_id"] and again["job_id"] == refreshed["job_id"]


def test_a_bigger_limit_or_other_window_is_not_served_by_a_smaller_result(call_api, queue_messages, lambda_context):
    call_api("POST", "/api/analyses", {"keyword": "tea", "limit": 50})
    run_worker(queue_messages(), lambda_context)

    assert call_api("POST", "/api/analyses", {"keyword": "tea", "limit": 20})[0] == 200
    assert call_api("POST", "/api/analyses", {"keyword": "tea", "limit": 200})[0] == 202


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"keyword": ""}, 422, "keyword"),
        ({"keyword": "   "}, 422, "keyword"),
        ({"keyword": "x" * 513}, 422, "keyword"),  # over 512 bytes once normalized
        ({"keyword": "java AND NOT "}, 422, "keyword"),  # a query that does not parse
        ({"keyword": "x" * 10_000}, 422, "keyword"),
        ({"keyword": "bad\x00word"}, 422, "keyword"),
        ({"keyword": "bell\x07"}, 422, "keyword"),
        ({"keyword": "new\nline"}, 422, "keyword"),
        ({"keyword": 42}, 422, "keyword"),
        ({"keyword": ["a"]}, 422, "keyword"),
        ({}, 422, "keyword"),
        ({"keyword": "ok", "limit": 5}, 422, "limit"),
        ({"keyword": "ok", "limit": 1001}, 422, "limit"),
        ({"keyword": "ok", "limit": "50"}, 422, "limit"),
        ({"keyword": "ok", "limit": 50.5}, 422, "limit"),
        ({"keyword": "ok", "refresh": "yes"}, 422, "refresh"),
        ({"keyword": "ok", "window_hours": 0}, 422, "window_hours"),
        ({"keyword": "ok", "surprise": 1}, 422, "surprise"),
        ("{not json", 400, None),
        ('{"keyword": "ok"', 400, None),
        ("[1, 2]", 422, None),
        ("null", 422, None),
    ],
)
def test_bad_input_is_a_clear_4xx_and_queues_nothing(call_api, queue_messages, body, status, field):
    got_status, got = call_api("POST", "/api/analyses", body)

    assert got_status == status
    assert got["error"]["message"]
    if field:
        assert field in [item["field"] for item in got["error"]["fields"]]
        assert field in got["error"]["message"]
    assert queue_messages() == []
    assert call_api("GET", "/api/metrics")[1]["cache_misses"] == 0


def test_emoji_and_non_latin_keywords_are_accepted(call_api):
    for keyword in ("☕ coffee", "東京", "café", "👨‍👩‍👧 family", "x" * 99):
        assert call_api("POST", "/api/analyses", {"keyword": keyword})[0] == 202


def test_oversize_body_is_413(call_api):
    status, body = call_api("POST", "/api/analyses", json.dumps({"keyword": "a", "pad": "x" * 70_000}))
    assert status == 413 and body["error"]["code"] == "body_too_large"


def test_unknown_things_are_404_with_a_reason(call_api):
    assert call_api("GET", "/api/jobs/doesnotexist")[0] == 404
    assert call_api("GET", "/api/analyses/never-seen")[1]["error"]["code"] == "no_result"
    status, body = call_api("GET", "/api/nothing-here")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_health_and_openapi(call_api):
    assert call_api("GET", "/api/health") == (200, {"status": "ok"})
    status, spec = call_api("GET", "/api/openapi.json")
    assert status == 200
    assert {"/api/analyses", "/api/jobs/{job_id}", "/api/metrics"} <= set(spec["paths"])
    schema = spec["components"]["schemas"]["AnalysisRequest"]
    assert schema["properties"]["limit"]["maximum"] == 1000


def test_a_job_finishing_between_cache_read_and_lock_does_not_start_a_second_job(
    call_api, queue_messages, lambda_context, monkeypatch
):
    from social_analytics.analyses import submit as submissions

    _, first = call_api("POST", "/api/analyses", {"keyword": "race"})
    run_worker(queue_messages(), lambda_context)
    # GIVEN a request whose cache read happened just before the job stored its result
    monkeypatch.setattr(submissions, "cached_result", lambda key, submission: None)

    status, body = call_api("POST", "/api/analyses", {"keyword": "race"})

    assert status == 200 and body["cached"] is True
    assert [json.loads(m["Body"])["job_id"] for m in queue_messages()] == [first["job_id"]]
    _, metrics = call_api("GET", "/api/metrics")
    assert (metrics["cache_hits"], metrics["cache_misses"], metrics["tasks_enqueued"]) == (1, 1, 1)


def test_keywords_with_url_syntax_are_reachable_by_path(call_api, queue_messages, lambda_context):
    from urllib.parse import quote

    keyword = '#AWS "AC/DC" 100%? a+b'
    assert call_api("POST", "/api/analyses", {"keyword": keyword})[0] == 202
    run_worker(queue_messages(), lambda_context)

    status, result = call_api("GET", f"/api/analyses/{quote(keyword, safe='')}")

    assert status == 200 and result["keyword"] == keyword
    status, history = call_api("GET", f"/api/analyses/{quote(keyword, safe='')}/history")
    assert status == 200 and history["points"] == []


def test_a_damaged_cached_result_is_treated_as_a_miss_not_a_server_error(call_api, aws):
    import boto3

    table = boto3.resource("dynamodb").Table(aws.physical_names["ResultsTable"])
    table.put_item(
        Item={
            "pk": "KW#damaged",
            "sk": "RESULT",
            "result_json": "{not json",
            "analyzed_epoch": 10**10,
            "limit": 1000,
            "window_hours": 24,
        }
    )

    assert call_api("POST", "/api/analyses", {"keyword": "damaged"})[0] == 202
    assert call_api("GET", "/api/analyses/damaged")[0] == 404

"""Tracked keywords in-process against moto: admin token, schedule, history, alerts + events, compare, deletion."""

from __future__ import annotations

import json

import boto3
import pytest

from tests import events as sample_events
from tests.conftest import sqs_event

TOKEN = "test-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def admin_token(call_api, monkeypatch):
    from social_analytics import settings

    monkeypatch.setenv("ADMIN_TOKEN", TOKEN)
    settings.reset()  # importing the API handler (call_api) read the settings at cold start, before the token


@pytest.fixture
def tracking_env(aws, monkeypatch):
    from social_analytics.tracking import scans as tracking

    tracking.get_tracking_settings.cache_clear()
    yield
    tracking.get_tracking_settings.cache_clear()


@pytest.fixture
def alert_events(aws):
    """An EventBridge rule on the default bus matching the template's alert rule, targeting an SQS queue."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="alert-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = aws.resolve(aws.resources["AlertsRule"]["Properties"]["EventPattern"])
    events.put_rule(Name="alerts", EventPattern=json.dumps(pattern), EventBusName="default")
    events.put_targets(Rule="alerts", EventBusName="default", Targets=[{"Id": "q", "Arn": queue_arn}])

    def received() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    return received


def track(call_api, keyword: str, interval: int = 15, headers=ADMIN, **extra):
    return call_api(
        "POST", "/api/tracked", {"keyword": keyword, "interval_minutes": interval, **extra}, headers=headers
    )


def scheduled(lambda_context) -> dict:
    from social_analytics.handlers import scheduler

    return scheduler.handler(sample_events.scheduled("2026-11-24T13:00:00Z"), lambda_context)


# ------------------------------------------------------------------ admin token
@pytest.mark.parametrize(
    "headers", [None, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN}, {"Authorization": "Bearer "}]
)
def test_admin_calls_without_the_right_token_are_401_and_change_nothing(call_api, admin_token, headers):
    # GIVEN a tracked keyword with a stored result
    assert track(call_api, "kept")[0] == 201
    from social_analytics.storage import jobs as job_store

    call_api("POST", "/api/analyses", {"keyword": "kept"})
    # WHEN every admin route is called without the right token (a bad body too: 401 comes first)
    answers = [
        track(call_api, "intruder", headers=headers),
        call_api("POST", "/api/tracked", {"nonsense": True}, headers=headers),
        call_api("DELETE", "/api/tracked/kept", headers=headers),
        call_api("DELETE", "/api/analyses/kept", headers=headers),
    ]
    # THEN all are 401 with the contract's error body, and nothing changed
    for status, body in answers:
        assert status == 401 and body["error"]["code"] == "unauthorized"
    assert [t["key"] for t in call_api("GET", "/api/tracked")[1]["tracked"]] == ["kept"]
    assert job_store._table().get_item(Key={"pk": "KW#kept", "sk": "INFLIGHT"}).get("Item") is not None


def test_with_no_token_configured_admin_routes_are_closed(call_api, monkeypatch):
    monkeypatch.delenv("ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("ADMIN_TOKEN_PARAM", raising=False)
    assert track(call_api, "anything")[0] == 401
    assert call_api("GET", "/api/tracked")[1] == {"tracked": []}


def test_the_token_can_come_from_an_ssm_securestring(call_api, monkeypatch):
    from aws_lambda_powertools.utilities import parameters

    monkeypatch.delenv("ADMIN_TOKEN", raising=False)
    monkeypatch.setenv("ADMIN_TOKEN_PARAM", "/test/admin-token")
    boto3.client("ssm").put_parameter(
        Name="/test/admin-token", Value="from-ssm-0123456789abcdefghij", Type="SecureString"
    )
    parameters.clear_caches()
    try:
        assert track(call_api, "ssm", headers={"Authorization": "Bearer from-ssm-0123456789abcdefghij"})[0] == 201
        assert track(call_api, "ssm2", headers=ADMIN)[0] == 401
    finally:
        parameters.clear_caches()


def test_track_validation_and_listing(call_api, admin_token):
    status, body = track(call_api, "x", interval=4)
    assert status == 422 and body["error"]["fields"][0]["field"] == "interval_minutes"
    status, body = track(call_api, "  Big   Brand ", interval=30, sensitivity="high", providers=["mastodon"])
    assert status == 201 and body["key"] == "big brand" and body["sensitivity"] == "high"
    assert track(call_api, "big brand", interval=60)[0] == 200  # same key: updated, not duplicated
    (listed,) = call_api("GET", "/api/tracked")[1]["tracked"]
    assert listed["interval_minutes"] == 60 and listed["providers"] is None and listed["last_scan_at"] is None
    assert call_api("DELETE", "/api/tracked/BIG%20BRAND", headers=ADMIN)[0] == 200
    assert call_api("GET", "/api/tracked")[1] == {"tracked": []}
    assert call_api("DELETE", "/api/tracked/big%20brand", headers=ADMIN)[0] == 404


# ------------------------------------------------------------------ schedule
def test_the_schedule_enqueues_jobs_for_due_keywords_only(
    call_api, admin_token, tracking_env, queue_messages, lambda_context
):
    from social_analytics.storage import tracked as tracked_store

    # GIVEN three tracked keywords, one scanned a minute ago
    for keyword in ("alpha", "beta", "gamma"):
        assert track(call_api, keyword)[0] == 201
    tracked_store.mark_enqueued("gamma", "earlier-job", __import__("time").time() - 60)

    # WHEN the schedule fires
    counts = scheduled(lambda_context)

    # THEN one scan job per due keyword was queued
    messages = [json.loads(m["Body"]) for m in queue_messages(visibility=30)]
    assert sorted(m["keyword"] for m in messages) == ["alpha", "beta"]
    assert {m["kind"] for m in messages} == {"scan"}
    assert counts["enqueued"] == 2 and counts["due"] == 2 and counts["tracked"] == 3

    # AND firing again right away queues nothing (not due; the jobs are still in flight anyway)
    assert scheduled(lambda_context)["enqueued"] == 0
    assert queue_messages() == []
    listed = {t["key"]: t for t in call_api("GET", "/api/tracked")[1]["tracked"]}
    assert listed["alpha"]["last_scan_at"] is not None


def test_a_due_keyword_with_a_job_in_flight_is_not_queued_twice(
    call_api, admin_token, tracking_env, queue_messages, lambda_context
):
    assert track(call_api, "busy")[0] == 201
    assert call_api("POST", "/api/analyses", {"keyword": "Busy"})[0] == 202  # a search holds the single-flight lock
    counts = scheduled(lambda_context)
    assert counts["in_flight"] == 1 and counts["enqueued"] == 0
    assert len(queue_messages()) == 1  # only the search's job


# ------------------------------------------------------------------ history
def test_completed_scans_append_history_points_and_searches_do_not(
    call_api, admin_token, tracking_env, queue_messages, lambda_context, monkeypatch
):
    from social_analytics.handlers import worker

    monkeypatch.setenv("TRACK_MINUTE_SECONDS", "0.001")  # every scan is due again at once
    from social_analytics.tracking import scans as tracking

    tracking.get_tracking_settings.cache_clear()
    assert track(call_api, "history kw", interval=5)[0] == 201
    for _ in range(3):
        scheduled(lambda_context)
        messages = queue_messages(visibility=30)
        assert len(messages) == 1
        assert worker.handler(sqs_event(messages), lambda_context) == {"batchItemFailures": []}
    # a user's search of the same keyword stores a result but no history point
    call_api("POST", "/api/analyses", {"keyword": "history kw", "refresh": True})
    worker.handler(sqs_event(queue_messages(visibility=30)), lambda_context)

    status, body = call_api("GET", "/api/analyses/history%20kw/history")
    assert status == 200 and len(body["points"]) == 3
    point = body["points"][-1]
    assert point["volume"] == 100 and point["positive"] + point["neutral"] + point["negative"] == 100
    assert point["top_terms"] and set(point) >= {"time", "mean_compound"}
    assert [p["time"] for p in body["points"]] == sorted(p["time"] for p in body["points"])
    # the range is by time: nothing before `since`
    future = {"since": "2100-01-01T00:00:00Z", "until": "2101-01-01"}
    assert call_api("GET", "/api/analyses/history%20kw/history", query=future)[1]["points"] == []
    status, body = call_api("GET", "/api/analyses/history%20kw/history", query={"since": "yesterday"})
    assert status == 422 and body["error"]["fields"][0]["field"] == "query.since"
    assert call_api("GET", "/api/analyses/history%20kw")[0] == 200  # the latest-result route still works


# ------------------------------------------------------------------ alerts
def feed(volumes: list[int], negatives: list[int] | None = None, key: str = "brand", interval: float = 900.0):
    """Drive the worker's hook with synthetic scan results, one per interval."""
    from social_analytics.models import AnalysisJob
    from social_analytics.tracking import scans as tracking

    from local_stack import aws_calls

    raised = []
    negatives = negatives or [v // 5 for v in volumes]
    for i, (volume, negative) in enumerate(zip(volumes, negatives, strict=True)):
        job = AnalysisJob(f"job{i}", key, key, 100, 24, 0.0, kind="scan")
        result = {
            "posts_analyzed": volume,
            "sentiment": {"positive": 0, "neutral": volume - negative, "negative": negative, "mean_compound": 0.0},
            "top_terms": [{"term": "x", "count": 1}],
        }
        now = 1_800_000_000.0 + i * interval
        # The worker's hook: its AWS calls are the worker's (tests/unit/test_iam_policies.py audits them).
        with pytest.MonkeyPatch.context() as patch, aws_calls.handler_scope("WorkerFunction"):
            patch.setattr(tracking.time, "time", lambda now=now: now)
            raised.extend(tracking.after_result(job, result))
    return raised


def test_a_spike_raises_one_alert_and_one_event(call_api, admin_token, tracking_env, alert_events):
    assert track(call_api, "brand")[0] == 201
    raised = feed([100, 97, 103, 99, 101, 98, 102, 100, 99, 101, 420, 100, 99, 101])

    assert [a.type for a in raised] == ["spike"]
    (event,) = alert_events()
    assert event["detail-type"] == "SpikeDetected" and event["source"] == "async-social-analytics"
    assert event["detail"]["keyword"] == "brand" and event["detail"]["volume"] == 420
    assert event["detail"]["value"] == 420 / 24  # the posting rate: 420 posts over the 24-hour window
    (stored,) = call_api("GET", "/api/alerts")[1]["alerts"]
    assert stored["type"] == "spike" and stored["detail_type"] == "SpikeDetected"
    assert stored["source"] == "scan" and set(stored["explanation"]) == {"terms", "sample_posts", "other_sources"}
    assert call_api("GET", "/api/alerts", query={"keyword": "other"})[1] == {"alerts": []}
    assert call_api("GET", "/api/tracked")[1]["tracked"][0]["last_alerts"].keys() == {"spike"}


def test_pure_noise_raises_no_alert_and_no_event(call_api, admin_token, tracking_env, alert_events):
    import random

    rng = random.Random(7)  # the unit tests measure the false-alarm rate over many seeds
    assert track(call_api, "brand")[0] == 201
    volumes = [int(rng.gauss(100, 6)) for _ in range(30)]
    negatives = [sum(rng.random() < 0.2 for _ in range(v)) for v in volumes]
    assert feed(volumes, negatives) == []
    assert alert_events() == [] and call_api("GET", "/api/alerts")[1] == {"alerts": []}


def test_a_sustained_plateau_does_not_realert_during_the_cooldown(call_api, admin_token, tracking_env, alert_events):
    assert track(call_api, "brand")[0] == 201
    raised = feed([100, 97, 103, 99, 101, 98, 102, 100, 99, 101] + [350] * 9)
    assert [a.type for a in raised] == ["spike"]
    assert len(alert_events()) == 1


def test_a_negative_turn_is_a_sentiment_dip_event(call_api, admin_token, tracking_env, alert_events):
    assert track(call_api, "brand", sensitivity="high")[0] == 201
    raised = feed([100] * 11, [20, 19, 21, 20, 20, 19, 21, 20, 20, 20, 55])
    assert [a.type for a in raised] == ["sentiment_dip"]
    assert [e["detail-type"] for e in alert_events()] == ["SentimentDip"]


# ------------------------------------------------------------------ compare
def test_share_of_voice_from_the_latest_results(call_api, queue_messages, lambda_context):
    from social_analytics.handlers import worker

    call_api("POST", "/api/analyses", {"keyword": "Apples", "limit": 100})
    call_api("POST", "/api/analyses", {"keyword": "pears", "limit": 300})
    worker.handler(sqs_event(queue_messages(visibility=30)), lambda_context)

    status, body = call_api("GET", "/api/compare", query={"keywords": "apples,PEARS,  plums ,apples"})
    assert status == 200
    rows = {row["key"]: row for row in body["keywords"]}
    assert list(rows) == ["apples", "pears", "plums"]
    assert body["total_volume"] == rows["apples"]["volume"] + rows["pears"]["volume"]
    assert rows["apples"]["share"] + rows["pears"]["share"] == pytest.approx(1, abs=1e-3)
    assert rows["plums"] == {
        "keyword": "plums", "key": "plums", "analyzed": False, "volume": 0, "share": 0.0,
        "estimated_posts_in_window": 0, "basis": None,
    }  # fmt: skip
    assert set(rows["pears"]["sentiment"]) >= {"positive", "neutral", "negative", "mean_compound"}


@pytest.mark.parametrize(
    ("keywords", "field"),
    [
        ("", "query.keywords"),
        (",".join(f"k{i}" for i in range(11)), "query.keywords"),
        ("ok,\u0007bell", "query.keywords.1"),
    ],
)
def test_compare_validation_names_the_field(call_api, keywords, field):
    status, body = call_api("GET", "/api/compare", query={"keywords": keywords})
    assert status == 422 and body["error"]["fields"][0]["field"] == field


# ------------------------------------------------------------------ deletion
def test_deleting_a_keyword_removes_its_results_history_and_jobs(
    call_api, admin_token, tracking_env, queue_messages, lambda_context, monkeypatch
):
    from social_analytics import composition
    from social_analytics.handlers import worker
    from social_analytics.storage import jobs as job_store
    from social_analytics.tracking import scans as tracking

    monkeypatch.setenv("TRACK_MINUTE_SECONDS", "0.001")
    tracking.get_tracking_settings.cache_clear()
    assert track(call_api, "doomed", interval=5)[0] == 201
    for _ in range(2):
        scheduled(lambda_context)
        worker.handler(sqs_event(queue_messages(visibility=30)), lambda_context)
    job_store._table().put_item(Item={"pk": "KW#doomed", "sk": "CURSOR#mastodon", "cursor": "abc"})
    job_store._table().put_item(Item={"pk": "KW#other", "sk": "RESULT", "result_json": "{}", "analyzed_epoch": 1})
    assert call_api("POST", "/api/analyses", {"keyword": "doomed"})[0] == 200  # cached (and in the hot cache)

    status, body = call_api("DELETE", "/api/analyses/Doomed", headers=ADMIN)

    assert status == 200
    assert body["deleted"] == {
        "result": 1,
        "history": 2,
        "cursors": 1,
        "posts": 0,
        "locks": 0,
        "other": 0,
        "jobs": 2,
        "alerts": 0,
        "stream_minutes": 0,
    }
    assert call_api("GET", "/api/analyses/doomed")[0] == 404
    assert call_api("GET", "/api/analyses/doomed/history")[1]["points"] == []
    assert composition.hot_results.get("doomed") is None
    assert call_api("POST", "/api/analyses", {"keyword": "doomed"})[0] == 202  # not served from any cache
    assert job_store._table().get_item(Key={"pk": "KW#other", "sk": "RESULT"}).get("Item") is not None

"""Channels and deliveries in-process against moto: the admin API (secrets shown once, never again), the SSRF
guard's refusals, alerts and digests through the delivery queue and the delivery function (real SQS records,
partial batch failures) to loopback receivers, email through SES, and nothing secret in any answer or log."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import boto3
import pytest

from tests.conftest import sqs_event
from tests.fakes.receiver import Answer, Receiver

TOKEN = "test-admin-token-delivery-0123"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def env(aws, monkeypatch):
    from social_analytics import settings

    monkeypatch.setenv("ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("DELIVERY_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("DELIVERY_BACKOFF_SECONDS", "0")
    settings.reset()
    return monkeypatch


def create(call_api, **body) -> tuple[int, dict]:
    return call_api("POST", "/api/channels", body, headers=ADMIN)


def deliver_all(aws, lambda_context, visibility: int = 0) -> list[dict]:
    """What the SQS event source does: the delivery queue's visible messages as one batch to the function."""
    from social_analytics.handlers import delivery

    sqs = boto3.client("sqs")
    url = aws.physical_names["DeliveryQueue"]
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=visibility
    ).get("Messages", [])
    if not messages:
        return []
    arn = aws.attributes[("DeliveryQueue", "Arn")]
    failed = {
        f["itemIdentifier"] for f in delivery.handler(sqs_event(messages, arn), lambda_context)["batchItemFailures"]
    }
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def test_a_channel_shows_its_secret_once_and_never_its_url(env, call_api, capsys):
    with Receiver() as receiver:
        url = receiver.url + "?token=VERY-SECRET-PART"
        status, body = create(call_api, type="webhook", url=url, name="ops hook")
        assert status == 201, body
        assert set(body) == {"id", "type", "name", "target", "created_at", "secret"}
        assert body["target"].startswith("127.0.0.1/…") and body["target"].endswith("PART"[-4:])
        secret = body["secret"]
        channel_id = body["id"]
        status, listed = call_api("GET", "/api/channels", headers=ADMIN)
        assert status == 200 and [c["id"] for c in listed["channels"]] == [channel_id]
        status, tested = call_api("POST", f"/api/channels/{channel_id}/test", headers=ADMIN)
        assert status == 202 and tested["queued"]
        status, log = call_api("GET", f"/api/channels/{channel_id}/deliveries", headers=ADMIN)
        answers = json.dumps([listed, tested, log])
        assert "VERY-SECRET-PART" not in answers and secret not in answers and receiver.url not in answers
    parameter = boto3.client("ssm").get_parameter(Name=f"/async-social-analytics/channels/{channel_id}")["Parameter"]
    assert parameter["Type"] == "SecureString"
    # no admin token: nothing, not even the list
    assert call_api("GET", "/api/channels")[0] == 401
    assert call_api("POST", "/api/channels", {"type": "webhook", "url": url})[0] == 401
    assert call_api("DELETE", f"/api/channels/{channel_id}", headers=ADMIN) == (
        200,
        {"id": channel_id, "deleted": True},
    )
    assert call_api("DELETE", f"/api/channels/{channel_id}", headers=ADMIN)[0] == 404
    assert call_api("GET", f"/api/channels/{channel_id}/deliveries", headers=ADMIN)[0] == 404
    out = capsys.readouterr()
    assert "VERY-SECRET-PART" not in out.out + out.err and secret not in out.out + out.err


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://100.64.0.1/hook",
        "https://localhost/hook",  # a name that resolves to loopback
        "http://93.184.215.14/hook",  # a public address, but http
        "ftp://93.184.215.14/hook",
    ],
)
def test_destinations_the_guard_refuses_are_a_400_on_create(env, call_api, url):
    from social_analytics import settings

    env.setenv("DELIVERY_ALLOW_LOOPBACK", "false")
    settings.reset()
    status, body = create(call_api, type="slack", url=url)
    assert status == 400, body
    assert body["error"]["code"] == "destination_refused" and url not in body["error"]["message"]
    assert call_api("GET", "/api/channels", headers=ADMIN)[1] == {"channels": []}


def test_bad_channel_requests_are_422_naming_the_field(env, call_api):
    assert create(call_api, type="webhook")[0] == 422
    assert create(call_api, type="email", address="not an address")[0] == 422
    assert create(call_api, type="sms", url="https://x.example")[0] == 422
    status, body = create(call_api, type="email", address="someone@example.org")
    assert status == 400 and "not configured" in body["error"]["message"]  # no SES sender in this deployment


def test_a_tracked_keyword_names_its_channels_and_what_each_gets(env, call_api):
    with Receiver() as receiver:
        channel = create(call_api, type="webhook", url=receiver.url)[1]
    subscription = {
        "id": channel["id"],
        "alerts": True,
        "digest": "daily",
        "digest_hour": 9,
        "timezone": "Europe/Berlin",
    }
    status, tracked = call_api(
        "POST", "/api/tracked", {"keyword": "Lambda", "interval_minutes": 60, "channels": [subscription]}, headers=ADMIN
    )
    assert status == 201 and tracked["channels"] == [subscription]
    # updating other settings keeps the channels; an empty list removes them
    status, tracked = call_api("POST", "/api/tracked", {"keyword": "Lambda", "interval_minutes": 30}, headers=ADMIN)
    assert tracked["channels"] == [subscription]
    for bad, field in (
        ({"id": "ch_doesnotexist"}, "channels"),
        ({**subscription, "timezone": "Mars/Olympus"}, "channels.0.timezone"),
        ({**subscription, "digest_hour": 24}, "channels.0.digest_hour"),
        ({**subscription, "digest": "hourly"}, "channels.0.digest"),
    ):
        status, body = call_api(
            "POST", "/api/tracked", {"keyword": "Lambda", "interval_minutes": 60, "channels": [bad]}, headers=ADMIN
        )
        assert status == 422, (bad, body)
        assert body["error"]["fields"][0]["field"] == field, body
    # deleting the channel takes it off the keyword
    assert call_api("DELETE", f"/api/channels/{channel['id']}", headers=ADMIN)[0] == 200
    assert call_api("GET", "/api/tracked")[1]["tracked"][0]["channels"] == []
    other = create(call_api, type="slack", url="http://127.0.0.1:9/hook")[1]
    call_api(
        "POST",
        "/api/tracked",
        {"keyword": "Lambda", "interval_minutes": 60, "channels": [{"id": other["id"]}]},
        headers=ADMIN,
    )
    status, tracked = call_api(
        "POST", "/api/tracked", {"keyword": "Lambda", "interval_minutes": 60, "channels": []}, headers=ADMIN
    )
    assert tracked["channels"] == []


def test_the_openapi_document_lists_the_channel_routes_as_admin(env, call_api):
    _status, document = call_api("GET", "/api/openapi.json")
    for path, method in (
        ("/api/channels", "post"),
        ("/api/channels", "get"),
        ("/api/channels/{channel_id}", "delete"),
        ("/api/channels/{channel_id}/test", "post"),
        ("/api/channels/{channel_id}/deliveries", "get"),
    ):
        assert document["paths"][path][method]["security"] == [{"adminBearer": []}], (path, method)
    tracked = document["components"]["schemas"]["TrackRequest"]["properties"]
    assert "channels" in tracked


def _raise_alert(key: str = "lambda", at: float | None = None):
    from social_analytics import composition
    from social_analytics.delivery import messages
    from social_analytics.records import Alert

    at = time.time() if at is None else at
    item = composition.tracking.tracked.get_tracked(key)
    alert = Alert(
        type="spike",
        detail_type="SpikeDetected",
        keyword=item.keyword,
        key=key,
        at=datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        epoch=at,
        job_id="job-1",
        value=50.0,
        baseline_mean=5.0,
        baseline_sd=1.0,
        threshold=8.0,
        k=3.0,
        score=45.0,
        volume=50,
        sensitivity="medium",
        source="stream",
        explanation={"terms": [{"term": "outage", "count": 30}], "sample_posts": [{"text": "outage!", "url": None}]},
    )
    return messages.alert_raised(item, alert)


def test_an_alert_reaches_a_signed_webhook_and_slack_once_each_through_the_queue(env, call_api, lambda_context, capsys):
    from social_analytics.delivery import signing

    with Receiver() as hook, Receiver([Answer(500), Answer(200)]) as slack:
        webhook = create(call_api, type="webhook", url=hook.url + "/T0SECRETPATH")[1]
        slack_channel = create(call_api, type="slack", url=slack.url)[1]
        channels = [{"id": webhook["id"]}, {"id": slack_channel["id"]}]
        call_api(
            "POST", "/api/tracked", {"keyword": "lambda", "interval_minutes": 60, "channels": channels}, headers=ADMIN
        )
        at = time.time()
        assert _raise_alert(at=at) == 2
        assert _raise_alert(at=at) == 0  # the same alert again (a rerun): its rows exist, nothing is queued twice
        first = deliver_all(env_aws(env), lambda_context)
        assert len(first) >= 2
        # the slack receiver answered 500: its message came back (partial batch failure), the webhook's did not
        deliver_all(env_aws(env), lambda_context)
        assert len(hook.received) == 1 and len(slack.received) == 1
        received = hook.received[0]
        assert signing.verify(
            webhook["secret"],
            received.headers["X-Timestamp"],
            received.body,
            received.headers["X-Signature"],
            time.time(),
        )
        assert received.json()["alert"]["explanation"]["terms"][0]["term"] == "outage"
        assert slack.received[0].json()["blocks"][0]["type"] == "header"
        _status, log = call_api("GET", f"/api/channels/{slack_channel['id']}/deliveries", headers=ADMIN)
    rows = [r for r in log["deliveries"] if r["kind"] == "alert"]
    assert rows[0]["status"] == "delivered" and rows[0]["attempts"] == 2 and rows[0]["code"] == 200
    out = capsys.readouterr()
    assert "T0SECRETPATH" not in out.out + out.err and webhook["secret"] not in out.out + out.err


_AWS = {}


def env_aws(_env):
    return _AWS["template"]


@pytest.fixture(autouse=True)
def _remember_template(request):
    if "aws" in request.fixturenames:
        _AWS["template"] = request.getfixturevalue("aws")
    yield
    _AWS.clear()


def test_a_channel_created_when_allowed_is_refused_at_send_time_once_it_is_not(env, call_api, lambda_context):
    from social_analytics import settings

    with Receiver() as receiver:
        channel = create(call_api, type="webhook", url=receiver.url)[1]
        call_api("POST", f"/api/channels/{channel['id']}/test", headers=ADMIN)
        env.setenv("DELIVERY_ALLOW_LOOPBACK", "false")
        settings.reset()
        deliver_all(env_aws(env), lambda_context)
        assert receiver.attempts == 0
    log = call_api("GET", f"/api/channels/{channel['id']}/deliveries", headers=ADMIN)[1]["deliveries"]
    assert log[0]["status"] == "failed" and log[0]["attempts"] == 1 and log[0]["error"].startswith("refused")


def test_a_daily_digest_at_its_hour_has_the_history_routes_figures(env, call_api, lambda_context):
    from social_analytics.handlers import scheduler
    from social_analytics.records import HistoryPoint
    from social_analytics.storage import history

    now = time.time()
    hour = datetime.fromtimestamp(now, UTC).hour
    with Receiver() as receiver:
        channel = create(call_api, type="webhook", url=receiver.url)[1]
        sub = {"id": channel["id"], "alerts": False, "digest": "daily", "digest_hour": hour, "timezone": "UTC"}
        call_api(
            "POST", "/api/tracked", {"keyword": "Lambda", "interval_minutes": 60, "channels": [sub]}, headers=ADMIN
        )
        boundary = now - now % 3600
        for i in range(30):  # a point an hour for 30 hours: 24 in the digest's day, 6 in the day before
            at = boundary - 1800 - i * 3600
            stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            point = HistoryPoint(
                time=stamp,
                epoch=at,
                job_id=f"j{i}",
                volume=10 + i,
                rate_per_hour=2.0 + i,
                positive=5,
                neutral=3,
                negative=2 + i % 3,
                mean_compound=0.1,
                top_terms=[{"term": "outage" if i < 5 else "docs", "count": 6}],
            )
            history.append_point("lambda", point, 86400 * 90)
        first = scheduler.handler({"time": "now"}, lambda_context)
        again = scheduler.handler({"time": "now"}, lambda_context)
        assert first["digests"] == 1 and again["digests"] == 0  # queued once however often the scheduler looks
        deliver_all(env_aws(env), lambda_context)
        (received,) = receiver.received
    digest = received.json()["digest"]
    _status, body = call_api(
        "GET", "/api/analyses/Lambda/history", query={"since": digest["since"], "until": digest["until"]}
    )
    points = body["points"]
    assert len(points) == 24 == digest["volume"]["scans"]
    assert digest["volume"]["posts_analyzed"] == sum(p["volume"] for p in points)
    assert digest["volume"]["mean_rate_per_hour"] == pytest.approx(sum(p["rate_per_hour"] for p in points) / 24)
    assert digest["sentiment"]["negative"] == sum(p["negative"] for p in points)
    negative_share = sum(p["negative"] for p in points) / sum(
        p["positive"] + p["neutral"] + p["negative"] for p in points
    )
    assert digest["sentiment"]["negative_share"] == pytest.approx(negative_share, abs=1e-4)
    low, high = digest["sentiment"]["intervals"]["negative"]
    assert low < negative_share < high
    assert digest["volume"]["previous"] == sum(10 + i for i in range(24, 30))
    assert digest["until"].endswith(f"T{hour:02d}:00:00Z")
    movers = {m["term"]: m["direction"] for m in digest["term_movers"]}
    assert movers.get("outage") == "up"  # the 5 newest scans name it (30 times), the day before never


def test_email_goes_through_ses_with_html_and_text(env, call_api, lambda_context):
    from moto.ses.models import ses_backends
    from social_analytics import settings

    env.setenv("DELIVERY_EMAIL_SENDER", "alerts@example.org")
    settings.reset()
    boto3.client("ses").verify_email_identity(EmailAddress="alerts@example.org")
    status, channel = create(call_api, type="email", address="someone@example.org")
    assert status == 201 and channel["target"] == "s…@example.org" and "secret" not in channel
    call_api("POST", f"/api/channels/{channel['id']}/test", headers=ADMIN)
    deliver_all(env_aws(env), lambda_context)
    sent = ses_backends["123456789012"]["us-east-1"].sent_messages
    assert len(sent) == 1 and sent[0].destinations["ToAddresses"] == ["someone@example.org"]
    assert "<h1>" in sent[0].body and sent[0].subject.startswith("Test message")

"""A delivery message's attempts against a loopback receiver, with the stores in memory: exactly once through
retries, failed at once on 404, dead-lettered after the last try, folded past the hourly cap, email parts."""

from __future__ import annotations

import json
import time

import pytest
from social_analytics.delivery import messages, run, signing
from social_analytics.records import Channel, ChannelSecret

from tests.fakes.receiver import Answer, Receiver

SECRET = "whsec_unit-test-secret"


def add_channel(stores, url: str = "", kind: str = "webhook", address: str | None = None) -> Channel:
    channel = Channel(id="ch_unit0001", type=kind, name="ops", target="127.0.0.1/…hook", created_at=time.time())
    stores.channels.put_channel(channel, ChannelSecret(url=url or None, address=address, secret=SECRET))
    return channel


def alert_message(channel_id: str, at: float = 1_800_000_000.0, key: str = "lambda") -> messages.DeliveryMessage:
    return messages.DeliveryMessage(
        kind="alert",
        channel_id=channel_id,
        idempotency_key=f"alert:{key}:spike:{at}",
        created_at=at,
        what=f"spike {key!r}",
        key=key,
        payload={"type": "spike", "keyword": key, "value": 42.0, "explanation": {"terms": [{"term": "outage"}]}},
    )


def attempt(message, receive_count: int) -> str:
    return run.deliver(message.model_dump_json(), receive_count, "receipt", now=time.time())


def test_500_500_200_is_delivered_exactly_once_with_three_attempts(delivery_env):
    with Receiver([Answer(500), Answer(500), Answer(200)]) as receiver:
        channel = add_channel(delivery_env, receiver.url)
        message = alert_message(channel.id)
        messages.enqueue([message])
        for receive in (1, 2):
            with pytest.raises(run.RetryLater):
                attempt(message, receive)
        assert attempt(message, 3) == "delivered"
        assert attempt(message, 4) == "delivered"  # a redelivered copy: found delivered, not sent again
        assert receiver.attempts == 3 and len(receiver.received) == 1
    row = delivery_env.channels.list_deliveries(channel.id)[0]
    assert (row.status, row.attempts, row.code) == ("delivered", 3, 200)
    assert delivery_env.queue.delays == [1, 2]  # the backoff doubles
    sent = receiver.received[0]
    assert signing.verify(SECRET, sent.headers["X-Timestamp"], sent.body, sent.headers["X-Signature"], time.time())
    assert json.loads(sent.body)["alert"]["keyword"] == "lambda"


def test_404_fails_after_one_attempt_and_is_not_retried(delivery_env):
    with Receiver([Answer(404)]) as receiver:
        channel = add_channel(delivery_env, receiver.url)
        assert attempt(alert_message(channel.id), 1) == "failed"
        assert attempt(alert_message(channel.id), 2) == "failed"  # a duplicate: not sent again
        assert receiver.attempts == 1
    row = delivery_env.channels.list_deliveries(channel.id)[0]
    assert (row.status, row.attempts, row.code, row.error) == ("failed", 1, 404, "HTTP 404")


def test_retry_after_is_honoured(delivery_env):
    with Receiver([Answer(429, {"Retry-After": "120"}), Answer(200)]) as receiver:
        channel = add_channel(delivery_env, receiver.url)
        with pytest.raises(run.RetryLater) as retry:
            attempt(alert_message(channel.id), 1)
    assert retry.value.delay == 120 and delivery_env.queue.delays == [120]


def test_the_last_try_is_logged_failed_and_left_for_the_dead_letter_queue(delivery_env):
    with Receiver([Answer(503)]) as receiver:
        channel = add_channel(delivery_env, receiver.url)
        for receive in (1, 2, 3, 4):  # DELIVERY_MAX_ATTEMPTS=4
            with pytest.raises(run.RetryLater):
                attempt(alert_message(channel.id), receive)
    row = delivery_env.channels.list_deliveries(channel.id)[0]
    assert row.status == "failed" and row.attempts == 4 and row.error.startswith("gave up after 4 attempts")


def test_a_message_another_attempt_holds_comes_back_later(delivery_env):
    channel = add_channel(delivery_env, "http://127.0.0.1:1/hook")
    message = alert_message(channel.id)
    delivery_env.channels.claim_delivery(message.row(), time.time(), 60)  # someone else is sending it now
    with pytest.raises(run.RetryLater, match="another attempt"):
        attempt(message, 1)


def test_alerts_past_the_hourly_cap_are_folded_and_announced_once(delivery_env, monkeypatch):
    from social_analytics import settings
    from social_analytics.delivery import digest

    monkeypatch.setenv("DELIVERY_HOURLY_CAP", "2")
    settings.reset()
    now = time.time()
    with Receiver() as receiver:
        channel = add_channel(delivery_env, receiver.url)
        results = [attempt(alert_message(channel.id, at=now + i, key=f"k{i}"), 1) for i in range(5)]
        assert results == ["delivered", "delivered", "folded", "folded", "folded"]
        assert len(receiver.received) == 2
        # the next hour's scheduler run announces them in one message ("and 3 more")
        assert digest.announce_folds(now + 3600) == 1
        assert digest.announce_folds(now + 3600) == 0
        (body,) = delivery_env.queue.messages
        notice = messages.DeliveryMessage.model_validate(body)
        assert run.deliver(notice.model_dump_json(), 1, "r", now=now + 3600) == "delivered"
    folded = receiver.received[-1].json()["folded"]
    assert folded["count"] == 3 and sorted(folded["alerts"]) == ["spike 'k2'", "spike 'k3'", "spike 'k4'"]


def test_slack_gets_block_kit_with_terms_posts_and_the_dashboard_link(delivery_env):
    with Receiver() as receiver:
        channel = add_channel(delivery_env, receiver.url, kind="slack")
        message = alert_message(channel.id)
        message.payload["explanation"]["sample_posts"] = [
            {"text": "lambda <outage> & more", "url": "https://bsky.app/profile/a/post/1"},
            {"text": "second", "url": "https://bsky.app/profile/b/post/2"},
            {"text": "third", "url": "https://bsky.app/profile/c/post/3"},
        ]
        message.dashboard_url = "https://dash.example/?view=tracked&q=lambda"
        assert attempt(message, 1) == "delivered"
    body = receiver.received[0].json()
    assert body["text"] == "Volume spike: lambda"
    kinds = [block["type"] for block in body["blocks"]]
    assert kinds[0] == "header" and kinds[-1] == "actions"
    texts = json.dumps(body["blocks"])
    assert "outage" in texts and "bsky.app/profile/b/post/2" in texts and "post/3" not in texts
    assert "&lt;outage&gt; &amp; more" in texts  # mrkdwn escaped
    assert body["blocks"][-1]["elements"][0]["url"] == "https://dash.example/?view=tracked&q=lambda"
    assert "X-Signature" not in receiver.received[0].headers


def test_email_has_a_plain_text_and_an_html_part(delivery_env):
    channel = add_channel(delivery_env, kind="email", address="someone@example.org")
    assert attempt(alert_message(channel.id), 1) == "delivered"
    (mail,) = delivery_env.mailer.sent
    assert mail["to"] == "someone@example.org" and mail["sender"] == "alerts@example.org"
    assert mail["subject"] == "Volume spike: lambda"
    assert "Rising terms: outage" in mail["text"] and "<h1>Volume spike: lambda</h1>" in mail["html"]


def test_a_refused_email_fails_and_an_unavailable_service_retries(delivery_env):
    channel = add_channel(delivery_env, kind="email", address="someone@example.org")
    delivery_env.mailer.answer = ("refused", "MessageRejected")
    assert attempt(alert_message(channel.id, at=1.0), 1) == "failed"
    delivery_env.mailer.answer = ("unavailable", "Throttling")
    with pytest.raises(run.RetryLater):
        attempt(alert_message(channel.id, at=2.0), 1)


def test_a_deleted_channel_drops_the_message(delivery_env):
    assert attempt(alert_message("ch_gone00001"), 1) == "dropped"

"""`make run` delivers: a spike streamed through the loopback Jetstream becomes, within two minutes, one signed
webhook POST and one Slack-shaped POST at loopback receivers (the Slack one answering 500, 500, then 200: three
attempts in its log, one message received), through the template's delivery queue and function. Neither the URL
nor the secret appears in the stack's log or any API answer."""

from __future__ import annotations

import json
import secrets
import time

import httpx
import pytest

from local_stack.stack import LocalStack, wait_until
from tests.conftest import ARTIFACTS
from tests.fakes.jetstream_server import FakeJetstream, background, now_us, post_event, tid
from tests.fakes.receiver import Answer, Receiver


@pytest.fixture(scope="module")
def delivery_stack():
    ARTIFACTS.mkdir(exist_ok=True)
    token = secrets.token_urlsafe(24)
    with FakeJetstream() as jet, (ARTIFACTS / "delivery-stack.log").open("w") as log:
        environment = {
            "ADMIN_TOKEN": token,
            "STREAM_ENABLED": "true",
            "JETSTREAM_URL": jet.url,
            "STREAM_INTERVAL_SECONDS": "2",
            "STREAM_IDLE_SECONDS": "0.5",
            "STREAM_FIRST_LOOKBACK_SECONDS": "900",
            "DELIVERY_ALLOW_LOOPBACK": "true",
            "DELIVERY_BACKOFF_SECONDS": "1",
            "DELIVERY_LOG_LINES": "true",
        }
        stack = LocalStack(port=0, environment=environment, log=log, worker_processes=1).start()
        try:
            yield stack, jet, token
        finally:
            stack.stop()


def spike_events(word: str) -> list[dict]:
    """12 quiet minutes (3 posts a minute), then 40 posts about an outage in the current minute."""
    now = now_us()
    minute0 = (now // 60_000_000 - 12) * 60_000_000
    quiet = [
        post_event(
            f"did:plc:q{m}{i}",
            tid(minute0 + m * 60_000_000 + i * 9_000_000, i),
            text,
            minute0 + m * 60_000_000 + i * 9_000_000,
        )
        for m in range(12)
        for i, text in enumerate([f"{word} is fine", f"using {word} at work", f"{word} docs"])
    ]
    start = max(now - 20_000_000, (now // 60_000_000) * 60_000_000)
    spike = [
        post_event(
            f"did:plc:s{i:03d}", tid(start + i * 1000, 9), f"{word} outage again, so angry #{i}", start + i * 1000
        )
        for i in range(40)
    ]
    return [*quiet, *spike, *background(200, minute0, 3_000_000)]


def test_a_streamed_spike_reaches_a_signed_webhook_and_slack_exactly_once(delivery_stack):
    from social_analytics.delivery import signing

    stack, jet, token = delivery_stack
    admin = {"Authorization": f"Bearer {token}"}
    with (
        Receiver() as hook,
        Receiver([Answer(500), Answer(500), Answer(200)]) as slack,
        httpx.Client(base_url=stack.base_url, timeout=10) as client,
    ):
        webhook = client.post("/api/channels", json={"type": "webhook", "url": hook.url, "name": "ops"}, headers=admin)
        assert webhook.status_code == 201, webhook.text
        slack_channel = client.post("/api/channels", json={"type": "slack", "url": slack.url}, headers=admin).json()
        secret = webhook.json()["secret"]
        jet.add(*spike_events("kubelet"))
        started = time.time()
        tracked = client.post(
            "/api/tracked",
            json={
                "keyword": "kubelet",
                "interval_minutes": 60,
                "min_volume": 10,
                "channels": [{"id": webhook.json()["id"]}, {"id": slack_channel["id"]}],
            },
            headers=admin,
        )
        assert tracked.status_code == 201, tracked.text
        assert wait_until(lambda: hook.received and slack.received, timeout=120, interval=0.5), (
            hook.attempts,
            slack.attempts,
            client.get("/api/alerts", params={"keyword": "kubelet"}).text,
        )
        assert time.time() - started < 120
        time.sleep(5)  # more stream runs and retries: still one each
        assert len(hook.received) == 1 and len(slack.received) == 1 and slack.attempts == 3
        sent = hook.received[0]
        assert signing.verify(secret, sent.headers["X-Timestamp"], sent.body, sent.headers["X-Signature"], time.time())
        alert = sent.json()["alert"]
        assert alert["keyword"] == "kubelet" and alert["type"] == "spike" and alert["source"] == "stream"
        slack_body = slack.received[0].json()
        assert slack_body["text"] == "Volume spike: kubelet" and slack_body["blocks"][0]["type"] == "header"
        assert "outage" in json.dumps(slack_body["blocks"])
        log = client.get(f"/api/channels/{slack_channel['id']}/deliveries", headers=admin).json()["deliveries"]
        row = next(r for r in log if r["kind"] == "alert")
        assert (row["status"], row["attempts"], row["code"]) == ("delivered", 3, 200)
        answers = json.dumps(
            [client.get("/api/channels", headers=admin).json(), log, client.get("/api/tracked").json()]
        )
        assert hook.url not in answers and slack.url not in answers and secret not in answers
    stack_log = (ARTIFACTS / "delivery-stack.log").read_text()
    assert "delivery: alert spike 'kubelet' -> webhook 'ops': delivered" in stack_log
    assert hook.url not in stack_log and slack.url not in stack_log and secret not in stack_log

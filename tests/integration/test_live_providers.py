"""The local stack against a loopback fake provider server: live posts, retries, fallback, timeouts, incremental scans.

One stack for the module, chain ``socialdata,simulated``, a 3 s fetch budget. Scenarios run in order because a
402 opens the worker's circuit for SocialData (it is last).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from social_analytics.models import isoformat_z

from local_stack.stack import LocalStack, wait_until
from tests.conftest import ARTIFACTS
from tests.fakes.provider_server import FakeProviderServer, Reply

BUDGET_SECONDS = 3


@pytest.fixture(scope="module")
def fake():
    with FakeProviderServer(posts=120) as server:
        yield server


@pytest.fixture(scope="module")
def stack(fake):
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "local-stack-live.log").open("w") as log:
        environment = {
            **fake.env(),
            "PROVIDERS": "socialdata,simulated",
            "FETCH_BUDGET_SECONDS": str(BUDGET_SECONDS),
            # anonymous searches against the paid fake (tests/integration/test_spend.py covers the default)
            "PAID_FOR_ANONYMOUS": "true",
            "PAID_DAILY_BUDGET_USD": "1000",
        }
        # A long visibility timeout, as in AWS: a job slower than 2 s (a Retry-After wait) must not be delivered
        # to a second worker while it runs, or that duplicate fetch would consume the next test's scripted reply.
        with LocalStack(port=0, environment=environment, log=log, visibility_timeout=60) as running:
            yield running


@pytest.fixture(scope="module")
def api(stack):
    with httpx.Client(base_url=stack.base_url, timeout=15) as client:
        yield client


def analyze(api: httpx.Client, keyword: str, **extra) -> dict:
    queued = api.post("/api/analyses", json={"keyword": keyword, **extra})
    assert queued.status_code == 202, queued.text

    def finished():
        body = api.get(queued.json()["status_url"]).json()
        return body if body["status"] in ("done", "failed") else None

    body = wait_until(finished, timeout=45, interval=0.1)
    assert body, "the job did not finish"
    assert body["status"] == "done", body
    return body["result"]


def served_timestamps(fake: FakeProviderServer, count: int) -> list[str]:
    return [isoformat_z(fake.now - timedelta(minutes=n + 1)) for n in range(count)]


def test_posts_come_from_the_live_provider_with_exact_counts_and_timestamps(api, fake):
    result = analyze(api, f"serverless -nope{uuid.uuid4().hex[:6]}", limit=50)

    source = result["source"]
    assert source["provider"] == "socialdata" and source["simulated"] is False
    assert [a["provider"] for a in source["attempts"]] == ["socialdata"]
    assert source["attempts"][0]["outcome"] == "ok"
    assert source["cost_estimate_usd"] > 0
    assert result["posts_analyzed"] == 50
    assert sum(bucket["posts"] for bucket in result["timeline"]) == 50
    # the sample is the newest 50, newest first: exactly what the fake served
    assert [p["created_at"] for p in result["posts"]] == served_timestamps(fake, 50)
    assert all(p["id"].startswith("socialdata:") for p in result["posts"])


def test_a_refresh_fetches_only_newer_posts_and_keeps_the_window(api, fake):
    keyword = f"serverless -incremental{uuid.uuid4().hex[:6]}"  # unique, and matched by the fake's posts
    first = analyze(api, keyword, limit=30)
    assert first["source"]["incremental"] is False
    before = len(fake.request_log)

    again = analyze(api, keyword, limit=30, refresh=True)

    queries = [query.get("query", [""])[0] for route, _, query in fake.request_log[before:] if route == "socialdata"]
    newest_id = 1_900_000_000_000_000_000  # the fake's newest tweet id
    assert queries and all(f"since_id:{newest_id}" in q for q in queries), queries
    assert again["source"]["incremental"] is True and again["source"]["provider"] == "socialdata"
    assert "incremental: 0 new, 30 kept" in again["source"]["attempts"][0]["reason"]
    assert again["posts_analyzed"] == 30
    assert [p["created_at"] for p in again["posts"]] == served_timestamps(fake, 30)


def test_a_429_then_200_is_retried(api, fake):
    fake.script("socialdata", Reply(429, {"status": "error", "message": "Too many requests"}, {"Retry-After": "1"}))
    before = fake.requests["socialdata"]

    result = analyze(api, f"serverless -retry{uuid.uuid4().hex[:6]}", limit=20)

    attempt = result["source"]["attempts"][0]
    assert result["source"]["provider"] == "socialdata" and result["source"]["simulated"] is False
    assert attempt["outcome"] == "ok" and attempt["retries"] == 1 and "rate_limited" in attempt["reason"]
    assert fake.requests["socialdata"] - before == 2  # the 429 and the page that worked
    assert result["posts_analyzed"] == 20


def test_a_hanging_provider_times_out_within_the_budget_and_the_next_provider_answers(api, fake):
    fake.script("socialdata", Reply(hang=True))

    result = analyze(api, f"hang {uuid.uuid4().hex[:6]}", limit=20)

    socialdata, simulated = result["source"]["attempts"]
    assert socialdata["provider"] == "socialdata" and socialdata["outcome"] == "failed"
    assert socialdata["reason"].startswith("timeout")
    assert socialdata["elapsed_ms"] < (BUDGET_SECONDS + 2) * 1000  # the budget plus the chain's 1 s grace
    assert simulated["provider"] == "simulated" and simulated["outcome"] == "ok"
    assert result["source"]["provider"] == "simulated" and result["source"]["simulated"] is True
    assert result["posts_analyzed"] == 20


def test_a_402_falls_back_with_the_reason_in_attempts(api, fake):
    fake.script("socialdata", Reply(402, {"status": "error", "message": "Insufficient balance"}))

    result = analyze(api, f"payment {uuid.uuid4().hex[:6]}", limit=20)

    socialdata, simulated = result["source"]["attempts"]
    assert socialdata["outcome"] == "failed" and socialdata["reason"].startswith("payment_required")
    assert "Insufficient balance" not in str(result["source"])  # the provider's own words stay in the logs
    assert simulated["outcome"] == "ok"
    assert result["source"]["provider"] == "simulated" and result["source"]["simulated"] is True
    assert all(p["id"].startswith("simulated:") for p in result["posts"])

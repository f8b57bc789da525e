"""Spend control on the real local stack against the loopback fake providers (SocialData, X, Mastodon).

* A flood of anonymous keywords, with ``PAID_FOR_ANONYMOUS=true`` and a tiny daily budget, costs at most the budget
  *as the provider counts it* (tweets it served), then answers from the free source with ``budget_exhausted`` in
  the provenance; X, 25x dearer, is never asked (not needed beside SocialData, not a fallback when it is refused).
* By default anonymous searches never reach a paid provider.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from local_stack.stack import LocalStack, wait_until
from tests.conftest import ARTIFACTS
from tests.fakes.provider_server import FakeProviderServer

BUDGET_USD = 0.03
PRICE = 0.0002  # SocialData, per tweet served
LIMIT = 20  # one SocialData page: each job reserves (20 + 20) x $0.0002 = $0.008 and costs $0.004
FLOOD = 15


def _stack(fake: FakeProviderServer, name: str, **environment: str):
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / f"local-stack-{name}.log").open("w")
    env = {**fake.env(), "PROVIDERS": "socialdata,x,mastodon", "FETCH_BUDGET_SECONDS": "5", **environment}
    return LocalStack(port=0, environment=env, log=log, visibility_timeout=60), log


def _analyze(api: httpx.Client, keyword: str) -> dict:
    queued = api.post("/api/analyses", json={"keyword": keyword, "limit": LIMIT})
    assert queued.status_code == 202, queued.text

    def finished():
        body = api.get(queued.json()["status_url"]).json()
        return body if body["status"] in ("done", "failed") else None

    body = wait_until(finished, timeout=60, interval=0.2)
    assert body and body["status"] == "done", body
    return body["result"]


def _attempt(result: dict, provider: str) -> dict:
    return next(a for a in result["source"]["attempts"] if a["provider"] == provider)


def test_a_flood_of_anonymous_keywords_spends_at_most_the_budget_then_answers_from_free_sources():
    with FakeProviderServer(posts=120) as fake:
        stack, log = _stack(fake, "spend-flood", PAID_FOR_ANONYMOUS="true", PAID_DAILY_BUDGET_USD=str(BUDGET_USD))
        with log, stack as running, httpx.Client(base_url=running.base_url, timeout=15) as api:
            keywords = [f"serverless -flood{uuid.uuid4().hex[:8]}" for _ in range(FLOOD)]
            with ThreadPoolExecutor(max_workers=FLOOD) as pool:
                results = list(pool.map(lambda k: _analyze(api, k), keywords))
            metrics = api.get("/api/metrics").json()

        # What the provider served (and would bill) stays within the day's budget.
        served_cost = fake.requests["socialdata"] * 20 * PRICE
        assert 0 < served_cost <= BUDGET_USD + 1e-9, fake.requests
        assert fake.requests["x"] == 0  # a skipped cheaper provider never hands the job to X

        paid = [r for r in results if _attempt(r, "socialdata")["outcome"] == "ok"]
        refused = [r for r in results if _attempt(r, "socialdata")["reason"].startswith("budget_exhausted")]
        assert paid and refused and len(paid) + len(refused) == FLOOD
        assert sum(r["source"]["cost_estimate_usd"] for r in paid) <= BUDGET_USD + 1e-9
        for result in paid:  # SocialData answered: X (the same posts at 25x the price) is not needed
            assert "socialdata" in result["source"]["provider"].split(",")
            assert _attempt(result, "x")["reason"].startswith("paid_not_needed")
        for result in refused:
            socialdata = _attempt(result, "socialdata")
            assert socialdata["outcome"] == "skipped"
            assert _attempt(result, "x")["reason"].startswith("paid_fallback_disabled")
            # the free source still answers, with live (not simulated) posts
            assert result["source"]["provider"] == "mastodon" and result["source"]["simulated"] is False
            assert result["posts_analyzed"] > 0 and result["source"]["cost_estimate_usd"] == 0

        spend = metrics["spend"]
        assert spend["budget_usd_per_provider"] == BUDGET_USD
        socialdata_spend = spend["providers"]["socialdata"]
        # reservations settled to the actual cost: the counter matches what the provider served
        assert socialdata_spend["spent_usd"] == pytest.approx(served_cost)
        assert socialdata_spend["budget_usd"] == BUDGET_USD
        assert spend["providers"]["x"]["spent_usd"] == 0


def test_anonymous_searches_never_reach_a_paid_provider_by_default():
    with FakeProviderServer(posts=60) as fake:
        stack, log = _stack(fake, "spend-default")
        with log, stack as running, httpx.Client(base_url=running.base_url, timeout=15) as api:
            results = [_analyze(api, f"serverless -anonymous{uuid.uuid4().hex[:8]}") for _ in range(3)]
            spend = api.get("/api/metrics").json()["spend"]

        assert fake.requests["socialdata"] == 0 and fake.requests["x"] == 0
        for result in results:
            for provider in ("socialdata", "x"):
                attempt = _attempt(result, provider)
                assert attempt["outcome"] == "skipped" and attempt["reason"].startswith("paid_not_allowed")
            assert result["source"]["provider"] == "mastodon" and result["posts_analyzed"] > 0
        assert spend["providers"]["socialdata"]["spent_usd"] == 0

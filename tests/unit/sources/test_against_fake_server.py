"""Adapters and the chain against the loopback fake provider server (real HTTP on 127.0.0.1, no network)."""

from __future__ import annotations

import httpx
import pytest
from social_analytics.analyses.sources.bluesky import InMemorySessionStore
from social_analytics.analyses.sources.breaker import CircuitBreaker
from social_analytics.analyses.sources.chain import fetch_with_fallback
from social_analytics.analyses.sources.credentials import load_provider_config
from social_analytics.analyses.sources.registry import build_adapters
from social_analytics.models import TimeWindow

from tests.fakes.mock_http import Sleeps, run
from tests.fakes.provider_server import FakeProviderServer, Reply


@pytest.fixture
def fake():
    with FakeProviderServer(posts=120) as server:
        yield server


def outcome_for(fake, providers, limit=50, budget_seconds=10.0, request_timeout=5.0):
    config = load_provider_config(fake.env())

    async def go():
        async with httpx.AsyncClient() as client:
            adapters = build_adapters(providers, config, client, session_store=InMemorySessionStore())
            return await fetch_with_fallback(
                adapters, "serverless", TimeWindow.last_hours(24), limit, budget_seconds, CircuitBreaker(),
                sleep=Sleeps(), request_timeout=request_timeout,
            )  # fmt: skip

    return run(go())


@pytest.mark.parametrize("provider", ["socialdata", "x", "bluesky", "mastodon"])
def test_each_provider_fetches_live_posts(fake, provider):
    outcome = outcome_for(fake, [provider])
    assert outcome.source["provider"] == provider and len(outcome.posts) == 50
    assert outcome.source["simulated"] is False and provider in outcome.cursors


def test_mastodon_dedupes_the_overlapping_instances(fake):
    outcome = outcome_for(fake, ["mastodon"], limit=1000)
    assert len(outcome.posts) == len({p.id for p in outcome.posts}) == 120 + 60
    assert "<" not in outcome.posts[0].text


def test_scripted_429_then_500_are_retried(fake):
    fake.script("x", Reply(429, headers={"Retry-After": "1"}), Reply(503, body="busy"))
    outcome = outcome_for(fake, ["x"])
    assert outcome.source["attempts"][0]["retries"] == 2 and len(outcome.posts) == 50
    assert fake.requests["x"] == 3


def test_402_falls_to_the_next_provider(fake):
    fake.script("socialdata", Reply(402, {"status": "error", "message": "Insufficient balance"}))
    outcome = outcome_for(fake, ["socialdata", "x"])
    assert [a["outcome"] for a in outcome.source["attempts"]] == ["failed", "ok"]
    assert fake.requests["socialdata"] == 1 and outcome.source["cost_estimate_usd"] == pytest.approx(50 * 0.005)


def test_malformed_json_and_a_hanging_server(fake):
    fake.script("socialdata", Reply(200, body="{oops"))
    fake.script("x", *[Reply(hang=True) for _ in range(4)])  # the first try and 3 retries
    outcome = outcome_for(fake, ["socialdata", "x", "mastodon"], request_timeout=0.3, budget_seconds=3.0)
    reasons = [a["reason"] for a in outcome.source["attempts"]]
    assert reasons[0].startswith("bad_response") and reasons[1].startswith("timeout")
    assert outcome.source["provider"] == "mastodon"


def test_bluesky_logs_in_once_and_refreshes(fake):
    config = load_provider_config(fake.env())

    async def go():
        async with httpx.AsyncClient() as client:
            adapter = build_adapters(["bluesky"], config, client, session_store=InMemorySessionStore())[0]
            await adapter.fetch("serverless", TimeWindow.last_hours(24), 10)
            fake.expire_bluesky_access()
            await adapter.fetch("serverless", TimeWindow.last_hours(24), 10)

    run(go())
    assert fake.requests["bluesky.createSession"] == 1 and fake.requests["bluesky.refreshSession"] == 1

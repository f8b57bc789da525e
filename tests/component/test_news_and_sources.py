"""News beside social through the API and the worker (in-process, moto) against the loopback fakes of GDELT, Google
News and Hacker News: the articles are their own rows with the usual figures, GDELT's tone is a series apart, a 429
from GDELT is a recorded partial while the others' posts are used, and GET /api/sources says so after one job."""

from __future__ import annotations

import pytest

from tests.conftest import sqs_event
from tests.fakes.provider_server import FakeProviderServer, Reply

SOURCES = "gdelt,googlenews,hackernews"


@pytest.fixture
def fake(monkeypatch, aws):
    server = FakeProviderServer(posts=30)
    server.news_count = 25
    server.start()
    for name, value in {**server.env(), "PROVIDERS": SOURCES}.items():
        monkeypatch.setenv(name, value)
    from social_analytics import composition

    composition.reset()
    yield server
    server.stop()


def run_job(call_api, queue_messages, lambda_context, keyword: str) -> dict:
    from social_analytics.handlers import worker

    status, body = call_api("POST", "/api/analyses", {"keyword": keyword})
    assert status == 202, body
    worker.handler(sqs_event(queue_messages(visibility=30)), lambda_context)
    status, job = call_api("GET", body["status_url"])
    assert job["status"] == "done", job
    return job["result"]


def sources_by_name(call_api) -> dict:
    status, body = call_api("GET", "/api/sources")
    assert status == 200, body
    return {row["provider"]: row for row in body["sources"]}


def test_news_articles_are_their_own_rows_and_the_tone_is_a_series_apart(fake, call_api, queue_messages,
                                                                         lambda_context):  # fmt: skip
    result = run_job(call_api, queue_messages, lambda_context, "serverless")

    rows = {row["provider"]: row for row in result["source"]["providers"]}
    assert set(rows) == {"gdelt", "googlenews", "hackernews"}
    assert rows["gdelt"]["channel"] == rows["googlenews"]["channel"] == "news"
    assert rows["hackernews"]["channel"] == "social"
    for name in ("gdelt", "googlenews"):
        row = rows[name]
        assert row["outcome"] == "ok" and row["posts"] > 0 and row["fetched"] == 25
        assert set(row) >= {"covered_from", "covered_to", "posts_per_hour", "estimated_posts_in_window", "basis",
                            "ms", "cost_estimate_usd", "sentiment", "requests"}  # fmt: skip
        labels = row["sentiment"]
        assert labels["positive"] + labels["neutral"] + labels["negative"] <= row["posts"]  # scored like posts
    assert rows["gdelt"]["requests"] == 3 and rows["googlenews"]["requests"] == 1
    assert rows["gdelt"]["reported_total"] == 25  # GDELT's timelinevolraw
    assert rows["gdelt"]["cost_estimate_usd"] == 0.0

    headlines = [p for p in result["posts"] if p["kind"] == "headline"]
    assert {p["provider"] for p in headlines} == {"gdelt", "googlenews"}
    assert all(p["provider"] == p["id"].split(":")[0] for p in result["posts"])
    assert all(p["kind"] == "post" for p in result["posts"] if p["provider"] == "hackernews")

    tone = result["news_tone"]
    assert tone["provider"] == "gdelt" and tone["name"] == "news tone" and "GDELT" in tone["scale"]
    assert len(tone["points"]) >= 90 and all(set(p) == {"start", "value"} for p in tone["points"])
    # Never mixed into our sentiment: the timeline's means are ours, the tone values GDELT's.
    assert all(-1.0 <= bucket["mean_compound"] <= 1.0 for bucket in result["timeline"])
    assert any(abs(p["value"]) > 1.0 for p in tone["points"])

    health = sources_by_name(call_api)
    for name in ("gdelt", "googlenews", "hackernews"):
        assert health[name]["status"] == "ok" and health[name]["last_success"] and health[name]["configured"]
        assert health[name]["today"]["jobs"] == 1 and health[name]["today"]["posts"] == rows[name]["posts"]
    assert health["gdelt"]["today"]["requests"] == 3 and health["gdelt"]["covers"] == "news"


def test_a_gdelt_429_is_a_recorded_partial_and_the_sources_route_says_so(fake, call_api, queue_messages,
                                                                        lambda_context):  # fmt: skip
    fake.script("gdelt", Reply(429, "Too Many Requests", headers={"Content-Type": "text/plain", "Retry-After": "90"}))
    result = run_job(call_api, queue_messages, lambda_context, "serverless")

    rows = {row["provider"]: row for row in result["source"]["providers"]}
    assert rows["gdelt"]["outcome"] == "failed" and rows["gdelt"]["error_code"] == "rate_limited"
    assert rows["gdelt"]["reason"].startswith("rate_limited: the provider is rate limiting us")
    assert fake.requests["gdelt"] == 1  # not retried inside the job
    assert rows["hackernews"]["posts"] > 0 and rows["googlenews"]["posts"] > 0  # the others' posts are used
    assert result["posts_analyzed"] == rows["hackernews"]["posts"] + rows["googlenews"]["posts"]
    assert result["volume"]["sources_missing"] == ["gdelt"] and result["coverage"]["complete"] is False
    assert result["news_tone"] is None

    health = sources_by_name(call_api)
    gdelt = health["gdelt"]
    assert gdelt["status"] == "rate_limited" and gdelt["rate_limited"] is True and gdelt["rate_limited_until"]
    assert gdelt["last_failure"]["code"] == "rate_limited"
    assert gdelt["last_failure"]["reason"] == rows["gdelt"]["reason"]
    assert "Too Many" not in str(gdelt)  # the provider's own words are never republished
    assert gdelt["today"]["failures"] == 1 and gdelt["today"]["requests"] == 1
    assert health["googlenews"]["status"] == "ok"


def test_the_sources_route_lists_every_source_without_secrets(aws, call_api, monkeypatch):
    monkeypatch.setenv("SOCIALDATA_API_KEY", "sd-secret-value-123")
    monkeypatch.setenv("PROVIDERS", "")
    from social_analytics import settings

    settings.reset()
    status, body = call_api("GET", "/api/sources")
    assert status == 200
    rows = {row["provider"]: row for row in body["sources"]}
    from social_analytics.analyses.sources.catalog import KNOWN_PROVIDERS

    assert list(rows) == list(KNOWN_PROVIDERS)
    assert rows["socialdata"]["configured"] is True and rows["socialdata"]["enabled_by"] == ["SOCIALDATA_API_KEY"]
    assert rows["x"]["configured"] is False and rows["x"]["status"] == "not_configured"
    assert rows["gdelt"]["enabled_by"] is None and rows["gdelt"]["keyless"] is True
    assert rows["mastodon"]["covers"] == "hashtags_only" and rows["simulated"]["covers"] == "simulated"
    assert all(row["status"] in ("unknown", "not_configured") for row in rows.values())
    assert "sd-secret-value-123" not in str(body)

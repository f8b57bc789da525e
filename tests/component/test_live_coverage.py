"""Fanned-out jobs through the API and the worker (in-process, moto) against the loopback fake providers:
merged sources, coverage, volume, per-source rows, uncovered timeline buckets and share of voice by estimate."""

from __future__ import annotations

import pytest

from tests.conftest import sqs_event
from tests.fakes.provider_server import FakeProviderServer

FIVE = "socialdata,bluesky,mastodon,hackernews,lemmy,simulated"


@pytest.fixture
def use_fake(monkeypatch):
    """Point every source at a fake (a new one per call, e.g. to change how often the keyword is posted)."""
    started: list[FakeProviderServer] = []

    def use(providers: str = FIVE, **options) -> FakeProviderServer:
        fake = FakeProviderServer(**options)
        fake.start()
        started.append(fake)
        # anonymous searches here use the paid fake too (tests/component/test_spend.py covers the default)
        paid = {"PAID_FOR_ANONYMOUS": "true", "PAID_DAILY_BUDGET_USD": "1000"}
        for name, value in {**fake.env(), "PROVIDERS": providers, "MASTODON_TRENDS": "false", **paid}.items():
            monkeypatch.setenv(name, value)
        from social_analytics import settings

        settings.reset()
        return fake

    yield use
    for fake in started:
        fake.stop()


def run_job(call_api, queue_messages, lambda_context, keyword: str, **request) -> dict:
    from social_analytics.handlers import worker

    status, body = call_api("POST", "/api/analyses", {"keyword": keyword, **request})
    assert status == 202, body
    worker.handler(sqs_event(queue_messages(visibility=30)), lambda_context)
    status, job = call_api("GET", body["status_url"])
    assert job["status"] == "done", job
    return job["result"]


def test_one_job_holds_every_source_with_rows_coverage_and_volume(use_fake, call_api, queue_messages, lambda_context):
    use_fake(posts=30)
    result = run_job(call_api, queue_messages, lambda_context, "serverless")

    source = result["source"]
    assert source["simulated"] is False
    assert source["provider"] == "socialdata,bluesky,mastodon,hackernews,lemmy"
    rows = {row["provider"]: row for row in source["providers"]}
    assert set(rows) == {"socialdata", "bluesky", "mastodon", "hackernews", "lemmy"}
    assert sum(row["posts"] for row in rows.values()) == result["posts_analyzed"] == 180
    for row in rows.values():
        assert row["outcome"] == "ok" and row["complete"] is True
        assert set(row) >= {"covered_from", "covered_to", "posts_per_hour", "ms", "cost_estimate_usd", "sentiment"}
        labels = row["sentiment"]
        assert labels["positive"] + labels["neutral"] + labels["negative"] == row["posts"]
    assert rows["socialdata"]["cost_estimate_usd"] == pytest.approx(30 * 0.0002)
    assert [a["provider"] for a in source["attempts"]] == list(rows)  # source.attempts stays, one per source
    assert {p["id"].split(":")[0] for p in result["posts"]} <= set(rows)

    # Every source returned everything in the window: exact counts, whole window covered.
    assert result["volume"]["basis"] == "complete"
    assert result["volume"]["estimated_posts_in_window"] == result["volume"]["observed_posts"] == 180
    assert result["coverage"]["complete"] is True
    assert result["coverage"]["covered_from"] == result["coverage"]["window_from"] == result["window"]["start"]
    assert all(bucket["covered"] for bucket in result["timeline"])


def test_buckets_before_the_covered_span_are_not_covered(use_fake, call_api, queue_messages, lambda_context):
    use_fake("socialdata", posts=500, minutes_between=1.0, keyword="busy")
    result = run_job(call_api, queue_messages, lambda_context, "busy", limit=100)  # 100 posts: the last 100 minutes

    coverage = result["coverage"]
    assert coverage["complete"] is False and coverage["covered_from"] > coverage["window_from"]
    uncovered = [b for b in result["timeline"] if not b["covered"]]
    covered = [b for b in result["timeline"] if b["covered"]]
    assert len(uncovered) >= 21 and 2 <= len(covered) <= 3
    assert all(b["start"] < coverage["covered_from"] for b in uncovered)
    assert all(b["posts"] == 0 for b in uncovered)
    assert result["volume"]["basis"] == "rate"
    assert result["volume"]["estimated_posts_in_window"] == pytest.approx(1440, rel=0.05)  # one a minute, 24 h


def test_share_of_voice_follows_the_estimate_not_the_limit(use_fake, call_api, queue_messages, lambda_context):
    sources = "socialdata,bluesky,mastodon,lemmy"
    use_fake(sources, posts=400, minutes_between=1.0, keyword="kubernetes")
    busy = run_job(call_api, queue_messages, lambda_context, "kubernetes", limit=50)
    use_fake(sources, posts=400, minutes_between=10.0, keyword="podman")
    quiet = run_job(call_api, queue_messages, lambda_context, "podman", limit=50)
    assert busy["posts_analyzed"] == quiet["posts_analyzed"]  # both stopped at the limit of every source

    status, body = call_api("GET", "/api/compare", query={"keywords": "kubernetes,podman"})
    assert status == 200
    rows = {row["key"]: row for row in body["keywords"]}
    assert rows["kubernetes"]["volume"] == rows["podman"]["volume"]
    ratio = rows["kubernetes"]["estimated_posts_in_window"] / rows["podman"]["estimated_posts_in_window"]
    assert ratio == pytest.approx(10, rel=0.15)
    assert rows["kubernetes"]["share"] == pytest.approx(10 / 11, abs=0.02)
    assert body["basis"] == "rate" and rows["podman"]["basis"] == "rate"


def test_compare_of_complete_results_is_exact(use_fake, call_api, queue_messages, lambda_context):
    use_fake("socialdata,hackernews", posts=20, keyword="alpha")
    run_job(call_api, queue_messages, lambda_context, "alpha")
    use_fake("socialdata", posts=20, keyword="beta")
    run_job(call_api, queue_messages, lambda_context, "beta")
    _, body = call_api("GET", "/api/compare", query={"keywords": "alpha,beta"})
    rows = {row["key"]: row for row in body["keywords"]}
    assert (rows["alpha"]["estimated_posts_in_window"], rows["beta"]["estimated_posts_in_window"]) == (40, 20)
    assert body["basis"] == "complete" and rows["alpha"]["share"] == pytest.approx(2 / 3, abs=1e-3)


def test_a_request_names_its_sources_and_unknown_ones_are_refused(
    use_fake, call_api, queue_messages, lambda_context, monkeypatch
):
    from social_analytics import settings

    monkeypatch.setenv("ADMIN_TOKEN", "test-admin-token-0123456789")
    settings.reset()  # the handler's cold start may have read the admin settings before the token was set
    use_fake(posts=20, keyword="named")
    result = run_job(call_api, queue_messages, lambda_context, "named", providers=["HackerNews", "lemmy"])
    assert [row["provider"] for row in result["source"]["providers"]] == ["hackernews", "lemmy"]

    status, body = call_api("POST", "/api/analyses", {"keyword": "x", "providers": ["reddit"]})
    assert status == 422 and "reddit" in str(body)
    status, body = call_api(
        "POST", "/api/tracked", {"keyword": "x", "interval_minutes": 60, "providers": ["myspace"]},
        headers={"Authorization": "Bearer test-admin-token-0123456789"},
    )  # fmt: skip
    assert status == 422 and "myspace" in str(body)


def test_each_source_continues_from_its_own_stored_window(use_fake, call_api, queue_messages, lambda_context):
    fake = use_fake("socialdata,hackernews", posts=30, keyword="again")
    first = run_job(call_api, queue_messages, lambda_context, "again")
    assert first["source"]["incremental"] is False
    again = run_job(call_api, queue_messages, lambda_context, "again", refresh=True)
    assert again["source"]["incremental"] is True
    reasons = {a["provider"]: a["reason"] for a in again["source"]["attempts"]}
    assert "incremental: 0 new, 30 kept" in reasons["socialdata"]
    assert "incremental: 0 new, 30 kept" in reasons["hackernews"]
    assert again["posts_analyzed"] == first["posts_analyzed"] == 60
    last_hn = [q for route, _, q in fake.request_log if route == "hackernews"][-1]
    assert last_hn["numericFilters"][0].startswith("created_at_i>") and ">=" not in last_hn["numericFilters"][0]


def test_an_explicit_providers_setting_bounds_what_a_request_may_name(aws, call_api, queue_messages, lambda_context):
    # The test environment sets PROVIDERS=simulated: a request naming Mastodon must not reach the network.
    result = run_job(call_api, queue_messages, lambda_context, "bounded", providers=["mastodon", "simulated"])
    first = result["source"]["attempts"][0]
    assert first["provider"] == "mastodon" and first["outcome"] == "skipped"
    assert "not enabled here" in first["reason"]
    assert result["source"]["simulated"] is True and result["source"]["providers"][0]["outcome"] == "skipped"

"""Fan-out against the loopback fake of SocialData, Bluesky, Mastodon, Hacker News and Lemmy at once (real HTTP)."""

from __future__ import annotations

import httpx
import pytest
from social_analytics.analyses.sources.bluesky import InMemorySessionStore
from social_analytics.analyses.sources.breaker import CircuitBreaker
from social_analytics.analyses.sources.credentials import load_provider_config
from social_analytics.analyses.sources.fanout import fetch_fanout
from social_analytics.analyses.sources.registry import build_adapters
from social_analytics.models import TimeWindow

from tests.fakes.mock_http import Sleeps, run
from tests.fakes.provider_server import BLUESKY_HANDLE, MASTODON_TOKEN, FakeProviderServer, Reply

FIVE = ["socialdata", "bluesky", "mastodon", "hackernews", "lemmy", "simulated"]


@pytest.fixture
def fake():
    with FakeProviderServer(posts=30) as server:
        yield server


def fan_out(fake, providers=FIVE, limit=100, budget_seconds=10.0, env=None):
    config = load_provider_config({**fake.env(), **(env or {})})

    async def go():
        async with httpx.AsyncClient() as client:
            adapters = build_adapters(providers, config, client, session_store=InMemorySessionStore())
            return await fetch_fanout(
                adapters, "serverless", TimeWindow.last_hours(24), limit, budget_seconds, CircuitBreaker(),
                sleep=Sleeps(), request_timeout=1.0, max_retries=1, base_delay=0.01,
            )  # fmt: skip

    return run(go())


def rows_of(outcome) -> dict[str, dict]:
    return {row["provider"]: row for row in outcome.source["providers"]}


def test_one_job_merges_all_five_sources_each_post_labelled_and_the_rows_add_up(fake):
    outcome = fan_out(fake)
    rows = rows_of(outcome)
    # Mastodon's and Lemmy's two instances overlap by half: 30 + 15 distinct posts each.
    expected = {"socialdata": 30, "bluesky": 30, "mastodon": 45, "hackernews": 30, "lemmy": 45}
    assert {name: rows[name]["posts"] for name in expected} == expected
    assert "simulated" not in rows and outcome.source["simulated"] is False
    assert sum(row["posts"] for row in rows.values()) == len(outcome.posts) == sum(expected.values())
    assert {p.provider for p in outcome.posts} == set(expected)
    assert outcome.source["provider"] == "socialdata,bluesky,mastodon,hackernews,lemmy"
    assert all(row["outcome"] == "ok" and row["complete"] for row in rows.values())
    assert rows["bluesky"]["account"] == BLUESKY_HANDLE  # whose view of Bluesky this is
    assert rows["hackernews"]["reported_total"] == 30
    assert outcome.volume["basis"] == "complete" and outcome.volume["estimated_posts_in_window"] == 180
    assert outcome.coverage["complete"] is True
    assert not any("<" in p.text for p in outcome.posts if p.provider == "hackernews")
    assert set(outcome.cursors) == set(expected)


@pytest.mark.parametrize(
    ("route", "reply", "reason"),
    [
        ("hackernews", Reply(500, {"message": "boom"}), "unavailable"),
        ("hackernews", Reply(hang=True), "timeout"),
        ("hackernews", Reply(200, body="{not json"), "bad_response"),
        ("socialdata", Reply(500, {"status": "error", "message": "boom"}), "unavailable"),
        ("bluesky.search", Reply(200, body=[1, 2]), "bad_response"),
    ],
)
def test_one_failing_fake_changes_only_its_own_row(fake, route, reply, reason):
    healthy = rows_of(fan_out(fake))
    fake.script(route, *[reply] * 3)  # the first try and the retry
    outcome = fan_out(fake, budget_seconds=4.0)
    rows = rows_of(outcome)
    broken = route.split(".")[0]
    assert rows[broken]["outcome"] == "failed" and rows[broken]["reason"].startswith(reason)
    assert rows[broken]["posts"] == 0
    for name, row in rows.items():
        if name != broken:
            assert (row["outcome"], row["posts"]) == ("ok", healthy[name]["posts"]), name
    assert outcome.source["simulated"] is False and outcome.coverage["complete"] is False
    assert outcome.volume["sources_missing"] == [broken]


def test_capped_sources_estimate_the_window_from_their_rate(fake):
    outcome = fan_out(fake, providers=["socialdata", "hackernews"], limit=10)
    rows = rows_of(outcome)
    # One post a minute: 10 posts cover ~11 minutes (at least 15 are assumed) -> about 40 an hour.
    assert rows["socialdata"]["complete"] is False and rows["socialdata"]["basis"] == "rate"
    assert rows["socialdata"]["estimated_posts_in_window"] == 10 * 4 * 24
    assert rows["hackernews"]["basis"] == "reported" and rows["hackernews"]["estimated_posts_in_window"] == 30
    assert outcome.volume["basis"] == "rate" and outcome.coverage["complete"] is False


def test_mastodon_status_search_and_trends_through_the_fake(fake):
    fake.trending["serverless"] = [50, 100]
    outcome = fan_out(fake, providers=["mastodon"], env={"MASTODON_ACCESS_TOKEN": MASTODON_TOKEN})
    assert fake.requests["mastodon.search"] >= 1 and fake.requests["mastodon.trends"] == 2
    assert len(outcome.posts) > 45  # search found posts the hashtag timelines do not carry
    row = rows_of(outcome)["mastodon"]
    assert row["reported_total"] > 0 and "trending tag" in row["reported_note"]


def test_with_nothing_reachable_each_attempt_fails_fast_and_simulated_answers_labelled():
    env = {
        "PROVIDERS": "", "MASTODON_INSTANCES": "http://127.0.0.1:9", "HACKERNEWS_BASE_URL": "http://127.0.0.1:9",
        "LEMMY_INSTANCES": "http://127.0.0.1:9", "GDELT_BASE_URL": "http://127.0.0.1:9",
        "GOOGLENEWS_BASE_URL": "http://127.0.0.1:9", "GDELT_MIN_INTERVAL_SECONDS": "0",
    }  # fmt: skip
    config = load_provider_config(env)

    async def go():
        async with httpx.AsyncClient() as client:
            adapters = build_adapters(None, config, client)
            return await fetch_fanout(adapters, "serverless", TimeWindow.last_hours(24), 20, 10.0, CircuitBreaker(),
                                      sleep=Sleeps(), max_retries=0)  # fmt: skip

    outcome = run(go())
    attempts = {a["provider"]: a for a in outcome.source["attempts"]}
    live = ["mastodon", "hackernews", "lemmy", "gdelt", "googlenews"]
    assert [a for a in attempts] == [*live, "simulated"]
    assert all(attempts[n]["outcome"] == "failed" for n in live)
    assert outcome.source["simulated"] is True and {p.provider for p in outcome.posts} == {"simulated"}

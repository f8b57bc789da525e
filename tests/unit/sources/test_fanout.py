"""Fan-out: every live source at once, merged and deduplicated, each source's row, coverage and volume arithmetic."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from social_analytics.analyses.sources.base import FetchResult, ProviderPaymentRequired, ProviderUnavailable
from social_analytics.analyses.sources.breaker import CircuitBreaker
from social_analytics.analyses.sources.fanout import fetch_fanout, merge_posts
from social_analytics.models import Post

from tests.fakes.mock_http import NOW, Sleeps, run, window


def post(provider: str, n: int, minutes_ago: float = 1.0, *, author: str = "", url: str | None = None, text=None):
    return Post(
        id=f"{provider}:{n}", text=text or f"serverless {provider} post {n}",
        created_at=NOW - timedelta(minutes=minutes_ago), provider=provider,
        author=author or f"{provider}-author-{n}", url=url,
    )  # fmt: skip


class Source:
    """A scripted source: answers posts (with optional completeness / reported total), raises, or sleeps."""

    def __init__(self, name, answer=(), *, simulated=False, complete=None, reported=None, delay=0.0, cursor=None):
        self.name, self.simulated, self.answer = name, simulated, answer
        self.complete, self.reported, self.delay, self.cursor = complete, reported, delay, cursor
        self.calls: list = []

    async def fetch(self, query, window, limit, *, cursor=None, budget=None):
        self.calls.append(cursor)
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(self.answer, BaseException):
            raise self.answer
        posts = list(self.answer)[:limit]
        return FetchResult(
            posts=posts, complete=self.complete, reported_total=self.reported, cursor=self.cursor,
            billable_items=len(posts),
        )  # fmt: skip


def fan(sources, limit=10, budget_seconds=5.0, **kwargs):
    kwargs.setdefault("sleep", Sleeps())
    return run(fetch_fanout(sources, "serverless", window(), limit, budget_seconds, CircuitBreaker(), **kwargs))


def test_merges_every_source_and_each_post_keeps_its_provider():
    outcome = fan(
        [
            Source("mastodon", [post("mastodon", 1, 1), post("mastodon", 2, 5)]),
            Source("hackernews", [post("hackernews", 1, 3)]),
            Source("lemmy", [post("lemmy", 1, 2)]),
            Source("simulated", [post("simulated", 1)], simulated=True),
        ]
    )
    assert [p.id for p in outcome.posts] == ["mastodon:1", "lemmy:1", "hackernews:1", "mastodon:2"]  # newest first
    source = outcome.source
    assert source["provider"] == "mastodon,hackernews,lemmy" and source["simulated"] is False
    assert [a["provider"] for a in source["attempts"]] == ["mastodon", "hackernews", "lemmy"]  # simulated not tried
    rows = {row["provider"]: row for row in source["providers"]}
    assert {name: row["posts"] for name, row in rows.items()} == {"mastodon": 2, "hackernews": 1, "lemmy": 1}
    assert sum(row["posts"] for row in rows.values()) == len(outcome.posts)


def test_duplicates_by_url_uri_or_author_and_text_are_removed_first_source_wins():
    shared = "https://lemmy.example/post/7"
    groups = [
        [post("mastodon", 1, url="https://m.example/@a/1"), Post(
            id=f"mastodon:{shared}", text="cross-posted", created_at=NOW, provider="mastodon", author="a@lemmy")],
        [post("lemmy", 7, url=shared), post("lemmy", 8, author="bob", text="Same  TEXT here")],
        [post("hackernews", 1, url="https://m.example/@a/1"),
         post("hackernews", 2, author="BOB", text="same text here")],
    ]  # fmt: skip
    merged = merge_posts(groups)
    assert sorted(p.id for p in merged) == ["lemmy:8", "mastodon:1", f"mastodon:{shared}"]
    # Same text by different authors is not a duplicate.
    assert len(merge_posts([[post("a", 1, author="x", text="hi")], [post("b", 1, author="y", text="hi")]])) == 2


def test_a_failing_or_hanging_source_changes_only_its_own_row():
    healthy = [Source("mastodon", [post("mastodon", 1)]), Source("lemmy", [post("lemmy", 1)])]
    baseline = fan(healthy)
    broken = fan([*healthy, Source("hackernews", ProviderUnavailable("hackernews: HTTP 500"))])
    hanging = fan([*healthy, Source("hackernews", [post("hackernews", 1)], delay=30)], budget_seconds=0.3)

    for outcome in (broken, hanging):
        assert [p.id for p in outcome.posts] == [p.id for p in baseline.posts]
        rows = {row["provider"]: row for row in outcome.source["providers"]}
        assert rows["hackernews"]["outcome"] == "failed" and rows["hackernews"]["posts"] == 0
        assert {k: rows[k]["posts"] for k in ("mastodon", "lemmy")} == {"mastodon": 1, "lemmy": 1}
    assert broken.source["providers"][2]["reason"] == "unavailable: the provider is unavailable"  # a fixed phrase
    assert hanging.source["providers"][2]["reason"].startswith("timeout")
    assert hanging.source["providers"][2]["ms"] < 10_000  # cut at the budget (plus grace), not after 30 s


def test_sources_run_concurrently():
    """Each source answers only once all five are in flight: asked one after another, they would all time out."""
    names = ("mastodon", "hackernews", "lemmy", "x", "bluesky")
    in_flight: set[str] = set()

    class Gathered(Source):
        async def fetch(self, query, window, limit, *, cursor=None, budget=None):
            in_flight.add(self.name)
            while len(in_flight) < len(names):
                await asyncio.sleep(0.01)
            return await super().fetch(query, window, limit, cursor=cursor, budget=budget)

    outcome = fan([Gathered(name, [post(name, 1)]) for name in names], budget_seconds=2.0)
    assert [a["outcome"] for a in outcome.source["attempts"]] == ["ok"] * 5 and len(outcome.posts) == 5


def test_simulated_answers_only_when_no_live_source_did_and_is_labelled():
    sim = Source("simulated", [post("simulated", i) for i in range(3)], simulated=True)
    outcome = fan([Source("x", ProviderPaymentRequired("x: HTTP 402")), sim])
    assert outcome.source["simulated"] is True and outcome.source["provider"] == "simulated"
    assert {p.provider for p in outcome.posts} == {"simulated"}
    assert outcome.coverage["complete"] is False and outcome.volume["sources_missing"] == ["x"]

    empty = fan([Source("mastodon", []), sim])
    assert empty.posts == [] and empty.source["simulated"] is False
    assert empty.source["attempts"][1]["outcome"] == "skipped"


def test_cursors_go_to_their_own_source_and_new_cursors_come_back():
    mastodon = Source("mastodon", [post("mastodon", 1)], cursor={"since_id:a": "9"})
    lemmy = Source("lemmy", [post("lemmy", 1)], cursor={"since": "2026-11-24T12:00:00Z"})
    outcome = fan([mastodon, lemmy], cursors={"lemmy": {"since": "old"}})
    assert mastodon.calls == [None] and lemmy.calls == [{"since": "old"}]
    assert outcome.cursors == {"mastodon": {"since_id:a": "9"}, "lemmy": {"since": "2026-11-24T12:00:00Z"}}


# ------------------------------------------------------------------ coverage and volume arithmetic


def test_capped_sources_extrapolate_their_rate_and_coverage_starts_at_the_latest_oldest_post():
    busy = [post("mastodon", n, minutes_ago=n + 1) for n in range(60)]  # 60 posts in the last hour: capped
    quiet = [post("lemmy", n, minutes_ago=60 * (n + 1)) for n in range(5)]  # 5 posts in 5 hours: everything
    outcome = fan([Source("mastodon", busy), Source("lemmy", quiet)], limit=60)
    rows = {row["provider"]: row for row in outcome.source["providers"]}
    assert rows["mastodon"]["complete"] is False and rows["mastodon"]["basis"] == "rate"
    assert rows["mastodon"]["covered_from"] == "2026-11-24T12:00:00Z"
    assert rows["mastodon"]["posts_per_hour"] == pytest.approx(60.0)
    assert rows["mastodon"]["estimated_posts_in_window"] == 60 * 24
    assert rows["lemmy"]["complete"] is True and rows["lemmy"]["basis"] == "complete"
    assert rows["lemmy"]["estimated_posts_in_window"] == 5
    assert rows["lemmy"]["covered_from"] == outcome.coverage["window_from"]

    coverage, volume = outcome.coverage, outcome.volume
    assert coverage["covered_from"] == "2026-11-24T12:00:00Z" and coverage["complete"] is False
    assert coverage["window_to"] == coverage["covered_to"] == "2026-11-24T13:00:00Z"
    assert volume == {
        "observed_posts": 65, "posts_per_hour": round((1440 + 5) / 24, 3), "estimated_posts_in_window": 1445,
        "basis": "rate", "sources_missing": [],
    }  # fmt: skip


def test_sources_that_returned_everything_give_an_exact_complete_count():
    outcome = fan([Source("mastodon", [post("mastodon", 1)]), Source("hackernews", [post("hackernews", 1)])])
    assert outcome.coverage["complete"] is True and outcome.coverage["covered_from"] == outcome.coverage["window_from"]
    assert outcome.volume["basis"] == "complete" and outcome.volume["estimated_posts_in_window"] == 2


def test_a_reported_total_beats_the_rate_and_the_weakest_basis_wins():
    capped = [post("hackernews", n, minutes_ago=n + 1) for n in range(10)]
    outcome = fan([Source("hackernews", capped, reported=500), Source("lemmy", [post("lemmy", 1)])], limit=10)
    rows = {row["provider"]: row for row in outcome.source["providers"]}
    assert rows["hackernews"]["basis"] == "reported" and rows["hackernews"]["estimated_posts_in_window"] == 500
    assert rows["hackernews"]["reported_total"] == 500
    assert outcome.volume["basis"] == "reported" and outcome.volume["estimated_posts_in_window"] == 501
    both = fan([Source("hackernews", capped, reported=500), Source("mastodon", capped)], limit=10)
    assert both.volume["basis"] == "rate"


def test_cost_is_counted_per_paid_source():
    outcome = fan([Source("socialdata", [post("socialdata", n) for n in range(10)]), Source("lemmy", [])])
    rows = {row["provider"]: row for row in outcome.source["providers"]}
    assert rows["socialdata"]["cost_estimate_usd"] == pytest.approx(10 * 0.0002)
    assert rows["lemmy"]["cost_estimate_usd"] == 0.0
    assert outcome.source["cost_estimate_usd"] == pytest.approx(10 * 0.0002)

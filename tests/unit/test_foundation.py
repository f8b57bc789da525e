"""Unit tests of the foundation's pure parts: no AWS, no network."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest
from social_analytics.analyses.sources.simulated import SimulatedAdapter, simulate_posts
from social_analytics.latency import bucket_midpoint, bucket_of, percentile
from social_analytics.models import AnalysisJob, TimeWindow, normalize_keyword
from social_analytics.schemas import AnalysisRequest

WINDOW = TimeWindow(start=datetime(2026, 11, 23, 12, tzinfo=UTC), end=datetime(2026, 11, 24, 12, tzinfo=UTC))


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Serverless", "serverless"),
        ("  serverless  ", "serverless"),
        ("Server   Less\t", "server less"),
        ("ＳＥＲＶＥＲＬＥＳＳ", "serverless"),  # fullwidth letters, NFKC
        ("Straße", "strasse"),  # casefold, not lower
        ("ﬁsh", "fish"),  # ligature
    ],
)
def test_normalize_keyword(raw, key):
    assert normalize_keyword(raw) == key


def test_job_message_round_trip():
    job = AnalysisJob("j1", "Coffee", "coffee", 100, 24, 1.5, kind="scan", providers=("mastodon", "simulated"))
    assert AnalysisJob.from_message(job.to_message()) == job


def test_simulated_posts_are_deterministic_for_a_keyword_and_window():
    first = simulate_posts("Serverless", WINDOW, 100)
    again = asyncio.run(SimulatedAdapter().fetch("Serverless", WINDOW, 100)).posts
    assert [(p.id, p.text, p.created_at) for p in first] == [(p.id, p.text, p.created_at) for p in again]


def test_simulated_posts_are_varied_and_inside_the_window():
    posts = simulate_posts("Serverless", WINDOW, 300)
    assert len(posts) == 300
    assert all(WINDOW.start <= post.created_at < WINDOW.end for post in posts)
    assert len({post.text for post in posts}) > 150
    assert len({post.author for post in posts}) > 50
    assert any(post.hashtags for post in posts) and any(post.likes > 0 for post in posts)
    assert all(post.provider == "simulated" and post.id.startswith("simulated:") for post in posts)
    # spread over the window: posts in at least 12 distinct hours
    assert len({post.created_at.replace(minute=0, second=0, microsecond=0) for post in posts}) >= 12


def test_simulated_sentiment_mix_differs_between_keywords():
    from social_analytics.scoring.summary import analyze

    shares = {
        keyword: analyze(simulate_posts(keyword, WINDOW, 200), keyword, WINDOW)["sentiment"]["positive"]
        for keyword in ("coffee", "tesla", "serverless", "python", "airline")
    }
    assert max(shares.values()) - min(shares.values()) >= 20


def test_percentiles_from_histogram_are_within_five_percent():
    rng = random.Random(7)
    samples = [rng.lognormvariate(0, 1.2) for _ in range(5000)]
    buckets: dict[int, int] = {}
    for value in samples:
        buckets[bucket_of(value)] = buckets.get(bucket_of(value), 0) + 1
    ordered = sorted(samples)
    for fraction in (0.5, 0.95):
        exact = ordered[int(fraction * len(ordered)) - 1]
        assert abs(percentile(buckets, fraction) - exact) / exact < 0.06
    assert percentile({}, 0.5) is None
    assert bucket_midpoint(bucket_of(3.0)) == pytest.approx(3.0, rel=0.05)


@pytest.mark.parametrize(
    "keyword", ["", "  ", "x" * 513, "java AND NOT", "(java", "a\x00b", "tab\there", "\u202eevil", "\ud800"], ids=repr
)
def test_request_model_rejects_bad_keywords(keyword):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        AnalysisRequest(keyword=keyword)


def test_request_model_accepts_real_keywords():
    for keyword in ("☕ coffee", "東京", "#AWS", "$TSLA", "👨‍👩‍👧", "x" * 99, "  padded  "):
        assert AnalysisRequest(keyword=keyword).keyword == keyword


def test_metrics_recorder_buffers_until_flush(monkeypatch):
    from social_analytics.storage import metrics

    flushed = []
    recorder = metrics.MetricsRecorder()
    monkeypatch.setattr(
        metrics, "table", lambda name: type("T", (), {"update_item": lambda self, **kw: flushed.append(kw)})()
    )
    monkeypatch.setenv("METRICS_FLUSH_SECONDS", "3600")
    from social_analytics.settings import get_settings

    get_settings.cache_clear()
    for _ in range(5):
        recorder.count("cache_hits")
    recorder.observe("cached", 0.8)
    assert flushed == [] and recorder.pending()["cache_hits"] == 5

    recorder.flush()

    assert len(flushed) == 1
    update = flushed[0]
    assert update["UpdateExpression"].startswith("ADD ")
    assert sorted(update["ExpressionAttributeValues"].values()) == [1, 5]
    assert recorder.pending() == {}
    get_settings.cache_clear()

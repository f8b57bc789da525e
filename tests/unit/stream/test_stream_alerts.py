"""The stream alert rule's pure parts: the per-minute series, rising terms and the backtest."""

from __future__ import annotations

from social_analytics.records import TrackedKeyword
from social_analytics.tracking import stream_alerts

MINUTE = 60
T0 = 1_796_000_000 // MINUTE * MINUTE


def bucket(minute: int, posts: int, terms: dict[str, int] | None = None, negative: int = 0) -> dict:
    return {"minute": T0 + minute * MINUTE, "posts": posts, "negative": negative, "terms": terms or {}, "samples": []}


def test_missing_minutes_are_zero_points_in_order():
    points = stream_alerts.series([bucket(2, 5)], T0, T0 + 3 * MINUTE)
    assert [p["volume"] for p in points] == [0, 0, 5, 0]
    assert [p["epoch"] for p in points] == [T0 + i * MINUTE for i in range(4)]


def test_rising_terms_rank_by_share_gain_against_the_baseline():
    quiet = [bucket(m, 10, {"docs": 5, "outage": 1}) for m in range(9)]
    spike = bucket(9, 50, {"outage": 40, "docs": 5, "angry": 30})
    points = stream_alerts.series([*quiet, spike], T0, T0 + 9 * MINUTE)
    terms = stream_alerts.rising_terms(points)
    assert [t["term"] for t in terms] == ["outage", "angry"]  # "docs" fell from 50% to 10%: not rising
    assert terms[0]["share"] == 0.8 and terms[0]["baseline_share"] == 0.1


def test_backtest_counts_firings_with_the_cooldown_and_sensitivity():
    buckets = [bucket(m, 10) for m in range(40)]
    buckets[20] = bucket(20, 60)  # one spike minute
    buckets[21] = bucket(21, 60)  # the next minute is inside the cooldown
    item = TrackedKeyword(keyword="kw", key="kw", interval_minutes=5, min_volume=10)
    high = stream_alerts.backtest(item, "high", buckets, T0, T0 + 39 * MINUTE)
    low = stream_alerts.backtest(item, "low", buckets, T0, T0 + 39 * MINUTE)
    assert high["fired"] == 1 and high["by_type"]["spike"] == 1
    assert high["alerts"][0]["minute"].endswith("Z") and high["minutes_evaluated"] == 31
    assert low["fired"] <= high["fired"] and low["k"] > high["k"]

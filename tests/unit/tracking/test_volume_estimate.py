"""History points and spike detection use the result's volume estimate when it has one."""

from __future__ import annotations

from social_analytics.models import AnalysisJob
from social_analytics.tracking.scans import history_point, posts_per_hour

JOB = AnalysisJob("j", "kw", "kw", 100, 24, 0.0, kind="scan")


def capped(volume: dict | None) -> dict:
    result = {
        "posts_analyzed": 300,
        "window": {"end": "2026-11-24T12:00:00Z", "hours": 24},
        "timeline": [{"start": "2026-11-24T02:00:00Z", "posts": 100}, {"start": "2026-11-24T11:00:00Z", "posts": 200}],
        "sentiment": {"positive": 1, "neutral": 1, "negative": 1, "mean_compound": 0.0},
    }
    if volume is not None:
        result["volume"] = volume
    return result


def test_the_rate_is_the_estimate_of_a_fanned_out_result():
    volume = {"observed_posts": 300, "posts_per_hour": 125.5, "estimated_posts_in_window": 3012, "basis": "rate"}
    assert posts_per_hour(JOB, capped(volume)) == 125.5
    point = history_point(JOB, capped(volume), 1_795_000_000.0)
    assert (point.rate_per_hour, point.estimated_posts_in_window, point.basis) == (125.5, 3012, "rate")
    assert point.volume == 300  # still the posts analyzed (min_volume and the negative share use it)


def test_results_without_a_volume_keep_the_timeline_rate():
    assert posts_per_hour(JOB, capped(None)) == 30.0  # 300 posts over the 10 hours since the oldest bucket
    assert "basis" not in history_point(JOB, capped(None), 1_795_000_000.0).public()

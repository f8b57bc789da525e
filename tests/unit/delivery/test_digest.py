"""Digest periods in a chosen zone (DST included), the figures from history points, the email parts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from social_analytics.delivery import digest, formats
from social_analytics.records import ChannelSubscription, HistoryPoint

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, zone=BERLIN) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


def sub(**fields) -> ChannelSubscription:
    return ChannelSubscription(
        id="ch_test0001", **{"digest": "daily", "digest_hour": 8, "timezone": "Europe/Berlin", **fields}
    )


def test_a_daily_digest_is_due_from_its_local_hour_and_covers_the_day_before():
    before = digest.latest_boundary(at("2026-12-07T07:59:00"), sub())
    after = digest.latest_boundary(at("2026-12-07T08:00:00"), sub())
    assert before.isoformat() == "2026-12-06T08:00:00+01:00"
    assert after.isoformat() == "2026-12-07T08:00:00+01:00"
    since, until = digest.period_bounds(after, "daily")
    assert until - since == 86400 and until == at("2026-12-07T08:00:00")


def test_across_a_dst_change_the_day_is_the_local_day():
    # 2026-03-29: Berlin skips 02:00 -> 03:00, so the day before 08:00 local is 23 hours long
    boundary = digest.latest_boundary(at("2026-03-29T09:00:00"), sub())
    since, until = digest.period_bounds(boundary, "daily")
    assert boundary.isoformat() == "2026-03-29T08:00:00+02:00"
    assert until - since == 23 * 3600


def test_a_weekly_digest_is_due_on_mondays():
    wednesday = digest.latest_boundary(at("2026-12-09T12:00:00"), sub(digest="weekly"))
    monday_early = digest.latest_boundary(at("2026-12-07T07:00:00"), sub(digest="weekly"))
    assert wednesday.isoformat() == "2026-12-07T08:00:00+01:00"
    assert monday_early.isoformat() == "2026-11-30T08:00:00+01:00"


def point(i: int, volume: int, negative: int, terms: dict[str, int]) -> HistoryPoint:
    return HistoryPoint(
        time=f"2026-12-06T{i:02d}:00:00Z",
        epoch=1_796_000_000 + i * 3600,
        volume=volume,
        rate_per_hour=float(volume),
        positive=5,
        neutral=5,
        negative=negative,
        mean_compound=0.2,
        top_terms=[{"term": t, "count": c} for t, c in terms.items()],
    )


def test_figures_sum_the_points_and_movers_are_significant_only():
    points = [point(i, 20, 10, {"outage": 12, "docs": 3}) for i in range(3)]
    previous = [point(i, 10, 0, {"docs": 12, "outage": 1}) for i in range(3)]
    volume, sentiment = digest.volume_figures(points), digest.sentiment_figures(points)
    assert volume == {"posts_analyzed": 60, "scans": 3, "mean_rate_per_hour": 20.0}
    assert sentiment["negative"] == 30 and sentiment["negative_share"] == 0.5
    low, high = sentiment["intervals"]["negative"]
    assert low < 0.5 < high and sentiment["intervals"]["n"] == 60
    movers = {m["term"]: m["direction"] for m in digest.term_movers(points, previous)}
    assert movers == {"outage": "up", "docs": "down"}
    assert digest.sentiment_figures([])["negative_share"] is None


def test_a_digest_email_has_both_parts_with_the_same_facts():
    message = {
        "kind": "digest",
        "idempotency_key": "digest:x",
        "channel_id": "ch_test0001",
        "created_at": 0,
        "dashboard_url": "https://dash.example/?view=tracked&q=x",
        "payload": {
            "keyword": "<b>x</b>",
            "period": "daily",
            "since": "a",
            "until": "b",
            "volume": {"posts_analyzed": 60, "scans": 3, "change": 30},
            "sentiment": {"negative_share": 0.5, "intervals": {"negative": [0.4, 0.6]}, "negative_share_change": 0.1},
            "term_movers": [{"term": "outage", "direction": "up"}],
            "top_posts": [{"text": "a post", "url": "https://example.org/p/1"}],
            "alerts": [],
            "sources": ["bluesky: ok (60 posts)"],
        },
    }
    subject, text, html = formats.email_parts(message)
    assert subject == "Daily digest: <b>x</b>"
    assert "Negative share: 50.0% (95% 40.0%–60.0%; +10.0 points vs the previous period)" in text
    assert "Posts analyzed: 60 in 3 scans (+30 vs the previous period)" in text
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html  # escaped in HTML
    assert "outage (up)" in text and "outage (up)" in html and "https://example.org/p/1" in html

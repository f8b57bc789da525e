"""Reads that cost what they show: the backtest and long live views read the compact hour items (one per hour),
not the minute buckets with their id sets; the answers are cached a few seconds. Counted against moto from the
real DynamoDB calls (bench/bounds_reads.py's meter), with the stream's own writer filling the table."""

from __future__ import annotations

import time

import pytest

from bench.bounds_reads import DAY, HOUR, MINUTE, all_sizes, metered, write_minutes

HOURS = 6


@pytest.fixture
def filled(aws):
    now = time.time()
    current = int(now // MINUTE) * MINUTE
    write_minutes("serverless", current - HOURS * HOUR, current - MINUTE, posts_per_minute=3)
    return now, current


def test_the_backtest_reads_one_small_item_per_hour_and_answers_as_the_minutes_do(filled, monkeypatch):
    from social_analytics.storage import stream
    from social_analytics.tracking import stream_alerts, stream_views

    now, current = filled
    with metered() as meter:
        answer = stream_views.backtest("serverless", "medium", now=now)
    hour_items = [k for _, keys, _ in meter.calls for k in keys if k[0].startswith("STREAM#HR#")]
    minute_items = [k for _, keys, _ in meter.calls for k in keys if k[0].startswith("STREAM#KW#")]

    assert minute_items == []  # no minute bucket (and no id set) on the read path
    assert len(hour_items) <= HOURS + 1 and meter.items <= HOURS + 2  # + the tracked item (none here)
    # The same answer as the rule over the minute buckets themselves.
    minutes = stream.query_buckets("serverless", current - 8 * DAY, current - MINUTE, samples=False)
    expected = stream_alerts.backtest(None, "medium", minutes, minutes[0]["minute"], current - MINUTE)
    assert {k: v for k, v in answer.items() if k not in ("keyword", "key")} == expected
    assert answer["minutes_stored"] == HOURS * 60
    sizes = all_sizes()
    assert max(sizes[k] for k in hour_items) < 4096  # an hour of counts fits one read unit
    assert meter.read_units(sizes) <= HOURS + 2


def test_a_long_live_view_reads_hours_and_only_the_newest_minutes(filled):
    from social_analytics.tracking import stream_views

    now, _ = filled
    with metered() as meter:
        long_view = stream_views.live("serverless", 1440, now=now)
    minute_items = [k for _, keys, _ in meter.calls for k in keys if k[0].startswith("STREAM#KW#")]
    assert len(minute_items) <= stream_views.SAMPLE_MINUTES  # before: all 1,440 minutes with their samples
    assert meter.items <= 25 + stream_views.SAMPLE_MINUTES + 2
    assert long_view["total_posts"] == HOURS * 60 * 3 and len(long_view["posts"]) == stream_views.NEWEST_POSTS
    short_view = stream_views.live("serverless", 60, now=now)  # minute buckets: the same counts
    assert [b["posts"] for b in short_view["buckets"]] == [b["posts"] for b in long_view["buckets"][-60:]]


def test_request_answers_are_cached_a_few_seconds_and_forgotten_on_deletion(filled, call_api):
    from social_analytics import composition
    from social_analytics.tracking import stream_views

    with metered() as first:
        stream_views.backtest("serverless", "medium")
    with metered() as again:
        for _ in range(5):
            stream_views.backtest("serverless", "medium")
    assert first.items > 0 and again.calls == []  # five more requests, no read
    composition.view_cache.forget("serverless")
    with metered() as after:
        stream_views.backtest("serverless", "medium")
    assert after.items == first.items


def test_deleting_a_keyword_deletes_its_hour_items_and_untrack_true_untracks_it(aws, call_api, monkeypatch):
    from social_analytics import composition, settings
    from social_analytics.records import TrackedKeyword
    from social_analytics.storage import stream

    token = "a" * 32
    monkeypatch.setenv("ADMIN_TOKEN", token)
    settings.reset()
    current = int(time.time() // MINUTE) * MINUTE
    write_minutes("serverless", current - 30 * MINUTE, current - MINUTE, posts_per_minute=2)
    composition.tracking.tracked.put_tracked(
        TrackedKeyword(keyword="serverless", key="serverless", interval_minutes=15)
    )
    assert stream.query_hours("serverless", current - DAY, current)

    status, body = call_api(
        "DELETE", "/api/analyses/serverless", headers={"Authorization": f"Bearer {token}"}, query={"untrack": "true"}
    )
    assert status == 200, body
    assert body["tracked"] is False and body["note"] is None
    assert composition.tracking.tracked.get_tracked("serverless") is None
    assert stream.query_hours("serverless", current - DAY, current) == []

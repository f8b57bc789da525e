"""What the API shows of the stream counts: a keyword's live minutes and the alert rule's backtest."""

from __future__ import annotations

import time

from social_analytics import composition
from social_analytics.query import parse_query
from social_analytics.settings import get_stream_settings
from social_analytics.tracking import stream_alerts

MINUTE = 60
NEWEST_POSTS = 20
# Views longer than this read the compact hour items (counts only) instead of the minute buckets; the newest posts
# then come from the last SAMPLE_MINUTES minute buckets alone (5 samples each, so 50 to pick the newest 20 from).
MINUTE_ITEMS_UP_TO = 60
SAMPLE_MINUTES = 10


def _cached(kind: str, key: str, param: object, now: float | None, compute):
    """A request's answer (``now`` not given) is cached a few seconds per (view, keyword, parameter)."""
    if now is not None:
        return compute(now)
    wall = time.time()
    return composition.view_cache.get_or_compute((kind, key, param), lambda: compute(wall), wall)


def _iso(epoch: float) -> str:
    return stream_alerts._iso(epoch)


def counted_since(key: str, tracked_since: float | None) -> float | None:
    """From when a keyword's minutes are counted: its tracking, or earlier where the archive filled them
    (tracking/stream_backfill.py records the span it filled)."""
    filled = composition.tracking.stream.get_backfill(key)
    if filled is None:
        return tracked_since
    start = filled["from_us"] / 1e6
    return start if tracked_since is None else min(start, tracked_since)


def live(keyword: str, minutes: int, now: float | None = None) -> dict:
    """The last ``minutes`` whole minutes up to the current one, every minute present.

    A minute is ``covered`` when the stream had been read past its end (cursor), no recorded gap overlaps it and
    the keyword was matched then (it has counted posts, or it was tracked by then); an uncovered minute without
    counted posts has null counts (unknown), not zero.
    """
    return _cached("live", parse_query(keyword).key, minutes, now, lambda at: _live(keyword, minutes, at))


def _live(keyword: str, minutes: int, now: float) -> dict:
    key = parse_query(keyword).key
    item = composition.tracking.tracked.get_tracked(key)
    current = int(now // MINUTE) * MINUTE
    first = current - (minutes - 1) * MINUTE
    stream = composition.tracking.stream
    if minutes <= MINUTE_ITEMS_UP_TO:
        buckets = {b["minute"]: b for b in stream.query_buckets(key, first, current)}
        samples = [sample for b in buckets.values() for sample in b["samples"]]
    else:  # a long view: counts from the hour items, the newest posts from the last few minute buckets
        buckets = {b["minute"]: b for b in stream.query_hours(key, first, current)}
        recent = stream.query_buckets(key, max(first, current - (SAMPLE_MINUTES - 1) * MINUTE), current)
        samples = [sample for b in recent for sample in b["samples"]]
        buckets.update({b["minute"]: b for b in recent})  # the minute items are the fresher copy
    cursor_us = composition.tracking.stream.get_cursor()
    covered_to = cursor_us / 1e6 if cursor_us else None
    gaps = composition.tracking.stream.list_gaps(first * 1_000_000, (current + MINUTE) * 1_000_000)
    tracked_since = counted_since(key, item.created_at if item else None)
    rows = []
    for minute in range(first, current + MINUTE, MINUTE):
        bucket = buckets.get(minute)
        in_gap = any(g["from_us"] < (minute + MINUTE) * 1e6 and g["to_us"] > minute * 1e6 for g in gaps)
        read = covered_to is not None and covered_to >= minute + MINUTE
        before_tracking = tracked_since is None or tracked_since >= minute + MINUTE
        # a minute with counted posts was matched for this keyword; an empty one only counts from its tracking on
        covered = read and not in_gap and (bucket is not None or not before_tracking)
        if bucket:
            posts = bucket["posts"]
            row = {
                "start": _iso(minute),
                "posts": posts,
                "positive": bucket["positive"],
                "neutral": bucket["neutral"],
                "negative": bucket["negative"],
                "mean_compound": round(bucket["compound_sum"] / posts, 4) if posts else 0.0,
                "deleted": bucket["deleted"],
                "covered": covered,
                "partial": not read,
            }
        elif covered:
            row = {"start": _iso(minute), "posts": 0, "positive": 0, "neutral": 0, "negative": 0}
            row |= {"mean_compound": 0.0, "deleted": 0, "covered": True, "partial": False}
        else:
            row = {"start": _iso(minute), "posts": None, "positive": None, "neutral": None, "negative": None}
            row |= {"mean_compound": None, "deleted": None, "covered": False, "partial": not read}
        rows.append(row)
    newest = sorted(samples, key=lambda s: s["time_us"], reverse=True)[:NEWEST_POSTS]
    counted = [r["posts"] for r in rows if r["posts"] is not None]
    return {
        "keyword": item.keyword if item else " ".join(keyword.split()),
        "key": key,
        "tracked": item is not None,
        "stream_enabled": get_stream_settings().enabled,
        "source": "bluesky jetstream (every public post, matched by keyword)",
        "minutes": minutes,
        "from": _iso(first),
        "to": _iso(current + MINUTE),
        "buckets": rows,
        "total_posts": sum(counted),
        "covered_minutes": sum(1 for r in rows if r["covered"]),
        "gaps": [{"from": _iso(g["from_us"] / 1e6), "to": _iso(g["to_us"] / 1e6), "reason": g["reason"]} for g in gaps],
        "covered_to": _iso(covered_to) if covered_to else None,
        "lag_seconds": round(now - covered_to, 1) if covered_to else None,
        "posts": [{k: v for k, v in s.items() if k != "time_us"} | {"time": _iso(s["time_us"] / 1e6)} for s in newest],
    }


def reset_stream() -> dict:
    """The admin reset: no cursor (the next run starts ``first_lookback_seconds`` back, recording no gap), no gaps."""
    removed, gaps = composition.tracking.stream.reset_cursor_and_gaps()
    return {"cursor_removed": removed, "gaps_removed": gaps}


def backtest(keyword: str, sensitivity: str, now: float | None = None) -> dict:
    """The alert rule over every stored minute, from the hour items (one small item per hour, not 60 buckets)."""
    return _cached(
        "backtest", parse_query(keyword).key, sensitivity, now, lambda at: _backtest(keyword, sensitivity, at)
    )


def _backtest(keyword: str, sensitivity: str, now: float) -> dict:
    key = parse_query(keyword).key
    item = composition.tracking.tracked.get_tracked(key)
    current = int(now // MINUTE) * MINUTE
    last = current - MINUTE  # the newest complete minute
    stored = composition.tracking.stream.query_hours(key, current - get_stream_settings().bucket_ttl_seconds, last)
    first = stored[0]["minute"] if stored else last
    result = stream_alerts.backtest(item, sensitivity, stored, first, last)
    return {"keyword": item.keyword if item else " ".join(keyword.split()), "key": key, **result}


def history_fields(key: str, since: float, until: float) -> dict | None:
    """The stream's complete count over a scan's interval, for the scan's history point (None: stream off)."""
    if not get_stream_settings().enabled or composition.tracking.stream.get_cursor() is None:
        return None
    first, last = int(since // MINUTE) * MINUTE, int(until // MINUTE) * MINUTE - MINUTE
    if last < first:
        return None
    buckets = composition.tracking.stream.query_buckets(key, first, last, samples=False)
    posts = sum(b["posts"] for b in buckets)
    hours = (last + MINUTE - first) / 3600
    return {
        "from": _iso(first),
        "to": _iso(last + MINUTE),
        "posts": posts,
        "posts_per_hour": round(posts / hours, 3),
        "positive": sum(b["positive"] for b in buckets),
        "neutral": sum(b["neutral"] for b in buckets),
        "negative": sum(b["negative"] for b in buckets),
        "mean_compound": round(sum(b["compound_sum"] for b in buckets) / posts, 4) if posts else 0.0,
        "basis": "complete: every Bluesky post matching the keyword (Jetstream)",
    }


def scan_explanation(result: dict, key: str, alert_type: str, now: float) -> dict:
    """A scheduled scan's alert explained: its rising terms, sample posts, and what the stream saw meanwhile."""
    terms = [
        {"term": t["term"], "count": t["count"], "share": t.get("share"), "trend": t.get("trend")}
        for t in sorted(
            (t for t in result.get("top_terms") or [] if (t.get("trend") or 0) > 0), key=lambda t: -(t["trend"] or 0)
        )[:5]
    ]
    posts = result.get("posts") or []
    if alert_type == "sentiment_dip":
        posts = [p for p in posts if p.get("label") == "negative"] or posts
    stream = history_fields(key, now - 3600, now)
    return {
        "terms": terms,
        "sample_posts": posts[:5],
        "other_sources": {"stream_last_hour": stream} if stream else {"stream_last_hour": None},
    }

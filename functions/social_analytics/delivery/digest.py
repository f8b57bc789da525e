"""Digests: per tracked keyword and channel, a daily or weekly summary at a chosen hour in a chosen time zone.

A daily digest due at hour H in zone Z covers the 24 hours before today's H:00 there (weekly: the 7 days before
Monday's H:00); it is sent from that moment on, once (its row in the channel's log is its idempotency record, so
the scheduler may look every quarter hour). Its figures are computed from the history points of exactly that span
(``GET /api/analyses/{keyword}/history?since=<since>&until=<until>`` answers the same points) and compared with the
span before it:

- volume: posts analyzed (summed over the scans), scans, mean posts per hour, and the change;
- sentiment: the labels summed over the scans, their shares with 95 % Wilson intervals, the mean compound weighted
  by scored posts, and the negative share's change;
- term movers: the scans' top terms summed, against the previous span's (G², significant at 3.84 with 5 posts);
- the alerts of the span, the most engaging posts of the latest result in the span, coverage and sources.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from social_analytics import composition
from social_analytics.delivery import formats
from social_analytics.delivery.messages import DeliveryMessage, enqueue
from social_analytics.models import isoformat_z
from social_analytics.observability import logger
from social_analytics.records import ChannelSubscription, HistoryPoint, TrackedKeyword
from social_analytics.scoring import intervals, trending
from social_analytics.settings import get_delivery_settings

PERIOD_DAYS = {"daily": 1, "weekly": 7}
TOP_MOVERS = 10
TOP_POSTS = 5


def latest_boundary(now: float, sub: ChannelSubscription) -> datetime:
    """The most recent digest moment at or before ``now``: today's (or this Monday's) ``digest_hour`` in its zone."""
    zone = ZoneInfo(sub.timezone)
    local = datetime.fromtimestamp(now, zone)
    moment = local.replace(hour=sub.digest_hour, minute=0, second=0, microsecond=0)
    if sub.digest == "weekly":
        moment -= timedelta(days=local.weekday())
    step = timedelta(days=PERIOD_DAYS[sub.digest or "daily"])
    while moment > local:
        moment -= step
    # A wall-clock hour that a DST change skipped or doubled: the zone's own reading of that wall time.
    return moment.replace(tzinfo=zone)


def period_bounds(boundary: datetime, period: str) -> tuple[float, float]:
    until = boundary.timestamp()
    since = (boundary - timedelta(days=PERIOD_DAYS[period])).timestamp()
    return since, until


def digest_key(item: TrackedKeyword, sub: ChannelSubscription, boundary: datetime) -> str:
    return f"digest:{item.key}:{sub.digest}:{boundary.isoformat()}"


# ------------------------------------------------------------------ the figures
def build(item: TrackedKeyword, period: str, since: float, until: float) -> dict:
    """The digest of ``item`` over ``since`` <= time <= ``until``, and its change against the span before."""
    history = composition.tracking.history
    span = until - since
    points = history.query_points(item.key, since, until)
    previous = history.query_points(item.key, since - span, since - 0.001)
    alerts = [
        alert.public()
        for alert in composition.tracking.alerts.list_alerts(item.key, _iso(since), limit=100)
        if since <= alert.epoch <= until
    ]
    latest = composition.analysis.results.get_latest_result(item.key)
    result = latest.result if latest is not None and since <= latest.analyzed_epoch <= until + 60 else None
    volume, sentiment = volume_figures(points), sentiment_figures(points)
    before_volume, before_sentiment = volume_figures(previous), sentiment_figures(previous)
    volume["previous"] = before_volume["posts_analyzed"] if previous else None
    volume["change"] = volume["posts_analyzed"] - before_volume["posts_analyzed"] if previous else None
    sentiment["previous_negative_share"] = before_sentiment["negative_share"] if previous else None
    sentiment["negative_share_change"] = (
        round(sentiment["negative_share"] - before_sentiment["negative_share"], 4)
        if previous and sentiment["negative_share"] is not None and before_sentiment["negative_share"] is not None
        else None
    )
    return {
        "keyword": item.keyword,
        "key": item.key,
        "period": period,
        "since": _iso(since),
        "until": _iso(until),
        "basis": "history points of the scheduled scans in the span (GET /api/analyses/{keyword}/history)",
        "volume": volume,
        "sentiment": sentiment,
        "term_movers": term_movers(points, previous),
        "alerts": alerts,
        "top_posts": top_posts(result),
        "coverage": (result or {}).get("coverage"),
        "sources": sources(result),
        "simulated": bool(((result or {}).get("source") or {}).get("simulated")),
    }


def volume_figures(points: list[HistoryPoint]) -> dict:
    rates = [p.rate_per_hour for p in points if p.rate_per_hour is not None]
    return {
        "posts_analyzed": sum(p.volume for p in points),
        "scans": len(points),
        "mean_rate_per_hour": round(sum(rates) / len(rates), 3) if rates else None,
    }


def sentiment_figures(points: list[HistoryPoint]) -> dict:
    positive = sum(p.positive for p in points)
    neutral = sum(p.neutral for p in points)
    negative = sum(p.negative for p in points)
    scored = positive + neutral + negative
    weighted = sum(p.mean_compound * (p.positive + p.neutral + p.negative) for p in points)
    return {
        "positive": positive,
        "neutral": neutral,
        "negative": negative,
        "scored": scored,
        "negative_share": round(negative / scored, 4) if scored else None,
        "mean_compound": round(weighted / scored, 4) if scored else None,
        "intervals": intervals.share_intervals(positive, neutral, negative),
    }


def _term_counts(points: list[HistoryPoint]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for point in points:
        for term in point.top_terms or []:
            counts[term["term"]] = counts.get(term["term"], 0) + int(term["count"])
    return counts


def term_movers(points: list[HistoryPoint], previous: list[HistoryPoint]) -> list[dict]:
    now, before = _term_counts(points), _term_counts(previous)
    c, d = sum(now.values()), sum(before.values())
    movers = []
    for term in set(now) | set(before):
        a, b = now.get(term, 0), before.get(term, 0)
        score = trending.g_squared(a, b, c, d)
        if score >= trending.SIGNIFICANT_G2 and max(a, b) >= trending.MIN_COUNT:
            movers.append(
                {
                    "term": term,
                    "count": a,
                    "previous": b,
                    "trend_score": round(score, 2),
                    "direction": trending.direction(a, b, c, d),
                }
            )
    return sorted(movers, key=lambda m: (-m["trend_score"], m["term"]))[:TOP_MOVERS]


def top_posts(result: dict | None) -> list[dict]:
    posts = (result or {}).get("posts") or []
    ranked = sorted(posts, key=lambda p: -(int(p.get("likes") or 0) + int(p.get("reposts") or 0)))
    return [
        {k: p.get(k) for k in ("id", "text", "url", "author", "created_at", "label", "likes", "reposts")}
        for p in ranked[:TOP_POSTS]
    ]


def sources(result: dict | None) -> list[str]:
    rows = ((result or {}).get("source") or {}).get("providers") or []
    if rows:
        return [f"{r.get('provider')}: {r.get('outcome')} ({r.get('posts', 0)} posts)" for r in rows]
    provider = ((result or {}).get("source") or {}).get("provider")
    return [str(provider)] if provider else []


# ------------------------------------------------------------------ the scheduler's side
def enqueue_due(now: float | None = None) -> dict:
    """Queue every digest whose moment has come and that was not queued yet; and announce the alerts the hourly cap
    held back in hours that are over."""
    now = time.time() if now is None else now
    counts = {"digests": 0, "folded_notices": 0}
    channels = composition.delivery.channels
    for item in composition.tracking.tracked.list_tracked():
        for sub in item.channels:
            if not sub.digest:
                continue
            try:
                boundary = latest_boundary(now, sub)
                key = digest_key(item, sub, boundary)
                if channels.get_delivery(sub.id, boundary.timestamp(), key) is not None:
                    continue  # queued before
                since, until = period_bounds(boundary, sub.digest)
                message = DeliveryMessage(
                    kind="digest",
                    channel_id=sub.id,
                    idempotency_key=key,
                    created_at=boundary.timestamp(),
                    what=f"{sub.digest} digest {item.keyword!r}",
                    key=item.key,
                    dashboard_url=formats.dashboard_link(get_delivery_settings().dashboard_url, item.keyword),
                    payload=build(item, sub.digest, since, until),
                )
                counts["digests"] += enqueue([message])
            except Exception:
                logger.exception("queueing a digest failed", extra={"keyword": item.keyword, "channel_id": sub.id})
    counts["folded_notices"] = announce_folds(now)
    return counts


def announce_folds(now: float) -> int:
    channels = composition.delivery.channels
    hour = int(now // 3600 * 3600)
    sent = 0
    for channel in channels.list_channels():
        for fold in channels.open_folds(channel.id, hour):
            if not channels.mark_fold_announced(channel.id, fold["hour"]):
                continue
            message = DeliveryMessage(
                kind="folded",
                channel_id=channel.id,
                idempotency_key=f"folded:{fold['hour']}",
                created_at=float(fold["hour"] + 3600),
                what=f"{fold['count']} more alerts",
                dashboard_url=get_delivery_settings().dashboard_url or None,
                payload={"count": fold["count"], "alerts": fold["alerts"][:20], "hour": _iso(fold["hour"])},
            )
            sent += enqueue([message])
    return sent


def _iso(epoch: float) -> str:
    return isoformat_z(datetime.fromtimestamp(epoch, UTC))

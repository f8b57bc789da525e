"""Alerts on the stream's per-minute series, each explaining itself; and the backtest of the rule.

The rule is service/alerts.py's EARS test with a minute as the "scan": the minute under test against the 7 minutes
before a 2-minute guard band, the tracked keyword's sensitivity and ``min_volume`` (posts in the minute).

When: every run tests the minutes it completed. The minute still in progress is tested for spikes too, because
its count can only grow: a partial count already above the threshold is an alert now, not a minute later. With a
run every minute, an alert is raised at most about two minutes after the posts that cause it (docs/STREAM.md).

Explanation (``alert.explanation``): ``terms``, the terms whose share of the minute's posts rose most against
the baseline minutes; ``sample_posts``, the newest posts of the minute; ``other_sources``, whether the keyword's
latest scheduled scans (the other providers) show the same movement.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime

from social_analytics import composition
from social_analytics.models import isoformat_z
from social_analytics.observability import logger
from social_analytics.records import Alert, TrackedKeyword
from social_analytics.tracking import detection

MINUTE = 60
WINDOW_MINUTES = detection.BASELINE_POINTS + detection.GUARD_POINTS + 1
COOLDOWN_SECONDS = detection.default_cooldown_seconds(MINUTE)
EXPLAIN_TERMS = 5
ALERT_TTL_SECONDS = 90 * 86400
SCAN_LOOKBACK_SECONDS = 7 * 86400
MAX_EVALUATED_MINUTES = 60  # the newest minutes a run tests (a run resuming after a long pause skips older ones)


def cooldown_key(alert_type: str) -> str:
    """Stream alerts keep their own cooldown, apart from the scheduled scans' alerts of the same type."""
    return f"stream_{alert_type}"


def series(buckets: list[dict], first_minute: int, last_minute: int) -> list[dict]:
    """One detection point per minute (missing minutes are zero), oldest first."""
    by_minute = {b["minute"]: b for b in buckets}
    points = []
    for minute in range(first_minute, last_minute + MINUTE, MINUTE):
        bucket = by_minute.get(minute) or {}
        points.append(
            {
                "epoch": minute,
                "volume": bucket.get("posts", 0),
                "negative": bucket.get("negative", 0),
                "terms": bucket.get("terms", {}),
                "samples": bucket.get("samples", []),
            }
        )
    return points


def rising_terms(points: list[dict]) -> list[dict]:
    """The terms whose share of posts rose most in the newest point against the baseline points."""
    newest = points[-1]
    baseline = detection.baseline_of(points) or points[:-1]
    base_posts = sum(p["volume"] for p in baseline)
    base_terms: dict[str, int] = {}
    for point in baseline:
        for term, count in point["terms"].items():
            base_terms[term] = base_terms.get(term, 0) + count
    rows = []
    for term, count in newest["terms"].items():
        share = count / newest["volume"] if newest["volume"] else 0.0
        before = base_terms.get(term, 0) / base_posts if base_posts else 0.0
        rows.append({"term": term, "count": count, "share": round(share, 4), "baseline_share": round(before, 4)})
    rows.sort(key=lambda r: (-(r["share"] - r["baseline_share"]), -r["count"], r["term"]))
    return [r for r in rows if r["share"] > r["baseline_share"]][:EXPLAIN_TERMS]


def other_sources(key: str, alert_type: str, now: float) -> dict:
    """Do the keyword's scheduled scans (the other providers) show the same movement?"""
    points = composition.tracking.history.query_points(key, now - SCAN_LOOKBACK_SECONDS, now + 1, limit=10)
    if len(points) < 3:
        return {"scans": len(points), "agrees": None, "reason": "fewer than 3 scheduled scans in the last 7 days"}
    latest, earlier = points[-1], points[:-1]
    summary = {"scans": len(points), "latest_scan_at": latest.time}
    if alert_type == detection.SPIKE:
        field = "rate_per_hour" if all("rate_per_hour" in p.model_fields_set for p in points) else "volume"
        before = statistics.fmean(float(getattr(p, field) or 0) for p in earlier)
        value = float(getattr(latest, field) or 0)
        summary |= {"measure": field, "latest": value, "earlier_mean": round(before, 3)}
        summary["agrees"] = value > before * 1.5 if before else value > 0
    else:
        shares = [detection.negative_share(p.detection_point()) for p in earlier if p.volume]
        before = statistics.fmean(shares) if shares else 0.0
        value = detection.negative_share(latest.detection_point())
        summary |= {"measure": "negative_share", "latest": round(value, 4), "earlier_mean": round(before, 4)}
        summary["agrees"] = value > before + 0.05
    return summary


def _iso(epoch: float) -> str:
    return isoformat_z(datetime.fromtimestamp(epoch, UTC))


def evaluate(
    tracked: dict[str, TrackedKeyword], touched: set[str], from_us: int, to_us: int, now: float
) -> list[Alert]:
    """Test the minutes a run covered (from its start cursor to its stored cursor) for every touched keyword."""
    raised: list[Alert] = []
    # Never past the present, never more than MAX_EVALUATED_MINUTES back: an alert about an old minute is news to
    # nobody, and the span (keywords x minutes read in one batch) must stay small whatever the cursors hold.
    last_minute = int(min(to_us // 60_000_000, now // MINUTE)) * MINUTE
    first_minute = min(
        max(int(from_us // 60_000_000) * MINUTE, last_minute - MAX_EVALUATED_MINUTES * MINUTE), last_minute
    )
    start = first_minute - (WINDOW_MINUTES - 1) * MINUTE
    keys = sorted(key for key in touched if key in tracked)
    minutes = range(start, last_minute + MINUTE, MINUTE)
    # One batch read for every touched keyword's window (a query per keyword would be a round trip each).
    found = (
        composition.tracking.stream.get_buckets([(key, minute) for key in keys for minute in minutes]) if keys else {}
    )
    for key in keys:
        item = tracked[key]
        buckets = [bucket for minute in minutes if (bucket := found.get((key, minute)))]
        try:
            raised.extend(_evaluate_keyword(item, buckets, first_minute, last_minute, now))
        except Exception:
            logger.exception("stream alert evaluation failed", extra={"keyword": item.keyword})
    return raised


def _evaluate_keyword(
    item: TrackedKeyword, buckets: list[dict], first_minute: int, last_minute: int, now: float
) -> list[Alert]:
    key = item.key
    start = first_minute - (WINDOW_MINUTES - 1) * MINUTE
    points = series(buckets, start, last_minute)
    last_alerts = {
        kind: at
        for kind in (detection.SPIKE, detection.SENTIMENT_DIP)
        if (at := item.last_alerts.get(cooldown_key(kind))) is not None
    }
    raised = []
    for end in range(WINDOW_MINUTES, len(points) + 1):
        window = points[end - WINDOW_MINUTES : end]
        in_progress = window[-1]["epoch"] == last_minute
        signals = detection.detect(
            window,
            sensitivity=item.sensitivity,
            min_volume=item.min_volume,
            last_alerts=last_alerts,
            cooldown_seconds=COOLDOWN_SECONDS,
        )
        for signal in signals:
            if in_progress and signal.type != detection.SPIKE:
                continue  # a share can still fall back; only a count is safe to judge before the minute ends
            alert = _alert(item, signal, window, now)
            last_alerts[signal.type] = window[-1]["epoch"]
            composition.tracking.tracked.mark_alerted(key, cooldown_key(signal.type), window[-1]["epoch"])
            composition.tracking.alerts.put_alert(alert, ALERT_TTL_SECONDS)
            try:
                alert.event_id = composition.tracking.events.publish(
                    signal.detail_type, alert.model_dump(exclude_unset=True)
                )
            except Exception:
                logger.exception("publishing the alert failed", extra={"keyword": item.keyword})
            raised.append(alert)
    return raised


def _alert(item: TrackedKeyword, signal: detection.Signal, window: list[dict], now: float) -> Alert:
    newest = window[-1]
    return Alert(
        type=signal.type,
        detail_type=signal.detail_type,
        keyword=item.keyword,
        key=item.key,
        at=_iso(now),
        epoch=now,
        source="stream",
        minute=_iso(newest["epoch"]),
        minute_complete=newest["epoch"] + MINUTE <= now,
        **signal.alert_fields(),
        volume=newest["volume"],
        basis="posts per minute, every Bluesky post (Jetstream)"
        if signal.type == detection.SPIKE
        else "negative share of the minute's posts",
        sensitivity=item.sensitivity,
        explanation={
            "terms": rising_terms(window),
            "sample_posts": newest["samples"],
            "other_sources": other_sources(item.key, signal.type, now),
        },
    )


# ------------------------------------------------------------------ backtest
def backtest(
    item: TrackedKeyword | None, sensitivity: str, buckets: list[dict], first_minute: int, last_minute: int
) -> dict:
    """How often the rule, at ``sensitivity``, would have fired over these stored minutes (cooldown applied)."""
    points = series(buckets, first_minute, last_minute)
    fired: list[dict] = []
    last_alerts: dict[str, float] = {}
    for end in range(WINDOW_MINUTES, len(points) + 1):
        window = points[end - WINDOW_MINUTES : end]
        for signal in detection.detect(
            window,
            sensitivity=sensitivity,
            min_volume=item.min_volume if item else detection.DEFAULT_MIN_VOLUME,
            last_alerts=last_alerts,
            cooldown_seconds=COOLDOWN_SECONDS,
        ):
            last_alerts[signal.type] = window[-1]["epoch"]
            fired.append({"minute": _iso(window[-1]["epoch"]), "type": signal.type, "value": round(signal.value, 4)})
    evaluated = max(len(points) - WINDOW_MINUTES + 1, 0)
    days = evaluated / 1440
    return {
        "sensitivity": sensitivity,
        "k": detection.SENSITIVITY_K[sensitivity],
        "min_volume": item.min_volume if item else detection.DEFAULT_MIN_VOLUME,
        "minutes_stored": sum(1 for b in buckets if b["posts"]),
        "minutes_evaluated": evaluated,
        "from": _iso(first_minute),
        "to": _iso(last_minute + MINUTE),
        "fired": len(fired),
        "by_type": {kind: sum(1 for f in fired if f["type"] == kind) for kind in detection.DETAIL_TYPES},
        "per_day": round(len(fired) / days, 2) if days else None,
        "alerts": fired[-50:],
        "basis": f"stream minute buckets (every Bluesky post matching the keyword); cooldown {int(COOLDOWN_SECONDS)} s",
    }

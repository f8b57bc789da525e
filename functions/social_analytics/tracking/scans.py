"""Tracked keywords: which are due for a scheduled scan, and what a completed scan adds (history, alerts).

The scheduler calls :func:`enqueue_due`; the worker calls :func:`after_result` once per completed job.
The tracking stores (tracked keywords, history, alerts, the event bus: tracking.ports) come from
``composition.tracking``, the job store and the queue from ``composition.analysis``, both read at call time. The
unit tests put in-memory fakes in both (tests/fakes/tracking_stores.py, tests/fakes/stores.py).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from social_analytics import composition
from social_analytics.models import AnalysisJob, isoformat_z
from social_analytics.observability import logger, meter
from social_analytics.query import parse_query
from social_analytics.records import Alert, HistoryPoint, TrackedKeyword
from social_analytics.settings import TrackingSettings, get_tracking_settings  # noqa: F401  (re-exported)
from social_analytics.tracking import detection, stream_views

MIN_INTERVAL_MINUTES = 5
HISTORY_LOOKBACK_POINTS = detection.BASELINE_POINTS + detection.GUARD_POINTS + 1


class TooManyTracked(Exception):
    pass


# ------------------------------------------------------------------ admin side
def track(
    keyword: str,
    interval_minutes: int,
    providers: list[str] | None = None,
    sensitivity: str = "medium",
    min_volume: int = detection.DEFAULT_MIN_VOLUME,
    limit: int = 100,
    window_hours: int = 24,
    languages: list[str] | None = None,
) -> tuple[TrackedKeyword, bool]:
    key = parse_query(keyword).key
    tracked = composition.tracking.tracked
    limit_reached = len(tracked.list_tracked()) >= get_tracking_settings().max_tracked
    if limit_reached and tracked.get_tracked(key) is None:
        raise TooManyTracked(get_tracking_settings().max_tracked)
    config = TrackedKeyword(
        keyword=" ".join(keyword.split()),
        key=key,
        interval_minutes=interval_minutes,
        providers=providers,
        sensitivity=sensitivity,
        min_volume=min_volume,
        limit=limit,
        window_hours=window_hours,
        languages=languages,
    )
    return tracked.put_tracked(config)


def untrack(keyword: str) -> bool:
    return composition.tracking.tracked.delete_tracked(parse_query(keyword).key)


def list_tracked(now: float | None = None) -> list[dict]:
    now = time.time() if now is None else now
    return [public(item, now) for item in sorted(composition.tracking.tracked.list_tracked(), key=lambda i: i.key)]


def public(item: TrackedKeyword, now: float | None = None) -> dict:
    """What the API shows of a tracked keyword (schemas.Tracked)."""
    now = time.time() if now is None else now
    last = item.last_enqueued_at
    next_due = now if last is None else last + interval_seconds(item)
    return {
        "keyword": item.keyword,
        "key": item.key,
        "interval_minutes": item.interval_minutes,
        "providers": item.providers,
        "languages": item.languages,
        "sensitivity": item.sensitivity,
        "min_volume": item.min_volume,
        "limit": item.limit,
        "window_hours": item.window_hours,
        "created_at": _iso(item.created_at),
        "last_scan_at": _iso(last) if last is not None else None,
        "next_scan_at": _iso(max(next_due, now)),
        "last_alerts": {kind: _iso(at) for kind, at in item.last_alerts.items()},
    }


# ------------------------------------------------------------------ scheduler side
def interval_seconds(item: TrackedKeyword) -> float:
    return item.interval_minutes * get_tracking_settings().minute_seconds


def is_due(item: TrackedKeyword, now: float) -> bool:
    """Never scanned, or the last scan was enqueued at least one interval ago.

    A tenth of the interval is forgiven, so a schedule firing a little early does not skip a whole period.
    """
    last = item.last_enqueued_at
    if last is None:
        return True
    period = interval_seconds(item)
    return now - last >= period * 0.9


def due_keywords(items: list[TrackedKeyword], now: float) -> list[TrackedKeyword]:
    return [item for item in items if is_due(item, now)]


def enqueue_due(now: float | None = None) -> dict:
    """Queue one scan job per due tracked keyword; a keyword with a job already in flight is not queued again."""
    now = time.time() if now is None else now
    counts = {"tracked": 0, "due": 0, "enqueued": 0, "in_flight": 0, "failed": 0}
    stores = composition.analysis
    items = composition.tracking.tracked.list_tracked()
    counts["tracked"] = len(items)
    for item in due_keywords(items, now):
        counts["due"] += 1
        job = AnalysisJob(
            job_id=uuid.uuid4().hex,
            keyword=item.keyword,
            key=item.key,
            limit=item.limit,
            window_hours=item.window_hours,
            submitted_at=time.time(),
            kind="scan",
            providers=tuple(item.providers) if item.providers else None,
            languages=tuple(item.languages) if item.languages else None,
            paid_allowed=True,  # an admin chose to track it
        )
        holder = stores.jobs.create_job_with_lock(job)
        if holder is not None:  # single flight: a search or an earlier scan of this keyword is still running
            counts["in_flight"] += 1
            continue
        try:
            stores.queue.send_job(job)
        except Exception:
            stores.jobs.fail_job(job.job_id, job.key, "enqueue_failed", "the scan could not be queued")
            logger.exception("scan enqueue failed", extra={"keyword": job.keyword})
            counts["failed"] += 1
            continue
        composition.tracking.tracked.mark_enqueued(item.key, job.job_id, now)
        meter.scan_enqueued()
        counts["enqueued"] += 1
    return counts


# ------------------------------------------------------------------ worker side
def posts_per_hour(job: AnalysisJob, result: dict) -> float:
    """The posting rate, which is what a volume spike is about.

    A fetch capped by the job's limit holds only the newest posts: they cover the span back to the oldest of
    them, not the whole window, so the count alone would stay at the limit however busy the keyword gets.
    The span comes from the timeline's first non-empty bucket (hour or day resolution), at least 15 minutes.
    A result with ``volume`` (fanned-out live sources) already holds the estimate, per source: that one is used.
    """
    volume = result.get("volume")
    if isinstance(volume, dict) and isinstance(volume.get("posts_per_hour"), int | float):
        return round(float(volume["posts_per_hour"]), 3)
    count = int(result.get("posts_analyzed") or 0)
    window = result.get("window") or {}
    hours = float(window.get("hours") or job.window_hours or 1)
    starts = [bucket["start"] for bucket in result.get("timeline") or [] if bucket.get("posts")]
    if count >= job.limit and starts and window.get("end"):
        oldest = datetime.fromisoformat(min(starts).replace("Z", "+00:00"))
        end = datetime.fromisoformat(window["end"].replace("Z", "+00:00"))
        hours = min(hours, max((end - oldest).total_seconds() / 3600, 0.25))
    return round(count / hours, 3)


def history_point(job: AnalysisJob, result: dict, at: float) -> HistoryPoint:
    sentiment = result.get("sentiment") or {}
    return HistoryPoint(
        time=_iso(at),
        epoch=round(at, 3),
        job_id=job.job_id,
        volume=int(result.get("posts_analyzed") or 0),
        rate_per_hour=posts_per_hour(job, result),
        **_estimate(result),
        positive=int(sentiment.get("positive") or 0),
        neutral=int(sentiment.get("neutral") or 0),
        negative=int(sentiment.get("negative") or 0),
        mean_compound=float(sentiment.get("mean_compound") or 0.0),
        top_terms=[
            {"term": t["term"], "count": int(t["count"])} for t in (result.get("top_terms") or [])[:10] if "term" in t
        ],
    )


def after_result(job: AnalysisJob, result: dict) -> list[Alert]:
    """For a scheduled scan: append the history point, then raise and publish any alerts.

    Best effort: a failure here is logged and does not fail the job (its result is already stored).
    """
    if job.kind != "scan":
        return []
    try:
        return _record_scan(job, result, time.time())
    except Exception:
        logger.exception("recording the scan's history failed", extra={"keyword": job.keyword})
        return []


def _record_scan(job: AnalysisJob, result: dict, now: float) -> list[Alert]:
    settings = get_tracking_settings()
    point = history_point(job, result, now)
    stores = composition.tracking
    item = stores.tracked.get_tracked(job.key)
    if item is not None:  # next to the sample scan: the stream's complete count over the same interval
        stream = stream_views.history_fields(job.key, now - interval_seconds(item), now)
        if stream:
            point.stream = stream
    if not stores.history.append_point(job.key, point, settings.history_ttl_seconds):
        return []
    if item is None:  # untracked since the scan was queued: keep the point, raise nothing
        return []
    # Enough points for the baseline; bounded by time so long-expired (TTL) items never count.
    lookback = interval_seconds(item) * HISTORY_LOOKBACK_POINTS * 3
    points = stores.history.query_points(job.key, now - lookback, now + 1, limit=HISTORY_LOOKBACK_POINTS)
    signals = detection.detect(
        [p.detection_point() for p in points],
        sensitivity=item.sensitivity,
        min_volume=item.min_volume,
        last_alerts=item.last_alerts,
        cooldown_seconds=detection.default_cooldown_seconds(interval_seconds(item)),
    )
    raised = []
    for signal in signals:
        alert = Alert(
            type=signal.type,
            detail_type=signal.detail_type,
            keyword=item.keyword,
            key=job.key,
            at=point.time,
            epoch=now,
            job_id=job.job_id,
            **signal.alert_fields(),
            volume=point.volume,
            rate_per_hour=point.rate_per_hour,
            sensitivity=item.sensitivity,
            source="scan",
            explanation=stream_views.scan_explanation(result, job.key, signal.type, now),
        )
        stores.tracked.mark_alerted(job.key, signal.type, now)
        stores.alerts.put_alert(alert, settings.alert_ttl_seconds)
        try:
            alert.event_id = stores.events.publish(signal.detail_type, alert.model_dump(exclude_unset=True))
        except Exception:
            logger.exception("publishing the alert failed", extra={"keyword": job.keyword, "type": signal.type})
        logger.info("alert raised", extra={"keyword": job.keyword, "type": signal.type, "value": alert.value})
        raised.append(alert)
    return raised


def _estimate(result: dict) -> dict:
    """The result's estimated posts in the window and its basis (absent from results without ``volume``)."""
    volume = result.get("volume")
    if not isinstance(volume, dict) or "estimated_posts_in_window" not in volume:
        return {}
    return {"estimated_posts_in_window": int(volume["estimated_posts_in_window"]), "basis": volume.get("basis")}


def _iso(epoch: float) -> str:
    return isoformat_z(datetime.fromtimestamp(epoch, UTC))

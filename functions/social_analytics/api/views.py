"""Read-side helpers of the tracking routes: query parsing (422s naming the field) and response shapes."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from urllib.parse import unquote

from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from social_analytics import composition
from social_analytics.analyses.compare import MAX_KEYWORDS
from social_analytics.latency import percentile
from social_analytics.models import isoformat_z
from social_analytics.query import parse_query
from social_analytics.schemas import validate_keyword

DEFAULT_HISTORY_SECONDS = 7 * 86400
# Time bounds are clamped to this range: outside it no data can exist, and the calendar's ends (year 1, year 9999
# with an offset) overflow the conversions to and from epoch seconds.
EARLIEST_EPOCH = 0.0  # 1970-01-01T00:00:00Z
LATEST_EPOCH = 4102444800.0  # 2100-01-01T00:00:00Z

# Routes that change or delete data: refused with 401 before anything else without the admin token.
_ADMIN_CALLS = (
    ("POST", re.compile(r"^/api/tracked/?$")),
    ("DELETE", re.compile(r"^/api/tracked/[^/]+/?$")),
    ("DELETE", re.compile(r"^/api/analyses/[^/]+/?$")),
    ("POST", re.compile(r"^/api/admin/")),
)
UNAUTHORIZED = {
    "statusCode": 401,
    "headers": {"Content-Type": "application/json", "WWW-Authenticate": 'Bearer realm="admin"'},
    "body": json.dumps({"error": {"code": "unauthorized", "message": "a valid admin token is required"}}),
}


def is_admin_call(event: dict) -> bool:
    method = str(event.get("httpMethod") or "").upper()
    path = str(event.get("path") or "")
    return any(method == m and pattern.match(path) for m, pattern in _ADMIN_CALLS)


def invalid(field: tuple, message: str, error: Exception | None = None, where: str = "query") -> RequestValidationError:
    """A 422 naming the field; ``error`` (a QuerySyntaxError) lets the answer say at which character."""
    problem: dict = {"loc": (where, *field), "msg": message, "type": "value_error"}
    if error is not None:
        problem["ctx"] = {"error": error}
    return RequestValidationError([problem])


def parse_time(value: str | None, name: str, default: float) -> float:
    if value is None or not value.strip():
        return default
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise invalid((name,), "must be an ISO 8601 time, e.g. 2026-11-24T13:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        epoch = moment.timestamp()
    except (OverflowError, ValueError, OSError):
        epoch = EARLIEST_EPOCH if moment.year < 1970 else LATEST_EPOCH
    return clamp_epoch(epoch)


def clamp_epoch(epoch: float) -> float:
    return min(max(epoch, EARLIEST_EPOCH), LATEST_EPOCH)


def path_keyword(raw: str) -> str:
    """A keyword from a URL path (still percent-encoded, as API Gateway hands it over), validated like a body's."""
    keyword = unquote(raw)
    try:
        validate_keyword(keyword)
    except ValueError as error:
        raise invalid(("keyword",), str(error), error, where="path") from None
    return keyword


def history(keyword: str, since: str | None, until: str | None) -> dict:
    until_epoch = parse_time(until, "until", time.time())
    since_epoch = parse_time(since, "since", clamp_epoch(until_epoch - DEFAULT_HISTORY_SECONDS))
    if since_epoch > until_epoch:
        raise invalid(("since",), "must not be after until")
    key = parse_query(keyword).key
    points = [point.public() for point in composition.tracking.history.query_points(key, since_epoch, until_epoch)]
    return {
        "keyword": " ".join(keyword.split()),
        "key": key,
        "since": isoformat_z(datetime.fromtimestamp(since_epoch, UTC)),
        "until": isoformat_z(datetime.fromtimestamp(until_epoch, UTC)),
        "points": points,
    }


def alerts(keyword: str | None, since: str | None, limit: int) -> dict:
    since_iso = None
    if since:
        since_iso = isoformat_z(datetime.fromtimestamp(parse_time(since, "since", 0), UTC))
    if keyword:
        try:
            validate_keyword(keyword)
        except ValueError as error:
            raise invalid(("keyword",), str(error), error) from None
    key = parse_query(keyword).key if keyword else None
    return {"alerts": [alert.public() for alert in composition.tracking.alerts.list_alerts(key, since_iso, limit)]}


def compare_keywords(raw: str) -> list[str]:
    keywords = [part for part in (piece.strip() for piece in raw.split(",")) if part]
    if not keywords:
        raise invalid(("keywords",), "name 1 to 10 comma-separated keywords")
    if len(keywords) > MAX_KEYWORDS:
        raise invalid(("keywords",), f"at most {MAX_KEYWORDS} keywords (got {len(keywords)})")
    for index, keyword in enumerate(keywords):
        try:
            validate_keyword(keyword)
        except ValueError as error:
            raise invalid(("keywords", index), str(error), error) from None
    return keywords


def metrics() -> dict:
    """The counters and latency percentiles of ``GET /api/metrics`` (the route adds the spend report)."""
    counts, histograms = composition.data.counter_readings.read_counters()
    batches = counts["batches_processed"]
    return {
        "cache_hits": counts["cache_hits"],
        "cache_misses": counts["cache_misses"],
        "tasks_enqueued": counts["tasks_enqueued"],
        "batches_processed": batches,
        "avg_batch_size": round(counts["batch_records"] / batches, 2) if batches else 0.0,
        "jobs_done": counts["jobs_done"],
        "jobs_failed": counts["jobs_failed"],
        "posts_analyzed": counts["posts_analyzed"],
        "latency_ms": {
            name: {"p50": percentile(buckets, 0.50), "p95": percentile(buckets, 0.95), "samples": sum(buckets.values())}
            for name, buckets in histograms.items()
        },
        # Jetstream ingestion: runs that connected, posts counted (per keyword), gaps recorded (docs/STREAM.md)
        "stream": {
            "runs": counts["stream_runs"],
            "posts_counted": counts["stream_posts_counted"],
            "gaps": counts["stream_gaps"],
        },
    }

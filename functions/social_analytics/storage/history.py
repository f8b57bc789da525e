"""History points of tracked keywords: one item per completed scan.

Item: ``KW#<key>, HIST#<iso time>#<job id>`` with ``expires_at`` (TTL, 90 days by default). Queries always
bound the range by time: moto never expires TTL items and DynamoDB may take days to, so TTL only reclaims space.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from social_analytics.models import isoformat_z
from social_analytics.records import HistoryPoint
from social_analytics.storage import aws, dynamo

PREFIX = dynamo.HISTORY
MAX_POINTS = 5000
_sort_key = dynamo.history_sk


def append_point(key: str, point: HistoryPoint, ttl_seconds: int) -> bool:
    """Store one point (``point.time`` is ISO 8601 Z, ``point.epoch`` seconds); False if it exists already."""
    item = {
        **dynamo.keyword_item_key(key, _sort_key(point.time, point.job_id)),
        "epoch": dynamo.decimal(point.epoch),
        "point_json": json.dumps(point.model_dump(exclude_unset=True), separators=(",", ":"), ensure_ascii=False),
        "expires_at": int(point.epoch + ttl_seconds),
    }
    return dynamo.conditional(
        dynamo.results_table().put_item, Item=item, ConditionExpression="attribute_not_exists(sk)"
    )


def query_points(key: str, since: float, until: float, limit: int = MAX_POINTS) -> list[HistoryPoint]:
    """Points with since <= time <= until, oldest first (at most ``limit``, the newest ones)."""
    low = _sort_key(isoformat_z_epoch(since))
    high = _sort_key(isoformat_z_epoch(until)) + "~"  # '~' sorts after the job-id suffix
    condition = aws.Key("pk").eq(dynamo.keyword_pk(key)) & aws.Key("sk").between(low, high)
    points: list[HistoryPoint] = []
    if limit <= 0:
        return points
    for item in dynamo.query_items(KeyConditionExpression=condition, ScanIndexForward=False):
        if since <= float(item["epoch"]) <= until:
            points.append(HistoryPoint.model_validate_json(item["point_json"]))
            if len(points) >= limit:
                break
    return list(reversed(points))


def isoformat_z_epoch(epoch: float) -> str:
    return isoformat_z(datetime.fromtimestamp(epoch, UTC))

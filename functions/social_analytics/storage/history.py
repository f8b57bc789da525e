"""History points of tracked keywords: one item per completed scan.

Item: ``KW#<key>, HIST#<iso time>#<job id>`` with ``expires_at`` (TTL, 90 days by default). Queries always
bound the range by time: moto never expires TTL items and DynamoDB may take days to, so TTL only reclaims space.
"""

from __future__ import annotations

import json
from decimal import Decimal

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from social_analytics.models import isoformat_z
from social_analytics.records import HistoryPoint
from social_analytics.settings import get_settings
from social_analytics.storage.clients import table

PREFIX = "HIST#"
MAX_POINTS = 5000


def _table():
    return table(get_settings().table_name)


def _sort_key(moment_iso: str, job_id: str = "") -> str:
    return f"{PREFIX}{moment_iso}#{job_id}"


def append_point(key: str, point: HistoryPoint, ttl_seconds: int) -> bool:
    """Store one point (``point.time`` is ISO 8601 Z, ``point.epoch`` seconds); False if it exists already."""
    item = {
        "pk": f"KW#{key}",
        "sk": _sort_key(point.time, point.job_id),
        "epoch": Decimal(str(round(point.epoch, 3))),
        "point_json": json.dumps(point.model_dump(exclude_unset=True), separators=(",", ":"), ensure_ascii=False),
        "expires_at": int(point.epoch + ttl_seconds),
    }
    try:
        _table().put_item(Item=item, ConditionExpression="attribute_not_exists(sk)")
        return True
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise


def query_points(key: str, since: float, until: float, limit: int = MAX_POINTS) -> list[HistoryPoint]:
    """Points with since <= time <= until, oldest first (at most ``limit``, the newest ones)."""
    low = _sort_key(isoformat_z_epoch(since))
    high = _sort_key(isoformat_z_epoch(until)) + "~"  # '~' sorts after the job-id suffix
    query = {
        "KeyConditionExpression": Key("pk").eq(f"KW#{key}") & Key("sk").between(low, high),
        "ScanIndexForward": False,
    }
    points: list[HistoryPoint] = []
    while len(points) < limit:
        page = _table().query(**query)
        for item in page.get("Items", []):
            if since <= float(item["epoch"]) <= until:
                points.append(HistoryPoint.model_validate_json(item["point_json"]))
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return list(reversed(points[:limit]))


def isoformat_z_epoch(epoch: float) -> str:
    from datetime import UTC, datetime

    return isoformat_z(datetime.fromtimestamp(epoch, UTC))

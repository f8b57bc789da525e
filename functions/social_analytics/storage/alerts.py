"""Alerts: ``ALERTS, <iso time>#<key>#<type>`` (newest-first listing across keywords), with ``expires_at``."""

from __future__ import annotations

import json
from decimal import Decimal

from boto3.dynamodb.conditions import Attr, Key

from social_analytics.records import Alert
from social_analytics.settings import get_settings
from social_analytics.storage.clients import table

PARTITION = "ALERTS"


def _table():
    return table(get_settings().table_name)


def put_alert(alert: Alert, ttl_seconds: int) -> None:
    stored = alert.model_dump(exclude_unset=True, exclude={"event_id"})
    _table().put_item(
        Item={
            "pk": PARTITION,
            "sk": f"{alert.at}#{alert.key}#{alert.type}",
            "key": alert.key,
            "epoch": Decimal(str(round(alert.epoch, 3))),
            "alert_json": json.dumps(stored, separators=(",", ":"), ensure_ascii=False),
            "expires_at": int(alert.epoch + ttl_seconds),
        }
    )


def list_alerts(key: str | None = None, since_iso: str | None = None, limit: int = 100) -> list[Alert]:
    """Newest first, optionally for one keyword and not older than ``since_iso``."""
    condition = Key("pk").eq(PARTITION)
    if since_iso:
        condition = condition & Key("sk").gte(since_iso)
    query: dict = {"KeyConditionExpression": condition, "ScanIndexForward": False}
    if key is not None:
        query["FilterExpression"] = Attr("key").eq(key)
    alerts: list[Alert] = []
    while len(alerts) < limit:
        page = _table().query(**query)
        alerts.extend(Alert.model_validate_json(item["alert_json"]) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return alerts[:limit]


def delete_alerts(key: str) -> int:
    deleted = 0
    query: dict = {
        "KeyConditionExpression": Key("pk").eq(PARTITION),
        "FilterExpression": Attr("key").eq(key),
        "ProjectionExpression": "pk, sk",
    }
    with _table().batch_writer() as batch:
        while True:
            page = _table().query(**query)
            for item in page.get("Items", []):
                batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
                deleted += 1
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return deleted

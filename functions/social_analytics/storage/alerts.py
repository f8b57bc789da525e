"""Alerts: ``ALERTS, <iso time>#<key>#<type>`` (newest-first listing across keywords), with ``expires_at``."""

from __future__ import annotations

import json

from social_analytics.records import Alert
from social_analytics.storage import aws, dynamo

PARTITION = dynamo.ALERTS


def put_alert(alert: Alert, ttl_seconds: int) -> None:
    stored = alert.model_dump(exclude_unset=True, exclude={"event_id"})  # the event id comes after it is stored
    dynamo.results_table().put_item(
        Item={
            "pk": PARTITION,
            "sk": dynamo.alert_sk(alert.at, alert.key, alert.type),
            "key": alert.key,
            "epoch": dynamo.decimal(alert.epoch),
            "alert_json": json.dumps(stored, separators=(",", ":"), ensure_ascii=False),
            "expires_at": int(alert.epoch + ttl_seconds),
        }
    )


def list_alerts(key: str | None = None, since_iso: str | None = None, limit: int = 100) -> list[Alert]:
    """Newest first, optionally for one keyword and not older than ``since_iso``."""
    condition = aws.Key("pk").eq(PARTITION)
    if since_iso:
        condition = condition & aws.Key("sk").gte(since_iso)
    query: dict = {"KeyConditionExpression": condition, "ScanIndexForward": False}
    if key is not None:
        query["FilterExpression"] = aws.Attr("key").eq(key)
    alerts: list[Alert] = []
    if limit <= 0:
        return alerts
    for item in dynamo.query_items(**query):
        alerts.append(Alert.model_validate_json(item["alert_json"]))
        if len(alerts) >= limit:
            break
    return alerts


def delete_alerts(key: str) -> int:
    return dynamo.delete_matching(
        KeyConditionExpression=aws.Key("pk").eq(PARTITION),
        FilterExpression=aws.Attr("key").eq(key),
        ProjectionExpression="pk, sk",
    )

"""Tracked keywords: the scan schedule's list, one item per keyword.

Item: ``TRACKED, KW#<key>`` with the keyword's scan settings, when a scan was last enqueued and when each
kind of alert last fired (the cooldown). No TTL: a tracked keyword stays until an admin removes it.
"""

from __future__ import annotations

import time

from boto3.dynamodb.conditions import Key

from social_analytics.storage import dynamo

PARTITION = dynamo.TRACKED
_table = dynamo.results_table
_item_key = dynamo.tracked_key


def _plain(item: dict) -> dict:
    tracked = {
        "keyword": item["keyword"],
        "key": item["key"],
        "interval_minutes": int(item["interval_minutes"]),
        "sensitivity": item.get("sensitivity", "medium"),
        "min_volume": int(item.get("min_volume", 10)),
        "limit": int(item.get("limit", 100)),
        "window_hours": int(item.get("window_hours", 24)),
        "providers": list(item["providers"]) if item.get("providers") else None,
        "languages": list(item["languages"]) if item.get("languages") else None,
        "created_at": float(item["created_at"]),
        "last_enqueued_at": float(item["last_enqueued_at"]) if "last_enqueued_at" in item else None,
        "last_job_id": item.get("last_job_id"),
        "last_alerts": {name: float(value) for name, value in (item.get("last_alerts") or {}).items()},
    }
    return tracked


def put_tracked(config: dict) -> tuple[dict, bool]:
    """Create or update a tracked keyword's settings, keeping its schedule and cooldown state.

    Returns (the stored item, True when it was created).
    """
    now = dynamo.decimal(time.time())
    values = {
        ":keyword": config["keyword"],
        ":key": config["key"],
        ":interval": config["interval_minutes"],
        ":sensitivity": config["sensitivity"],
        ":min_volume": config["min_volume"],
        ":limit": config["limit"],
        ":window": config["window_hours"],
        ":now": now,
    }
    expression = (
        "SET keyword = :keyword, #key = :key, interval_minutes = :interval, sensitivity = :sensitivity, "
        "min_volume = :min_volume, #limit = :limit, window_hours = :window, "
        "created_at = if_not_exists(created_at, :now), updated_at = :now"
    )
    removed = []
    if config.get("providers"):
        expression += ", providers = :providers"
        values[":providers"] = list(config["providers"])
    else:
        removed.append("providers")
    if config.get("languages"):
        expression += ", languages = :languages"
        values[":languages"] = list(config["languages"])
    else:
        removed.append("languages")
    expression += " REMOVE " + ", ".join(removed) if removed else ""
    response = _table().update_item(
        Key=_item_key(config["key"]),
        UpdateExpression=expression,
        ExpressionAttributeNames={"#key": "key", "#limit": "limit"},
        ExpressionAttributeValues=values,
        ReturnValues="ALL_NEW",
    )
    item = response["Attributes"]
    return _plain(item), item["created_at"] == now


def get_tracked(key: str) -> dict | None:
    item = _table().get_item(Key=_item_key(key), ConsistentRead=True).get("Item")
    return _plain(item) if item else None


def list_tracked() -> list[dict]:
    return [
        _plain(item) for item in dynamo.query_items(KeyConditionExpression=Key("pk").eq(PARTITION), ConsistentRead=True)
    ]


def delete_tracked(key: str) -> bool:
    response = _table().delete_item(Key=_item_key(key), ReturnValues="ALL_OLD")
    return bool(response.get("Attributes"))


def mark_enqueued(key: str, job_id: str, at: float) -> None:
    """Record a scan's enqueue time (only if the keyword is still tracked)."""
    dynamo.conditional(
        _table().update_item,
        Key=_item_key(key),
        UpdateExpression="SET last_enqueued_at = :at, last_job_id = :job",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":at": dynamo.decimal(at), ":job": job_id},
    )


def mark_alerted(key: str, alert_type: str, at: float) -> None:
    """Remember when an alert of this type last fired: the start of its cooldown."""
    if not dynamo.conditional(
        _table().update_item,
        Key=_item_key(key),
        UpdateExpression="SET last_alerts = if_not_exists(last_alerts, :empty)",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":empty": {}},
    ):
        return  # no longer tracked
    dynamo.conditional(
        _table().update_item,
        Key=_item_key(key),
        UpdateExpression="SET last_alerts.#type = :at",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames={"#type": alert_type},
        ExpressionAttributeValues={":at": dynamo.decimal(at)},
    )

"""Tracked keywords: the scan schedule's list, one item per keyword.

Item: ``TRACKED, KW#<key>`` with the keyword's scan settings, when a scan was last enqueued and when each
kind of alert last fired (the cooldown). No TTL: a tracked keyword stays until an admin removes it.
"""

from __future__ import annotations

import time

from social_analytics.records import TrackedKeyword
from social_analytics.storage import aws, dynamo

PARTITION = dynamo.TRACKED
_table = dynamo.results_table
_item_key = dynamo.tracked_key


def _from_item(item: dict) -> TrackedKeyword:
    """The model of a stored item: numbers converted, absent settings their defaults, other attributes ignored."""
    return TrackedKeyword.model_validate(dynamo.from_dynamo(item))


def put_tracked(config: TrackedKeyword, replace_channels: bool = True) -> tuple[TrackedKeyword, bool]:
    """Create or update a tracked keyword's settings, keeping its schedule and cooldown state.

    Only the settings of ``config`` are written. Returns (the stored keyword, True when it was created).
    """
    now = dynamo.decimal(time.time())
    values = {
        ":keyword": config.keyword,
        ":key": config.key,
        ":interval": config.interval_minutes,
        ":sensitivity": config.sensitivity,
        ":min_volume": config.min_volume,
        ":limit": config.limit,
        ":window": config.window_hours,
        ":now": now,
    }
    expression = (
        "SET keyword = :keyword, #key = :key, interval_minutes = :interval, sensitivity = :sensitivity, "
        "min_volume = :min_volume, #limit = :limit, window_hours = :window, "
        "created_at = if_not_exists(created_at, :now), updated_at = :now"
    )
    removed = []
    if config.providers:
        expression += ", providers = :providers"
        values[":providers"] = list(config.providers)
    else:
        removed.append("providers")
    if config.languages:
        expression += ", languages = :languages"
        values[":languages"] = list(config.languages)
    else:
        removed.append("languages")
    if replace_channels and config.channels:
        expression += ", channels = :channels"
        values[":channels"] = [sub.model_dump() for sub in config.channels]
    elif replace_channels:
        removed.append("channels")
    expression += " REMOVE " + ", ".join(removed) if removed else ""
    response = _table().update_item(
        Key=_item_key(config.key),
        UpdateExpression=expression,
        ExpressionAttributeNames={"#key": "key", "#limit": "limit"},
        ExpressionAttributeValues=values,
        ReturnValues="ALL_NEW",
    )
    item = response["Attributes"]
    return _from_item(item), item["created_at"] == now


def get_tracked(key: str) -> TrackedKeyword | None:
    item = _table().get_item(Key=_item_key(key), ConsistentRead=True).get("Item")
    return _from_item(item) if item else None


def list_tracked() -> list[TrackedKeyword]:
    return [
        _from_item(item)
        for item in dynamo.query_items(KeyConditionExpression=aws.Key("pk").eq(PARTITION), ConsistentRead=True)
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

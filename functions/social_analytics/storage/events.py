"""Alerts as EventBridge events on the default bus (source ``async-social-analytics``)."""

from __future__ import annotations

import json

from social_analytics.storage.clients import client

SOURCE = "async-social-analytics"


def publish(detail_type: str, detail: dict) -> str:
    """Put one event; returns its id. Raises when EventBridge rejects it."""
    response = client("events").put_events(
        Entries=[
            {
                "Source": SOURCE,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, separators=(",", ":"), ensure_ascii=False),
                "EventBusName": "default",
            }
        ]
    )
    entry = response["Entries"][0]
    if response.get("FailedEntryCount") or "EventId" not in entry:
        raise RuntimeError(f"EventBridge rejected the event: {entry.get('ErrorCode')} {entry.get('ErrorMessage')}")
    return entry["EventId"]

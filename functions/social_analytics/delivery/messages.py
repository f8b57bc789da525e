"""Delivery messages: one per (alert, digest, test or folded notice; channel), queued on the delivery queue.

Each carries its idempotency key and its creation time, which together name its row in the channel's log
(``storage.channels``): queueing the same message twice finds the row and queues nothing, and delivering it twice
finds it delivered and sends nothing.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel

from social_analytics import composition
from social_analytics.delivery import formats
from social_analytics.observability import logger
from social_analytics.records import Alert, Delivery, TrackedKeyword
from social_analytics.settings import get_delivery_settings

Kind = Literal["alert", "digest", "test", "folded"]


class DeliveryMessage(BaseModel):
    kind: Kind
    channel_id: str
    idempotency_key: str
    created_at: float
    what: str
    key: str | None = None  # the tracked keyword's key (alerts, digests)
    dashboard_url: str | None = None
    payload: dict[str, Any]

    def row(self) -> Delivery:
        return Delivery(
            channel_id=self.channel_id,
            idempotency_key=self.idempotency_key,
            created_at=self.created_at,
            kind=self.kind,
            what=self.what,
        )


def alert_key(alert: Alert) -> str:
    """The same alert always has the same key: its keyword, type and time."""
    return f"alert:{alert.key}:{alert.type}:{alert.at}"


def alert_messages(item: TrackedKeyword, alert: Alert) -> list[DeliveryMessage]:
    link = formats.dashboard_link(get_delivery_settings().dashboard_url, item.keyword)
    payload = alert.public()
    return [
        DeliveryMessage(
            kind="alert",
            channel_id=sub.id,
            idempotency_key=alert_key(alert),
            created_at=round(alert.epoch, 3),
            what=f"{alert.type} {item.keyword!r}",
            key=item.key,
            dashboard_url=link,
            payload=payload,
        )
        for sub in item.channels
        if sub.alerts
    ]


def test_message(channel_id: str, channel_name: str) -> DeliveryMessage:
    now = round(time.time(), 3)
    return DeliveryMessage(
        kind="test",
        channel_id=channel_id,
        idempotency_key=f"test:{uuid.uuid4().hex[:12]}",
        created_at=now,
        what="test message",
        dashboard_url=get_delivery_settings().dashboard_url or None,
        payload={"channel_name": channel_name, "text": "If you can read this, the channel works."},
    )


def enqueue(messages: list[DeliveryMessage]) -> int:
    """Record each message's row (queued) and queue it; a message whose row exists was queued before and is
    skipped. Returns how many were queued."""
    stores = composition.delivery
    fresh = [m for m in messages if stores.channels.create_delivery(m.row())]
    if not fresh:
        return 0
    refused = stores.queue.send_deliveries([m.model_dump() for m in fresh])
    for body in refused:  # not queued: say so in the log rather than leave it "queued" forever
        message = DeliveryMessage.model_validate(body)
        stores.channels.finish_delivery(message.row(), "failed", None, None, "could not be queued")
    return len(fresh) - len(refused)


def alert_raised(item: TrackedKeyword, alert: Alert) -> int:
    """Queue the alert for each of the keyword's channels that takes alerts. Best effort: a failure is logged and
    does not undo the alert (it is stored and published already)."""
    try:
        return enqueue(alert_messages(item, alert))
    except Exception:
        logger.exception("queueing the alert's deliveries failed", extra={"keyword": item.keyword})
        return 0

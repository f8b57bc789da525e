"""In-memory delivery stores (delivery.ports) for unit tests: the channels with their secrets and logs, the
delivery queue (messages kept in a list; a retry's delay recorded), and a mailer that keeps what it was given."""

from __future__ import annotations

from social_analytics.records import Channel, ChannelSecret, Delivery


class InMemoryChannels:
    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}
        self.secrets: dict[str, ChannelSecret] = {}
        self.rows: dict[tuple[str, float, str], Delivery] = {}
        self.folds: dict[tuple[str, int], dict] = {}

    def put_channel(self, channel: Channel, secret: ChannelSecret) -> None:
        self.channels[channel.id] = channel
        self.secrets[channel.id] = secret

    def get_channel(self, channel_id: str) -> Channel | None:
        return self.channels.get(channel_id)

    def list_channels(self) -> list[Channel]:
        return list(self.channels.values())

    def delete_channel(self, channel_id: str) -> bool:
        self.secrets.pop(channel_id, None)
        return self.channels.pop(channel_id, None) is not None

    def get_secret(self, channel_id: str) -> ChannelSecret | None:
        return self.secrets.get(channel_id)

    def _key(self, row: Delivery) -> tuple[str, float, str]:
        return row.channel_id, round(row.created_at, 3), row.idempotency_key

    def create_delivery(self, delivery: Delivery) -> bool:
        if self._key(delivery) in self.rows:
            return False
        self.rows[self._key(delivery)] = delivery.model_copy()
        return True

    def claim_delivery(self, delivery: Delivery, now: float, lease_seconds: float):
        row = self.rows.get(self._key(delivery))
        free = (
            row is None
            or row.status in ("queued", "retrying")
            or (row.status == "sending" and (row.lease_until or 0) < now)
        )
        if not free:
            return False, row.model_copy()
        base = row or delivery.model_copy()
        claimed = base.model_copy(
            update={"status": "sending", "lease_until": now + lease_seconds, "attempts": base.attempts + 1}
        )
        self.rows[self._key(delivery)] = claimed
        return True, claimed.model_copy()

    def get_delivery(self, channel_id: str, created_at: float, idempotency_key: str) -> Delivery | None:
        return self.rows.get((channel_id, round(created_at, 3), idempotency_key))

    def finish_delivery(self, delivery, status, code, latency_ms, error) -> None:
        key = self._key(delivery)
        row = self.rows.get(key) or delivery.model_copy()
        self.rows[key] = row.model_copy(
            update={"status": status, "code": code, "latency_ms": latency_ms, "error": error, "lease_until": None}
        )

    def list_deliveries(self, channel_id: str, limit: int = 50) -> list[Delivery]:
        rows = [r for (c, _, _), r in self.rows.items() if c == channel_id]
        return sorted(rows, key=lambda r: -r.created_at)[:limit]

    def count_sent_since(self, channel_id: str, since: float) -> int:
        return sum(
            1
            for (c, created, _), r in self.rows.items()
            if c == channel_id and created >= since and r.status in ("sending", "delivered")
        )

    def add_fold(self, channel_id: str, hour: int, what: str) -> None:
        fold = self.folds.setdefault((channel_id, hour), {"hour": hour, "count": 0, "alerts": set()})
        fold["count"] += 1
        fold["alerts"].add(what)

    def open_folds(self, channel_id: str, before_hour: int) -> list[dict]:
        return [
            {"hour": f["hour"], "count": f["count"], "alerts": sorted(f["alerts"])}
            for (c, hour), f in self.folds.items()
            if c == channel_id and hour < before_hour and not f.get("announced")
        ]

    def mark_fold_announced(self, channel_id: str, hour: int) -> bool:
        fold = self.folds.get((channel_id, hour))
        if fold is None or fold.get("announced"):
            return False
        fold["announced"] = True
        return True


class InMemoryDeliveryQueue:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.delays: list[int] = []

    def send_deliveries(self, messages: list[dict]) -> list[dict]:
        self.messages.extend(messages)
        return []

    def delay_retry(self, receipt_handle: str, seconds: int) -> None:
        self.delays.append(seconds)


class RecordingMailer:
    def __init__(self, answer: tuple[str, str] = ("sent", "m-1")) -> None:
        self.sent: list[dict] = []
        self.answer = answer

    def send_email(self, sender: str, to: str, subject: str, text: str, html: str) -> tuple[str, str]:
        self.sent.append({"sender": sender, "to": to, "subject": subject, "text": text, "html": html})
        return self.answer

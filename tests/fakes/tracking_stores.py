"""In-memory stores for the tracking code's unit tests: the Protocols of tracking/ports.py (tracked keywords,
history, alerts) and the event bus. They keep the DynamoDB modules' semantics that the scheduling logic relies on
(an update keeps the schedule and cooldowns, marks only touch a keyword still tracked, a history point is stored
once, ranges are inclusive and oldest first, alerts newest first), checked by tests/component/test_tracking_stores.py.
The job store, queue and counters are tests/fakes/stores.py's.
"""

from __future__ import annotations

import time

from social_analytics.records import Alert, HistoryPoint, TrackedKeyword

SETTINGS_FIELDS = (
    "keyword",
    "key",
    "interval_minutes",
    "sensitivity",
    "min_volume",
    "limit",
    "window_hours",
    "providers",
    "languages",
)


class FakeTrackedStore:
    def __init__(self) -> None:
        self.items: dict[str, TrackedKeyword] = {}

    def put_tracked(self, config: TrackedKeyword, replace_channels: bool = True) -> tuple[TrackedKeyword, bool]:
        settings = {name: getattr(config, name) for name in SETTINGS_FIELDS}
        if replace_channels or config.key not in self.items:
            settings["channels"] = list(config.channels)
        existing = self.items.get(config.key)
        if existing is None:
            stored = TrackedKeyword(**settings, created_at=round(time.time(), 3))
        else:
            stored = existing.model_copy(update=settings)
        self.items[config.key] = stored
        return stored.model_copy(deep=True), existing is None

    def get_tracked(self, key: str) -> TrackedKeyword | None:
        item = self.items.get(key)
        return item.model_copy(deep=True) if item else None

    def list_tracked(self) -> list[TrackedKeyword]:
        return [item.model_copy(deep=True) for item in self.items.values()]

    def delete_tracked(self, key: str) -> bool:
        return self.items.pop(key, None) is not None

    def mark_enqueued(self, key: str, job_id: str, at: float) -> None:
        if key in self.items:
            self.items[key] = self.items[key].model_copy(
                update={"last_enqueued_at": round(at, 3), "last_job_id": job_id}
            )

    def mark_alerted(self, key: str, alert_type: str, at: float) -> None:
        if key in self.items:
            alerts = {**self.items[key].last_alerts, alert_type: round(at, 3)}
            self.items[key] = self.items[key].model_copy(update={"last_alerts": alerts})


class FakeHistory:
    def __init__(self) -> None:
        self.points: dict[str, dict[tuple[str, str], HistoryPoint]] = {}

    def append_point(self, key: str, point: HistoryPoint, ttl_seconds: int) -> bool:
        stored = self.points.setdefault(key, {})
        sort_key = (point.time, point.job_id)
        if sort_key in stored:
            return False
        stored[sort_key] = HistoryPoint.model_validate_json(point.model_dump_json(exclude_unset=True))  # as stored
        return True

    def query_points(self, key: str, since: float, until: float, limit: int = 5000) -> list[HistoryPoint]:
        found = sorted(
            (p for p in self.points.get(key, {}).values() if since <= p.epoch <= until), key=lambda p: p.epoch
        )
        return [p.model_copy(deep=True) for p in found[-limit:]] if limit else []


class FakeAlerts:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def put_alert(self, alert: Alert, ttl_seconds: int) -> None:
        # as stored: its JSON, without the event id it is given once published
        self.alerts.append(Alert.model_validate_json(alert.model_dump_json(exclude_unset=True, exclude={"event_id"})))

    def list_alerts(self, key: str | None = None, since_iso: str | None = None, limit: int = 100) -> list[Alert]:
        newest_first = sorted(self.alerts, key=lambda a: f"{a.at}#{a.key}#{a.type}", reverse=True)
        return [
            a.model_copy(deep=True)
            for a in newest_first
            if (key is None or a.key == key) and (since_iso is None or a.at >= since_iso)
        ][:limit]


class FakeEvents:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict]] = []

    def publish(self, detail_type: str, detail: dict) -> str:
        self.published.append((detail_type, detail))
        return f"event-{len(self.published)}"

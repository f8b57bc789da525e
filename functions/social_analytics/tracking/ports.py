"""What the tracking code needs of its stores, as Protocols.

The DynamoDB modules satisfy them as they are (storage/tracked.py, storage/history.py, storage/alerts.py, and
storage/events.py the event bus: a module is a structural match); ``composition.tracking`` holds them, and the unit
tests put in-memory fakes there (tests/fakes/tracking_stores.py).
"""

from __future__ import annotations

from typing import Protocol

from social_analytics.records import Alert, BucketDelta, HistoryPoint, TrackedKeyword


class TrackedStore(Protocol):
    """The tracked keywords, one per key, with their schedule and alert cooldowns."""

    def put_tracked(self, config: TrackedKeyword, replace_channels: bool = True) -> tuple[TrackedKeyword, bool]:
        """Create or update the settings (schedule and cooldowns kept, channels too unless ``replace_channels``);
        True when it was created."""
        ...

    def get_tracked(self, key: str) -> TrackedKeyword | None: ...

    def list_tracked(self) -> list[TrackedKeyword]: ...

    def delete_tracked(self, key: str) -> bool: ...

    def mark_enqueued(self, key: str, job_id: str, at: float) -> None:
        """Record a scan's enqueue time, only if the keyword is still tracked."""
        ...

    def mark_alerted(self, key: str, alert_type: str, at: float) -> None:
        """Record when an alert of this type last fired, only if the keyword is still tracked."""
        ...


class History(Protocol):
    """Each keyword's history points, one per completed scan."""

    def append_point(self, key: str, point: HistoryPoint, ttl_seconds: int) -> bool:
        """Store the point; False when a point of the same time and job is stored already."""
        ...

    def query_points(self, key: str, since: float, until: float, limit: int = ...) -> list[HistoryPoint]:
        """Points with since <= epoch <= until, oldest first (at most ``limit``, the newest ones)."""
        ...


class Alerts(Protocol):
    """Raised alerts, newest first across keywords."""

    def put_alert(self, alert: Alert, ttl_seconds: int) -> None: ...

    def list_alerts(self, key: str | None = None, since_iso: str | None = None, limit: int = 100) -> list[Alert]: ...


class EventBus(Protocol):
    """Where raised alerts are published (EventBridge's default bus: storage/events.py)."""

    def publish(self, detail_type: str, detail: dict) -> str:
        """Publish one event; returns its id. Raises when the bus rejects it."""
        ...


class StreamCounts(Protocol):
    """The stream's per-minute counts, its cursor and its gaps (storage/stream.py)."""

    def get_cursor(self) -> int | None: ...

    def put_cursor(self, time_us: int) -> None: ...

    def put_gap(self, from_us: int, to_us: int, reason: str, ttl_seconds: int) -> None: ...

    def list_gaps(self, since_us: int, until_us: int) -> list[dict]: ...

    def get_backfill(self, key: str) -> dict | None:
        """The archived span a keyword's minutes were filled from (``{"from_us", "to_us"}``), None when never."""
        ...

    def put_backfill(self, key: str, from_us: int, to_us: int, ttl_seconds: int) -> None: ...

    def reset_cursor_and_gaps(self) -> tuple[bool, int]:
        """Remove the cursor and every gap; returns (a cursor was there, gaps removed)."""
        ...

    def merge_buckets(self, deltas: dict[tuple[str, int], BucketDelta], ttl_seconds: int) -> int:
        """Add each (keyword, minute)'s new posts and deletes; returns how many posts were newly counted."""
        ...

    def get_buckets(self, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], dict]: ...

    def query_buckets(self, key: str, since_minute: int, until_minute: int, samples: bool = True) -> list[dict]: ...

    def query_hours(self, key: str, since_minute: int, until_minute: int) -> list[dict]:
        """The same minutes' counts from the compact hour items (no terms, no samples): long views, the backtest."""
        ...

    def mark_counted(self, markers: dict[str, dict[str, int]], ttl_seconds: int) -> None: ...

    def counted_keys(self, post_hashes: list[str]) -> dict[str, dict[str, int]]: ...

"""Which tracked keywords are due for a scan (service/tracking.py), without AWS."""

from __future__ import annotations

from social_analytics.records import TrackedKeyword
from social_analytics.tracking import scans as tracking


def item(key: str, interval_minutes: int, last: float | None) -> TrackedKeyword:
    return TrackedKeyword(keyword=key, key=key, interval_minutes=interval_minutes, last_enqueued_at=last)


def test_never_scanned_and_overdue_keywords_are_due_recent_ones_are_not():
    now = 1_800_000_000.0
    items = [
        item("never", 15, None),
        item("overdue", 15, now - 16 * 60),
        item("exactly", 15, now - 15 * 60),
        item("a little early", 15, now - 14 * 60),  # within a tenth of the interval: the schedule's jitter
        item("recent", 15, now - 5 * 60),
        item("long interval", 60, now - 30 * 60),
    ]
    assert [i.key for i in tracking.due_keywords(items, now)] == ["never", "overdue", "exactly", "a little early"]

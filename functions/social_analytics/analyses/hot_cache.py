"""The container's hot cache: results (and finished jobs) it served recently, kept a few seconds in front of
DynamoDB. One instance per container: ``social_analytics.composition.hot_results``."""

from __future__ import annotations

import json
import threading
import time

from social_analytics.records import StoredResult
from social_analytics.settings import get_settings


class HotResults:
    """Results this warm container served recently, kept a few seconds in front of DynamoDB.

    Bounded in size and age; an entry never outlives the result's own freshness.
    """

    def __init__(self, max_entries: int = 512) -> None:
        self._entries: dict[str, tuple[float, StoredResult, str]] = {}
        self._jobs: dict[str, tuple[float, dict, str]] = {}  # finished (done/failed) job bodies and keys, by id
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get(self, key: str) -> StoredResult | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, stored: StoredResult, fresh_for: float) -> None:
        lifetime = min(get_settings().hot_cache_seconds, fresh_for)
        if lifetime <= 0:
            return
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            # The whole cached answer is serialized once per entry, not once per hit: encoding (and validating)
            # a result of 50 posts is most of a hit's CPU time (docs/PERFORMANCE.md).
            text = json.dumps({"status": "done", "cached": True, "result": stored.result}, separators=(",", ":"))
            self._entries[key] = (time.monotonic() + lifetime, stored, text)

    def answer_text(self, key: str, result: dict) -> str | None:
        """The serialized cached answer for ``result`` if it is the one held for ``key``."""
        entry = self._entries.get(key)
        return entry[2] if entry is not None and entry[1].result is result else None

    def finished_job(self, job_id: str) -> dict | None:
        entry = self._jobs.get(job_id)
        return entry[1] if entry is not None and entry[0] >= time.monotonic() else None

    def put_finished_job(self, job_id: str, body: dict, key: str) -> None:
        lifetime = get_settings().hot_cache_seconds
        if lifetime <= 0:
            return
        with self._lock:
            if len(self._jobs) >= self._max_entries:
                self._jobs.clear()
            self._jobs[job_id] = (time.monotonic() + lifetime, body, key)

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)
            for job_id in [job_id for job_id, entry in self._jobs.items() if entry[2] == key]:
                del self._jobs[job_id]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._jobs.clear()

"""Platform counters (cache hits, misses, enqueues, batches) and latency histograms in DynamoDB: the storage behind
``GET /api/metrics`` (``api/views.metrics`` shapes the document); and each post source's health behind
``GET /api/sources``: per UTC day its requests, posts, jobs and failures (``METRICS`` / ``SOURCES#<day>``, kept 3 days)
and its last state (``METRICS`` / ``SOURCES``: last success, last failure with its public reason, rate limit, circuit
breaker, configured), written by the worker after each job. Code records events through ``observability.meter``,
which feeds these and the EMF metrics.

Increments are buffered in memory and written with one atomic ``ADD`` per flush, so the hot cached path
makes no DynamoDB call. ``METRICS_FLUSH_SECONDS`` > 0 flushes from a background thread at that period;
0 flushes on every record (tests). Readers flush their own buffer first, so a process reads its own counts.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from social_analytics.latency import bucket_of
from social_analytics.settings import get_settings
from social_analytics.storage import dynamo
from social_analytics.storage.clients import table

_KEY = dynamo.metric_key("COUNTERS")
COUNTERS = (
    "cache_hits",
    "cache_misses",
    "tasks_enqueued",
    "batches_processed",
    "batch_records",
    "jobs_done",
    "jobs_failed",
    "posts_analyzed",
    "stream_runs",
    "stream_posts_counted",
    "stream_gaps",
)
HISTOGRAMS = ("cached", "queued")
SOURCE_COUNTS = ("requests", "posts", "jobs", "failures")
SOURCE_STATE_FIELDS = (
    "configured", "ok_at", "fail_at", "fail_code", "fail_reason", "rate_limited_until", "breaker", "breaker_until",
    "as_of",
)  # fmt: skip
_SOURCES_STATE_KEY = dynamo.metric_key("SOURCES")
_SOURCES_KEEP_SECONDS = 3 * 86400


def _sources_day_key(day: str) -> dict:
    return dynamo.metric_key(f"SOURCES#{day}")


class MetricsRecorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # One flush at a time per process: DynamoDB's ADD is atomic, moto's emulation of it is not, and the worker
        # counts from several threads at once.
        self._flush_lock = threading.Lock()
        self._pending: Counter[str] = Counter()
        self._flusher: threading.Thread | None = None
        self._stop = threading.Event()

    def count(self, name: str, amount: int = 1) -> None:
        self._add({name: amount})

    def observe(self, histogram: str, milliseconds: float) -> None:
        self._add({f"h_{histogram}_{bucket_of(milliseconds)}": 1})

    def _add(self, increments: dict[str, int]) -> None:
        with self._lock:
            self._pending.update(increments)
        period = get_settings().metrics_flush_seconds
        if period <= 0:
            self.flush()
        elif self._flusher is None or not self._flusher.is_alive():
            self._start_flusher(period)

    def _start_flusher(self, period: float) -> None:
        def run() -> None:
            while not self._stop.wait(period):
                self.flush()

        self._flusher = threading.Thread(target=run, name="metrics-flusher", daemon=True)
        self._flusher.start()

    def flush(self) -> None:
        with self._flush_lock:
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, Counter()
        pending = {name: amount for name, amount in pending.items() if amount}
        if not pending:
            return
        names = {f"#a{i}": name for i, name in enumerate(pending)}
        values = {f":v{i}": amount for i, amount in enumerate(pending.values())}
        try:
            table(get_settings().table_name).update_item(
                Key=_KEY,
                UpdateExpression="ADD " + ", ".join(f"#a{i} :v{i}" for i in range(len(pending))),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except Exception:
            with self._lock:  # keep the counts for the next flush rather than lose them
                self._pending.update(pending)
            raise

    def pending(self) -> dict[str, int]:
        with self._lock:
            return dict(self._pending)

    def record_sources(self, day: str, counts: dict[str, dict[str, int]], states: dict[str, dict[str, Any]]) -> None:
        """Add each source's counts to the day's item (``<provider>#<count>``) and set the state fields given
        (``<provider>#<field>``; a field left out keeps its stored value). Written at once, not buffered: once per
        job, by the worker."""
        adds = {f"{name}#{count}": amount for name, c in counts.items() for count, amount in c.items() if amount}
        if adds:
            names = {f"#a{i}": attribute for i, attribute in enumerate(adds)}
            values: dict[str, Any] = {f":v{i}": amount for i, amount in enumerate(adds.values())}
            values[":ttl"] = int(time.time()) + _SOURCES_KEEP_SECONDS
            table(get_settings().table_name).update_item(
                Key=_sources_day_key(day),
                UpdateExpression="ADD "
                + ", ".join(f"#a{i} :v{i}" for i in range(len(adds)))
                + " SET expires_at = if_not_exists(expires_at, :ttl)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        sets = {f"{name}#{field}": value for name, fields in states.items() for field, value in fields.items()}
        if sets:
            table(get_settings().table_name).update_item(
                Key=_SOURCES_STATE_KEY,
                UpdateExpression="SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(sets))),
                ExpressionAttributeNames={f"#s{i}": attribute for i, attribute in enumerate(sets)},
                ExpressionAttributeValues={f":s{i}": value for i, value in enumerate(sets.values())},
            )


recorder = MetricsRecorder()


def read_counters() -> tuple[dict[str, int], dict[str, dict[int, int]]]:
    """Every counter (0 when never counted) and each latency histogram's buckets, after flushing this process's."""
    recorder.flush()
    item = table(get_settings().table_name).get_item(Key=_KEY, ConsistentRead=True).get("Item") or {}
    counts = {name: int(item.get(name, 0)) for name in COUNTERS}
    histograms: dict[str, dict[int, int]] = {name: {} for name in HISTOGRAMS}
    for attribute, value in item.items():
        if attribute.startswith("h_"):
            _, name, index = attribute.split("_")
            if name in histograms:
                histograms[name][int(index)] = int(value)
    return counts, histograms


def read_sources(day: str) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, Any]]]:
    """Each source's counts on ``day`` and its last recorded state (only sources ever recorded appear)."""
    store = table(get_settings().table_name)
    counted = store.get_item(Key=_sources_day_key(day), ConsistentRead=True).get("Item") or {}
    stated = store.get_item(Key=_SOURCES_STATE_KEY, ConsistentRead=True).get("Item") or {}
    counts: dict[str, dict[str, int]] = {}
    for attribute, value in counted.items():
        name, _, count = attribute.rpartition("#")
        if name and count in SOURCE_COUNTS:
            counts.setdefault(name, dict.fromkeys(SOURCE_COUNTS, 0))[count] = int(value)
    states: dict[str, dict[str, Any]] = {}
    for attribute, value in stated.items():
        name, _, field = attribute.rpartition("#")
        if name and field in SOURCE_STATE_FIELDS:
            states.setdefault(name, {})[field] = float(value) if hasattr(value, "as_tuple") else value
    return counts, states

"""In-memory stores that satisfy ``social_analytics.analyses.ports``, for fast unit tests of the service code.

``InMemoryJobStore`` follows ``storage.jobs`` transition for transition (the same conditions on the same fields):
one lock per keyword with a lease, queued -> running (with a lease, counting attempts) -> done/failed, the latest
result per keyword written before the job says done and before its lock is released. ``before_lock`` lets a test
run something at the moment a submission is about to take the lock (another job finishing, say). Jobs are kept as
plain dicts (tests edit them in place) and read as ``records.JobRecord``; results are ``records.StoredResult``.

Below them, the other stores the service code reads from ``composition.data``: stored windows and cursors, uploaded
imports, the spend ledger, the keyword purge and the counters' read side.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from social_analytics.models import AnalysisJob
from social_analytics.records import JobRecord, StoredCursor, StoredResult, StoredWindow
from social_analytics.settings import get_settings


class StoreRejected(Exception):
    """The fake's ItemRejected: a write refused for what it holds."""


@dataclass
class _Lock:
    job_id: str
    lease_until: float


@dataclass
class InMemoryJobStore:
    """Job store and result cache (``JobStore`` and ``ResultCache``)."""

    clock: Callable[[], float] = time.time
    jobs: dict[str, dict] = field(default_factory=dict)
    locks: dict[str, _Lock] = field(default_factory=dict)
    results: dict[str, StoredResult] = field(default_factory=dict)
    before_lock: Callable[[AnalysisJob], None] | None = None
    calls: Counter[str] = field(default_factory=Counter)

    TERMINAL = frozenset({"done", "failed"})
    ItemRejected = StoreRejected

    # ------------------------------------------------------------ JobStore
    def create_job_with_lock(self, job: AnalysisJob) -> str | None:
        holder = self.create_job_or_find_holder(job)
        return None if holder is None else holder.job_id

    def create_job_or_find_holder(self, job: AnalysisJob) -> JobRecord | None:
        self.calls["create_job_with_lock"] += 1
        if self.before_lock is not None:
            hook, self.before_lock = self.before_lock, None
            hook(job)
        now = self.clock()
        for _ in range(5):
            holder = self.locks.get(job.key)
            if holder is not None and holder.job_id != job.job_id and holder.lease_until >= now:
                holder_job = self.jobs.get(holder.job_id)
                if holder_job is not None and holder_job["status"] not in self.TERMINAL:
                    return self.get_job(holder.job_id)
                self.release_lock(job.key, holder.job_id)  # a leftover lock of a finished job
                continue
            self.jobs[job.job_id] = {
                "job_id": job.job_id,
                "keyword": job.keyword,
                "key": job.key,
                "kind": job.kind,
                "status": "queued",
                "limit": job.limit,
                "window_hours": job.window_hours,
                "submitted_at": float(job.submitted_at),
                "updated_at": now,
            }
            self.locks[job.key] = _Lock(job.job_id, now + get_settings().job_deadline_seconds)
            return None
        raise RuntimeError(f"could not take the in-flight lock for {job.key!r}")

    def discard_job(self, job_id: str, key: str) -> None:
        self.jobs.pop(job_id, None)
        self.release_lock(key, job_id)

    def release_lock(self, key: str, job_id: str) -> None:
        lock = self.locks.get(key)
        if lock is not None and lock.job_id == job_id:
            del self.locks[key]

    def get_job(self, job_id: str) -> JobRecord | None:
        self.calls["get_job"] += 1
        job = self.jobs.get(job_id)
        if job is None:
            return None
        plain = {name: value for name, value in job.items() if name != "lease_until"}
        return JobRecord(**copy.deepcopy(plain))

    def mark_running(self, job_id: str, lease_seconds: float) -> str:
        job = self.jobs.get(job_id)
        now = self.clock()
        if job is not None and (
            job["status"] == "queued" or (job["status"] == "running" and job.get("lease_until", 0) < now)
        ):
            job.update(status="running", updated_at=now, lease_until=now + lease_seconds)
            job["attempts"] = job.get("attempts", 0) + 1
            return "started"
        if job is None:
            return "missing"
        return "finished" if job["status"] in self.TERMINAL else "busy"

    def release_lease(self, job_id: str) -> None:
        job = self.jobs.get(job_id)
        if job is not None and job["status"] == "running":
            job["lease_until"] = 0

    def complete_job(self, job: AnalysisJob, result: dict) -> bool:
        now = self.clock()
        self.results[job.key] = StoredResult(
            result=copy.deepcopy(result),
            analyzed_epoch=now,
            limit=job.limit,
            window_hours=job.window_hours,
            job_id=job.job_id,
        )
        stored = self.jobs.get(job.job_id)
        completed = stored is not None and stored["status"] == "running"
        if completed:
            stored.update(status="done", updated_at=now, result=copy.deepcopy(result))
        self.release_lock(job.key, job.job_id)
        return completed

    def finish_job(self, job_id: str, lock_key: str, result: dict) -> bool:
        stored = self.jobs.get(job_id)
        changed = stored is not None and stored["status"] == "running"
        if changed:
            stored.update(status="done", updated_at=self.clock(), result=copy.deepcopy(result))
        self.release_lock(lock_key, job_id)
        return changed

    def fail_job(self, job_id: str, key: str, code: str, message: str) -> bool:
        stored = self.jobs.get(job_id)
        changed = stored is not None and stored["status"] in ("queued", "running")
        if changed:
            stored.update(status="failed", updated_at=self.clock(), error={"code": code, "message": message[:500]})
        self.release_lock(key, job_id)
        return changed

    # ------------------------------------------------------------ ResultCache
    def get_latest_result(self, key: str) -> StoredResult | None:
        self.calls["get_latest_result"] += 1
        stored = self.results.get(key)
        return stored.model_copy(deep=True) if stored is not None else None

    # ------------------------------------------------------------ test helpers
    def put_result(self, key: str, result: dict, *, age: float = 0.0, limit: int = 100, window_hours: int = 24):
        """A stored latest result for ``key``, analyzed ``age`` seconds ago."""
        self.results[key] = StoredResult(
            result=copy.deepcopy(result),
            analyzed_epoch=self.clock() - age,
            limit=limit,
            window_hours=window_hours,
            job_id="old",
        )

    def active(self) -> list[dict]:
        return [job for job in self.jobs.values() if job["status"] not in self.TERMINAL]


@dataclass
class InMemoryQueue:
    """``JobQueue``: remembers every message; ``refuse`` makes the next sends raise."""

    sent: list[AnalysisJob] = field(default_factory=list)
    refuse: bool = False

    def send_job(self, job: AnalysisJob) -> str:
        if self.refuse:
            raise ConnectionError("queue unavailable")
        self.sent.append(job)
        return f"message-{len(self.sent)}"


@dataclass
class InMemoryCounters:
    """``Counters``: what would have been counted, and the histogram observations."""

    counts: Counter[str] = field(default_factory=Counter)
    observations: list[tuple[str, float]] = field(default_factory=list)
    flushes: int = 0
    sources_counts: dict[tuple[str, str], Counter] = field(default_factory=dict)
    sources_states: dict[str, dict] = field(default_factory=dict)

    def count(self, name: str, amount: int = 1) -> None:
        self.counts[name] += amount

    def observe(self, histogram: str, milliseconds: float) -> None:
        self.observations.append((histogram, milliseconds))

    def flush(self) -> None:
        self.flushes += 1

    def record_sources(self, day: str, counts: dict[str, dict[str, int]], states: dict[str, dict]) -> None:
        for name, c in counts.items():
            mine = self.sources_counts.setdefault((day, name), Counter())
            mine.update(c)
        for name, fields in states.items():
            self.sources_states.setdefault(name, {}).update(fields)

    def read_sources(self, day: str) -> tuple[dict[str, dict[str, int]], dict[str, dict]]:
        counts = {name: dict(c) for (d, name), c in self.sources_counts.items() if d == day}
        return counts, copy.deepcopy(self.sources_states)


# ----------------------------------------------------------------------------------------------------------------
# The other stores of ``analyses.ports`` (``composition.data``): stored windows with their cursors, uploaded imports,
# the spend ledger, the keyword purge and the counters' read side.


@dataclass
class InMemoryPostWindows:
    """``PostWindows`` and ``Cursors`` in one (as in DynamoDB, a window and its sources' cursors are written
    together): a window and each cursor stop being read once their ``expires_at`` has passed, and a window of more
    than ``max_posts`` posts is not kept (the previous one is deleted), like one too big for a transaction."""

    clock: Callable[[], float] = time.time
    max_posts: int | None = None
    windows: dict[str, StoredWindow] = field(default_factory=dict)
    cursors: dict[str, dict[str, StoredCursor]] = field(default_factory=dict)
    saves: int = 0

    def load_window(self, key: str, now: float | None = None) -> StoredWindow | None:
        now = self.clock() if now is None else now
        window = self.windows.get(key)
        if window is None or window.expires_at <= now:
            return None
        return copy.deepcopy(window)

    def save_window(
        self,
        key: str,
        window: StoredWindow,
        cursor: dict[str, str] | None,
        *,
        cursors: dict[str, dict[str, str]] | None = None,
    ) -> bool:
        self.saves += 1
        if self.max_posts is not None and len(window.posts) > self.max_posts:
            self.windows.pop(key, None)
            return False
        self.windows[key] = copy.deepcopy(window)
        each = dict(cursors or {})
        if cursor:
            each[window.provider] = cursor
        for provider, value in each.items():
            self.cursors.setdefault(key, {})[provider] = StoredCursor(
                provider=provider, cursor=dict(value), taken_at=window.fetched_at, expires_at=window.expires_at
            )
        return True

    def load(self, key: str, now: float | None = None) -> dict[str, StoredCursor]:
        now = self.clock() if now is None else now
        return {name: c for name, c in self.cursors.get(key, {}).items() if c.expires_at > now}


class FakeImportTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the upload is {size} bytes; the limit is {limit}")


class FakeImportMissing(Exception):
    pass


@dataclass
class InMemoryImportObjects:
    """``ImportObjects``: uploaded objects by key, with the same size cap and errors as the bucket reads."""

    limit: int = 1_000_000
    objects: dict[str, bytes] = field(default_factory=dict)

    PREFIX = "imports/"
    CONTENT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}  # noqa: RUF012  (a Protocol attribute)
    ImportTooLarge = FakeImportTooLarge
    ImportMissing = FakeImportMissing

    def object_key(self, job_id: str, fmt: str) -> str:
        return f"{self.PREFIX}{job_id}.{fmt}"

    def presign_upload(self, key: str, fmt: str, expires_in: int = 900) -> dict:
        headers = {"Content-Type": self.CONTENT_TYPES[fmt]}
        return {"url": f"memory://{key}", "method": "PUT", "headers": headers, "expires_in": expires_in}

    def max_bytes(self) -> int:
        return self.limit

    def get_object(self, key: str, limit: int | None = None) -> bytes:
        limit = self.limit if limit is None else limit
        if key not in self.objects:
            raise FakeImportMissing(key)
        data = self.objects[key]
        if len(data) > limit:
            raise FakeImportTooLarge(len(data), limit)
        return data

    def delete_object(self, key: str) -> None:
        self.objects.pop(key, None)


@dataclass
class InMemorySpendLedger:
    """``SpendLedger``: micro-dollars per (day, provider); a reservation passes only while the day's total plus the
    amount stays within the budget (the conditional ADD of storage/spend.py)."""

    micros: Counter[tuple[str, str]] = field(default_factory=Counter)
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)

    def reserve(self, day: str, provider: str, micros: int, budget_micros: int) -> bool:
        if micros > budget_micros or self.micros[(day, provider)] > budget_micros - micros:
            return False
        self.micros[(day, provider)] += micros
        self.calls[(day, provider)] += 1
        return True

    def adjust(self, day: str, provider: str, micros: int) -> bool:
        if micros > 0:
            raise ValueError("a settlement never adds to the reservation")
        if self.micros[(day, provider)] < -micros:
            return False
        self.micros[(day, provider)] += micros
        return True

    def spent(self, day: str) -> dict[str, int]:
        return {provider: amount for (d, provider), amount in self.micros.items() if d == day}


@dataclass
class KeywordData:
    """What is stored about one keyword: its partition's items by kind, the statuses of its jobs, its alerts and
    its stream minutes."""

    items: Counter[str] = field(default_factory=Counter)  # result, history, cursors, posts, locks, other
    locks_in_flight: int = 0  # locks whose job is still running (kept by a deletion)
    jobs: list[str] = field(default_factory=list)  # statuses
    alerts: int = 0
    stream_minutes: int = 0


PURGE_KINDS = ("result", "history", "cursors", "posts", "locks", "other")


@dataclass
class InMemoryPurge:
    """``KeywordPurge`` and ``StreamMinutes``: what storage/purge.py and storage/stream.py count and delete."""

    keywords: dict[str, KeywordData] = field(default_factory=dict)
    visits: int = 0  # how many deletions ran

    def of(self, key: str) -> KeywordData:
        return self.keywords.setdefault(key, KeywordData())

    def count_items(self, key: str, up_to: int) -> int:
        data = self.of(key)
        total = sum(data.items.values()) + data.locks_in_flight + len(data.jobs) + data.alerts
        return min(total, up_to)

    def delete_keyword_items(self, key: str) -> dict[str, int]:
        self.visits += 1
        data = self.of(key)
        counts = {kind: data.items[kind] for kind in PURGE_KINDS} | {"skipped_in_flight": data.locks_in_flight}
        data.items.clear()
        return counts

    def delete_finished_jobs(self, key: str) -> tuple[int, int]:
        data = self.of(key)
        running = [status for status in data.jobs if status not in ("done", "failed")]
        deleted = len(data.jobs) - len(running)
        data.jobs = running
        return deleted, len(running)

    def delete_alerts(self, key: str) -> int:
        data = self.of(key)
        deleted, data.alerts = data.alerts, 0
        return deleted

    def count_minutes(self, key: str, up_to: int) -> int:
        return min(self.of(key).stream_minutes, up_to)

    def delete_keyword(self, key: str) -> int:
        data = self.of(key)
        deleted, data.stream_minutes = data.stream_minutes, 0
        return deleted


@dataclass
class InMemoryCounterReadings:
    """``CounterReadings``: fixed totals (every counter the API reads, 0 unless given) and histograms."""

    counts: dict[str, int] = field(default_factory=dict)
    histograms: dict[str, dict[int, int]] = field(default_factory=dict)
    sources: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # day -> provider -> counts
    source_states: dict[str, dict] = field(default_factory=dict)

    def read_counters(self) -> tuple[dict[str, int], dict[str, dict[int, int]]]:
        return Counter(self.counts), copy.deepcopy(self.histograms)

    def read_sources(self, day: str) -> tuple[dict[str, dict[str, int]], dict[str, dict]]:
        return copy.deepcopy(self.sources.get(day, {})), copy.deepcopy(self.source_states)

"""In-memory stores that satisfy ``social_analytics.analyses.ports``, for fast unit tests of the service code.

``InMemoryJobStore`` follows ``storage.jobs`` transition for transition (the same conditions on the same fields):
one lock per keyword with a lease, queued -> running (with a lease, counting attempts) -> done/failed, the latest
result per keyword written before the job says done and before its lock is released. ``before_lock`` lets a test
run something at the moment a submission is about to take the lock (another job finishing, say). Jobs are kept as
plain dicts (tests edit them in place) and read as ``records.JobRecord``; results are ``records.StoredResult``.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from social_analytics.models import AnalysisJob
from social_analytics.records import JobRecord, StoredResult
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

    def count(self, name: str, amount: int = 1) -> None:
        self.counts[name] += amount

    def observe(self, histogram: str, milliseconds: float) -> None:
        self.observations.append((histogram, milliseconds))

    def flush(self) -> None:
        self.flushes += 1

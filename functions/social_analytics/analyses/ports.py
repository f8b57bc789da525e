"""What an analysis needs from the outside world, as small Protocols.

The service code (``analyses.submit``, ``analyses.run``, ``tracking.scans``) talks only to these; the DynamoDB and
SQS modules in ``storage/`` satisfy them as modules of functions (``storage.jobs`` is both the job store and the
result cache, ``storage.queue`` the queue, ``storage.metrics.recorder`` the counters), and ``tests/fakes/stores.py``
satisfies them in memory. ``social_analytics.composition`` decides which is used.

Jobs travel as ``records.JobRecord`` (``get_job``) and a keyword's latest result as ``records.StoredResult``
(``get_latest_result``); a result's content stays a dict.
"""

from __future__ import annotations

from typing import Literal, Protocol

from social_analytics.models import AnalysisJob
from social_analytics.records import JobRecord, StoredResult

Claim = Literal["started", "busy", "finished", "missing"]


class JobStore(Protocol):
    """Job records and the per-keyword single-flight lock."""

    TERMINAL: frozenset[str]  # the statuses a job never leaves ("done", "failed")
    ItemRejected: type[Exception]  # a write refused for what it holds (retrying cannot help)

    def create_job_with_lock(self, job: AnalysisJob) -> str | None:
        """Store the queued job and take its keyword's lock: None when it did, else the holder's job id."""
        ...

    def create_job_or_find_holder(self, job: AnalysisJob) -> JobRecord | None:
        """The same, answering with the holder's job record (as ``get_job`` reads it) instead of its id."""
        ...

    def discard_job(self, job_id: str, key: str) -> None:
        """Remove a job that was never queued, and its lock."""
        ...

    def release_lock(self, key: str, job_id: str) -> None: ...

    def get_job(self, job_id: str) -> JobRecord | None: ...

    def mark_running(self, job_id: str, lease_seconds: float) -> Claim:
        """Claim the job for one attempt (queued, or running with an expired lease)."""
        ...

    def release_lease(self, job_id: str) -> None: ...

    def complete_job(self, job: AnalysisJob, result: dict) -> bool:
        """Store the result (the keyword's latest and the job's), running -> done, release the lock; False when
        the job was no longer running."""
        ...

    def finish_job(self, job_id: str, lock_key: str, result: dict) -> bool: ...

    def fail_job(self, job_id: str, key: str, code: str, message: str) -> bool:
        """queued/running -> failed with its reason, release the lock; False when it had finished already."""
        ...


class ResultCache(Protocol):
    """The latest result per keyword."""

    def get_latest_result(self, key: str) -> StoredResult | None:
        """The result with analyzed_epoch, limit, window_hours, job_id; None when there is none."""
        ...


class JobQueue(Protocol):
    def send_job(self, job: AnalysisJob) -> str:
        """Enqueue the job message; returns the message id. Raises when the queue refuses it."""
        ...


class Counters(Protocol):
    """The platform counters behind ``GET /api/metrics``: where ``observability.meter`` sends its counts (the
    composition points it here)."""

    def count(self, name: str, amount: int = 1) -> None: ...

    def observe(self, histogram: str, milliseconds: float) -> None: ...

    def flush(self) -> None: ...

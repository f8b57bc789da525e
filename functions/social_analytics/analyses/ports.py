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

    def record_sources(self, day: str, counts: dict[str, dict[str, int]], states: dict[str, dict]) -> None:
        """Each source's counts for the day (added) and its last state (fields set): ``GET /api/sources``."""
        ...


# ----------------------------------------------------------------------------------------------------------------
# The other stores the service code reads (``composition.data``): the worker's stored windows, cursors, uploaded
# imports and spend ledger, the admin deletion's purge, and the counters' read side. The storage modules satisfy
# them as modules (``storage.posts``, ``storage.cursors``, ``storage.imports``, ``storage.spend``, ``storage.purge``,
# ``storage.stream``, ``storage.metrics``); ``tests/fakes/stores.py`` has in-memory ones.

from social_analytics.records import StoredCursor, StoredWindow  # noqa: E402  (this block's own import)


class PostWindows(Protocol):
    """Each keyword's stored window of live posts, written in one transaction with its sources' cursors."""

    def load_window(self, key: str, now: float | None = None) -> StoredWindow | None:
        """The keyword's window, or None (none, expired, or an incomplete write)."""
        ...

    def save_window(
        self,
        key: str,
        window: StoredWindow,
        cursor: dict[str, str] | None,
        *,
        cursors: dict[str, dict[str, str]] | None = None,
    ) -> bool:
        """Replace the window (and the cursors of its sources); False when it is too big to keep."""
        ...


class Cursors(Protocol):
    """Each keyword's incremental cursors, one per source."""

    def load(self, key: str, now: float | None = None) -> dict[str, StoredCursor]:
        """The keyword's unexpired cursors, by provider."""
        ...


class ImportObjects(Protocol):
    """Uploaded import files (``imports/<job_id>.<csv|jsonl>``): presigned uploads and size-capped reads."""

    PREFIX: str
    CONTENT_TYPES: dict[str, str]  # format -> the Content-Type an upload must declare
    ImportTooLarge: type[Exception]
    ImportMissing: type[Exception]

    def object_key(self, job_id: str, fmt: str) -> str: ...

    def presign_upload(self, key: str, fmt: str, expires_in: int = ...) -> dict: ...

    def max_bytes(self) -> int: ...

    def get_object(self, key: str, limit: int | None = None) -> bytes:
        """The object's bytes; ``ImportTooLarge`` above ``limit``, ``ImportMissing`` when there is none."""
        ...

    def delete_object(self, key: str) -> None:
        """Delete an upload once it was read."""
        ...


class SpendLedger(Protocol):
    """Each UTC day's spend per paid provider, in micro-dollars."""

    def reserve(self, day: str, provider: str, micros: int, budget_micros: int) -> bool:
        """Add ``micros`` if the day's total stays within the budget (atomically); False when it would not."""
        ...

    def adjust(self, day: str, provider: str, micros: int) -> bool:
        """Settle a reservation: add the actual cost minus the amount reserved (never positive; the day's total
        never goes below zero). False when the condition refused it."""
        ...

    def spent(self, day: str) -> dict[str, int]: ...


class KeywordPurge(Protocol):
    """Deleting what is stored about one keyword (admin): its partition, its finished jobs, its alerts."""

    def count_items(self, key: str, up_to: int) -> int: ...

    def delete_keyword_items(self, key: str) -> dict[str, int]:
        """Counts per kind, and ``skipped_in_flight`` (locks of running jobs, kept)."""
        ...

    def delete_finished_jobs(self, key: str) -> tuple[int, int]:
        """(deleted, skipped because still running)."""
        ...

    def delete_alerts(self, key: str) -> int: ...


class StreamMinutes(Protocol):
    """The stream's per-minute counts of a keyword, as far as a deletion needs them."""

    def count_minutes(self, key: str, up_to: int) -> int: ...

    def delete_keyword(self, key: str) -> int: ...


class CounterReadings(Protocol):
    """The read side of the counters: totals and latency histograms for ``GET /api/metrics``."""

    def read_counters(self) -> tuple[dict[str, int], dict[str, dict[int, int]]]: ...

    def read_sources(self, day: str) -> tuple[dict[str, dict[str, int]], dict[str, dict]]:
        """Each source's counts on ``day`` and its last recorded state."""
        ...

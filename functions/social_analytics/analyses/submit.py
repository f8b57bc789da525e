"""The API side of an analysis: answer from the cache when fresh, otherwise queue one job per keyword.

Kept free of the analysis stack (vaderSentiment) so the API function starts fast.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass

from social_analytics.models import AnalysisJob, normalize_keyword
from social_analytics.observability import meter
from social_analytics.settings import get_settings
from social_analytics.storage import jobs as job_store
from social_analytics.storage import queue


class UnknownJob(Exception):
    pass


class NoResult(Exception):
    pass


class QueueUnavailable(Exception):
    """The job could not be enqueued; it has been marked failed with the reason."""


@dataclass(frozen=True)
class Submission:
    keyword: str
    limit: int = 100
    refresh: bool = False
    window_hours: int = 24
    providers: tuple[str, ...] | None = None
    kind: str = "analysis"
    languages: tuple[str, ...] | None = None  # sorted codes, or None for every language
    paid_allowed: bool = False  # the caller may use paid providers (service.spend.caller_may_spend)


@dataclass(frozen=True)
class Answer:
    cached: bool
    body: dict
    enqueued: bool = False  # this call put a new job on the queue (not a cache hit, not single flight)
    text: str | None = None  # ``body`` already serialized as JSON (hot cache hits), so it is not re-encoded


class HotResults:
    """Results this warm container served recently, kept a few seconds in front of DynamoDB.

    Bounded in size and age; an entry never outlives the result's own freshness.
    """

    def __init__(self, max_entries: int = 512) -> None:
        self._entries: dict[str, tuple[float, dict, dict, str]] = {}
        self._jobs: dict[str, tuple[float, dict, str]] = {}  # finished (done/failed) job bodies and keys, by id
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get(self, key: str) -> tuple[dict, dict] | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1], entry[2]

    def put(self, key: str, result: dict, meta: dict, fresh_for: float) -> None:
        lifetime = min(get_settings().hot_cache_seconds, fresh_for)
        if lifetime <= 0:
            return
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            # The whole cached answer is serialized once per entry, not once per hit: encoding (and validating)
            # a result of 50 posts is most of a hit's CPU time (docs/PERFORMANCE.md).
            text = json.dumps({"status": "done", "cached": True, "result": result}, separators=(",", ":"))
            self._entries[key] = (time.monotonic() + lifetime, result, meta, text)

    def answer_text(self, key: str, result: dict) -> str | None:
        """The serialized cached answer for ``result`` if it is the one held for ``key``."""
        entry = self._entries.get(key)
        return entry[3] if entry is not None and entry[1] is result else None

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


hot_results = HotResults()


def _serves(meta: dict, submission: Submission, result: dict) -> bool:
    """A cached result answers a request for the same window, no more posts than it was built from, and the same
    language filter; a request naming its sources is always fetched (the cached result may come from others)."""
    languages = (result.get("language_filter") or {}).get("languages") or None
    return (
        meta["window_hours"] == submission.window_hours
        and meta["limit"] >= submission.limit
        and not submission.providers
        and languages == (list(submission.languages) if submission.languages else None)
    )


def cached_result(key: str, submission: Submission) -> dict | None:
    ttl = get_settings().cache_ttl_seconds
    hot = hot_results.get(key)
    if hot is not None and _serves(hot[1], submission, hot[0]):
        return hot[0]
    stored = job_store.get_latest_result(key)
    if stored is None:
        return None
    result, meta = stored
    fresh_for = meta["analyzed_epoch"] + ttl - time.time()
    if fresh_for <= 0 or not _serves(meta, submission, result):
        return None
    hot_results.put(key, result, meta, fresh_for)
    return result


def _hit(result: dict, started: float, text: str | None = None) -> Answer:
    meter.cache_hit(started)
    return Answer(cached=True, body={"status": "done", "cached": True, "result": result}, text=text)


def submit(submission: Submission) -> Answer:
    started = time.perf_counter()
    requested_at = time.time()
    key = normalize_keyword(submission.keyword)
    if not submission.refresh:
        result = cached_result(key, submission)
        if result is not None:
            return _hit(result, started, hot_results.answer_text(key, result))

    job = AnalysisJob(
        job_id=uuid.uuid4().hex,
        keyword=" ".join(submission.keyword.split()),
        key=key,
        limit=submission.limit,
        window_hours=submission.window_hours,
        submitted_at=time.time(),
        kind=submission.kind,
        providers=submission.providers,
        languages=submission.languages,
        paid_allowed=submission.paid_allowed,
    )
    holder = job_store.create_job_with_lock(job)
    if holder is None:
        # A job for this keyword may have finished between our cache read and our lock: its result is
        # stored before its lock is released, so one more read closes that window (one job per keyword).
        stored = job_store.get_latest_result(key)
        if stored is not None and _serves(stored[1], submission, stored[0]):
            result, meta = stored
            fresh = meta["analyzed_epoch"] + get_settings().cache_ttl_seconds > time.time()
            if fresh and (not submission.refresh or meta["analyzed_epoch"] >= requested_at):
                job_store.discard_job(job.job_id, key)
                return _hit(result, started)
    meter.cache_miss()
    if holder is not None:  # single flight: an identical job is already queued or running
        existing = job_store.get_job(holder)
        status = existing["status"] if existing else "queued"
        return Answer(cached=False, body=_accepted(holder, existing["keyword"] if existing else job.keyword, status))
    try:
        queue.send_job(job)
    except Exception as error:
        job_store.fail_job(job.job_id, key, "enqueue_failed", "the job could not be queued; try again")
        raise QueueUnavailable(str(error)) from error
    meter.job_enqueued()
    return Answer(cached=False, body=_accepted(job.job_id, job.keyword, "queued"), enqueued=True)


def _accepted(job_id: str, keyword: str, status: str) -> dict:
    return {
        "job_id": job_id,
        "status": status,
        "keyword": keyword,
        "status_url": f"/api/jobs/{job_id}",
        "cached": False,
    }


def job_status(job_id: str) -> dict:
    finished = hot_results.finished_job(job_id)
    if finished is not None:  # a done or failed job never changes: polling it again needs no DynamoDB read
        return finished
    job = job_store.get_job(job_id)
    if job is None:
        raise UnknownJob(job_id)
    deadline = job["submitted_at"] + get_settings().job_deadline_seconds
    if job["status"] not in job_store.TERMINAL and time.time() > deadline:
        # Nothing finished it in time (a lost worker, an exhausted queue): say so instead of "running" forever.
        job_store.fail_job(job_id, job["key"], "timed_out", "the job did not finish before its deadline")
        job = job_store.get_job(job_id) or job
    body = {
        "job_id": job["job_id"],
        "keyword": job["keyword"],
        "status": job["status"],
        "submitted_at": job["submitted_at"],
        "updated_at": job["updated_at"],
    }
    if "result" in job:
        body["result"] = job["result"]
    if "error" in job:
        body["error"] = job["error"]
    if body["status"] in job_store.TERMINAL:
        hot_results.put_finished_job(job_id, body, job["key"])
    return body


def latest_result(keyword: str) -> dict:
    stored = job_store.get_latest_result(normalize_keyword(keyword))
    if stored is None:
        raise NoResult(keyword)
    return stored[0]

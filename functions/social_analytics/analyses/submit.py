"""The API side of an analysis: answer from the cache when fresh, otherwise queue one job per keyword.

Kept free of the analysis stack (vaderSentiment) so the API function starts fast.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from social_analytics import composition
from social_analytics.models import AnalysisJob
from social_analytics.observability import meter
from social_analytics.query import parse_query
from social_analytics.records import StoredResult
from social_analytics.settings import get_settings


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


def _serves(stored: StoredResult, submission: Submission) -> bool:
    """A cached result answers a request for the same window, no more posts than it was built from, and the same
    language filter; a request naming its sources is always fetched (the cached result may come from others)."""
    languages = (stored.result.get("language_filter") or {}).get("languages") or None
    return (
        stored.window_hours == submission.window_hours
        and stored.limit >= submission.limit
        and not submission.providers
        and languages == (list(submission.languages) if submission.languages else None)
    )


def cached_result(key: str, submission: Submission) -> dict | None:
    ttl = get_settings().cache_ttl_seconds
    hot = composition.hot_results.get(key)
    if hot is not None and _serves(hot, submission):
        return hot.result
    stored = composition.analysis.results.get_latest_result(key)
    if stored is None:
        return None
    fresh_for = stored.analyzed_epoch + ttl - time.time()
    if fresh_for <= 0 or not _serves(stored, submission):
        return None
    composition.hot_results.put(key, stored, fresh_for)
    return stored.result


def _hit(result: dict, started: float, text: str | None = None) -> Answer:
    meter.cache_hit(started)
    return Answer(cached=True, body={"status": "done", "cached": True, "result": result}, text=text)


def submit(submission: Submission) -> Answer:
    started = time.perf_counter()
    requested_at = time.time()
    key = parse_query(submission.keyword).key
    if not submission.refresh:
        result = cached_result(key, submission)
        if result is not None:
            return _hit(result, started, composition.hot_results.answer_text(key, result))

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
    stores = composition.analysis
    holder = stores.jobs.create_job_or_find_holder(job)
    if holder is None:
        # A job for this keyword may have finished between our cache read and our lock: its result is
        # stored before its lock is released, so one more read closes that window (one job per keyword).
        stored = stores.results.get_latest_result(key)
        if stored is not None and _serves(stored, submission):
            fresh = stored.analyzed_epoch + get_settings().cache_ttl_seconds > time.time()
            if fresh and (not submission.refresh or stored.analyzed_epoch >= requested_at):
                stores.jobs.discard_job(job.job_id, key)
                return _hit(stored.result, started)
    meter.cache_miss()
    if holder is not None:  # single flight: an identical job is already queued or running
        return Answer(cached=False, body=_accepted(holder.job_id, holder.keyword, holder.status))
    try:
        stores.queue.send_job(job)
    except Exception as error:
        stores.jobs.fail_job(job.job_id, key, "enqueue_failed", "the job could not be queued; try again")
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
    finished = composition.hot_results.finished_job(job_id)
    if finished is not None:  # a done or failed job never changes: polling it again needs no DynamoDB read
        return finished
    jobs = composition.analysis.jobs
    job = jobs.get_job(job_id)
    if job is None:
        raise UnknownJob(job_id)
    deadline = job.submitted_at + get_settings().job_deadline_seconds
    if job.status not in jobs.TERMINAL and time.time() > deadline:
        # Nothing finished it in time (a lost worker, an exhausted queue): say so instead of "running" forever.
        jobs.fail_job(job_id, job.key, "timed_out", "the job did not finish before its deadline")
        job = jobs.get_job(job_id) or job
    body = job.public()
    if job.status in jobs.TERMINAL:
        composition.hot_results.put_finished_job(job_id, body, job.key)
    return body


def latest_result(keyword: str) -> dict:
    stored = composition.analysis.results.get_latest_result(parse_query(keyword).key)
    if stored is None:
        raise NoResult(keyword)
    return stored.result

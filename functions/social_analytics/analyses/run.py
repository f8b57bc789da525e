"""The worker side of an analysis: one delivery of a job message, from the claim to the stored result or the
failure with its reason (``run_delivery``); the worker handler only unpacks the SQS record."""

from __future__ import annotations

import asyncio
import json
import time

from social_analytics import composition, public_errors
from social_analytics.analyses import deletion, gather
from social_analytics.analyses.outcomes import FetchedPosts, JobFailed
from social_analytics.analyses.results import build_result
from social_analytics.models import AnalysisJob
from social_analytics.observability import logger, meter
from social_analytics.scoring.limits import ResultTooLarge
from social_analytics.settings import get_settings
from social_analytics.tracking import scans as tracking


class PoisonMessage(Exception):
    """A queue message that is not a job: retried, then left in the dead-letter queue."""


def parse_job(body: str) -> AnalysisJob:
    try:
        return AnalysisJob.from_message(json.loads(body))
    except (ValueError, KeyError, TypeError) as error:
        raise PoisonMessage(f"not a job message: {error}") from error


class JobInProgress(Exception):
    """Another attempt holds the job's lease: this delivery is retried later, and is not a failure of the job."""


def start(job: AnalysisJob) -> bool:
    """Claim the job; False when it already finished (a redelivery), so nothing is fetched or analyzed twice.

    The lease lasts one worker timeout: a message that reappears while its first attempt still works waits,
    and one whose worker died (killed, timed out) is taken over once the lease has run out.
    """
    outcome = composition.analysis.jobs.mark_running(job.job_id, lease_seconds=get_settings().job_lease_seconds)
    if outcome == "missing":
        raise PoisonMessage(f"no job record for {job.job_id}")
    if outcome == "busy":
        raise JobInProgress(job.job_id)
    return outcome == "started"


async def fetch_posts(job: AnalysisJob) -> FetchedPosts:
    """The job's posts: an uploaded import, or the provider chain (incremental when it can be; see analyses.gather).
    Provider failures are in ``source["attempts"]``; ``JobFailed`` only when there is nothing to analyze."""
    return await (gather.fetch_import(job) if job.kind == "import" else gather.fetch_live(job))


def analyze_and_store(job: AnalysisJob, fetched: FetchedPosts) -> dict:
    """Analyze, store as the job's and the keyword's latest result, count it. Runs once per job id."""
    stores = composition.analysis
    previous = stores.results.get_latest_result(job.key)
    builder = composition.result_builder or build_result
    try:
        result = builder(job, fetched, previous.result if previous else None)
        completed = stores.jobs.complete_job(job, result)
    except ResultTooLarge as error:
        raise JobFailed("result_too_large", str(error)) from None
    except stores.jobs.ItemRejected:
        # Permanent: the same result would be rejected again on every retry, so the job fails now, not in the DLQ.
        logger.exception("the result was rejected by storage", extra={"job_id": job.job_id})
        raise JobFailed("storage_rejected", "the result could not be stored (rejected by the database)") from None
    if not completed:  # it failed meanwhile (timed out): it stays failed
        return {"job_id": job.job_id, "status": "failed", "posts_analyzed": result["posts_analyzed"]}
    tracking.after_result(job, result)  # scheduled scans: history point + alerts
    meter.job_done(job.submitted_at, result["posts_analyzed"])
    return {"job_id": job.job_id, "status": "done", "posts_analyzed": result["posts_analyzed"]}


def expired(job: AnalysisJob, now: float | None = None) -> bool:
    """Older than its deadline: fetching now would spend for a caller who was already told it timed out."""
    return (time.time() if now is None else now) > job.submitted_at + get_settings().job_deadline_seconds


def attempt_failed(job: AnalysisJob) -> None:
    composition.analysis.jobs.release_lease(job.job_id)


def fail(job: AnalysisJob, code: str, message: str) -> None:
    stores = composition.analysis
    if stores.jobs.fail_job(job.job_id, job.key, code, message):
        meter.job_failed()


async def run_delivery(body: str, receive_count: int, request_id: str = "") -> dict:
    """One delivery of a job message, start to end: the retry and fail decision included.

    Returns the job's outcome (done, failed with its reason, or a redelivery of a finished job ignored). Raises to
    have the message delivered again: a redelivery while another attempt holds the lease (not a failure of the
    job), or an unexpected error, which releases the lease at once and, on the last allowed delivery
    (``receive_count`` >= ``MAX_RECEIVE_COUNT``), marks the job failed before the message goes to the dead-letter
    queue. ``request_id`` (the invocation's) is quoted in that public message so the logs can be found from it.
    """
    job = parse_job(body)
    log = {"correlation_id": job.job_id, "job_id": job.job_id, "keyword": job.keyword}
    if expired(job):  # a backlog older than its deadline: its caller was already told it timed out
        await asyncio.to_thread(fail, job, "expired", "the job waited past its deadline and was not fetched")
        logger.warning("job expired before it was fetched", extra=log)
        return {"job_id": job.job_id, "status": "failed"}
    try:
        # Storage and analysis are blocking calls: threads let the batch's jobs overlap their DynamoDB
        # round trips, as the fetches overlap on the event loop.
        # The job's lease is the one guard against a redelivered message: a job already done or failed is not
        # run again, and one whose attempt still holds a live lease is retried later (start).
        if not await asyncio.to_thread(start, job):
            logger.info("job already finished; redelivery ignored", extra=log)
            return {"job_id": job.job_id, "status": "already finished"}
        if job.kind == "deletion":  # a large keyword deletion: nothing to fetch or analyze
            return await asyncio.to_thread(deletion.run_job, job)
        fetched = await fetch_posts(job)
        meter.provider_attempts(fetched.source.get("attempts", []))
        outcome = await asyncio.to_thread(analyze_and_store, job, fetched)
        latency_ms = (time.time() - job.submitted_at) * 1000  # submitted (API) -> stored (worker)
        logger.info("job done", extra={**log, "posts": outcome.get("posts_analyzed"), "latency_ms": round(latency_ms)})
        return outcome
    except JobInProgress:
        logger.info("job in progress elsewhere; delivery retried later", extra=log)
        raise
    except JobFailed as failure:
        fail(job, failure.code, failure.message)
        logger.warning("job failed", extra={**log, "reason": failure.message})
        return {"job_id": job.job_id, "status": "failed"}
    except Exception as error:
        attempt_failed(job)
        if receive_count >= get_settings().max_receive_count:
            # Last delivery: the message goes to the dead-letter queue and the job says why.
            fail(job, "retries_exhausted", public_errors.retries_exhausted(receive_count, request_id))
        logger.exception("job attempt failed", extra={**log, "receive_count": receive_count, "error": repr(error)})
        raise

"""The worker side of an analysis: fetch the posts, analyze them, store the result."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from social_analytics import composition
from social_analytics.analyses import gather
from social_analytics.analyses.outcomes import FetchedPosts, JobFailed
from social_analytics.analyses.sources.coverage import add_sentiment, parse_iso
from social_analytics.models import AnalysisJob, isoformat_z
from social_analytics.observability import logger, meter
from social_analytics.scoring.limits import ResultTooLarge, fit_result
from social_analytics.scoring.summary import analyze
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
    coverage = fetched.extra.get("coverage") or {}
    fields = analyze(
        fetched.posts,
        job.keyword,
        fetched.window,
        previous_result=previous[0] if previous else None,
        covered_from=parse_iso(coverage.get("covered_from")),
        languages=job.languages,
    )
    by_provider = fields.pop("sentiment_by_provider", {})
    if isinstance(fetched.source.get("providers"), list):  # per-source sentiment, to compare channels
        add_sentiment(fetched.source["providers"], by_provider)
    result = {
        "keyword": job.keyword,
        **fields,
        "source": fetched.source,
        "window": {
            "start": isoformat_z(fetched.window.start),
            "end": isoformat_z(fetched.window.end),
            "hours": job.window_hours,
        },
        "analyzed_at": isoformat_z(datetime.now(UTC)),
        **fetched.extra,
    }
    try:
        result = fit_result(result)
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

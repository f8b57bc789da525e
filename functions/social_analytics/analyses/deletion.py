"""Delete a keyword's stored data (admin): results, history, cursors, posts, finished jobs, alerts.

A small deletion (at most ``SMALL_DELETION_ITEMS`` items to visit) runs in the request and answers with the counts
(the route says 200). A larger one (a tracked keyword with months of history) runs as a job on the jobs queue and
answers with the job's ``status_url`` (202); the job's ``result`` is the same counts body once done. The deletion
job's own key is ``DELETE#<key>`` (never a normalized key: those are casefolded), so its single-flight lock makes
repeated DELETEs of one keyword share one job without ever blocking an analysis of that keyword.

A tracked keyword stays tracked unless the caller asks ``untrack=true`` (then it is untracked first, so no scan
starts meanwhile): the answer's ``tracked`` says which, and a ``note`` says that its data will come back otherwise.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from social_analytics import composition
from social_analytics.analyses import submit as submissions
from social_analytics.keywords import display
from social_analytics.models import AnalysisJob
from social_analytics.query import parse_query

SMALL_DELETION_ITEMS = 200
JOB_KEY_PREFIX = "DELETE#"


@dataclass(frozen=True)
class DeletionAnswer:
    finished: bool  # deleted within the request (``body`` holds the counts), else queued (``body`` is the job)
    body: dict


STILL_TRACKED = (
    "the keyword is still tracked: its next scheduled scan stores new data; delete with untrack=true to stop that"
)


def delete_keyword(keyword: str, *, untrack: bool = False) -> DeletionAnswer:
    """The counts when the deletion was small enough to run at once, else the accepted deletion job."""
    key = parse_query(keyword).key
    if untrack:
        composition.tracking.tracked.delete_tracked(key)
    stores = composition.data
    items = stores.purge.count_items(key, up_to=SMALL_DELETION_ITEMS + 1)
    items += stores.stream_minutes.count_minutes(key, up_to=SMALL_DELETION_ITEMS + 1)
    if items > SMALL_DELETION_ITEMS:
        return DeletionAnswer(finished=False, body=_start_job(keyword, key))
    return DeletionAnswer(finished=True, body=purge_keyword(display(keyword), key))


def purge_keyword(keyword: str, key: str) -> dict:
    stores = composition.data
    deleted = stores.purge.delete_keyword_items(key)
    skipped_locks = deleted.pop("skipped_in_flight")
    jobs, running = stores.purge.delete_finished_jobs(key)
    deleted["jobs"] = jobs
    deleted["alerts"] = stores.purge.delete_alerts(key)
    deleted["stream_minutes"] = stores.stream_minutes.delete_keyword(key)
    composition.hot_results.forget(key)
    composition.view_cache.forget(key)
    tracked = composition.tracking.tracked.get_tracked(key) is not None
    return {
        "keyword": keyword,
        "key": key,
        "deleted": deleted,
        "kept": {"running_jobs": running, "in_flight_locks": skipped_locks},
        "tracked": tracked,
        "note": STILL_TRACKED if tracked else None,
    }


def _start_job(keyword: str, key: str) -> dict:
    job = AnalysisJob(
        job_id=uuid.uuid4().hex,
        keyword=display(keyword),
        key=f"{JOB_KEY_PREFIX}{key}",
        limit=0,
        window_hours=0,
        submitted_at=time.time(),
        kind="deletion",
    )
    stores = composition.analysis
    holder = stores.jobs.create_job_with_lock(job)
    if holder is None:
        try:
            stores.queue.send_job(job)
        except Exception as error:
            stores.jobs.fail_job(job.job_id, job.key, "enqueue_failed", "the job could not be queued; try again")
            raise submissions.QueueUnavailable(str(error)) from error
    job_id = holder or job.job_id
    existing = stores.jobs.get_job(job_id) if holder else None
    return {
        "job_id": job_id,
        "status": existing.status if existing else "queued",
        "keyword": job.keyword,
        "key": key,
        "status_url": f"/api/jobs/{job_id}",
        "cached": False,
    }


def run_job(job: AnalysisJob) -> dict:
    """The worker's side of a deletion job: delete, then store the counts as the job's result."""
    body = purge_keyword(job.keyword, job.key.removeprefix(JOB_KEY_PREFIX))
    composition.analysis.jobs.finish_job(job.job_id, job.key, body)
    return {"job_id": job.job_id, "status": "done", "deleted": sum(body["deleted"].values())}

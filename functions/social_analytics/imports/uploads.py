"""Imports: a user analyzes their own posts (CSV or JSON Lines) uploaded through a presigned S3 URL.

1. ``create_import`` (API): pre-creates the job (so it can be polled at once; if nothing is uploaded, the job deadline
   reports it failed ``timed_out``) and returns a presigned PUT URL for ``imports/<job_id>.<csv|jsonl>``.
2. ``object_created`` (ImportFunction, from the bucket's S3 event via SQS): enqueues the job for the worker, which
   reads the object, parses it (bad rows are counted, not fatal) and analyzes it with provider ``import``.

An import's key is ``import:<job_id>``, not the label's normalized keyword: a user's own posts never become the
cached result that other users get for that keyword, and imports never share a single-flight lock with searches.
Kept free of the analysis stack (the API function imports it).
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import unquote_plus

from social_analytics import composition
from social_analytics.models import AnalysisJob
from social_analytics.observability import logger

MAX_IMPORT_POSTS = 10_000  # the job's limit: the newest 10,000 posts of an upload are analyzed
# The most rows of an upload the worker parses (the parse's time is bounded too): 3-12 us a row on the bench machine,
# so 200,000 stay inside the worker's timeout on a 512 MB Lambda (about a third of a vCPU), and a 20 MiB upload of
# real posts (100-300 bytes a row) is read whole; 20 MiB of one-letter rows would be 10 million (bench/bounds_bench.py).
MAX_IMPORT_ROWS = 200_000
IMPORT_WINDOW_HOURS = 8784  # 366 days: the most an import's analysis spans (older rows are reported, not analyzed)


def create_import(keyword: str, fmt: str = "csv") -> dict:
    job_id = uuid.uuid4().hex
    import_store = composition.data.import_objects
    label = " ".join(keyword.split())
    job = AnalysisJob(
        job_id=job_id,
        keyword=label,
        key=f"import:{job_id}",
        limit=MAX_IMPORT_POSTS,
        window_hours=IMPORT_WINDOW_HOURS,
        submitted_at=time.time(),
        kind="import",
        import_object=import_store.object_key(job_id, fmt),
    )
    if composition.analysis.jobs.create_job_with_lock(job) is not None:  # a fresh uuid: cannot happen
        raise RuntimeError("import job id collision")
    upload = import_store.presign_upload(job.import_object or "", fmt)
    return {
        "job_id": job_id,
        "status": "queued",
        "keyword": label,
        "status_url": f"/api/jobs/{job_id}",
        "upload": upload,
        "max_bytes": import_store.max_bytes(),
    }


def object_keys(s3_event: dict) -> list[tuple[str, int]]:
    """(key, size) of every created object in an S3 event notification (a test event has none)."""
    found = []
    for record in s3_event.get("Records") or []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        obj = (record.get("s3") or {}).get("object") or {}
        if obj.get("key"):
            found.append((unquote_plus(str(obj["key"])), int(obj.get("size") or 0)))
    return found


def object_created(key: str, size: int) -> str:
    """Enqueue the import job of an uploaded object. Returns what happened (for the log)."""
    import_store = composition.data.import_objects
    name = key.removeprefix(import_store.PREFIX)
    job_id, _, fmt = name.partition(".")
    if not key.startswith(import_store.PREFIX) or fmt not in import_store.CONTENT_TYPES or not job_id.isalnum():
        return "ignored: not an import object"
    jobs = composition.analysis.jobs
    job = jobs.get_job(job_id)
    if job is None or job.kind != "import":
        return "ignored: no such import job"
    if job.status != "queued":
        return f"ignored: job already {job.status}"
    limit = import_store.max_bytes()
    if size > limit:
        jobs.fail_job(job_id, job.key, "too_large", f"too large: the upload is {size} bytes; the limit is {limit}")
        return "failed: too large"
    message = AnalysisJob(
        job_id=job_id,
        keyword=job.keyword,
        key=job.key,
        limit=job.limit,
        window_hours=job.window_hours,
        submitted_at=job.submitted_at,
        kind="import",
        import_object=key,
    )
    composition.analysis.queue.send_job(message)
    logger.info("import queued", extra={"job_id": job_id, "bytes": size})
    return "queued"

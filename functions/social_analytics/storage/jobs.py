"""Job records, the single-flight lock and the latest result per keyword, in one DynamoDB table.

Items (pk, sk): ``JOB#<id>, JOB`` (a job), ``KW#<key>, INFLIGHT`` (the lock that makes identical requests
share one job), ``KW#<key>, RESULT`` (the latest result of a keyword, the cache).

A result is stored as ``result_z`` (zlib-compressed JSON, binary) in the RESULT and the job item; items written
before that hold ``result_json`` (plain JSON) and are still read. ``service.limits`` bounds the JSON's size, so
neither item can reach DynamoDB's 400 KB.
"""

from __future__ import annotations

import json
import time
import zlib
from decimal import Decimal

from social_analytics.models import AnalysisJob
from social_analytics.records import JobError, JobRecord, StoredResult
from social_analytics.settings import get_settings
from social_analytics.storage import aws, dynamo

TERMINAL = frozenset({"done", "failed"})
# Errors that the same write would meet again on every retry (an item over 400 KB, a key over its limit).
PERMANENT_ERRORS = frozenset({"ValidationException", "ItemCollectionSizeLimitExceededException"})


class ItemRejected(Exception):
    """DynamoDB refused a write for what it holds, not for load: retrying cannot help."""


def encode_result(result: dict) -> aws.Binary:
    return aws.Binary(zlib.compress(json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode(), 6))


def decode_result(item: dict) -> dict:
    """The result stored in an item (``result_z``, or the older ``result_json``). ValueError when damaged."""
    if "result_z" in item:
        data = item["result_z"]
        try:
            return json.loads(zlib.decompress(data.value if isinstance(data, aws.Binary) else bytes(data)))
        except zlib.error as error:
            raise ValueError(f"damaged result: {error}") from None
    return json.loads(item["result_json"])


_table = dynamo.results_table
_conditional = dynamo.conditional
_job_key = dynamo.job_key
_lock_key = dynamo.lock_key
_result_key = dynamo.keyword_result_key


def _now() -> Decimal:
    return dynamo.decimal(time.time())


def create_job_with_lock(job: AnalysisJob) -> str | None:
    """Create the job and take the keyword's in-flight lock (a conditional put: one winner per keyword).

    Returns None when this job now holds the lock (the caller enqueues it), or the id of the job that
    already holds it (single flight: the caller answers with that job instead). The job item is written
    before its lock, so a lock always names an existing job. No transaction: they cost twice the writes.
    """
    holder = create_job_or_find_holder(job)
    return None if holder is None else holder.job_id


def create_job_or_find_holder(job: AnalysisJob) -> JobRecord | None:
    """``create_job_with_lock``, answering with the holder's job record (as ``get_job`` reads it) instead of its id,
    so single flight reads the holder once."""
    settings = get_settings()
    job_written = False
    try:
        for _ in range(5):
            now = time.time()
            holder = _table().get_item(Key=_lock_key(job.key), ConsistentRead=True).get("Item")
            if holder is not None and holder["job_id"] != job.job_id and int(holder["lease_until"]) >= now:
                holder_job = get_job(holder["job_id"])
                if holder_job is not None and holder_job.status not in TERMINAL:
                    return holder_job
                release_lock(job.key, holder["job_id"])  # a leftover lock of a finished job
                continue
            if not job_written:
                _table().put_item(Item=_job_item(job, now, settings.job_ttl_seconds))
                job_written = True
            if _conditional(
                _table().put_item,
                Item={
                    **_lock_key(job.key),
                    "job_id": job.job_id,
                    # A lock older than the job deadline belongs to a job that can no longer finish.
                    "lease_until": int(now + settings.job_deadline_seconds),
                    "expires_at": int(now + settings.job_deadline_seconds),
                },
                ConditionExpression="attribute_not_exists(pk) OR lease_until < :now",
                ExpressionAttributeValues={":now": int(now)},
            ):
                job_written = False  # ours now: keep it
                return None
        raise RuntimeError(f"could not take the in-flight lock for {job.key!r}")
    finally:
        if job_written:  # another job won the lock: ours was never queued
            _table().delete_item(Key=_job_key(job.job_id))


def _job_item(job: AnalysisJob, now: float, ttl_seconds: int) -> dict:
    return {
        **_job_key(job.job_id),
        "job_id": job.job_id,
        "keyword": job.keyword,
        "key": job.key,
        "kind": job.kind,
        "status": "queued",
        "limit": job.limit,
        "window_hours": job.window_hours,
        "submitted_at": dynamo.decimal(job.submitted_at, None),
        "updated_at": dynamo.decimal(now),
        "expires_at": int(now + ttl_seconds),
    }


def release_lock(key: str, job_id: str) -> None:
    _conditional(
        _table().delete_item,
        Key=_lock_key(key),
        ConditionExpression="job_id = :job_id",
        ExpressionAttributeValues={":job_id": job_id},
    )


def discard_job(job_id: str, key: str) -> None:
    """Remove a job that was never queued, and its lock."""
    _table().delete_item(Key=_job_key(job_id))
    release_lock(key, job_id)


def get_job(job_id: str) -> JobRecord | None:
    item = _table().get_item(Key=_job_key(job_id), ConsistentRead=True).get("Item")
    return _job_record(item) if item else None


def _job_record(item: dict) -> JobRecord:
    error = JobError(code=item["error_code"], message=item.get("error_message", "")) if "error_code" in item else None
    return JobRecord(
        job_id=item["job_id"],
        keyword=item["keyword"],
        key=item["key"],
        kind=item.get("kind", "analysis"),
        status=item["status"],
        limit=int(item.get("limit", 0)),
        window_hours=int(item.get("window_hours", 0)),
        submitted_at=float(item["submitted_at"]),
        updated_at=float(item["updated_at"]),
        error=error,
        result=decode_result(item) if "result_z" in item or "result_json" in item else None,
        attempts=int(item["attempts"]) if "attempts" in item else None,
    )


def mark_running(job_id: str, lease_seconds: float) -> str:
    """Claim the job for one attempt: queued, or running with an expired lease -> running (counting attempts).

    Returns "started", "busy" (another attempt holds a live lease: a redelivery while it still works),
    "finished" (done or failed already) or "missing" (no such job).
    """
    now = time.time()
    # A refused claim says what it saw (the item as the condition read it): no second read to tell why.
    started, seen = dynamo.conditional_seen(
        _table().update_item,
        Key=_job_key(job_id),
        UpdateExpression="SET #status = :running, updated_at = :now, lease_until = :lease ADD attempts :one",
        ConditionExpression="attribute_exists(pk) AND (#status = :queued OR (#status = :running AND "
        "(attribute_not_exists(lease_until) OR lease_until < :now)))",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":running": "running",
            ":queued": "queued",
            ":now": dynamo.decimal(now),
            ":lease": dynamo.decimal(now + lease_seconds),
            ":one": 1,
        },
    )
    if started:
        return "started"
    if seen is not None:
        status = seen.get("status", {}).get("S")
    else:  # no item came back: the job is missing (or the store ignores ALL_OLD: read it)
        job = get_job(job_id)
        if job is None:
            return "missing"
        status = job.status
    return "finished" if status in TERMINAL else "busy"


def release_lease(job_id: str) -> None:
    """End a failed attempt's claim at once, so the message's next delivery can retry the job."""
    _conditional(
        _table().update_item,
        Key=_job_key(job_id),
        UpdateExpression="SET lease_until = :zero",
        ConditionExpression="#status = :running",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":zero": 0, ":running": "running"},
    )


def complete_job(job: AnalysisJob, result: dict) -> bool:
    """Store the result as the keyword's latest and as the job's, mark the job done, release the lock.

    In that order: once the job says done its result is the latest, and once the lock is gone the result is
    there for the next request's cache read (single flight relies on it). Only a running job becomes done: one
    already failed (timed out while it ran) stays failed - callers were told so - and this returns False; its
    result still serves the keyword's next request.
    """
    settings = get_settings()
    now = time.time()
    blob = encode_result(result)
    try:
        _table().put_item(
            Item={
                **_result_key(job.key),
                "keyword": job.keyword,
                "job_id": job.job_id,
                "limit": job.limit,
                "window_hours": job.window_hours,
                "analyzed_epoch": dynamo.decimal(now),
                "result_z": blob,
                "expires_at": int(now + settings.result_ttl_seconds),
            }
        )
        completed = _mark_done(job.job_id, blob, now)
    except aws.ClientError as error:
        code = error.response["Error"]["Code"]
        if code in PERMANENT_ERRORS:
            raise ItemRejected(code) from error
        raise
    release_lock(job.key, job.job_id)
    return completed


def finish_job(job_id: str, lock_key: str, result: dict) -> bool:
    """Mark a running job that produced no keyword result (a deletion) done with ``result``, release its lock.
    False when the job was no longer running (marked timed out meanwhile): it stays as it is."""
    changed = _mark_done(job_id, encode_result(result), time.time())
    release_lock(lock_key, job_id)
    return changed


def _mark_done(job_id: str, blob: aws.Binary, now: float) -> bool:
    """running -> done with the stored result; False when the job was no longer running."""
    return _conditional(
        _table().update_item,
        Key=_job_key(job_id),
        UpdateExpression="SET #status = :done, updated_at = :now, result_z = :result",
        ConditionExpression="attribute_exists(pk) AND #status = :running",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":done": "done",
            ":running": "running",
            ":now": dynamo.decimal(now),
            ":result": blob,
        },
    )


def fail_job(job_id: str, key: str, code: str, message: str) -> bool:
    """Mark a job failed with its reason (unless it already finished) and release its lock."""
    changed = _conditional(
        _table().update_item,
        Key=_job_key(job_id),
        UpdateExpression="SET #status = :failed, updated_at = :now, error_code = :code, error_message = :message",
        ConditionExpression="attribute_exists(pk) AND #status IN (:queued, :running)",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":failed": "failed",
            ":queued": "queued",
            ":running": "running",
            ":now": _now(),
            ":code": code,
            ":message": message[:500],
        },
    )
    release_lock(key, job_id)
    return changed


def get_latest_result(key: str) -> StoredResult | None:
    """The keyword's latest result with what it was built for (analyzed_epoch, limit, window_hours, job_id), or None."""
    item = _table().get_item(Key=_result_key(key)).get("Item")
    if not item:
        return None
    analyzed_epoch = float(item["analyzed_epoch"])
    try:
        result = decode_result(item)
    except (ValueError, KeyError):  # a damaged item is no cache: the keyword is analyzed anew and the item overwritten
        return None
    return StoredResult(
        result=result,
        analyzed_epoch=analyzed_epoch,
        limit=int(item.get("limit", 0)),
        window_hours=int(item.get("window_hours", 0)),
        job_id=item.get("job_id"),
    )

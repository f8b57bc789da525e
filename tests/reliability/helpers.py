"""Shared steps of the reliability tests, against the real local stack over HTTP."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from local_stack.stack import wait_until


def metrics(client: httpx.Client) -> dict:
    return client.get("/api/metrics").json()


def wait_finished(client: httpx.Client, job_ids: set[str], timeout: float) -> dict[str, dict]:
    """Poll every job until it is done or failed (or the deadline passes): {job_id: final body}."""
    finished: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    while len(finished) < len(job_ids) and time.monotonic() < deadline:
        for job_id in job_ids - finished.keys():
            body = client.get(f"/api/jobs/{job_id}").json()
            if body["status"] in ("done", "failed"):
                finished[job_id] = body
        time.sleep(0.1)
    return finished


def jobs_of_keys(stack, keys: set[str]) -> dict[str, list[dict]]:
    """Every job item in the table for these normalized keywords (a scan: test use only)."""
    dynamodb = stack.boto3_client("dynamodb")
    table = stack.resource("ResultsTable")
    found: dict[str, list[dict]] = {key: [] for key in keys}
    kwargs = {"TableName": table, "FilterExpression": "sk = :job", "ExpressionAttributeValues": {":job": {"S": "JOB"}}}
    while True:
        page = dynamodb.scan(**kwargs)
        for item in page["Items"]:
            key = item.get("key", {}).get("S")
            if key in found:
                found[key].append({name: next(iter(value.values())) for name, value in item.items()})
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def post_burst(client: httpx.Client, keywords: list[str], concurrency: int) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda keyword: client.post("/api/analyses", json={"keyword": keyword}), keywords))


def submit_all(client: httpx.Client, keywords: list[str], concurrency: int = 10, **fields) -> list[str]:
    """POST every keyword (new ones: each must be queued) and return the job ids."""
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        answers = list(pool.map(lambda k: client.post("/api/analyses", json={"keyword": k, **fields}), keywords))
    assert [a.status_code for a in answers] == [202] * len(keywords), [a.text[:200] for a in answers if a.is_error]
    return [a.json()["job_id"] for a in answers]


def job_item(stack, job_id: str) -> dict | None:
    """The raw job item (with its ``attempts`` counter, which the API does not show)."""
    item = (
        stack.boto3_client("dynamodb")
        .get_item(
            TableName=stack.resource("ResultsTable"),
            Key={"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": "JOB"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return {name: next(iter(value.values())) for name, value in item.items()} if item else None


def put_queued_job(stack, keyword: str, key: str, limit: int = 20, window_hours: int = 24) -> dict:
    """A queued job record and its keyword lock, written as the API would, without sending its message:
    returns the job message (the queue's body) for the test to send as it likes."""
    job_id = uuid.uuid4().hex
    now = time.time()
    dynamodb, table = stack.boto3_client("dynamodb"), stack.resource("ResultsTable")
    job = {
        "pk": f"JOB#{job_id}", "sk": "JOB", "job_id": job_id, "keyword": keyword, "key": key, "kind": "analysis",
        "status": "queued", "limit": limit, "window_hours": window_hours, "submitted_at": now, "updated_at": now,
        "expires_at": int(now + 86400),
    }  # fmt: skip
    lock = {"pk": f"KW#{key}", "sk": "INFLIGHT", "job_id": job_id, "lease_until": int(now + 1800)}
    for item in (job, lock):
        dynamodb.put_item(TableName=table, Item={name: _typed(value) for name, value in item.items()})
    return {
        "job_id": job_id, "keyword": keyword, "key": key, "limit": limit, "window_hours": window_hours,
        "submitted_at": now, "kind": "analysis",
    }  # fmt: skip


def _typed(value) -> dict:
    return {"N": str(value)} if isinstance(value, int | float) else {"S": str(value)}


def send_job(stack, message: dict, copies: int = 1) -> None:
    """Send the same job message ``copies`` times straight to the jobs queue (what a duplicate delivery looks like)."""
    body = json.dumps(message)
    entries = [{"Id": str(i), "MessageBody": body} for i in range(copies)]
    stack.boto3_client("sqs").send_message_batch(QueueUrl=stack.resource("JobsQueue"), Entries=entries)


def dead_letters(stack) -> list[str]:
    """Bodies now in the jobs DLQ (received with visibility 0: left there for the next look)."""
    sqs = stack.boto3_client("sqs")
    messages = sqs.receive_message(QueueUrl=stack.resource("JobsDLQ"), MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [m["Body"] for m in messages.get("Messages", [])]


__all__ = [
    "dead_letters",
    "job_item",
    "jobs_of_keys",
    "metrics",
    "post_burst",
    "put_queued_job",
    "send_job",
    "submit_all",
    "wait_finished",
    "wait_until",
]

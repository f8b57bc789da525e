"""Shared steps of the reliability tests, against the real local stack over HTTP."""

from __future__ import annotations

import time
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


__all__ = ["jobs_of_keys", "metrics", "post_burst", "wait_finished", "wait_until"]

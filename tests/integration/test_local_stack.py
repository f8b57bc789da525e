"""The whole platform over HTTP: the local stack (moto, API front, SQS-driven workers), dashboard files."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from local_stack.stack import wait_until


def poll_job(client: httpx.Client, status_url: str, timeout: float = 10.0) -> dict:
    def finished():
        body = client.get(status_url).json()
        return body if body["status"] in ("done", "failed") else None

    body = wait_until(finished, timeout=timeout, interval=0.1)
    assert body, f"{status_url} did not finish within {timeout} s"
    return body


def metrics(client: httpx.Client) -> dict:
    return client.get("/api/metrics").json()


def test_a_new_keyword_is_queued_completed_then_cached(local_stack):
    keyword = f"Serverless {uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=local_stack.base_url, timeout=10) as client:
        before = metrics(client)

        queued = client.post("/api/analyses", json={"keyword": keyword})
        assert queued.status_code == 202
        done = poll_job(client, queued.json()["status_url"])
        assert done["status"] == "done"
        assert done["result"]["source"]["simulated"] is True

        cached = client.post("/api/analyses", content=json.dumps({"keyword": f"  {keyword.lower()} "}))
        assert cached.status_code == 200 and cached.json()["cached"] is True
        assert cached.json()["result"]["analyzed_at"] == done["result"]["analyzed_at"]

        after = metrics(client)
        assert after["cache_hits"] - before["cache_hits"] == 1
        assert after["cache_misses"] - before["cache_misses"] == 1
        assert after["tasks_enqueued"] - before["tasks_enqueued"] == 1


def test_twenty_concurrent_posts_make_one_job_and_one_enqueue(local_stack):
    keyword = f"burst {uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=local_stack.base_url, timeout=10) as client:
        before = metrics(client)
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda _: client.post("/api/analyses", json={"keyword": keyword}), range(20)))
        # cached answers are possible only if the job finished during the burst
        job_ids = {answer.json()["job_id"] for answer in answers if answer.status_code == 202}
        assert {answer.status_code for answer in answers} <= {200, 202}
        assert len(job_ids) == 1
        assert metrics(client)["tasks_enqueued"] - before["tasks_enqueued"] == 1
        assert poll_job(client, f"/api/jobs/{job_ids.pop()}")["status"] == "done"


def test_a_poison_message_ends_in_the_dead_letter_queue(local_stack):
    sqs = local_stack.boto3_client("sqs")
    dlq_url = local_stack.resource("JobsDLQ")
    sqs.send_message(QueueUrl=local_stack.resource("JobsQueue"), MessageBody="definitely not a job")

    def in_dlq():
        messages = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages")
        return [m for m in messages or [] if m["Body"] == "definitely not a job"]

    # three deliveries, each visible again after the stack's 10 s visibility timeout
    assert wait_until(in_dlq, timeout=60, interval=0.5), "the poison message never reached the DLQ"


def test_the_dashboard_is_served_at_the_root(local_stack):
    with httpx.Client(base_url=local_stack.base_url, timeout=10) as client:
        page = client.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert client.get("/../template.yaml").status_code == 404
        assert client.get("/api/health").json() == {"status": "ok"}

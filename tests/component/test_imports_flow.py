"""Imports in-process (moto): API -> object created event -> import function -> worker, and the size cap."""

from __future__ import annotations

import json

import boto3
from social_analytics.settings import get_import_settings

from tests import events as sample_events
from tests.conftest import sqs_event


def s3_events(*bodies: str) -> dict:
    """The imports queue's batch (the real-shaped sample): one S3 notification per body."""
    return sample_events.sqs_batch(*bodies, sample="sqs_s3_object_created")


def upload(aws, call_api, data: bytes) -> dict:
    status, body = call_api("POST", "/api/imports", {"keyword": "mine", "format": "jsonl"})
    assert status == 201 and body["upload"]["headers"] == {"Content-Type": "application/x-ndjson"}
    key = f"imports/{body['job_id']}.jsonl"
    assert key in body["upload"]["url"]
    boto3.client("s3").put_object(Bucket=aws.physical_names["ImportsBucket"], Key=key, Body=data)
    return {**body, "key": key}


def test_an_uploaded_jsonl_file_is_queued_and_analyzed(aws, call_api, queue_messages, lambda_context):
    from social_analytics.handlers import imports, worker

    rows = [
        {"text": f"great day {n} of mine", "created_at": f"2026-11-2{n % 3}T10:00:00Z", "likes": n} for n in range(30)
    ]
    data = ("\n".join(json.dumps(r) for r in rows) + "\nnot json\n").encode()
    created = upload(aws, call_api, data)
    assert queue_messages() == []  # nothing runs before the upload

    test_event = json.dumps({"Event": "s3:TestEvent"})
    events = s3_events(sample_events.s3_object_created(created["key"], len(data)), test_event)
    assert imports.handler(events, lambda_context)["batchItemFailures"] == []
    messages = queue_messages()
    assert len(messages) == 1 and json.loads(messages[0]["Body"])["import_object"] == created["key"]

    assert worker.handler(sqs_event(messages), lambda_context)["batchItemFailures"] == []
    _, job = call_api("GET", created["status_url"])
    assert job["status"] == "done" and job["result"]["posts_analyzed"] == 30
    assert job["result"]["import"]["rejected"] == 1 and job["result"]["source"]["provider"] == "import"
    assert job["result"]["volume"]["basis"] == "complete" and job["result"]["volume"]["estimated_posts_in_window"] == 30
    assert all(bucket["covered"] for bucket in job["result"]["timeline"])
    listed = boto3.client("s3").list_objects_v2(Bucket=aws.physical_names["ImportsBucket"]).get("Contents", [])
    assert [o["Key"] for o in listed] == []  # read once, then deleted: the user's posts are not kept


def test_rows_over_the_cap_are_counted_not_analyzed(aws, call_api, queue_messages, lambda_context, monkeypatch):
    from social_analytics.handlers import imports, worker
    from social_analytics.imports import uploads

    monkeypatch.setattr(uploads, "MAX_IMPORT_POSTS", 10)
    rows = [{"text": f"mine is good news {n}", "created_at": f"2026-11-20T10:{n:02d}:00Z"} for n in range(40)]
    data = "\n".join(json.dumps(r) for r in rows).encode()
    created = upload(aws, call_api, data)
    assert imports.handler(s3_events(sample_events.s3_object_created(created["key"], len(data))), lambda_context)
    assert worker.handler(sqs_event(queue_messages()), lambda_context)["batchItemFailures"] == []
    _, job = call_api("GET", created["status_url"])
    result = job["result"]
    assert result["import"]["rows"] == 40 and result["import"]["rows_over_cap"] == 30
    assert result["posts_analyzed"] <= 10  # only the newest ten were kept (then checked against the query)
    assert all(p["created_at"] >= "2026-11-20T10:30:00" for p in result["posts"])


def test_an_upload_over_the_cap_fails_the_job(aws, call_api, queue_messages, lambda_context, monkeypatch):
    from social_analytics.handlers import imports

    created = upload(aws, call_api, b'{"text": "hello"}\n' * 10)
    monkeypatch.setenv("IMPORT_MAX_BYTES", "50")
    get_import_settings.cache_clear()
    events = s3_events(sample_events.s3_object_created(created["key"], 180))
    assert imports.handler(events, lambda_context)["batchItemFailures"] == []

    assert queue_messages() == []
    _, job = call_api("GET", created["status_url"])
    assert job["status"] == "failed" and job["error"]["code"] == "too_large"


def test_the_worker_refuses_an_object_over_the_cap(aws, call_api, lambda_context, monkeypatch):
    """Defence in depth: the size is checked again when the worker reads the object."""
    from social_analytics.handlers import worker
    from social_analytics.models import AnalysisJob
    from social_analytics.storage import jobs as job_store

    created = upload(aws, call_api, b'{"text": "hello"}\n' * 10)
    monkeypatch.setenv("IMPORT_MAX_BYTES", "50")
    get_import_settings.cache_clear()
    record = job_store.get_job(created["job_id"])
    job = AnalysisJob(
        job_id=record.job_id, keyword=record.keyword, key=record.key, limit=record.limit,
        window_hours=record.window_hours, submitted_at=record.submitted_at, kind="import",
        import_object=created["key"],
    )  # fmt: skip
    message = {"MessageId": "w", "ReceiptHandle": "w", "Body": json.dumps(job.to_message()), "MD5OfBody": "x"}
    assert worker.handler(sqs_event([message]), lambda_context)["batchItemFailures"] == []
    _, body = call_api("GET", created["status_url"])
    assert body["status"] == "failed" and body["error"]["code"] == "too_large"

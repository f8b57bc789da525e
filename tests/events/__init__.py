"""Real-shaped Lambda events: AWS's documented samples (API Gateway REST proxy, SQS, S3 notification through SQS,
EventBridge Scheduler), adapted to this stack's routes and messages. ``tests/unit/test_events.py`` keeps each one
valid against Powertools' event models; the helpers below vary a sample without hand-building an event."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent
SAMPLES = tuple(sorted(path.stem for path in HERE.glob("*.json")))


@cache
def _read(name: str) -> dict:
    return json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))


def load(name: str) -> dict:
    """A fresh copy of the sample ``tests/events/<name>.json``."""
    return copy.deepcopy(_read(name))


def sqs_batch(*bodies: str, sample: str = "sqs_job_batch") -> dict:
    """The sample's SQS batch with one record per body (each with its own message id and MD5). A job message
    carries its job id as a message attribute, as ``storage.queue`` sends it."""
    template = load(sample)["Records"][0]
    records = []
    for body in bodies:
        record = {**copy.deepcopy(template), "messageId": str(uuid.uuid4()), "body": body}
        record["md5OfBody"] = hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()
        if "job_id" in record["messageAttributes"]:
            record["messageAttributes"]["job_id"]["stringValue"] = json.loads(body)["job_id"]
        records.append(record)
    return {"Records": records}


def s3_object_created(key: str, size: int) -> str:
    """The sample's S3 "object created" notification for another object: the body of an imports queue message."""
    notification = json.loads(load("sqs_s3_object_created")["Records"][0]["body"])
    notification["Records"][0]["s3"]["object"].update(key=key, size=size)
    return json.dumps(notification)


def scheduled(time: str) -> dict:
    """The EventBridge Scheduler sample, fired at ``time`` (ISO 8601, UTC)."""
    return {**load("eventbridge_scheduled"), "time": time}

"""The jobs queue."""

from __future__ import annotations

import json

from social_analytics.models import AnalysisJob
from social_analytics.settings import get_settings
from social_analytics.storage.clients import client


def send_job(job: AnalysisJob) -> str:
    response = client("sqs").send_message(
        QueueUrl=get_settings().jobs_queue_url,
        MessageBody=json.dumps(job.to_message(), separators=(",", ":")),
        # The job id travels as a message attribute too, so the worker can log it before parsing the body.
        MessageAttributes={"job_id": {"DataType": "String", "StringValue": job.job_id}},
    )
    return response["MessageId"]

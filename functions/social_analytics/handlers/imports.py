"""Import function: S3 "object created" notifications (delivered through SQS) -> import jobs on the jobs queue."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from social_analytics.imports import uploads
from social_analytics.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


def handle_record(record: SQSRecord) -> list[str]:
    try:
        event = json.loads(record.body)
    except ValueError:
        logger.warning("not an S3 event; dropped", extra={"message_id": record.message_id})
        return []
    return [uploads.object_created(key, size) for key, size in uploads.object_keys(event)]


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)

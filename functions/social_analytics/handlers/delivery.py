"""Delivery function: sends the alerts and digests of one SQS batch to their channels, reporting partial batch
failures (a failed record comes back after its backoff; the others are done)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from social_analytics.delivery import run
from social_analytics.observability import logger, metrics, tracer

# A batch whose every record must come back later is an answer (each listed as failed), not a function error: a
# receiver being down must not read as the function failing (errors alarm, Lambda's own retry accounting).
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def handle_record(record: SQSRecord) -> str:
    receive_count = int((record.raw_event.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
    return run.deliver(record.body, receive_count, record.receipt_handle)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)

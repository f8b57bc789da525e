"""Worker function: analyzes the jobs of one SQS batch concurrently, reporting partial batch failures."""

from __future__ import annotations

import contextvars

from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from social_analytics.analyses import run
from social_analytics.observability import logger, meter, metrics, tracer

processor = AsyncBatchProcessor(event_type=EventType.SQS)
# The invocation's request id, quoted in public error messages so the logs can be found from them.
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


async def handle_record(record: SQSRecord) -> dict:
    receive_count = int((record.raw_event.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
    return await run.run_delivery(record.body, receive_count, _request_id.get())


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    _request_id.set(getattr(context, "aws_request_id", "") or "")
    records = event.get("Records", [])
    try:
        return async_process_partial_response(
            event=event, record_handler=handle_record, processor=processor, context=context
        )
    finally:
        meter.batch_processed(len(records))
        meter.flush()

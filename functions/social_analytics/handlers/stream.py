"""Stream function: EventBridge Scheduler invokes it every minute; it reads Jetstream up to the present and exits."""

from __future__ import annotations

from social_analytics.observability import logger, meter, tracer
from social_analytics.tracking import stream


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context) -> dict:
    try:
        remaining = context.get_remaining_time_in_millis() if context is not None else None
        summary = stream.run(remaining_ms=remaining)
    finally:
        meter.flush()
    logger.info("stream ingestion", extra={"scheduled_time": (event or {}).get("time"), **summary})
    return summary

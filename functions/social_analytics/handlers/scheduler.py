"""Scheduler function: EventBridge Scheduler invokes it on the scan rate; it queues the due tracked keywords' scans
and the digests whose hour has come."""

from __future__ import annotations

from social_analytics.delivery import digest
from social_analytics.observability import logger, meter, tracer
from social_analytics.tracking import scans


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict, context) -> dict:
    try:
        counts = scans.enqueue_due()
        counts.update(digest.enqueue_due())
    finally:
        meter.flush()
    logger.info("scheduled scan", extra={**counts, "scheduled_time": (event or {}).get("time")})
    return counts

"""Worker function: analyzes the jobs of one SQS batch concurrently, reporting partial batch failures."""

from __future__ import annotations

import asyncio
import contextvars
import time

from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from social_analytics import public_errors
from social_analytics.analyses import deletion, run
from social_analytics.observability import logger, meter, metrics, tracer
from social_analytics.settings import get_settings

processor = AsyncBatchProcessor(event_type=EventType.SQS)
# The invocation's request id, quoted in public error messages so the logs can be found from them.
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


async def handle_record(record: SQSRecord) -> dict:
    job = run.parse_job(record.body)
    log = {"correlation_id": job.job_id, "job_id": job.job_id, "keyword": job.keyword}
    if run.expired(job):  # a backlog older than its deadline: its caller was already told it timed out
        await asyncio.to_thread(run.fail, job, "expired", "the job waited past its deadline and was not fetched")
        logger.warning("job expired before it was fetched", extra=log)
        return {"job_id": job.job_id, "status": "failed"}
    try:
        # Storage and analysis are blocking calls: threads let the batch's jobs overlap their DynamoDB
        # round trips, as the fetches overlap on the event loop.
        # The job's lease is the one guard against a redelivered message: a job already done or failed is not
        # run again, and one whose attempt still holds a live lease is retried later (run.start).
        if not await asyncio.to_thread(run.start, job):
            logger.info("job already finished; redelivery ignored", extra=log)
            return {"job_id": job.job_id, "status": "already finished"}
        if job.kind == "deletion":  # a large keyword deletion (service.deletion): nothing to fetch or analyze
            return await asyncio.to_thread(deletion.run_job, job)
        fetched = await run.fetch_posts(job)
        meter.provider_attempts(fetched.source.get("attempts", []))
        outcome = await asyncio.to_thread(run.analyze_and_store, job, fetched)
        latency_ms = (time.time() - job.submitted_at) * 1000  # submitted (API) -> stored (worker)
        logger.info("job done", extra={**log, "posts": outcome.get("posts_analyzed"), "latency_ms": round(latency_ms)})
        return outcome
    except run.JobInProgress:
        # A redelivery while another attempt still works on the job: retry later, the job has not failed.
        logger.info("job in progress elsewhere; delivery retried later", extra=log)
        raise
    except run.JobFailed as failure:
        run.fail(job, failure.code, failure.message)
        logger.warning("job failed", extra={**log, "reason": failure.message})
        return {"job_id": job.job_id, "status": "failed"}
    except Exception as error:
        receive_count = int(record.attributes.approximate_receive_count or 1)
        run.attempt_failed(job)
        if receive_count >= get_settings().max_receive_count:
            # Last delivery: the message goes to the dead-letter queue and the job says why.
            run.fail(job, "retries_exhausted", public_errors.retries_exhausted(receive_count, _request_id.get()))
        logger.exception("job attempt failed", extra={**log, "receive_count": receive_count, "error": repr(error)})
        raise


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

"""API function: the Lambda entry point. The routes are each feature's Router, joined in ``api.app``."""

from aws_lambda_powertools.logging import correlation_paths

from social_analytics.api.app import app, handle
from social_analytics.observability import logger, metrics, tracer

__all__ = ["app", "handler"]


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context) -> dict:
    return handle(event, context)

"""The one Logger, Tracer and Metrics of the package; names come from the POWERTOOLS_* environment."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()

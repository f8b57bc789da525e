"""The one Logger, Tracer and Metrics of the package; names come from the POWERTOOLS_* environment.

Provider metrics (EMF) are published twice: per provider (dimension ``provider``, for the dashboard) and summed
over providers under the service dimension only (what the provider failure rate alarm divides).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

logger = Logger()
tracer = Tracer()
metrics = Metrics()

PROVIDER_ATTEMPTS = "ProviderAttempts"
PROVIDER_ERRORS = "ProviderErrors"


def _provider_metric(name: str, provider: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=metrics.namespace) as metric:
        metric.add_dimension(name="service", value=metrics.service or "service_undefined")
        metric.add_dimension(name="provider", value=provider)


def record_provider_attempt(provider: str) -> None:
    """One call to a provider was made (whatever its outcome): the failure rate's denominator."""
    _provider_metric(PROVIDER_ATTEMPTS, provider)


def record_provider_error(provider: str) -> None:
    """One call to a provider failed (after its own retries): the failure rate's numerator."""
    _provider_metric(PROVIDER_ERRORS, provider)


def record_provider_attempts(attempts: Iterable[Mapping]) -> None:
    """Count a job's provider attempts (``result.source["attempts"]``): "ok" and "failed" were calls,
    "skipped" (not configured, circuit open, budget spent) were not; the simulated adapter is no provider."""
    for attempt in attempts:
        outcome, provider = attempt.get("outcome"), str(attempt.get("provider", "unknown"))
        if provider == "simulated":
            continue
        if outcome in ("ok", "failed"):
            record_provider_attempt(provider)
        if outcome == "failed":
            record_provider_error(provider)

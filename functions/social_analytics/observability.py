"""The one Logger, Tracer and Metrics of the package (names come from the POWERTOOLS_* environment), and ``meter``:
the one metrics facade.

Code records each event once, on ``meter`` (``meter.cache_hit(started)``); the facade feeds both systems that report
it: the Powertools EMF metrics (CloudWatch: alarms, the AWS dashboard) and the DynamoDB counters behind
``GET /api/metrics`` (``storage/metrics.py``). Handlers flush the EMF metrics with ``@metrics.log_metrics`` and the
counters with ``meter.flush()``. The scheduler and stream functions publish no EMF metrics, so their events feed
the counters only.

Provider metrics (EMF) are published twice: per provider (dimension ``provider``, for the dashboard) and summed
over providers under the service dimension only (what the provider failure rate alarm divides).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Mapping

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

from social_analytics.settings import get_tracing_settings
from social_analytics.storage.metrics import MetricsRecorder, recorder


class _Untraced(BaseSegment):
    def close(self, end_time=None) -> None: ...
    def add_subsegment(self, subsegment) -> None: ...
    def remove_subsegment(self, subsegment) -> None: ...
    def put_annotation(self, key, value) -> None: ...
    def put_metadata(self, key, value, namespace="default") -> None: ...
    def add_exception(self, exception, stack, remote=False) -> None: ...


class NoTracing(BaseProvider):
    """The Tracer's provider while tracing is off. Powertools' Tracer resolves its X-Ray provider (importing
    ``aws_xray_sdk.core``, about 100 ms of a cold start) even when it is disabled, unless it is given a provider;
    this one records nothing and imports nothing."""

    @contextlib.contextmanager
    def in_subsegment(self, name=None, **kwargs):
        yield _Untraced()

    @contextlib.asynccontextmanager
    async def in_subsegment_async(self, name=None, **kwargs):
        yield _Untraced()

    def put_annotation(self, key, value) -> None: ...
    def put_metadata(self, key, value, namespace="default") -> None: ...
    def patch(self, modules) -> None: ...
    def patch_all(self) -> None: ...


class ContextLogger(Logger):
    """Powertools' Logger, with the keys added during an invocation (the Lambda context ``inject_lambda_context``
    adds, the correlation id, whatever code appends) held per thread and asyncio task, in Powertools' thread-safe
    keys (a ContextVar), instead of on the one formatter every thread shares. The embedded local stack runs several
    functions as threads of one process: with shared keys, a line of the stream said ``ApiFunction``. In Lambda
    (one invocation at a time) it changes nothing; the worker's concurrent records each see their own keys."""

    def append_keys(self, **additional_keys: object) -> None:
        self.thread_safe_append_keys(**additional_keys)

    def remove_keys(self, keys: Iterable[str]) -> None:
        self.thread_safe_remove_keys(keys)

    def get_current_keys(self) -> dict:
        return {**super().get_current_keys(), **self.thread_safe_get_current_keys()}

    def get_correlation_id(self) -> str | None:
        return self.get_current_keys().get("correlation_id")


logger = ContextLogger()
# X-Ray only when tracing is on (in Lambda, with POWERTOOLS_TRACE_DISABLED unset): aws_xray_sdk is loaded only then.
tracer = Tracer() if get_tracing_settings().enabled else Tracer(disabled=True, provider=NoTracing())
metrics = Metrics()

PROVIDER_ATTEMPTS = "ProviderAttempts"
PROVIDER_ERRORS = "ProviderErrors"


class Meter:
    """One method per platform event. EMF name / counter name(s) are given for each. ``counters`` is where the
    counters go: the DynamoDB recorder, or anything with its ``count``/``observe``/``flush`` (an in-memory fake)."""

    def __init__(self, counters: MetricsRecorder) -> None:
        self.counters = counters
        # The worker records from several threads; Powertools' metric set is a plain dict.
        self._lock = threading.Lock()

    def _emf(self, name: str, value: float = 1, unit: MetricUnit = MetricUnit.Count) -> None:
        with self._lock:
            metrics.add_metric(name=name, unit=unit, value=value)

    def cache_hit(self, started: float) -> None:
        """CacheHit / cache_hits, and the "cached" latency histogram (``started`` is a ``perf_counter()``)."""
        self._emf("CacheHit")
        self.counters.count("cache_hits")
        self.counters.observe("cached", (time.perf_counter() - started) * 1000)

    def cache_miss(self) -> None:
        """CacheMiss / cache_misses (a joined single-flight job is a miss too)."""
        self._emf("CacheMiss")
        self.counters.count("cache_misses")

    def job_enqueued(self) -> None:
        """TasksEnqueued / tasks_enqueued: the API queued a new job."""
        self._emf("TasksEnqueued")
        self.counters.count("tasks_enqueued")

    def scan_enqueued(self) -> None:
        """tasks_enqueued: the scheduler queued a tracked keyword's scan (counter only)."""
        self.counters.count("tasks_enqueued")

    def job_done(self, submitted_at: float, posts: int) -> None:
        """JobLatency / jobs_done, posts_analyzed and the "queued" histogram: submitted (API) -> stored (worker)."""
        latency_ms = (time.time() - submitted_at) * 1000
        self._emf("JobLatency", latency_ms, MetricUnit.Milliseconds)
        self.counters.count("jobs_done")
        self.counters.count("posts_analyzed", posts)
        self.counters.observe("queued", latency_ms)

    def job_failed(self) -> None:
        """jobs_failed: a job ended failed (counter only)."""
        self.counters.count("jobs_failed")

    def batch_processed(self, size: int) -> None:
        """BatchesProcessed, BatchSize / batches_processed, batch_records: one worker invocation."""
        self._emf("BatchesProcessed")
        self._emf("BatchSize", size)
        self.counters.count("batches_processed")
        self.counters.count("batch_records", size)

    def stream_gap(self) -> None:
        """stream_gaps: Jetstream did not replay a span (counter only)."""
        self.counters.count("stream_gaps")

    def stream_run(self, posts_counted: int) -> None:
        """stream_runs, stream_posts_counted: one stream ingestion run (counter only)."""
        self.counters.count("stream_runs")
        self.counters.count("stream_posts_counted", posts_counted)

    def provider_attempts(self, attempts: Iterable[Mapping]) -> None:
        """Count a job's provider attempts (``result.source["attempts"]``): "ok" and "failed" were calls,
        "skipped" (not configured, circuit open, budget spent) were not; the simulated adapter is no provider."""
        for attempt in attempts:
            outcome, provider = attempt.get("outcome"), str(attempt.get("provider", "unknown"))
            if provider == "simulated":
                continue
            if outcome in ("ok", "failed"):
                self.provider_attempt(provider)
            if outcome == "failed":
                self.provider_error(provider)

    def provider_attempt(self, provider: str) -> None:
        """ProviderAttempts: one call to a provider was made (whatever its outcome), the failure rate's denominator."""
        self._provider_metric(PROVIDER_ATTEMPTS, provider)

    def provider_error(self, provider: str) -> None:
        """ProviderErrors: one call to a provider failed (after its own retries), the failure rate's numerator."""
        self._provider_metric(PROVIDER_ERRORS, provider)

    def _provider_metric(self, name: str, provider: str) -> None:
        self._emf(name)
        if is_metrics_disabled():  # single_metric prints its EMF line even when POWERTOOLS_METRICS_DISABLED is set
            return
        with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=metrics.namespace) as metric:
            metric.add_dimension(name="service", value=metrics.service or "service_undefined")
            metric.add_dimension(name="provider", value=provider)

    def flush(self) -> None:
        """Write the buffered counters now (handlers, before the container may freeze)."""
        self.counters.flush()


meter = Meter(recorder)

"""Every per-container singleton in one place, and the one ``reset`` the tests use.

A Lambda container (or a local-stack process) keeps these between invocations:

- ``analysis``: the stores an analysis talks to (``analyses.ports``): the job store, the result cache, the job queue
  and the counters. DynamoDB, SQS and ``storage.metrics.recorder`` by default; tests put in-memory fakes in with
  :func:`use`. Service code reads ``composition.analysis.<store>`` at call time, never a storage module directly.
  The counters are where ``observability.meter`` (the one metrics facade) writes: ``use(counters=...)`` and
  ``reset`` point the meter at them.
- ``data`` and ``tracking``: the other stores the service code reads (``DataStores``, ``TrackingStores``), with
  :func:`use_data` and :func:`use_tracking` for the tests' fakes.
- ``delivery``: the channels with their logs, the delivery queue and the mailer (``DeliveryStores``,
  :func:`use_delivery`).
- ``hot_results``: results (and finished jobs) this container served recently, in front of DynamoDB.
- ``view_cache``: the stream views (live, backtest) answered in the last few seconds.
- :func:`breaker`: the per-provider circuit breaker shared by every job of the container.
- :func:`http_client`: the pooled httpx client of each event loop, shared by the provider adapters.
- :func:`gdelt_gate`: GDELT's request pacing, cool-off and answer cache (one per container, as GDELT asks).
- :func:`archive_store`: where the archive's Parquet files live (S3 or a folder; None when it is off).
- ``session_managers`` and :func:`session_store`: Bluesky login sessions (one manager per client and account,
  backed by the sessions table).
- ``result_builder``: what builds a job's result from its posts (``analyses.results.build_result`` in the calling thread
  when None). The local stack's embedded mode puts in a second process with :func:`use_result_builder`, so the
  analysis pass runs on another core.
- the cached settings, boto3 clients and resources, and the admin token's "missing" memo (cleared by ``reset``).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from social_analytics import observability, settings
from social_analytics.analyses import ports as analysis_ports
from social_analytics.analyses.hot_cache import HotResults
from social_analytics.analyses.ports import Counters, JobQueue, JobStore, ResultCache
from social_analytics.analyses.sources.breaker import CircuitBreaker
from social_analytics.api import admin
from social_analytics.delivery import ports as delivery_ports
from social_analytics.storage import (
    alerts,
    channels,
    clients,
    cursors,
    delivery_queue,
    email,
    events,
    history,
    posts,
    purge,
    queue,
    spend,
    tracked,
)
from social_analytics.storage import archive as archive_files
from social_analytics.storage import imports as import_objects
from social_analytics.storage import jobs as dynamo_jobs
from social_analytics.storage import metrics as counter_readings
from social_analytics.storage import stream as stream_minutes
from social_analytics.storage.metrics import recorder
from social_analytics.storage.sessions import DynamoSessionStore
from social_analytics.tracking import ports as tracking_ports
from social_analytics.tracking.view_cache import ViewCache

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class AnalysisStores:
    jobs: JobStore
    results: ResultCache
    queue: JobQueue
    counters: Counters


def default_stores() -> AnalysisStores:
    """The deployed wiring: ``storage.jobs`` is both the job store and the result cache."""
    return AnalysisStores(jobs=dynamo_jobs, results=dynamo_jobs, queue=queue, counters=recorder)


analysis: AnalysisStores = default_stores()
hot_results = HotResults()
view_cache = ViewCache()
session_managers: dict[tuple, Any] = {}

result_builder: Callable[..., dict] | None = None
_breaker: CircuitBreaker | None = None
_gdelt_gate: Any = None
_session_store: DynamoSessionStore | None = None
_http_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def use(**stores: Any) -> AnalysisStores:
    """Replace some of the analysis stores (tests: ``use(jobs=fake, results=fake)``); ``reset`` restores them."""
    global analysis
    analysis = replace(analysis, **stores)
    observability.meter.counters = analysis.counters
    return analysis


def use_result_builder(build: Callable[..., dict] | None) -> None:
    """Build results with ``build`` (same arguments and answer as ``analyses.results.build_result``); None: inline."""
    global result_builder
    result_builder = build


# ----------------------------------------------------------------------------------------------------------------
# The other stores the service code reads at call time (``analyses.ports`` and ``tracking.ports``):
# ``data`` for the worker's sources (stored windows, cursors, imports, the spend ledger), the admin deletion and the
# counters' read side; ``tracking`` for the tracked keywords, their history, the alerts, the event bus and the
# stream's minute counts.


@dataclass(frozen=True)
class DataStores:
    post_windows: analysis_ports.PostWindows
    cursors: analysis_ports.Cursors
    import_objects: analysis_ports.ImportObjects
    spend: analysis_ports.SpendLedger
    purge: analysis_ports.KeywordPurge
    stream_minutes: analysis_ports.StreamMinutes
    counter_readings: analysis_ports.CounterReadings


@dataclass(frozen=True)
class TrackingStores:
    tracked: tracking_ports.TrackedStore
    history: tracking_ports.History
    alerts: tracking_ports.Alerts
    events: tracking_ports.EventBus
    stream: tracking_ports.StreamCounts


def default_data_stores() -> DataStores:
    return DataStores(
        post_windows=posts,
        cursors=cursors,
        import_objects=import_objects,
        spend=spend,
        purge=purge,
        stream_minutes=stream_minutes,
        counter_readings=counter_readings,
    )


def default_tracking_stores() -> TrackingStores:
    return TrackingStores(tracked=tracked, history=history, alerts=alerts, events=events, stream=stream_minutes)


@dataclass(frozen=True)
class DeliveryStores:
    channels: delivery_ports.ChannelStore
    queue: delivery_ports.DeliveryQueue
    mailer: delivery_ports.Mailer


def default_delivery_stores() -> DeliveryStores:
    return DeliveryStores(channels=channels, queue=delivery_queue, mailer=email)


data: DataStores = default_data_stores()
tracking: TrackingStores = default_tracking_stores()
delivery: DeliveryStores = default_delivery_stores()


def use_delivery(**stores: Any) -> DeliveryStores:
    """Replace some of the delivery stores (tests: ``use_delivery(mailer=fake)``); ``reset`` restores them."""
    global delivery
    delivery = replace(delivery, **stores)
    return delivery


def use_data(**stores: Any) -> DataStores:
    """Replace some of the data stores (tests: ``use_data(spend=fake)``); ``reset`` restores them."""
    global data
    data = replace(data, **stores)
    return data


def use_tracking(**stores: Any) -> TrackingStores:
    """Replace some of the tracking stores (tests: ``use_tracking(tracked=fake)``); ``reset`` restores them."""
    global tracking
    tracking = replace(tracking, **stores)
    return tracking


def _restore_data_and_tracking_stores() -> None:
    global data, tracking, delivery
    data = default_data_stores()
    tracking = default_tracking_stores()
    delivery = default_delivery_stores()


# ----------------------------------------------------------------------------------------------------------------
# The archive's files (S3 or a folder, ``storage/archive.py``), None when the archive is off.
_archive_override: Any = None


def archive_store() -> Any:
    """The archive's store as configured (``ARCHIVE_*``), or the one a test put in with :func:`use_archive`."""
    return _archive_override if _archive_override is not None else archive_files.configured()


def use_archive(store: Any) -> None:
    global _archive_override
    _archive_override = store


# ----------------------------------------------------------------------------------------------------------------


def breaker() -> CircuitBreaker:
    """The container-wide circuit breaker (``CIRCUIT_RESET_SECONDS`` long open periods)."""
    global _breaker
    if _breaker is None:
        _breaker = CircuitBreaker(reset_seconds=settings.get_settings().circuit_reset_seconds)
    return _breaker


def http_client() -> httpx.AsyncClient:
    """The pooled client of the running event loop (created on first use in that loop)."""
    # Imported on first use: the API function never fetches, so it never loads httpx and the adapters' helpers.
    from social_analytics.analyses.sources._http import build_client

    loop = asyncio.get_running_loop()
    found = _http_clients.get(loop)
    if found is None or found.is_closed:
        found = _http_clients[loop] = build_client()
    return found


def gdelt_gate() -> Any:
    """The container's ``GdeltGate`` (``GDELT_MIN_INTERVAL_SECONDS`` apart, ``GDELT_CACHE_SECONDS`` cache)."""
    global _gdelt_gate
    if _gdelt_gate is None:
        # Imported on first use, like the http client: only the worker fetches.
        from social_analytics.analyses.sources.gdelt import GdeltGate

        config = settings.get_provider_settings()
        _gdelt_gate = GdeltGate(config.gdelt_min_interval_seconds, config.gdelt_cache_seconds)
    return _gdelt_gate


def session_store() -> DynamoSessionStore:
    """The container's Bluesky session store (DynamoDB, shared by all containers)."""
    global _session_store
    if _session_store is None:
        # Imported on first use, like the http client: the API never fetches, so it never loads httpx.
        from social_analytics.analyses.sources.bluesky import BlueskySession

        _session_store = DynamoSessionStore("bluesky", BlueskySession.from_dict)
    return _session_store


def reset() -> None:
    """Forget every per-container singleton: tests call this around each test (and after switching moto on)."""
    global analysis, _breaker, _session_store, _gdelt_gate, _archive_override
    settings.reset()
    _archive_override = None
    clients.reset_clients()
    import_objects.reset()  # its S3 client (SigV4 presigning) is cached apart from the shared ones
    analysis = default_stores()
    observability.meter.counters = analysis.counters
    hot_results.clear()
    view_cache.clear()
    _breaker = None
    _gdelt_gate = None
    _session_store = None
    session_managers.clear()
    _http_clients.clear()  # each test's event loop gets its own client; a closed loop's client is useless
    admin.forget_missing()
    use_result_builder(None)
    _restore_data_and_tracking_stores()

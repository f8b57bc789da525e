"""Provider metrics: per provider (dimension) for the dashboard, summed for the failure-rate alarm."""

from __future__ import annotations

import json

import pytest
from social_analytics import observability


@pytest.fixture
def emitted(monkeypatch, capsys):
    """The EMF documents the provider metrics produce: the per-provider ones print at once, the sums are flushed."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    observability.metrics.clear_metrics()

    def documents() -> list[dict]:
        summed = observability.metrics.serialize_metric_set()
        observability.metrics.clear_metrics()
        printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
        return [*printed, summed]

    yield documents
    observability.metrics.clear_metrics()


def _per_provider(documents: list[dict], metric: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for doc in documents:
        (directive,) = doc["_aws"]["CloudWatchMetrics"]
        if ["service", "provider"] in directive["Dimensions"] and metric in doc:
            counts[doc["provider"]] = counts.get(doc["provider"], 0) + int(sum(doc[metric]))
    return counts


def _summed(documents: list[dict], metric: str) -> int:
    (summed,) = [doc for doc in documents if doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]]
    return int(sum(summed.get(metric, [])))


def test_failed_and_ok_calls_count_per_provider_and_in_total(emitted):
    observability.meter.provider_attempts(
        [
            {"provider": "socialdata", "outcome": "failed", "reason": "429: rate limited"},
            {"provider": "x", "outcome": "skipped", "reason": "not configured"},
            {"provider": "bluesky", "outcome": "ok", "reason": ""},
            {"provider": "simulated", "outcome": "ok", "reason": ""},
        ]
    )
    documents = emitted()
    assert _per_provider(documents, "ProviderErrors") == {"socialdata": 1}
    assert _per_provider(documents, "ProviderAttempts") == {"socialdata": 1, "bluesky": 1}
    assert _summed(documents, "ProviderErrors") == 1
    assert _summed(documents, "ProviderAttempts") == 2  # skipped and simulated are not provider calls


def test_a_provider_error_alone_counts_one_error_for_that_provider(emitted):
    observability.meter.provider_error("mastodon")
    documents = emitted()
    assert _per_provider(documents, "ProviderErrors") == {"mastodon": 1}
    assert _summed(documents, "ProviderErrors") == 1


@pytest.fixture
def counted(monkeypatch):
    """The counters the meter records, buffered in a recorder of their own (no DynamoDB: the flush period is long)."""
    from social_analytics.settings import get_settings
    from social_analytics.storage import metrics as counters

    monkeypatch.setenv("METRICS_FLUSH_SECONDS", "3600")
    get_settings.cache_clear()
    recorder = counters.MetricsRecorder()
    monkeypatch.setattr(observability.meter, "counters", recorder)
    yield recorder.pending
    get_settings.cache_clear()


def test_one_call_per_event_feeds_both_the_emf_metrics_and_the_api_counters(emitted, counted):
    meter = observability.meter
    meter.cache_hit(started=0.0)
    meter.cache_miss()
    meter.job_enqueued()
    meter.job_done(submitted_at=0.0, posts=7)
    meter.batch_processed(3)

    (summed,) = emitted()
    emf = {name: summed[name] for name in _emf_names(summed)}
    assert emf.pop("JobLatency")[0] > 0  # milliseconds since submission
    assert emf == {
        "CacheHit": [1.0],
        "CacheMiss": [1.0],
        "TasksEnqueued": [1.0],
        "BatchesProcessed": [1.0],
        "BatchSize": [3.0],
    }
    pending = counted()
    assert {name: pending[name] for name in pending if not name.startswith("h_")} == {
        "cache_hits": 1,
        "cache_misses": 1,
        "tasks_enqueued": 1,
        "jobs_done": 1,
        "posts_analyzed": 7,
        "batches_processed": 1,
        "batch_records": 3,
    }
    assert sorted(name.split("_")[1] for name in pending if name.startswith("h_")) == ["cached", "queued"]


def test_every_counter_the_meter_writes_is_read_by_get_api_metrics(emitted, counted):
    from social_analytics.storage.metrics import COUNTERS, HISTOGRAMS

    meter = observability.meter
    meter.cache_hit(started=0.0)
    meter.job_done(submitted_at=0.0, posts=1)
    for event in (meter.cache_miss, meter.job_enqueued, meter.scan_enqueued, meter.job_failed, meter.stream_gap):
        event()
    meter.batch_processed(2)
    meter.stream_run(4)

    written = set(counted())
    assert {name for name in written if not name.startswith("h_")} == set(COUNTERS)
    assert {name.split("_")[1] for name in written if name.startswith("h_")} == set(HISTOGRAMS)


def _emf_names(document: dict) -> list[str]:
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    return [metric["Name"] for metric in directive["Metrics"]]

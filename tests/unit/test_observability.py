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

"""The read side of the API (api/views.py) against in-memory stores: a keyword's history between two times, the
alerts filtered by keyword and time, and the counters of ``GET /api/metrics``. No moto, no network."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from social_analytics import composition
from social_analytics.api import views
from social_analytics.latency import bucket_of, percentile
from social_analytics.records import Alert, HistoryPoint

from tests.fakes.stores import InMemoryCounterReadings
from tests.fakes.tracking_stores import FakeAlerts, FakeHistory

DAY = 86400.0
T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z


@pytest.fixture
def reads():
    composition.reset()
    history, alerts, counters = FakeHistory(), FakeAlerts(), InMemoryCounterReadings()
    composition.use_tracking(history=history, alerts=alerts)
    composition.use_data(counter_readings=counters)
    yield history, alerts, counters
    composition.reset()


def point(epoch: float, volume: int) -> HistoryPoint:
    iso = views.isoformat_z(views.datetime.fromtimestamp(epoch, views.UTC))
    return HistoryPoint(
        time=iso, epoch=epoch, job_id=f"j{epoch}", volume=volume, positive=volume, neutral=0, negative=0,
        mean_compound=0.5, top_terms=[],
    )  # fmt: skip


def alert(key: str, epoch: float) -> Alert:
    iso = views.isoformat_z(views.datetime.fromtimestamp(epoch, views.UTC))
    return Alert(
        type="spike", detail_type="SpikeDetected", keyword=key, key=key, at=iso, epoch=epoch, value=3.0,
        baseline_mean=1.0, baseline_sd=0.5, threshold=2.0, k=2.0, score=4.0, volume=30, sensitivity="medium",
        source="scan", explanation={},
    )  # fmt: skip


def test_history_is_the_points_between_since_and_until(reads):
    history, _, _ = reads
    for days_ago, volume in ((9, 1), (5, 2), (1, 3)):
        history.append_point("serverless", point(T0 - days_ago * DAY, volume), ttl_seconds=0)

    body = views.history("  Serverless ", since=None, until="2027-01-15T08:00:00Z")  # the default: a week back

    assert body["keyword"] == "Serverless" and body["key"] == "serverless"
    assert [p["volume"] for p in body["points"]] == [2, 3]
    assert body["since"] == "2027-01-08T08:00:00Z" and body["until"] == "2027-01-15T08:00:00Z"
    wider = views.history("serverless", since="2027-01-01T00:00:00Z", until="2027-01-15T08:00:00Z")
    assert [p["volume"] for p in wider["points"]] == [1, 2, 3]
    with pytest.raises(RequestValidationError):
        views.history("serverless", since="2027-01-15T09:00:00Z", until="2027-01-15T08:00:00Z")


def test_alerts_are_filtered_by_keyword_and_time_newest_first(reads):
    _, alerts, _ = reads
    for key, epoch in (("serverless", T0 - 2 * DAY), ("serverless", T0), ("lambda", T0 - DAY)):
        alerts.put_alert(alert(key, epoch), ttl_seconds=0)

    assert [a["key"] for a in views.alerts(None, None, 10)["alerts"]] == ["serverless", "lambda", "serverless"]
    mine = views.alerts("Serverless", "2027-01-14T00:00:00Z", 10)["alerts"]
    assert [(a["key"], a["at"]) for a in mine] == [("serverless", "2027-01-15T08:00:00Z")]
    assert len(views.alerts(None, None, 1)["alerts"]) == 1


def test_metrics_are_the_stored_counters_with_their_averages_and_percentiles(reads):
    _, _, counters = reads
    counters.counts.update(cache_hits=7, cache_misses=3, batches_processed=4, batch_records=10, stream_runs=2)
    cached = {bucket_of(5.0): 9, bucket_of(200.0): 1}
    counters.histograms = {"cached": cached, "queued": {}}

    body = views.metrics()

    assert (body["cache_hits"], body["cache_misses"], body["batches_processed"]) == (7, 3, 4)
    assert body["avg_batch_size"] == 2.5
    assert body["latency_ms"]["cached"] == {
        "p50": percentile(cached, 0.5),
        "p95": percentile(cached, 0.95),
        "samples": 10,
    }
    assert 4.75 <= body["latency_ms"]["cached"]["p50"] <= 5.25 and body["latency_ms"]["cached"]["p95"] > 150
    assert body["latency_ms"]["queued"] == {"p50": None, "p95": None, "samples": 0}
    assert body["stream"] == {"runs": 2, "posts_counted": 0, "gaps": 0}
    counters.counts["batches_processed"] = 0
    assert views.metrics()["avg_batch_size"] == 0.0

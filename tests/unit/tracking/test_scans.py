"""The scheduling logic of tracking/scans.py against in-memory stores (tests/fakes/tracking_stores.py): which
keywords are queued and when, what a completed scan adds to the history, when it raises an alert and what the
alert says, and how a scan that could not be queued ends. No moto, no network."""

from __future__ import annotations

import pytest
from social_analytics import composition
from social_analytics.models import AnalysisJob
from social_analytics.tracking import scans

from tests.fakes.stores import InMemoryCounters, InMemoryJobStore, InMemoryQueue
from tests.fakes.tracking_stores import FakeAlerts, FakeEvents, FakeHistory, FakeTrackedStore

NOW = 1_800_000_000.0
MINUTE = 60.0


class Stores:
    def __init__(self) -> None:
        self.tracked = FakeTrackedStore()
        self.history = FakeHistory()
        self.alerts = FakeAlerts()
        self.jobs = InMemoryJobStore()
        self.queue = InMemoryQueue()
        self.counters = InMemoryCounters()
        self.events = FakeEvents()

    def messages(self) -> list[dict]:
        return [job.to_message() for job in self.queue.sent]


@pytest.fixture
def stores(monkeypatch):
    fakes = Stores()
    composition.use_tracking(tracked=fakes.tracked, history=fakes.history, alerts=fakes.alerts, events=fakes.events)
    composition.use(jobs=fakes.jobs, results=fakes.jobs, queue=fakes.queue, counters=fakes.counters)
    # the stream's count over the scan's interval is read from DynamoDB: none here
    monkeypatch.setattr(scans.stream_views, "history_fields", lambda *args, **kwargs: None)
    for name in ("TRACK_MINUTE_SECONDS", "MAX_TRACKED_KEYWORDS"):
        monkeypatch.delenv(name, raising=False)
    scans.get_tracking_settings.cache_clear()
    yield fakes
    composition.reset()


def track(stores: Stores, keyword: str, interval_minutes: int = 15, last: float | None = None, **settings):
    item, created = scans.track(keyword, interval_minutes, **settings)
    assert created
    if last is not None:
        stores.tracked.mark_enqueued(item.key, "earlier", last)
    return item


def at(monkeypatch, moment: float) -> None:
    monkeypatch.setattr(scans.time, "time", lambda: moment)


# ------------------------------------------------------------------ scheduler side
def test_only_due_keywords_are_queued_as_paid_scans_carrying_their_settings(stores, monkeypatch):
    at(monkeypatch, NOW)
    track(stores, "Never Scanned", providers=["mastodon", "bluesky"], languages=["en"], limit=200, window_hours=6)
    track(stores, "overdue", last=NOW - 16 * MINUTE)
    track(stores, "recent", last=NOW - 5 * MINUTE)

    counts = scans.enqueue_due(NOW)

    assert counts == {"tracked": 3, "due": 2, "enqueued": 2, "in_flight": 0, "failed": 0}
    by_key = {message["key"]: message for message in stores.messages()}
    assert set(by_key) == {"never scanned", "overdue"}
    first = by_key["never scanned"]
    assert first["kind"] == "scan" and first["paid_allowed"] is True and first["keyword"] == "Never Scanned"
    assert (first["providers"], first["languages"], first["limit"], first["window_hours"]) == (
        ["mastodon", "bluesky"],
        ["en"],
        200,
        6,
    )
    assert "providers" not in by_key["overdue"]  # the configured chain
    # the schedule moves on for the queued ones only
    assert stores.tracked.get_tracked("never scanned").last_enqueued_at == NOW
    assert stores.tracked.get_tracked("never scanned").last_job_id == first["job_id"]
    assert stores.tracked.get_tracked("recent").last_enqueued_at == NOW - 5 * MINUTE


@pytest.mark.parametrize(
    ("elapsed_minutes", "due"),
    [(10.0, False), (13.4, False), (13.5, True), (15.0, True), (40.0, True)],
)
def test_a_keyword_is_due_one_interval_after_its_last_scan_less_a_tenth(stores, elapsed_minutes, due):
    track(stores, "brand", interval_minutes=15, last=NOW - elapsed_minutes * MINUTE)
    assert scans.enqueue_due(NOW)["enqueued"] == (1 if due else 0)


def test_the_interval_is_counted_in_the_configured_minute(stores, monkeypatch):
    monkeypatch.setenv("TRACK_MINUTE_SECONDS", "1")  # a demo's minute is a second
    scans.get_tracking_settings.cache_clear()
    track(stores, "brand", interval_minutes=15, last=NOW - 20)
    assert scans.public(stores.tracked.get_tracked("brand"), NOW)["next_scan_at"] == scans._iso(NOW)
    assert scans.enqueue_due(NOW)["enqueued"] == 1
    stores.jobs.release_lock("brand", stores.queue.sent[-1].job_id)  # the scan finished
    assert scans.enqueue_due(NOW + 10)["due"] == 0  # 10 "minutes" after: not yet due again
    assert scans.enqueue_due(NOW + 14)["enqueued"] == 1


def test_a_keyword_with_a_job_in_flight_is_not_queued_again(stores):
    track(stores, "brand")
    holder = AnalysisJob("search-1", "brand", "brand", 100, 24, NOW)
    assert stores.jobs.create_job_with_lock(holder) is None  # a search of the keyword is running

    counts = scans.enqueue_due(NOW)

    assert (counts["due"], counts["in_flight"], counts["enqueued"]) == (1, 1, 0)
    assert stores.queue.sent == []
    assert stores.tracked.get_tracked("brand").last_enqueued_at is None  # tried again on the next run


def test_a_scan_that_cannot_be_queued_fails_with_its_reason_and_stays_due(stores):
    track(stores, "brand")
    stores.queue.refuse = True

    counts = scans.enqueue_due(NOW)

    assert (counts["failed"], counts["enqueued"]) == (1, 0)
    (job,) = stores.jobs.jobs.values()
    assert job["status"] == "failed" and job["kind"] == "scan"
    assert job["error"] == {"code": "enqueue_failed", "message": "the scan could not be queued"}
    assert stores.jobs.locks == {}  # the keyword's lock is released with the failure
    stores.queue.refuse = False
    assert scans.enqueue_due(NOW + 1)["enqueued"] == 1  # still due: the next run queues it


def test_the_tracked_limit_refuses_a_new_keyword_but_not_an_update(stores, monkeypatch):
    monkeypatch.setenv("MAX_TRACKED_KEYWORDS", "1")
    scans.get_tracking_settings.cache_clear()
    track(stores, "brand")
    with pytest.raises(scans.TooManyTracked):
        scans.track("other", 15)
    item, created = scans.track("Brand", 30)
    assert not created and item.interval_minutes == 30


# ------------------------------------------------------------------ worker side
def scan(key: str = "brand", job_id: str = "scan-1") -> AnalysisJob:
    return AnalysisJob(job_id, key, key, 100, 24, NOW, kind="scan")


def result(volume: int, negative: int | None = None, terms: list[dict] | None = None, estimate: dict | None = None):
    negative = volume // 5 if negative is None else negative
    body = {
        "posts_analyzed": volume,
        "window": {"hours": 24},
        "sentiment": {"positive": 0, "neutral": volume - negative, "negative": negative, "mean_compound": -0.1},
        "top_terms": terms or [{"term": "coffee", "count": 3}],
        "posts": [{"text": f"post {i}", "label": "negative" if i % 2 else "neutral"} for i in range(8)],
    }
    if estimate is not None:
        body["volume"] = estimate
    return body


def feed(stores, monkeypatch, volumes: list[int], key: str = "brand", interval: float = 15 * MINUTE, **extra):
    """One completed scan per interval, as the worker reports them; the alerts raised."""
    raised = []
    for i, volume in enumerate(volumes):
        at(monkeypatch, NOW + i * interval)
        raised.extend(scans.after_result(scan(key, f"scan-{i}"), result(volume, **extra)))
    return raised


def test_a_scan_appends_one_history_point_with_its_rate_and_the_basis_of_its_estimate(stores, monkeypatch):
    track(stores, "brand")
    at(monkeypatch, NOW)
    estimate = {"posts_per_hour": 12.5, "estimated_posts_in_window": 300, "basis": "rate of the newest posts"}

    assert scans.after_result(scan(), result(80, estimate=estimate)) == []

    (point,) = stores.history.query_points("brand", NOW - 1, NOW + 1)
    assert (point.epoch, point.job_id, point.time) == (NOW, "scan-1", scans._iso(NOW))
    assert (point.volume, point.negative, point.rate_per_hour) == (80, 16, 12.5)
    assert (point.estimated_posts_in_window, point.basis) == (300, "rate of the newest posts")
    assert point.public()["basis"] == "rate of the newest posts" and "epoch" not in point.public()


def test_a_point_without_an_estimate_has_no_basis_and_searches_add_no_point(stores, monkeypatch):
    track(stores, "brand")
    at(monkeypatch, NOW)
    search = AnalysisJob("search-1", "brand", "brand", 100, 24, NOW)
    assert scans.after_result(search, result(80)) == []
    assert stores.history.query_points("brand", 0, NOW + 1) == []

    scans.after_result(scan(), result(48))
    (point,) = stores.history.query_points("brand", 0, NOW + 1)
    assert point.rate_per_hour == 2.0  # 48 posts over the 24-hour window
    assert "basis" not in point.public() and "estimated_posts_in_window" not in point.public()


def test_a_redelivered_scan_adds_no_second_point(stores, monkeypatch):
    track(stores, "brand")
    at(monkeypatch, NOW)
    scans.after_result(scan(), result(80))
    scans.after_result(scan(), result(80))
    assert len(stores.history.query_points("brand", 0, NOW + 1)) == 1


def test_a_spike_raises_one_alert_that_explains_itself(stores, monkeypatch):
    track(stores, "brand")
    normal = [100, 97, 103, 99, 101, 98, 102, 100, 99, 101]
    assert feed(stores, monkeypatch, normal) == []

    at(monkeypatch, NOW + 10 * 15 * MINUTE)
    terms = [{"term": "outage", "count": 90, "trend": 3.5}, {"term": "coffee", "count": 5, "trend": -0.2}]
    (alert,) = scans.after_result(scan(job_id="scan-10"), result(420, terms=terms))

    assert (alert.type, alert.detail_type, alert.source, alert.key) == ("spike", "SpikeDetected", "scan", "brand")
    assert alert.volume == 420 and alert.value == 17.5  # the rate: 420 posts over 24 hours
    assert alert.value > alert.threshold > alert.baseline_mean
    assert alert.threshold == pytest.approx(alert.baseline_mean + alert.k * alert.baseline_sd, abs=1e-3)
    assert alert.k == 3.0  # medium sensitivity
    assert [t["term"] for t in alert.explanation["terms"]] == ["outage"]  # only the rising term
    assert len(alert.explanation["sample_posts"]) == 5
    assert alert.explanation["other_sources"] == {"stream_last_hour": None}
    # stored, published, and the keyword's cooldown started
    assert stores.alerts.list_alerts("brand") == [alert.model_copy(update={"event_id": None})]
    assert alert.event_id == "event-1" and stores.events.published[0][0] == "SpikeDetected"
    assert stores.events.published[0][1]["value"] == 17.5 and "event_id" not in stores.events.published[0][1]
    assert stores.tracked.get_tracked("brand").last_alerts == {"spike": NOW + 10 * 15 * MINUTE}


def test_a_plateau_is_one_alert_and_noise_is_none(stores, monkeypatch):
    track(stores, "brand")
    raised = feed(stores, monkeypatch, [100, 97, 103, 99, 101, 98, 102, 100, 99, 101] + [350] * 9)
    assert [a.type for a in raised] == ["spike"]
    track(stores, "calm")
    assert feed(stores, monkeypatch, [100, 97, 103, 99, 101, 98, 102, 100, 99, 101, 104, 96], key="calm") == []


def test_a_negative_turn_at_high_sensitivity_is_a_sentiment_dip(stores, monkeypatch):
    track(stores, "brand", sensitivity="high")
    negatives = [20, 19, 21, 20, 20, 19, 21, 20, 20, 20]
    for i, negative in enumerate(negatives):
        at(monkeypatch, NOW + i * 15 * MINUTE)
        scans.after_result(scan(job_id=f"scan-{i}"), result(100, negative=negative))
    at(monkeypatch, NOW + 10 * 15 * MINUTE)
    (alert,) = scans.after_result(scan(job_id="scan-10"), result(100, negative=55))
    assert alert.type == "sentiment_dip" and alert.value == 0.55 and alert.sensitivity == "high"
    assert all(p["label"] == "negative" for p in alert.explanation["sample_posts"])


def test_an_untracked_keyword_keeps_its_point_and_raises_nothing(stores, monkeypatch):
    at(monkeypatch, NOW)
    assert scans.after_result(scan("gone"), result(5000)) == []
    assert len(stores.history.query_points("gone", 0, NOW + 1)) == 1 and stores.alerts.alerts == []


def test_a_history_store_failure_does_not_fail_the_scan(stores, monkeypatch):
    track(stores, "brand")

    def broken(*args, **kwargs):
        raise RuntimeError("table unavailable")

    monkeypatch.setattr(stores.history, "append_point", broken)
    assert scans.after_result(scan(), result(80)) == []  # logged and counted; the job's result stands


def test_a_scan_alert_is_queued_once_for_each_channel_that_takes_alerts(stores, monkeypatch):
    from social_analytics.records import ChannelSubscription

    from tests.fakes.delivery_stores import InMemoryChannels, InMemoryDeliveryQueue, RecordingMailer

    delivery = composition.use_delivery(
        channels=InMemoryChannels(), queue=InMemoryDeliveryQueue(), mailer=RecordingMailer()
    )
    subs = [
        ChannelSubscription(id="ch_alerts0001"),
        ChannelSubscription(id="ch_digest0001", alerts=False, digest="daily"),
    ]
    track(stores, "brand", channels=subs)
    feed(stores, monkeypatch, [100, 97, 103, 99, 101, 98, 102, 100, 99, 101])
    at(monkeypatch, NOW + 10 * 15 * MINUTE)
    (alert,) = scans.after_result(scan(job_id="scan-10"), result(420))
    (message,) = delivery.queue.messages
    assert message["channel_id"] == "ch_alerts0001" and message["kind"] == "alert"
    assert message["payload"]["value"] == alert.value and message["idempotency_key"].startswith("alert:brand:spike:")
    assert [row.status for row in delivery.channels.list_deliveries("ch_alerts0001")] == ["queued"]

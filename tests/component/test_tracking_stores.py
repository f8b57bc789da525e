"""The tracking stores' contract (tracking/ports.py), run against the DynamoDB modules on moto and against the
in-memory fakes the unit tests use (tests/fakes/tracking_stores.py): the same assertions pass for both, so the fast
tests drive the scheduling logic through stores that behave like the real ones. The DynamoDB side also shows the
records come back typed (no Decimal)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from social_analytics.records import Alert, HistoryPoint, TrackedKeyword

from tests.fakes.tracking_stores import FakeAlerts, FakeHistory, FakeTrackedStore

T0 = 1_800_000_000.0


@pytest.fixture(params=["dynamodb", "memory"])
def stores(request):
    if request.param == "memory":
        return FakeTrackedStore(), FakeHistory(), FakeAlerts()
    request.getfixturevalue("aws")
    from social_analytics.storage import alerts, history, tracked

    return tracked, history, alerts


def keyword(key: str = "brand", **settings) -> TrackedKeyword:
    return TrackedKeyword(keyword=key.title(), key=key, interval_minutes=15, **settings)


def point(epoch: float, job_id: str, **fields) -> HistoryPoint:
    from social_analytics.tracking.scans import _iso

    values = {"volume": 10, "positive": 1, "neutral": 8, "negative": 1, "mean_compound": 0.1, "top_terms": []}
    return HistoryPoint(time=_iso(epoch), epoch=epoch, job_id=job_id, **(values | fields))


def alert(at: str, key: str = "brand", kind: str = "spike") -> Alert:
    detail = {"spike": "SpikeDetected", "sentiment_dip": "SentimentDip"}[kind]
    return Alert(
        type=kind,
        detail_type=detail,
        keyword=key.title(),
        key=key,
        at=at,
        epoch=T0,
        value=40.0,
        volume=40,
        baseline_mean=10.0,
        baseline_sd=2.0,
        threshold=16.0,
        k=3.0,
        score=15.0,
        sensitivity="medium",
        source="scan",
        explanation={"terms": [], "sample_posts": [], "other_sources": {}},
        job_id="job-1",
    )


def test_an_update_keeps_the_schedule_and_the_cooldowns(stores):
    tracked, _, _ = stores
    created, is_new = tracked.put_tracked(keyword(providers=["mastodon"], languages=["en"]))
    assert is_new and created.created_at > 0 and created.providers == ["mastodon"] and created.last_alerts == {}
    tracked.mark_enqueued("brand", "job-1", T0)
    tracked.mark_alerted("brand", "spike", T0 + 1.5)

    updated, is_new = tracked.put_tracked(keyword(sensitivity="high", min_volume=3, limit=300))

    assert not is_new
    stored = tracked.get_tracked("brand")
    assert stored == updated
    assert (stored.sensitivity, stored.min_volume, stored.limit, stored.providers, stored.languages) == (
        "high",
        3,
        300,
        None,
        None,
    )
    assert (stored.last_enqueued_at, stored.last_job_id, stored.last_alerts) == (T0, "job-1", {"spike": T0 + 1.5})
    assert stored.created_at == created.created_at
    for value in (stored.interval_minutes, stored.limit, stored.created_at, stored.last_alerts["spike"]):
        assert not isinstance(value, Decimal)


def test_marks_touch_only_a_keyword_still_tracked_and_delete_says_whether_it_was(stores):
    tracked, _, _ = stores
    tracked.mark_enqueued("ghost", "job-1", T0)
    tracked.mark_alerted("ghost", "spike", T0)
    assert tracked.get_tracked("ghost") is None and tracked.list_tracked() == []
    tracked.put_tracked(keyword("a"))
    tracked.put_tracked(keyword("b"))
    assert sorted(item.key for item in tracked.list_tracked()) == ["a", "b"]
    assert tracked.delete_tracked("a") is True and tracked.delete_tracked("a") is False
    assert [item.key for item in tracked.list_tracked()] == ["b"]


def test_history_points_are_stored_once_and_read_back_by_time_oldest_first(stores):
    _, history, _ = stores
    estimated = point(T0 + 60, "job-2", rate_per_hour=2.5, estimated_posts_in_window=60, basis="rate")
    assert history.append_point("brand", point(T0, "job-1"), 3600) is True
    assert history.append_point("brand", estimated, 3600) is True
    assert history.append_point("brand", point(T0 + 120, "job-3"), 3600) is True
    assert history.append_point("brand", point(T0, "job-1"), 3600) is False  # a redelivered scan
    assert history.append_point("other", point(T0, "job-9"), 3600) is True

    found = history.query_points("brand", T0, T0 + 120)
    assert [p.job_id for p in found] == ["job-1", "job-2", "job-3"]
    assert found[1] == estimated and found[1].public()["basis"] == "rate"
    assert "basis" not in found[0].public() and "rate_per_hour" not in found[0].public()
    assert [p.job_id for p in history.query_points("brand", T0 + 1, T0 + 119)] == ["job-2"]
    assert [p.job_id for p in history.query_points("brand", T0, T0 + 120, limit=2)] == ["job-2", "job-3"]


def test_alerts_are_listed_newest_first_by_keyword_and_since(stores):
    _, _, alerts = stores
    alerts.put_alert(alert("2027-01-15T10:00:00Z"), 3600)
    newest = alert("2027-01-15T12:00:00Z", kind="sentiment_dip")
    newest.event_id = "event-1"  # published after it was stored: not part of the stored alert
    alerts.put_alert(newest, 3600)
    alerts.put_alert(alert("2027-01-15T11:00:00Z", key="other"), 3600)

    listed = alerts.list_alerts()
    assert [(a.at, a.key) for a in listed] == [
        ("2027-01-15T12:00:00Z", "brand"),
        ("2027-01-15T11:00:00Z", "other"),
        ("2027-01-15T10:00:00Z", "brand"),
    ]
    assert listed[0].event_id is None and "event_id" not in listed[0].public()
    assert listed[0].public()["job_id"] == "job-1" and "epoch" not in listed[0].public()
    assert [a.at for a in alerts.list_alerts("brand")] == ["2027-01-15T12:00:00Z", "2027-01-15T10:00:00Z"]
    assert [a.at for a in alerts.list_alerts(since_iso="2027-01-15T11:00:00Z")] == [
        "2027-01-15T12:00:00Z",
        "2027-01-15T11:00:00Z",
    ]
    assert len(alerts.list_alerts(limit=1)) == 1


def test_the_stored_items_keep_their_keys_and_attributes(aws):
    """The DynamoDB items are those the dict-based modules wrote: same keys, same attributes."""
    import boto3
    from social_analytics.settings import get_settings
    from social_analytics.storage import alerts, history, tracked

    table = boto3.resource("dynamodb").Table(get_settings().table_name)
    tracked.put_tracked(keyword(providers=["mastodon"]))
    history.append_point("brand", point(T0, "job-1", rate_per_hour=2.5), 3600)
    alerts.put_alert(alert("2027-01-15T10:00:00Z"), 3600)

    item = table.get_item(Key={"pk": "TRACKED", "sk": "KW#brand"})["Item"]
    assert set(item) == {
        *("pk", "sk", "keyword", "key", "interval_minutes", "sensitivity", "min_volume", "limit", "window_hours"),
        *("providers", "created_at", "updated_at"),
    }
    stored = table.get_item(Key={"pk": "KW#brand", "sk": f"HIST#{point(T0, 'x').time}#job-1"})["Item"]
    assert set(stored) == {"pk", "sk", "epoch", "point_json", "expires_at"} and stored["expires_at"] == int(T0) + 3600
    assert json.loads(stored["point_json"]) == point(T0, "job-1", rate_per_hour=2.5).model_dump(exclude_unset=True)
    (raw,) = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "ALERTS"})["Items"]
    assert raw["sk"] == "2027-01-15T10:00:00Z#brand#spike" and raw["key"] == "brand"
    assert "event_id" not in json.loads(raw["alert_json"])

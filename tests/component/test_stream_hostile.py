"""A hostile Jetstream cannot stop the stream: each shape the review found, replayed by a loopback server, is
counted as malformed and skipped, and the posts after it are counted. Also: a future ``time_us`` never moves the
cursor, the alert pass's span is bounded, the admin route resets the cursor and the gaps, and zstd frames made with
Jetstream's dictionary are read (compress=true).
"""

from __future__ import annotations

import json

import pytest

from tests import events as sample_events
from tests.fakes.jetstream_server import FakeJetstream, now_us, post_event, tid

TOKEN = "test-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def stream_env(aws, monkeypatch):
    from social_analytics import settings

    monkeypatch.setenv("ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("STREAM_ENABLED", "true")
    monkeypatch.setenv("STREAM_IDLE_SECONDS", "0.5")
    monkeypatch.setenv("STREAM_BUDGET_SECONDS", "20")
    monkeypatch.setenv("STREAM_FLUSH_SECONDS", "0.2")
    monkeypatch.setenv("STREAM_FIRST_LOOKBACK_SECONDS", "300")
    settings.reset()
    yield monkeypatch
    settings.reset()


def use(jet: FakeJetstream, monkeypatch, **env: str) -> None:
    from social_analytics import settings

    monkeypatch.setenv("JETSTREAM_URL", jet.url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.reset()


def run_stream(lambda_context) -> dict:
    from social_analytics.handlers import stream

    return stream.handler(sample_events.scheduled("2026-12-01T20:00:00Z"), lambda_context)


def track(call_api, keyword: str) -> None:
    status, body = call_api("POST", "/api/tracked", {"keyword": keyword, "interval_minutes": 15}, headers=ADMIN)
    assert status in (200, 201), body


def hits(count: int, start_us: int, step_us: int) -> list[dict]:
    return [
        post_event(f"did:plc:h{i:04d}", tid(start_us + i * step_us, 5), f"lambda post {i}", start_us + i * step_us)
        for i in range(count)
    ]


def hostile_shapes(at_us: int) -> list[dict]:
    """The review's five shapes, each a message the old parser died on (or stored too big / too far ahead)."""
    good = post_event("did:plc:evil", tid(at_us, 1), "lambda from a hostile server", at_us)
    kind_list = {**good, "kind": ["commit"]}
    deep = f'{{"time_us": {at_us + 1}, "kind": "commit", "commit": {"[" * 5000 + "]" * 5000}}}'
    digits = f'{{"did": "did:plc:evil", "time_us": {"9" * 4000}, "kind": "commit", "commit": {{}}}}'
    big_created = json.loads(json.dumps(good))
    big_created["time_us"] = at_us + 3
    big_created["commit"]["rkey"] = tid(at_us + 3, 2)
    big_created["commit"]["record"]["createdAt"] = "2026-12-01T00:00:00.000Z" + "0" * 450_000
    far_future = json.loads(json.dumps(good))
    far_future["time_us"] = 10**17
    far_future["commit"]["rkey"] = tid(at_us + 4, 3)
    return [
        kind_list,
        {"time_us": at_us + 1, "__raw__": deep},
        {"time_us": at_us + 2, "__raw__": digits},
        big_created,
        {**far_future, "__raw__": json.dumps(far_future)} | {"time_us": at_us + 4},  # sent in order, says 10**17
    ]


def test_each_hostile_shape_is_counted_malformed_and_the_posts_after_it_are_counted(
    stream_env, call_api, lambda_context
):
    # GIVEN a tracked keyword and a server replaying the five shapes, each followed by matching posts
    track(call_api, "lambda")
    start = now_us() - 240_000_000
    shapes = hostile_shapes(start + 10_000_000)
    after = hits(50, start + 20_000_000, 1_000_000)
    with FakeJetstream() as jet:
        jet.add(*shapes, *after)
        use(jet, stream_env)
        # WHEN the stream runs (twice: the second run resumes from the stored cursor)
        first = run_stream(lambda_context)
        second = run_stream(lambda_context)
    # THEN each shape was skipped as malformed, the run went on, and every post after them was counted once
    assert first["kinds"]["malformed"] == 5, first
    assert first["malformed"] == {
        "bad_kind": 1,
        "too_deep": 1,
        "bad_time_us": 1,
        "oversized_field": 1,
        "time_out_of_range": 1,
    }
    assert first["counted"] == 50 and first["stopped"] in ("idle", "caught_up")
    assert second["counted"] == 0
    # AND the far-future event did not move the cursor: it is behind the present
    from social_analytics.storage import stream as stream_store

    assert stream_store.get_cursor() <= now_us()
    assert first["cursor_to_us"] < now_us()


def test_a_future_time_us_does_not_move_the_cursor_and_later_posts_count(stream_env, call_api, lambda_context):
    track(call_api, "lambda")
    start = now_us() - 120_000_000
    ahead = post_event("did:plc:ahead", tid(start, 9), "lambda from the future", now_us() + 3_600_000_000)
    with FakeJetstream() as jet:
        jet.add(ahead, *hits(20, start + 1_000_000, 1_000_000))
        use(jet, stream_env)
        report = run_stream(lambda_context)
    assert report["malformed"] == {"time_out_of_range": 1}
    assert report["counted"] == 20
    from social_analytics.storage import stream as stream_store

    assert stream_store.get_cursor() <= now_us()


def test_compressed_frames_made_with_jetstreams_dictionary_are_read(stream_env, call_api, lambda_context):
    # GIVEN a server that sends zstd frames (compress=true, Jetstream's dictionary) and one frame that is garbage
    track(call_api, "lambda")
    start = now_us() - 120_000_000
    posts = hits(40, start + 1_000_000, 1_000_000)
    junk = {"time_us": start + 500_000, "__bytes__": b"\x28\xb5\x2f\xfd not a frame"}
    with FakeJetstream() as jet:
        jet.add(junk, *posts)
        use(jet, stream_env, STREAM_COMPRESS="true")
        report = run_stream(lambda_context)
        plain = sum(len(json.dumps(p, separators=(",", ":"))) for p in posts)
    # THEN the client asked for compress=true, every post was decoded and counted, the bad frame skipped
    assert jet.connections[0]["query"]["compress"] == "true"
    assert report["counted"] == 40
    assert report["malformed"] == {"undecodable": 1}
    assert jet.bytes_sent < plain * 0.7  # the frames really were compressed


def test_the_alert_pass_span_is_bounded_whatever_the_cursors_hold(aws):
    from social_analytics.tracking import stream_alerts

    asked: list[int] = []

    class Counting:
        def get_buckets(self, wanted):
            asked.append(len(wanted))
            return {}

    from social_analytics import composition
    from social_analytics.records import TrackedKeyword

    composition.use_tracking(stream=Counting())
    item = TrackedKeyword.model_validate({"keyword": "lambda", "key": "lambda", "interval_minutes": 15})
    now = now_us() / 1e6
    stream_alerts.evaluate({"lambda": item}, {"lambda"}, 1, 10**17, now)  # a cursor at 10**17 µs, one at 1 µs
    assert asked and asked[0] <= stream_alerts.MAX_EVALUATED_MINUTES + stream_alerts.WINDOW_MINUTES + 1


def test_the_admin_route_resets_the_cursor_and_the_gaps(stream_env, call_api):
    from social_analytics.storage import stream as stream_store

    stream_store.put_cursor(10**17 // 10)  # a cursor stuck in the future (an old run believed a hostile event)
    stream_store.put_gap(now_us() - 60_000_000, now_us(), "not_replayed", 3600)
    status, _ = call_api("POST", "/api/admin/stream/reset", {})
    assert status in (401, 403)
    status, body = call_api("POST", "/api/admin/stream/reset", {}, headers=ADMIN)
    assert status == 200, body
    assert body["cursor_removed"] is True and body["gaps_removed"] == 1
    assert stream_store.get_cursor() is None
    assert stream_store.list_gaps(0, 10**17) == []

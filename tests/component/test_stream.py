"""Stream ingestion in-process against moto and a loopback Jetstream (real WebSocket traffic).

Exactly-once counting through drops, reruns and overlapping cursors; gaps when the server does not replay;
deletes counted apart; the live and backtest routes; a spike alert that names the injected term.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from local_stack.stack import wait_until
from tests import events as sample_events
from tests.fakes.jetstream_server import (
    FakeJetstream,
    background,
    delete_event,
    now_us,
    post_event,
    tid,
)

TOKEN = "test-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def stream_env(aws, monkeypatch):
    from social_analytics import settings
    from social_analytics.settings import get_stream_settings

    monkeypatch.setenv("ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("STREAM_ENABLED", "true")
    monkeypatch.setenv("STREAM_IDLE_SECONDS", "0.5")
    monkeypatch.setenv("STREAM_BUDGET_SECONDS", "20")
    monkeypatch.setenv("STREAM_FLUSH_SECONDS", "0.2")
    monkeypatch.setenv("STREAM_FIRST_LOOKBACK_SECONDS", "600")
    settings.reset()  # every group: the admin token and the stream settings
    yield monkeypatch
    get_stream_settings.cache_clear()


def use(jet: FakeJetstream, monkeypatch) -> None:
    from social_analytics.settings import get_stream_settings

    monkeypatch.setenv("JETSTREAM_URL", jet.url)
    get_stream_settings.cache_clear()


def run_stream(lambda_context) -> dict:
    from social_analytics.handlers import stream

    return stream.handler(sample_events.scheduled("2026-12-01T20:00:00Z"), lambda_context)


def track(call_api, keyword: str, **extra):
    status, body = call_api(
        "POST", "/api/tracked", {"keyword": keyword, "interval_minutes": 15, **extra}, headers=ADMIN
    )
    assert status in (200, 201), body
    return body


def matching_posts(count: int, start_us: int, step_us: int, word: str = "Lambda") -> list[dict]:
    texts = [f"{word} is great today", f"why is #{word.lower()} so slow", f"I hate {word.upper()} bugs", f"{word}!"]
    return [
        post_event(f"did:plc:m{i:04d}", tid(start_us + i * step_us, 7), texts[i % 4], start_us + i * step_us)
        for i in range(count)
    ]


def live(call_api, keyword: str, minutes: int = 60) -> dict:
    status, body = call_api("GET", f"/api/tracked/{keyword}/live", query={"minutes": minutes})
    assert status == 200, body
    return body


def test_no_tracked_keyword_means_no_connection(stream_env, lambda_context):
    with FakeJetstream() as jet:
        use(jet, stream_env)
        assert run_stream(lambda_context) == {"skipped": "no_tracked_keywords"}
        assert jet.connections == []


def test_drops_and_reruns_count_every_matching_post_exactly_once(stream_env, call_api, lambda_context):
    # GIVEN a tracked keyword and a stream of N matching posts among many other events over the last 5 minutes
    track(call_api, "lambda")
    stream_env.setenv("STREAM_FIRST_LOOKBACK_SECONDS", "300")  # the first run starts where the fake's buffer does
    start = now_us() - 300_000_000
    n = 120
    noise = background(2000, start, 140_000)
    hits = matching_posts(n, start + 20_000_000, 2_200_000)
    garbage = [
        {"time_us": start + 1000, "kind": "commit", "commit": "not an object"},
        {"time_us": start + 1500, "__raw__": "not json at all"},
        {"time_us": start + 1600, "__raw__": '{"time_us": "soon", "kind": "commit"}'},
        {"time_us": start + 2000, "kind": "commit", "commit": {"collection": "app.bsky.feed.post", "record": [1]}},
    ]
    with FakeJetstream() as jet:
        jet.add(*noise, *hits, *garbage)
        jet.drop_after = [700, 500]  # the connection is cut twice mid-stream
        use(jet, stream_env)
        # WHEN the function runs, then runs again over the same span (a rerun from an old cursor), and a third time
        first = run_stream(lambda_context)
        assert first["connections"] == 3 and first["drops"] == 2, first
        from social_analytics.storage import stream as stream_store

        stream_store._table().delete_item(Key={"pk": "STREAM", "sk": "CURSOR"})  # as if the cursor was never stored
        second = run_stream(lambda_context)
        third = run_stream(lambda_context)
    # THEN the buckets add up to exactly N: none lost, none counted twice
    body = live(call_api, "lambda", minutes=10)
    assert body["total_posts"] == n
    assert sum(b["posts"] or 0 for b in body["buckets"]) == n
    assert first["counted"] == n and second["counted"] == 0 and third["counted"] == 0
    assert first["matched"] > n  # each reconnect rewound and re-read a few matching posts...
    assert second["matched"] == n  # ...and the rerun saw them all again; neither added anything twice
    # every reconnect asked for a cursor rewound before the last event it had processed
    cursors = [c["cursor"] for c in jet.connections]
    assert cursors[1] < cursors[2] and all(c is not None for c in cursors)
    assert first["gaps"] == [] and second["gaps"] == [] and body["gaps"] == []
    assert first["kinds"]["malformed"] == 4  # skipped, the run went on (a commit with no operation, did or rkey too)
    assert body["lag_seconds"] is not None
    assert len(body["buckets"]) == 10 and all(set(b) >= {"start", "posts", "mean_compound"} for b in body["buckets"])
    # sentiment comes from the jobs' scorer: "great" is positive, "hate ... bugs" negative
    assert sum(b["positive"] or 0 for b in body["buckets"]) >= n // 4
    assert sum(b["negative"] or 0 for b in body["buckets"]) >= n // 4
    assert body["posts"] and body["posts"][0]["url"].startswith("https://bsky.app/profile/did:plc:m")
    # a scheduled scan's history point carries the stream's complete count over its interval
    from social_analytics.tracking import stream_views

    assert stream_views.history_fields("lambda", time.time() - 600, time.time() + 60)["posts"] == n


def test_a_server_that_ignores_the_cursor_leaves_a_recorded_gap(stream_env, call_api, lambda_context):
    track(call_api, "lambda")
    from social_analytics.storage import stream as stream_store

    asked = now_us() - 240_000_000
    stream_store.put_cursor(asked)  # the previous run stopped 4 minutes ago
    with FakeJetstream(ignore_cursor=True) as jet:
        jet.add(*background(100, asked, 1_000_000))  # replayable, but this server will not replay

        # Idle long enough that the live tail below always arrives within the run, however loaded the machine.
        stream_env.setenv("STREAM_IDLE_SECONDS", "5")
        use(jet, stream_env)

        def live_tail():  # once the run is connected: a live tail only sends what arrives after it connected
            wait_until(lambda: jet.connections, timeout=30, interval=0.02)
            time.sleep(0.3)
            jet.add(*matching_posts(3, now_us(), 1000), *background(5, now_us(), 1000, seed=3))

        import threading

        threading.Thread(target=live_tail, daemon=True).start()
        report = run_stream(lambda_context)
    assert report["gaps"] and report["gaps"][0]["reason"] == "not_replayed"
    stream_metrics = {"runs": 1, "posts_counted": report["counted"], "gaps": 1}
    assert report["counted"] >= 1 and call_api("GET", "/api/metrics")[1]["stream"] == stream_metrics
    body = live(call_api, "lambda", minutes=10)
    (gap,) = body["gaps"]
    assert gap["reason"] == "not_replayed"
    assert gap["from"] <= body["buckets"][-4]["start"]  # the missing minutes are inside the gap

    def epoch(iso: str) -> float:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()

    inside = [b for b in body["buckets"] if epoch(gap["from"]) <= epoch(b["start"]) <= epoch(gap["to"]) - 60]
    assert len(inside) >= 2
    assert all(b["covered"] is False and b["posts"] is None for b in inside)  # unknown, not zero


def test_a_cursor_older_than_the_buffer_is_a_gap_too(stream_env, call_api, lambda_context):
    track(call_api, "lambda")
    from social_analytics.storage import stream as stream_store

    stream_env.setenv("STREAM_REPLAY_BUFFER_SECONDS", "120")
    old = now_us() - 600_000_000
    stream_store.put_cursor(old)
    with FakeJetstream(buffer_from_us=now_us() - 120_000_000) as jet:
        jet.add(*background(300, old, 2_000_000))
        use(jet, stream_env)
        report = run_stream(lambda_context)
    (gap,) = report["gaps"]
    assert gap["reason"] == "cursor_out_of_buffer" and gap["from_us"] == old


def test_deletes_of_counted_posts_are_counted_apart(stream_env, call_api, lambda_context):
    track(call_api, "lambda")
    start = now_us() - 120_000_000
    hits = matching_posts(5, start, 1_000_000)
    deletes = [delete_event(h["did"], h["commit"]["rkey"], start + 30_000_000 + i) for i, h in enumerate(hits[:2])]
    unrelated = delete_event("did:plc:zz", tid(start, 1), start + 31_000_000)
    with FakeJetstream() as jet:
        jet.add(*hits, *deletes, unrelated, *background(50, start, 2_000_000))
        use(jet, stream_env)
        assert run_stream(lambda_context)["counted"] == 5
        stream_env.setenv("STREAM_REWIND_SECONDS", "200")  # the next run replays the deletes too
        from social_analytics.settings import get_stream_settings

        get_stream_settings.cache_clear()
        run_stream(lambda_context)
    body = live(call_api, "lambda", minutes=5)
    assert body["total_posts"] == 5  # not subtracted
    assert sum(b["deleted"] or 0 for b in body["buckets"]) == 2  # counted apart, once


def test_a_spike_raises_an_alert_naming_the_injected_term(stream_env, call_api, lambda_context):
    # GIVEN 12 quiet minutes of "lambda" (3 posts a minute), then a burst about "outage" in the current minute
    track(call_api, "lambda", min_volume=10)
    now = now_us()
    minute0 = (now // 60_000_000 - 12) * 60_000_000
    quiet = [
        post_event(
            f"did:plc:q{m}{i}",
            tid(minute0 + m * 60_000_000 + i * 9_000_000, i),
            text,
            minute0 + m * 60_000_000 + i * 9_000_000,
        )
        for m in range(12)
        for i, text in enumerate(["lambda is fine", "using lambda at work", "lambda docs"])
    ]
    spike_start = max(now - 20_000_000, (now // 60_000_000) * 60_000_000)
    spike = [
        post_event(
            f"did:plc:s{i:03d}",
            tid(spike_start + i * 1000, 9),
            f"lambda outage again, so angry #{i}",
            spike_start + i * 1000,
        )
        for i in range(40)
    ]
    with FakeJetstream() as jet:
        jet.add(*quiet, *spike, *background(200, minute0, 3_000_000))
        use(jet, stream_env)
        stream_env.setenv("STREAM_FIRST_LOOKBACK_SECONDS", "900")
        from social_analytics.settings import get_stream_settings

        get_stream_settings.cache_clear()
        report = run_stream(lambda_context)
    raised_at = time.time()
    assert report["alerts"] >= 1, report
    status, body = call_api("GET", "/api/alerts", query={"keyword": "lambda"})
    spikes = [a for a in body["alerts"] if a["type"] == "spike"]
    assert spikes, body
    alert = spikes[0]
    assert alert["source"] == "stream"
    assert raised_at - spike_start / 1e6 <= 120  # within two minutes of the posts that caused it
    terms = [t["term"] for t in alert["explanation"]["terms"]]
    assert "outage" in terms[:3]
    assert alert["explanation"]["sample_posts"] and "outage" in alert["explanation"]["sample_posts"][0]["text"]
    assert alert["explanation"]["other_sources"]["agrees"] is None  # no scheduled scans yet, and it says so

    # the backtest says how often each sensitivity would have fired over the stored minutes
    status, high = call_api("GET", "/api/tracked/lambda/backtest", query={"sensitivity": "high"})
    assert status == 200 and high["sensitivity"] == "high" and high["minutes_evaluated"] >= 1


@pytest.mark.parametrize("minutes", ["0", "1441", "abc", "-5"])
def test_bad_minutes_are_a_4xx(call_api, minutes):
    status, body = call_api("GET", "/api/tracked/lambda/live", query={"minutes": minutes})
    assert 400 <= status < 500 and "minutes" in str(body)


def test_bad_sensitivity_is_a_4xx(call_api):
    status, body = call_api("GET", "/api/tracked/lambda/backtest", query={"sensitivity": "extreme"})
    assert 400 <= status < 500 and "sensitivity" in str(body)


@pytest.mark.parametrize("keyword", ["a" * 2990, "%20%20", "bad%07bell"])
def test_bad_keywords_are_a_422_not_a_5xx(call_api, keyword):
    for route in ("live", "backtest"):
        status, body = call_api("GET", f"/api/tracked/{keyword}/{route}")
        assert status == 422 and body["error"]["fields"][0]["field"] == "path.keyword", body


def test_deleting_a_keyword_removes_its_stream_minutes(stream_env, call_api, lambda_context):
    track(call_api, "lambda")
    start = now_us() - 180_000_000
    with FakeJetstream() as jet:
        jet.add(*matching_posts(6, start, 20_000_000), *background(50, start, 3_000_000))
        use(jet, stream_env)
        assert run_stream(lambda_context)["counted"] == 6
    assert live(call_api, "lambda", minutes=5)["total_posts"] == 6
    status, body = call_api("DELETE", "/api/analyses/lambda", headers=ADMIN)
    assert status == 200 and body["deleted"]["stream_minutes"] >= 2
    assert live(call_api, "lambda", minutes=5)["total_posts"] == 0


def test_an_unreachable_jetstream_ends_the_run_cleanly_and_keeps_the_cursor(stream_env, call_api, lambda_context):
    import socket

    from social_analytics.settings import get_stream_settings
    from social_analytics.storage import stream as stream_store

    track(call_api, "lambda")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stream_env.setenv("JETSTREAM_URL", f"ws://127.0.0.1:{port}/subscribe?wantedCollections=app.bsky.feed.post")
    stream_env.setenv("STREAM_MAX_RECONNECTS", "1")
    get_stream_settings.cache_clear()
    cursor = now_us() - 30_000_000
    stream_store.put_cursor(cursor)
    report = run_stream(lambda_context)
    assert report["stopped"] == "connection_failed" and report["drops"] == 2 and report["gaps"] == []
    assert stream_store.get_cursor() == cursor  # the next run resumes from the same point


def test_tracked_boolean_queries_count_exactly_their_matching_posts(stream_env, call_api, lambda_context):
    # GIVEN a boolean query, a phrase keyword of before queries and a language-restricted query, all tracked
    from urllib.parse import quote

    for query in ["(kubernetes OR k8s) -helm", "big brand", "lang:de auto"]:
        track(call_api, query)
    stream_env.setenv("STREAM_FIRST_LOOKBACK_SECONDS", "300")
    start = now_us() - 120_000_000
    texts = [  # (text, langs, which queries it matches: by hand, not by the matcher)
        ("Kubernetes 1.31 released", ["en"], {"k"}),
        ("k8s and Helm charts", ["en"], set()),  # excluded by helm
        ("#k8s tips for you", ["en"], {"k"}),  # a hashtag holds the word
        ("kubernetesy stuff", ["en"], set()),  # whole words only
        ("a Big Brand launch", ["en"], {"b"}),
        ("brand big", ["en"], set()),  # a phrase: in order
        ("#BigBrand", ["en"], {"b"}),  # or glued as one hashtag
        ("Auto news", ["de"], {"a"}),
        ("auto news", ["en"], set()),  # lang:de
        ("Autobahn heute", ["de"], set()),  # auto is not a prefix here
        ("k8s auto big brand", ["de-AT"], {"k", "b", "a"}),
    ]
    events = [
        post_event(f"did:plc:q{i:03d}", tid(start + i * 1_000_000, 3), text, start + i * 1_000_000, langs=langs)
        for i, (text, langs, _) in enumerate(texts)
    ]
    with FakeJetstream() as jet:
        jet.add(*background(300, start, 300_000), *events)
        use(jet, stream_env)
        report = run_stream(lambda_context)
    # THEN each query counted exactly the posts it matches, through the jobs' matcher
    assert report["matched"] == sum(1 for _, _, hits in texts if hits)
    expected = {
        "(k8s OR kubernetes) AND -helm": sum("k" in hits for *_, hits in texts),
        "big brand": sum("b" in hits for *_, hits in texts),
        "auto AND lang:de": sum("a" in hits for *_, hits in texts),
    }
    for key, count in expected.items():
        body = live(call_api, quote(key, safe=""), minutes=5)
        assert body["key"] == key and body["tracked"] is True
        assert body["total_posts"] == count, (key, body["total_posts"])

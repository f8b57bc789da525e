"""The archive end to end, in-process against moto (S3) and a loopback Jetstream replaying hours of posts.

A query nobody tracked is answered from the archive as a ``bluesky_archive`` row: exactly the matching posts, basis
complete, the hours before the archive started marked uncovered; deleted posts never appear; hours past the retention
are gone; a query tracked afterwards has per-minute history and a backtest over the archived hours.
"""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from tests import events as sample_events
from tests.conftest import sqs_event
from tests.fakes.jetstream_server import FakeJetstream, background, delete_event, now_us, post_event, tid

TOKEN = "test-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
HOUR_US = 3_600_000_000
BUCKET = "test-archive-bucket"


@pytest.fixture
def archive_env(aws, monkeypatch):
    from social_analytics import settings

    boto3.client("s3").create_bucket(Bucket=BUCKET)
    for name, value in {
        "ADMIN_TOKEN": TOKEN,
        "STREAM_ENABLED": "true",
        "STREAM_IDLE_SECONDS": "1.0",
        "STREAM_BUDGET_SECONDS": "60",
        "STREAM_FLUSH_SECONDS": "2",
        "STREAM_FIRST_LOOKBACK_SECONDS": str(4 * 3600 + 600),
        "ARCHIVE_DAYS": "7",
        "ARCHIVE_BUCKET": BUCKET,
        "ARCHIVE_SETTLE_SECONDS": "0",
        "ARCHIVE_COMPACTIONS_PER_RUN": "20",
        "PROVIDERS": "bluesky_archive,simulated",
    }.items():
        monkeypatch.setenv(name, value)
    settings.reset()
    yield monkeypatch
    settings.reset()


def run_stream(jet, monkeypatch, lambda_context) -> dict:
    from social_analytics import settings
    from social_analytics.handlers import stream

    monkeypatch.setenv("JETSTREAM_URL", jet.url)
    settings.reset()
    return stream.handler(sample_events.scheduled("2026-12-01T20:00:00Z"), lambda_context)


TEXTS = [
    ("Lambda cold starts again", True),
    ("why is #lambda so slow today", True),
    ("ＬＡＭＢＤＡ in fullwidth letters", True),  # NFKC: the SQL pre-filter must let it through
    ("I love LAMBDA calculus", True),
    ("lambdas are not the word", False),
    ("catalog of lambdaish things", False),
]


def replay(start_us: int, end_us: int, seed: int = 7) -> tuple[list[dict], dict[str, int], set[str]]:
    """Thousands of events over [start, end): background posts, likes, deletes, and some posts about lambda, a few
    of them deleted later. Returns the events, the URIs that match ``lambda`` and are not deleted (with their
    times), and the deleted URIs."""
    rng = random.Random(seed)
    events = background(3000, start_us, (end_us - start_us) // 3000, seed=seed)
    matching: dict[str, int] = {}
    deleted: set[str] = set()
    step = (end_us - start_us) // 400
    for index in range(400):
        at = start_us + index * step + 1234
        did, rkey = f"did:plc:a{index:05d}", tid(at, 11)
        text, matches = TEXTS[index % len(TEXTS)]
        events.append(post_event(did, rkey, f"{text} #{index}", at, langs=[rng.choice(["en", "de"])]))
        uri = f"at://{did}/app.bsky.feed.post/{rkey}"
        if matches and index % 10 == 3:  # deleted a little later (sometimes in a later hour)
            events.append(delete_event(did, rkey, min(at + rng.randrange(60_000_000, 1_800_000_000), end_us - 1)))
            deleted.add(uri)
        elif matches:
            matching[uri] = at
    return events, matching, deleted


def analyse(call_api, queue_messages, lambda_context, keyword: str, **extra) -> dict:
    from social_analytics.handlers import worker

    body = {"keyword": keyword, "providers": ["bluesky_archive"], "limit": 1000, "window_hours": 6, **extra}
    status, answer = call_api("POST", "/api/analyses", body)
    assert status == 202, answer
    assert worker.handler(sqs_event(queue_messages()), lambda_context) == {"batchItemFailures": []}
    status, job = call_api("GET", answer["status_url"])
    assert status == 200 and job["status"] == "done", job
    return job["result"]


def test_a_never_tracked_query_is_answered_exactly_from_the_archive(
    archive_env, call_api, queue_messages, lambda_context
):
    # GIVEN a stream that replays about four hours of Bluesky (no keyword tracked: the archive alone runs it)
    now = now_us()
    start, end = now - 4 * HOUR_US, now - 60_000_000
    events, matching, deleted = replay(start, end)
    with FakeJetstream() as jet:
        jet.add(*events)
        report = run_stream(jet, archive_env, lambda_context)
    assert report["archived"] >= 2000 and report["kinds"].get("malformed", 0) == 0, report
    assert any(name.startswith("posts ") for name in report["compacted"])  # the past hours became one file each
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert any(k.endswith("/hour.parquet") and k.startswith("posts/dt=") for k in keys)

    # WHEN a query nobody tracked is analysed over 6 hours
    result = analyse(call_api, queue_messages, lambda_context, "lambda")

    # THEN the archive row holds exactly the matching, undeleted posts of the hours it covers (the archive started
    # inside the window's first hours: those are uncovered), counted exactly, basis complete
    row = next(r for r in result["source"]["providers"] if r["provider"] == "bluesky_archive")
    assert row["outcome"] == "ok", row
    covered_from = datetime.fromisoformat(row["covered_from"]).timestamp() * 1e6
    expected = {uri for uri, at in matching.items() if at >= covered_from}
    assert len(expected) >= 150
    assert row["exact_total"] == len(expected) == row["matched"] == row["posts"]
    assert row["off_topic"] == 0 and row["basis"] == "complete"
    assert result["posts_analyzed"] == len(expected)
    returned = {p["id"].split(":", 1)[1] for p in result["posts"]}
    assert returned and returned <= set(expected) and not returned & deleted
    # AND the hours before the archive started are uncovered (not zero), so the row is not complete
    assert row["uncovered"] and {u["reason"] for u in row["uncovered"]} == {"before_archive"}
    assert row["uncovered"][-1]["to"] == row["covered_from"]
    assert row["complete"] is False
    assert "prefilter: lambda" in row["sent_query"]


def test_the_archive_keeps_what_a_restart_of_the_reader_finds_and_expires_old_hours(
    archive_env, call_api, queue_messages, lambda_context
):
    from social_analytics import composition
    from social_analytics.archive import coverage, writer
    from social_analytics.archive.layout import COVERAGE_KEY, POSTS, hour_of, part_key
    from social_analytics.archive.parquet import write_posts
    from social_analytics.tracking.stream_events import StreamPost

    # GIVEN an archive holding an hour ten days old (past the 7-day retention), as if written back then
    store = composition.archive_store()
    old_us = now_us() - 10 * 86_400 * 1_000_000
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        write_posts([StreamPost("did:plc:old", tid(old_us), old_us, "lambda long ago")], f"{folder}/p.parquet")
        store.put(part_key(POSTS, hour_of(old_us), old_us), Path(f"{folder}/p.parquet").read_bytes())
    store.put(COVERAGE_KEY, coverage.dump([(old_us - HOUR_US, old_us + HOUR_US)]))
    # WHEN the archive's maintenance runs
    writer.maintain(now_us())
    # THEN the old hour is gone and the coverage no longer claims it
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert not any(k.startswith("posts/") for k in keys)
    assert coverage.parse(store.get(COVERAGE_KEY)) == []


def test_a_query_tracked_afterwards_has_history_and_a_backtest_over_the_archived_hours(
    archive_env, call_api, queue_messages, lambda_context
):
    # GIVEN hours of archived posts, then a keyword tracked only now
    now = now_us()
    start, end = now - 170 * 60_000_000, now - 60_000_000  # inside the 180-minute live view below
    events, matching, _deleted = replay(start, end, seed=3)
    with FakeJetstream() as jet:
        jet.add(*events)
        run_stream(jet, archive_env, lambda_context)
        status, _ = call_api("POST", "/api/tracked", {"keyword": "lambda", "interval_minutes": 15}, headers=ADMIN)
        assert status == 201
        # WHEN the next stream run sees the newly tracked keyword
        report = run_stream(jet, archive_env, lambda_context)
    assert report["backfilled"] == {"lambda": len(matching)}, report
    # THEN its live minutes over the archived hours count every matching post, and they are covered
    status, live = call_api("GET", "/api/tracked/lambda/live", query={"minutes": 180})
    assert status == 200
    assert live["total_posts"] == len(matching)
    assert live["covered_minutes"] >= 170
    counted = [b for b in live["buckets"] if b["posts"]]
    assert counted and all(b["covered"] for b in counted)
    # AND the backtest runs over the archived minutes
    status, backtest = call_api("GET", "/api/tracked/lambda/backtest")
    assert status == 200 and backtest["minutes_evaluated"] >= 150  # from the first archived minute with posts
    assert backtest["minutes_stored"] == len({b["start"] for b in counted})

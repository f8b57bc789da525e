"""Stored windows, cursors and sessions for incremental scans (moto), and the merge that keeps a window correct."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from social_analytics.models import Post, TimeWindow

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def post(n: int, minutes_ago: float, provider: str = "socialdata", likes: int = 0) -> Post:
    return Post(
        id=f"{provider}:{n}",
        text=f"post {n} " + "x" * 50,
        created_at=NOW - timedelta(minutes=minutes_ago),
        provider=provider,
        likes=likes,
        hashtags=["a"],
    )


def window(posts: list[Post], generation: str = "job-1", fetched_at: float | None = None, hours: int = 24):
    from social_analytics.storage.posts import StoredWindow

    fetched_at = time.time() if fetched_at is None else fetched_at
    return StoredWindow(
        provider="socialdata",
        posts=posts,
        fetched_at=fetched_at,
        window_hours=hours,
        limit=100,
        expires_at=int(fetched_at + hours * 3600),
        generation=generation,
    )


def test_merge_drops_old_posts_dedupes_by_id_and_keeps_the_newest_limit():
    from social_analytics.analyses.sources.incremental import merge_window

    span = TimeWindow(start=NOW - timedelta(hours=1), end=NOW)
    stored = [post(1, 10, likes=1), post(2, 30), post(3, 90)]  # post 3 is older than the window
    new = [post(4, 1), post(1, 10, likes=7)]  # post 1 again, with fresher counts

    merged = merge_window(new, stored, span, limit=10)
    assert [p.id for p in merged] == ["socialdata:4", "socialdata:1", "socialdata:2"]
    assert merged[1].likes == 7
    assert [p.id for p in merge_window(new, stored, span, limit=2)] == ["socialdata:4", "socialdata:1"]


def test_a_window_and_its_cursor_round_trip_and_are_deleted_per_keyword(aws):
    from social_analytics.storage import cursors, posts

    stored = [post(n, n) for n in range(40)]
    assert posts.save_window("kw", window(stored), {"since_id": "123"})

    loaded = posts.load_window("kw")
    assert loaded is not None and loaded.provider == "socialdata" and loaded.generation == "job-1"
    assert [(p.id, p.created_at, p.hashtags) for p in loaded.posts] == [
        (p.id, p.created_at, p.hashtags) for p in stored
    ]
    assert cursors.load("kw")["socialdata"].cursor == {"since_id": "123"}
    assert posts.load_window("other") is None

    assert posts.delete_for_keyword("kw") == 1
    assert cursors.delete_for_keyword("kw") == 1
    assert posts.load_window("kw") is None and cursors.load("kw") == {}


def test_a_smaller_window_replaces_every_part_of_a_bigger_one(aws, monkeypatch):
    from social_analytics.storage import posts

    monkeypatch.setattr(posts, "PART_BYTES", 200)  # force several parts
    posts.save_window("kw", window([post(n, n) for n in range(60)], "job-1"), {"since_id": "1"})
    parts_before = len(posts._existing_parts("kw"))
    posts.save_window("kw", window([post(99, 0)], "job-2"), {"since_id": "2"})

    assert parts_before > 2 and len(posts._existing_parts("kw")) < parts_before
    loaded = posts.load_window("kw")
    assert loaded.generation == "job-2" and [p.id for p in loaded.posts] == ["socialdata:99"]


def test_expired_windows_and_cursors_are_not_used(aws):
    from social_analytics.storage import cursors, posts

    long_ago = time.time() - 2 * 3600
    posts.save_window("kw", window([post(1, 1)], fetched_at=long_ago, hours=1), {"since_id": "1"})
    assert posts.load_window("kw") is None
    assert cursors.load("kw") == {}
    cursors.save("kw", "x", {"since_id": "5"}, ttl_seconds=60)
    assert cursors.load("kw")["x"].cursor == {"since_id": "5"}


def test_the_bluesky_session_is_shared_through_dynamodb(aws):
    import boto3
    from social_analytics.analyses.sources.bluesky import BlueskySession
    from social_analytics.storage.sessions import DynamoSessionStore

    from local_stack import aws_calls

    def store():
        return DynamoSessionStore("bluesky", BlueskySession.from_dict)

    session = BlueskySession(did="did:plc:me", handle="me.bsky.social", access_jwt="a.b.c", refresh_jwt="r-1")
    worker = aws_calls.handler_scope  # the worker's store: its role's grants are audited, not the test's own calls
    with worker("WorkerFunction"):
        asyncio.run(store().save(session))
        loaded = asyncio.run(store().load())  # another "container"
    assert loaded == session and "r-1" not in repr(store()) and "r-1" not in repr(loaded)
    # In the sessions table of its own, which only the worker's role reaches; none in the results table.
    assert boto3.client("dynamodb").scan(TableName=aws.physical_names["SessionsTable"])["Count"] == 1
    assert not [i for i in results_items(aws) if "session" in i]
    with worker("WorkerFunction"):
        asyncio.run(store().save(None))
        assert asyncio.run(store().load()) is None


def results_items(aws) -> list[dict]:
    import boto3

    return boto3.resource("dynamodb").Table(aws.physical_names["ResultsTable"]).scan()["Items"]

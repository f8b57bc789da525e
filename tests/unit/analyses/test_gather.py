"""The worker's sources for a job (analyses/gather.py) against in-memory stores: an incremental scan continues each
source from its stored window and cursor, only a usable window is continued, the answer becomes the next stored
window, and an upload is read through the import objects. No moto, no network."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from social_analytics import composition
from social_analytics.analyses import gather
from social_analytics.analyses.outcomes import JobFailed
from social_analytics.analyses.sources.base import FetchResult
from social_analytics.keywords import provider_query
from social_analytics.models import AnalysisJob, Post
from social_analytics.records import StoredWindow

from tests.fakes.stores import InMemoryImportObjects, InMemoryPostWindows

KEY = "serverless"


class Source:
    """A live source that answers each call with the given posts and a newer cursor, remembering the cursors."""

    simulated = False

    def __init__(self, name: str, *answers: list[Post], cursor: dict[str, str] | None = None) -> None:
        self.name = name
        self.answers = list(answers)
        self.cursor = cursor or {"since": "200"}
        self.calls: list[dict | None] = []

    async def fetch(self, query, window, limit, *, cursor=None, budget=None) -> FetchResult:
        self.calls.append(cursor)
        posts = self.answers.pop(0) if self.answers else []
        return FetchResult(posts=posts[:limit], cursor=self.cursor, billable_items=len(posts))


def post(provider: str, n: int, minutes_ago: float, likes: int = 0) -> Post:
    created = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return Post(
        id=f"{provider}:{n}", text=f"post {n} about serverless", created_at=created, provider=provider, likes=likes
    )


def job(**overrides) -> AnalysisJob:
    fields = {
        "job_id": "job2",
        "keyword": "Serverless",
        "key": KEY,
        "limit": 50,
        "window_hours": 24,
        "submitted_at": time.time(),
        "kind": "scan",
        "providers": ("hackernews", "lemmy"),
    }
    return AnalysisJob(**(fields | overrides))


@pytest.fixture
def windows(stores, monkeypatch) -> InMemoryPostWindows:
    found = InMemoryPostWindows()
    composition.use_data(post_windows=found, cursors=found)
    monkeypatch.setattr(gather, "load_provider_config", lambda: None)
    return found


def use_sources(monkeypatch, *sources: Source) -> None:
    monkeypatch.setattr(gather, "build_adapters", lambda providers, config, client, session_store: list(sources))


def store_window(windows: InMemoryPostWindows, posts: list[Post], **overrides) -> None:
    now = time.time()
    fields = {
        "provider": "hackernews",
        "posts": posts,
        "fetched_at": now - 600,
        "window_hours": 24,
        "limit": 50,
        "expires_at": int(now + 3600),
        "generation": "job1",
        "query": provider_query(KEY),
    }
    window = StoredWindow(**(fields | overrides))
    assert windows.save_window(KEY, window, None, cursors={"hackernews": {"since": "100"}})


def test_a_stored_source_continues_from_its_cursor_and_the_merged_answer_is_stored(windows, monkeypatch):
    store_window(windows, [post("hackernews", 1, 60), post("hackernews", 2, 120)])
    hackernews = Source("hackernews", [post("hackernews", 3, 5), post("hackernews", 1, 60, likes=7)])
    lemmy = Source("lemmy", [post("lemmy", 1, 30)], cursor={"since": "l1"})
    use_sources(monkeypatch, hackernews, lemmy)

    fetched = asyncio.run(gather.fetch_live(job()))

    # only the source of the stored window continues; the other one fetches in full
    assert hackernews.calls == [{"since": "100"}]
    assert lemmy.calls == [None]
    assert fetched.source["incremental"] is True
    ids = sorted(p.id for p in fetched.posts)
    assert ids == ["hackernews:1", "hackernews:2", "hackernews:3", "lemmy:1"]
    assert next(p for p in fetched.posts if p.id == "hackernews:1").likes == 7  # the fresh copy wins

    # the answer is the next stored window: both sources' posts, each with its new cursor
    stored = windows.load_window(KEY)
    assert stored is not None and stored.generation == "job2"
    assert set(stored.provider.split(",")) == {"hackernews", "lemmy"}
    assert sorted(p.id for p in stored.posts) == ids
    assert [p.created_at for p in stored.posts] == sorted((p.created_at for p in stored.posts), reverse=True)
    assert {name: c.cursor for name, c in windows.load(KEY).items()} == {
        "hackernews": {"since": "200"},
        "lemmy": {"since": "l1"},
    }


@pytest.mark.parametrize(
    "unusable",
    [
        {"query": "something else"},  # fetched for another query
        {"window_hours": 6},  # a shorter window than the job's
        {"limit": 10},  # fewer posts than the job asks for
        {"fetched_at": time.time() - 30 * 3600},  # fetched before the job's window starts
    ],
)
def test_a_window_that_cannot_continue_the_job_means_a_full_fetch(windows, monkeypatch, unusable):
    store_window(windows, [post("hackernews", 1, 60)], **unusable)
    hackernews = Source("hackernews", [post("hackernews", 3, 5)])
    use_sources(monkeypatch, hackernews)

    fetched = asyncio.run(gather.fetch_live(job(providers=("hackernews",))))

    assert hackernews.calls == [None]
    assert fetched.source["incremental"] is False
    assert [p.id for p in fetched.posts] == ["hackernews:3"]  # nothing merged from the stored window
    assert [p.id for p in windows.load_window(KEY).posts] == ["hackernews:3"]


def test_an_expired_cursor_means_a_full_fetch(windows, monkeypatch):
    store_window(windows, [post("hackernews", 1, 60)])
    windows.clock = lambda: time.time() + 7200  # past the window's and the cursor's expiry
    hackernews = Source("hackernews", [post("hackernews", 3, 5)])
    use_sources(monkeypatch, hackernews)

    asyncio.run(gather.fetch_live(job(providers=("hackernews",))))

    assert hackernews.calls == [None]


def test_a_store_that_fails_to_read_means_a_full_fetch_not_a_failed_job(windows, monkeypatch):
    def broken(key, now=None):
        raise ConnectionError("storage is down")

    monkeypatch.setattr(windows, "load_window", broken)
    hackernews = Source("hackernews", [post("hackernews", 3, 5)])
    use_sources(monkeypatch, hackernews)

    fetched = asyncio.run(gather.fetch_live(job(providers=("hackernews",))))

    assert hackernews.calls == [None] and [p.id for p in fetched.posts] == ["hackernews:3"]


# ------------------------------------------------------------------ imports
@pytest.fixture
def uploads(stores) -> InMemoryImportObjects:
    found = InMemoryImportObjects(limit=10_000)
    composition.use_data(import_objects=found)
    return found


def import_job(key: str) -> AnalysisJob:
    return job(job_id="imp1", key="import:imp1", kind="import", providers=None, import_object=key, limit=10_000)


def test_an_upload_is_read_parsed_and_reported(uploads):
    uploads.objects["imports/imp1.csv"] = (
        b"id,text,created_at\n"
        b"1,serverless is great,2026-11-01T10:00:00Z\n"
        b"2,serverless again,2026-11-02T10:00:00Z\n"
        b"3,,2026-11-02T11:00:00Z\n"
    )

    fetched = asyncio.run(gather.fetch_import(import_job("imports/imp1.csv")))

    assert sorted(p.text for p in fetched.posts) == ["serverless again", "serverless is great"]
    assert fetched.extra["import"]["rows"] == 3 and fetched.extra["import"]["rejected"] == 1
    assert fetched.extra["volume"]["basis"] == "complete"


@pytest.mark.parametrize(
    ("key", "data", "code"),
    [
        ("imports/imp1.csv", None, "not_uploaded"),
        ("imports/imp1.csv", b"text\n" + b"x" * 20_000 + b"\n", "too_large"),
        ("imports/other.csv", b"text\nhello\n", "bad_import"),  # not the job's own upload
        ("imports/imp1.csv", b"text\n\n", "no_data"),
    ],
)
def test_an_unusable_upload_fails_the_job_with_its_reason(uploads, key, data, code):
    if data is not None:
        uploads.objects[key] = data

    with pytest.raises(JobFailed) as failed:
        asyncio.run(gather.fetch_import(import_job(key)))

    assert failed.value.code == code

from __future__ import annotations

import asyncio
import base64
import json
import time

import httpx
import pytest
from social_analytics.analyses.sources.base import ProviderAuthError, ProviderForbidden, ProviderRateLimited
from social_analytics.analyses.sources.bluesky import (
    BlueskyAdapter,
    BlueskySession,
    BlueskySessionManager,
    InMemorySessionStore,
)

from tests.fakes.mock_http import budget, client, fixture, run, window

BASE = "https://pds.test"


def jwt(exp: float, n: int = 0) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"exp": int(exp), "n": n}).encode()).decode().rstrip("=")
    return f"e30.{payload}.sig"


class FakePds:
    """Enough of a PDS: createSession, refreshSession, searchPosts with token checks."""

    def __init__(self) -> None:
        self.serial = 0
        self.access = None
        self.refresh = None
        self.calls: list[str] = []
        self.search_replies: list[httpx.Response] = []
        self.refresh_broken = False

    def issue(self) -> httpx.Response:
        self.serial += 1
        self.access, self.refresh = jwt(time.time() + 7200, self.serial), f"refresh-{self.serial}"
        body = dict(fixture("bluesky_create_session.json"), accessJwt=self.access, refreshJwt=self.refresh)
        return httpx.Response(200, json=body)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        self.calls.append(name)
        auth = request.headers.get("Authorization", "")
        if name == "com.atproto.server.createSession":
            creds = json.loads(request.content)
            if creds != {"identifier": "tester.bsky.social", "password": "app-pass"}:
                return httpx.Response(401, json={"error": "AuthenticationRequired", "message": "Invalid password"})
            return self.issue()
        if name == "com.atproto.server.refreshSession":
            if self.refresh_broken or auth != f"Bearer {self.refresh}":
                return httpx.Response(400, json={"error": "ExpiredToken", "message": "Token has expired"})
            return self.issue()
        if auth != f"Bearer {self.access}":
            return httpx.Response(401, json=fixture("bluesky_error_expired.json"))
        if self.search_replies:
            return self.search_replies.pop(0)
        return httpx.Response(200, json=dict(fixture("bluesky_search_posts.json"), cursor=None))


def adapter_for(c, pds_store=None, password="app-pass"):
    manager = BlueskySessionManager(c, "tester.bsky.social", password, BASE, pds_store)
    return BlueskyAdapter(c, manager, BASE), manager


def test_maps_post_views_and_sends_the_bearer_token():
    pds = FakePds()

    async def go():
        async with client(pds) as c:
            adapter, _ = adapter_for(c)
            return await adapter.fetch("serverless", window(), 50, budget=budget())

    result = run(go())
    first, second = result.posts
    assert first.id == "bluesky:at://did:plc:abc123/app.bsky.feed.post/3lbx2k4w5xs2a"
    assert first.url == "https://bsky.app/profile/alice.bsky.social/post/3lbx2k4w5xs2a"
    assert (first.author, first.likes, first.reposts, first.replies) == ("alice.bsky.social", 31, 5, 2)
    assert first.hashtags == ["serverless"] and first.language == "en"
    assert second.created_at.isoformat() == "2026-11-24T12:00:00+00:00"  # no createdAt: indexedAt
    assert (second.likes, second.language, second.hashtags) == (0, None, [])
    assert result.cursor == {"since": "2026-11-24T12:39:09.123000Z"}


def test_logs_in_once_across_jobs_and_concurrent_fetches():
    pds = FakePds()

    async def go():
        async with client(pds) as c:
            adapter, manager = adapter_for(c)
            await asyncio.gather(*(adapter.fetch("serverless", window(), 10) for _ in range(5)))
            await adapter.fetch("serverless", window(), 10)  # a later job
            return manager

    manager = run(go())
    assert pds.calls.count("com.atproto.server.createSession") == 1 and manager.logins == 1


def test_expired_access_token_is_refreshed_not_relogged():
    pds = FakePds()

    async def go():
        async with client(pds) as c:
            adapter, manager = adapter_for(c)
            await adapter.fetch("serverless", window(), 10)
            pds.access = "revoked"  # server-side expiry: next search answers 401 ExpiredToken
            posts = (await adapter.fetch("serverless", window(), 10)).posts
            return manager, posts

    manager, posts = run(go())
    assert len(posts) == 2 and manager.logins == 1 and manager.refreshes == 1


def test_jwt_past_exp_is_refreshed_proactively():
    pds = FakePds()
    store = InMemorySessionStore()
    run(store.save(BlueskySession("did:plc:x", "tester.bsky.social", jwt(time.time() - 10), "refresh-0")))
    pds.refresh = "refresh-0"

    async def go():
        async with client(pds) as c:
            adapter, manager = adapter_for(c, store)
            await adapter.fetch("serverless", window(), 10)
            return manager

    manager = run(go())
    assert manager.logins == 0 and manager.refreshes == 1
    assert "com.atproto.server.createSession" not in pds.calls
    assert run(store.load()).refresh_jwt == "refresh-1"  # the store holds the new session


def test_dead_refresh_token_falls_back_to_one_login():
    pds = FakePds()
    pds.refresh_broken = True

    async def go():
        async with client(pds) as c:
            adapter, manager = adapter_for(c)
            await adapter.fetch("serverless", window(), 10)
            pds.access = "revoked"
            await adapter.fetch("serverless", window(), 10)
            return manager

    assert run(go()).logins == 2


def test_a_persisted_session_is_reused_by_a_new_container():
    pds = FakePds()
    store = InMemorySessionStore()

    async def go():
        async with client(pds) as c:
            await adapter_for(c, store)[0].fetch("serverless", window(), 10)
            second, manager = adapter_for(c, store)  # a new manager (new container) sharing the store
            await second.fetch("serverless", window(), 10)
            return manager

    assert run(go()).logins == 0 and pds.calls.count("com.atproto.server.createSession") == 1


def test_wrong_app_password_is_an_auth_error():
    async def go():
        async with client(FakePds()) as c:
            await adapter_for(c, password="nope")[0].fetch("serverless", window(), 10, budget=budget())

    with pytest.raises(ProviderAuthError):
        run(go())


def test_403_and_429_from_search_are_typed():
    pds = FakePds()
    pds.search_replies = [
        httpx.Response(403, json={"error": "Forbidden", "message": "blocked"}),
        httpx.Response(
            429, headers={"ratelimit-reset": str(int(time.time()) + 600)}, json={"error": "RateLimitExceeded"}
        ),
    ]

    async def go(adapter):
        return await adapter.fetch("serverless", window(), 10, budget=budget(seconds=20))

    async def both():
        async with client(pds) as c:
            adapter, _ = adapter_for(c)
            with pytest.raises(ProviderForbidden):
                await go(adapter)
            with pytest.raises(ProviderRateLimited):
                await go(adapter)

    run(both())


def test_session_repr_hides_tokens():
    session = BlueskySession("did:plc:x", "h", "secret-access", "secret-refresh")
    assert "secret" not in repr(session)
    assert BlueskySession.from_dict(session.to_dict()) == session

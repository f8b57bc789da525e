"""Bluesky ``app.bsky.feed.searchPosts`` with an app-password session.

Unauthenticated public search answers 403 since 2025, so every search carries ``Authorization: Bearer <accessJwt>``.
``com.atproto.server.createSession`` is heavily rate limited (30 per 5 min, 100-300 per day per handle), so
``BlueskySessionManager`` logs in only when there is no session at all, refreshes with the refresh JWT when the access
JWT expires (proactively from its ``exp`` claim, or on a 401 ``ExpiredToken``), and keeps the session in a
caller-provided ``SessionStore`` (in memory by default; the worker can persist it in DynamoDB).
Concurrent jobs share one login/refresh (single flight per event loop).

Incremental cursor: ``{"since": "<ISO createdAt of the newest post>"}``, sent as ``since`` (inclusive: the newest
post may come again; merge by id).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from social_analytics.analyses.sources._http import (
    Page,
    RequestBudget,
    as_int,
    collect_pages,
    parse_datetime,
    request_json,
)
from social_analytics.analyses.sources.base import (
    Cursor,
    FetchResult,
    ProviderAuthError,
    ProviderBadResponse,
    ProviderError,
    ProviderNotConfigured,
    SourceQuery,
    fetch_each,
)
from social_analytics.analyses.sources.translate import as_query, bluesky_query
from social_analytics.models import Post, TimeWindow, isoformat_z
from social_analytics.query import Query

DEFAULT_BASE_URL = "https://bsky.social"
MAX_PAGES = 50
_REFRESH_SKEW = 60.0  # refresh this long before the access JWT's exp


@dataclass
class BlueskySession:
    """An atproto session. ``to_dict``/``from_dict`` for persistence; tokens never appear in ``repr``."""

    did: str
    handle: str
    access_jwt: str
    refresh_jwt: str

    def __repr__(self) -> str:
        return f"BlueskySession(did={self.did!r}, handle={self.handle!r}, access_jwt='***', refresh_jwt='***')"

    def to_dict(self) -> dict[str, str]:
        return {"did": self.did, "handle": self.handle, "accessJwt": self.access_jwt, "refreshJwt": self.refresh_jwt}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BlueskySession:
        try:
            return cls(
                did=str(data.get("did") or ""),
                handle=str(data.get("handle") or ""),
                access_jwt=str(data["accessJwt"]),
                refresh_jwt=str(data["refreshJwt"]),
            )
        except (KeyError, TypeError, AttributeError):
            raise ProviderBadResponse("bluesky: session response without accessJwt/refreshJwt") from None

    def access_expires_at(self) -> float | None:
        """The access JWT's ``exp`` (epoch seconds), read without verification; None when unreadable."""
        try:
            payload = self.access_jwt.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            return float(claims["exp"])
        except (IndexError, ValueError, KeyError, TypeError):
            return None


class SessionStore(Protocol):
    """Where the session lives between jobs (and containers, for a persistent store)."""

    async def load(self) -> BlueskySession | None: ...

    async def save(self, session: BlueskySession | None) -> None: ...


class InMemorySessionStore:
    """Per-container store (the default)."""

    def __init__(self) -> None:
        self._session: BlueskySession | None = None

    async def load(self) -> BlueskySession | None:
        return self._session

    async def save(self, session: BlueskySession | None) -> None:
        self._session = session


class BlueskySessionManager:
    """Hands out a valid access JWT: cached, refreshed with the refresh JWT, logging in only without a session.

    Counters ``logins`` and ``refreshes`` are for tests and metrics.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        identifier: str,
        app_password: str,
        base_url: str = DEFAULT_BASE_URL,
        store: SessionStore | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not identifier or not app_password:
            raise ProviderNotConfigured("bluesky: BLUESKY_HANDLE and BLUESKY_APP_PASSWORD are required")
        self._client = client
        self._identifier = identifier
        self._password = app_password
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._store = store or InMemorySessionStore()
        self._clock = clock
        self._session: BlueskySession | None = None
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()
        self.logins = 0
        self.refreshes = 0

    def __repr__(self) -> str:
        return (
            f"BlueskySessionManager(base_url={self._base_url!r}, identifier={self._identifier!r}, app_password='***')"
        )

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def _fresh(self, session: BlueskySession | None) -> bool:
        if session is None:
            return False
        expires = session.access_expires_at()
        return expires is None or expires - _REFRESH_SKEW > self._clock()

    async def access_token(self, budget: RequestBudget) -> str:
        """A usable access JWT (from memory, the store, a refresh or - only when nothing else works - a login)."""
        if self._fresh(self._session):
            return self._session.access_jwt  # type: ignore[union-attr]
        async with self._lock():
            if self._fresh(self._session):
                return self._session.access_jwt  # type: ignore[union-attr]
            if self._session is None:
                self._session = await self._store.load()
            if self._fresh(self._session):
                return self._session.access_jwt  # type: ignore[union-attr]
            await self._renew(budget)
            return self._session.access_jwt  # type: ignore[union-attr]

    async def invalidate(self, stale_access_jwt: str, budget: RequestBudget) -> str:
        """Called after a 401 ExpiredToken: refresh once (unless another job already did) and return the new JWT."""
        async with self._lock():
            if self._session is not None and self._session.access_jwt != stale_access_jwt:
                return self._session.access_jwt
            await self._renew(budget)
            return self._session.access_jwt  # type: ignore[union-attr]

    async def _renew(self, budget: RequestBudget) -> None:
        if self._session is not None:
            try:
                body, _ = await request_json(
                    self._client,
                    "POST",
                    f"{self._base_url}/xrpc/com.atproto.server.refreshSession",
                    provider="bluesky",
                    budget=budget,
                    headers={"Authorization": f"Bearer {self._session.refresh_jwt}"},
                )
                self.refreshes += 1
                await self._set(BlueskySession.from_dict(body if isinstance(body, dict) else {}))
                return
            except (ProviderAuthError, ProviderBadResponse):
                pass  # refresh JWT expired or revoked (400 ExpiredToken/InvalidToken, 401): log in again
        await self._login(budget)

    async def _login(self, budget: RequestBudget) -> None:
        self.logins += 1
        try:
            body, _ = await request_json(
                self._client,
                "POST",
                f"{self._base_url}/xrpc/com.atproto.server.createSession",
                provider="bluesky",
                budget=budget,
                json_body={"identifier": self._identifier, "password": self._password},
            )
        except ProviderBadResponse as exc:
            if exc.status in (400, 401):
                raise ProviderAuthError(f"bluesky: login refused (HTTP {exc.status})", status=exc.status) from None
            raise
        await self._set(BlueskySession.from_dict(body if isinstance(body, dict) else {}))

    async def _set(self, session: BlueskySession | None) -> None:
        self._session = session
        await self._store.save(session)


def _is_expired_token(exc: ProviderError) -> bool:
    return (
        isinstance(exc, ProviderAuthError)
        and exc.status in (400, 401)
        and "expired" in (exc.detail or exc.reason).lower()
    )


class BlueskyAdapter:
    name = "bluesky"
    simulated = False

    def __init__(
        self,
        client: httpx.AsyncClient,
        sessions: BlueskySessionManager,
        base_url: str = DEFAULT_BASE_URL,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")

    def __repr__(self) -> str:
        return f"BlueskyAdapter(base_url={self._base_url!r})"

    async def _search(self, params: dict[str, str], budget: RequestBudget) -> Any:
        token = await self._sessions.access_token(budget)
        url = f"{self._base_url}/xrpc/app.bsky.feed.searchPosts"
        try:
            body, _ = await request_json(
                self._client, "GET", url, provider=self.name, budget=budget, params=params,
                headers={"Authorization": f"Bearer {token}"},
            )  # fmt: skip
        except ProviderAuthError as exc:
            if not _is_expired_token(exc):
                raise
            token = await self._sessions.invalidate(token, budget)
            body, _ = await request_json(
                self._client, "GET", url, provider=self.name, budget=budget, params=params,
                headers={"Authorization": f"Bearer {token}"},
            )  # fmt: skip
        return body

    def translate(self, query: Query | str) -> SourceQuery:
        return bluesky_query(as_query(query))

    async def fetch(
        self,
        query: Query | str,
        window: TimeWindow,
        limit: int,
        *,
        cursor: Cursor | None = None,
        budget: RequestBudget | None = None,
    ) -> FetchResult:
        """One search per entry of ``translate(query)``, merged (``base.merge_results``)."""
        budget = budget or RequestBudget.of(60)
        sent = self.translate(query)
        return await fetch_each(sent, lambda text: self._fetch_text(text, window, limit, cursor, budget), limit)

    async def _fetch_text(
        self,
        query: str,
        window: TimeWindow,
        limit: int,
        cursor: Cursor | None,
        budget: RequestBudget | None,
    ) -> FetchResult:
        """Posts newest first (``sort=latest``). ``cursor={"since": iso}`` fetches only posts from that moment on."""
        budget = budget or RequestBudget.of(60)
        since = window.start
        stored = parse_datetime((cursor or {}).get("since"))
        if stored is not None and stored > since:
            since = stored
        base = {"q": query, "sort": "latest", "since": isoformat_z(since), "until": isoformat_z(window.end)}
        result = FetchResult(posts=[], cursor=dict(cursor) if cursor else None)
        newest = stored

        async def fetch_page(page_cursor: str | None) -> Page:
            params = dict(base, limit=str(min(100, max(1, limit - len(result.posts)))))
            if page_cursor:
                params["cursor"] = page_cursor
            body = await self._search(params, budget)
            if not isinstance(body, dict) or not isinstance(body.get("posts", []), list):
                raise ProviderBadResponse("bluesky: response is not {posts: [...]}")
            views = body.get("posts") or []
            posts = [post for post in map(self._to_post, views) if post is not None]
            next_cursor = body.get("cursor")
            return Page(posts=posts, items=len(views), next_cursor=str(next_cursor) if next_cursor else None)

        def track_newest(post: Post) -> None:
            nonlocal newest
            newest = post.created_at if newest is None else max(newest, post.created_at)

        await collect_pages(result, window, limit, MAX_PAGES, fetch_page, track_newest)
        result.requests = budget.requests
        # searchPosts answers depend on the viewer (blocks, mutes, labels): say whose view this is.
        result.account = getattr(self._sessions, "_identifier", None) or None
        if newest is not None:
            result.cursor = {"since": newest.isoformat().replace("+00:00", "Z")}
        return result

    def _to_post(self, view: Any) -> Post | None:
        if not isinstance(view, dict):
            return None
        record = view.get("record") if isinstance(view.get("record"), dict) else {}
        uri = str(view.get("uri") or "")
        text = record.get("text") or ""
        created_at = parse_datetime(record.get("createdAt")) or parse_datetime(view.get("indexedAt"))
        if not uri or not text or created_at is None:
            return None
        author = view.get("author") if isinstance(view.get("author"), dict) else {}
        handle = str(author.get("handle") or author.get("did") or "")
        rkey = uri.rsplit("/", 1)[-1]
        langs = record.get("langs") if isinstance(record.get("langs"), list) else []
        hashtags = []
        for facet in record.get("facets") or []:
            for feature in (facet.get("features") or []) if isinstance(facet, dict) else []:
                if isinstance(feature, dict) and str(feature.get("$type", "")).endswith("#tag") and feature.get("tag"):
                    hashtags.append(str(feature["tag"]).lower())
        for tag in record.get("tags") or []:
            if isinstance(tag, str) and tag.lower() not in hashtags:
                hashtags.append(tag.lower())
        return Post(
            id=f"{self.name}:{uri}",
            text=str(text),
            created_at=created_at,
            provider=self.name,
            author=handle,
            url=f"https://bsky.app/profile/{handle}/post/{rkey}" if handle else None,
            likes=as_int(view.get("likeCount")),
            reposts=as_int(view.get("repostCount")),
            replies=as_int(view.get("replyCount")),
            language=str(langs[0]) if langs else None,
            hashtags=hashtags,
        )

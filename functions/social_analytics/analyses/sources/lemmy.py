"""Lemmy instances' search (``GET {instance}/api/v3/search``): posts and comments, newest first, several instances.

No credentials, free (search is rate limited per IP per instance: 60 per 600 s by default). Each instance is asked
``type_=All&sort=New&listing_type=All&limit=50`` and paged with ``page`` until its oldest item is older than the
window (or the limit, or an empty page). The same post federates to many instances: items are deduplicated by
``ap_id`` (their ActivityPub id, the same everywhere), keeping the copy with the highest score. An instance that
fails is skipped with its reason in the notes; only when every instance fails does the adapter raise.

``published`` is ISO 8601; older Lemmy versions omit the zone (UTC). A post's text is its title (``name``) and
``body``; a comment's is its ``content`` (Markdown, analysed as is). ``counts.score`` counts as likes and
``counts.comments`` as replies. Cursor: ``{"since": "<newest published seen, ISO>"}`` (one for all instances: the
time is global where ids are not).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from social_analytics.analyses.sources._http import RequestBudget, as_int, parse_datetime, request_json
from social_analytics.analyses.sources.base import (
    Cursor,
    FetchResult,
    ProviderBadResponse,
    ProviderError,
    ProviderUnavailable,
    SourceQuery,
    fetch_each,
)
from social_analytics.analyses.sources.translate import as_query, lemmy_query
from social_analytics.models import Post, TimeWindow, isoformat_z
from social_analytics.query import Query

DEFAULT_INSTANCES = ("https://lemmy.world", "https://lemmy.ml", "https://programming.dev")
SEARCH_PATH = "/api/v3/search"
PAGE_SIZE = 50
MAX_PAGES = 10


def _host(instance: str) -> str:
    return urlsplit(instance).netloc or instance


class LemmyAdapter:
    name = "lemmy"
    simulated = False

    def __init__(self, client: httpx.AsyncClient, instances: list[str] | tuple[str, ...] = DEFAULT_INSTANCES) -> None:
        self._client = client
        self._instances = [i.strip().rstrip("/") for i in instances if i and i.strip()]

    def __repr__(self) -> str:
        return f"LemmyAdapter(instances={self._instances!r})"

    def translate(self, query: Query | str) -> SourceQuery:
        return lemmy_query(as_query(query))

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
        budget = budget or RequestBudget.of(60)
        if not self._instances:
            raise ProviderBadResponse("lemmy: LEMMY_INSTANCES is empty")
        since = parse_datetime((cursor or {}).get("since"))
        lower = max(window.start, since) if since is not None else window.start
        calls = [self._fetch_instance(i, query, window, lower, limit, budget) for i in self._instances]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        result = FetchResult(posts=[], cursor=dict(cursor) if cursor else None, complete=True)
        by_ap_id: dict[str, Post] = {}
        errors: list[ProviderError] = []
        for instance, outcome in zip(self._instances, outcomes, strict=True):
            if isinstance(outcome, ProviderError):
                errors.append(outcome)
                result.notes.append(f"{_host(instance)} skipped: {outcome.reason}")
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            posts, items, complete, note = outcome
            result.billable_items += items
            result.complete = result.complete and complete
            if note:
                result.notes.append(f"{_host(instance)}: {note}")
            for post in posts:
                kept = by_ap_id.get(post.id)
                if kept is None or post.likes > kept.likes:
                    by_ap_id[post.id] = post
        if errors and len(errors) == len(self._instances):
            kind = ProviderUnavailable if any(e.retryable for e in errors) else type(errors[0])
            raise kind("lemmy: every instance failed: " + "; ".join(result.notes), status=errors[0].status)
        if errors:
            result.complete = False
        posts = sorted(by_ap_id.values(), key=lambda p: p.created_at, reverse=True)
        if len(posts) > limit:
            result.complete = False
        result.posts = posts[:limit]
        result.requests = budget.requests
        newest = max((p.created_at for p in posts), default=since)
        if newest is not None:
            result.cursor = {"since": isoformat_z(newest)}
        return result

    async def _fetch_instance(
        self, instance: str, query: str, window: TimeWindow, lower: datetime, limit: int, budget: RequestBudget
    ) -> tuple[list[Post], int, bool, str]:
        url = instance + SEARCH_PATH
        posts: list[Post] = []
        items = 0
        for page in range(1, MAX_PAGES + 1):
            params = {"q": query, "type_": "All", "sort": "New", "listing_type": "All", "limit": str(PAGE_SIZE)}
            params["page"] = str(page)
            try:
                body, _ = await request_json(
                    self._client, "GET", url, provider=f"lemmy {_host(instance)}", budget=budget, params=params
                )
                if not isinstance(body, dict) or not isinstance(body.get("posts", []), list):
                    raise ProviderBadResponse(f"lemmy {_host(instance)}: response is not {{posts, comments}}")
                if not isinstance(body.get("comments", []), list):
                    raise ProviderBadResponse(f"lemmy {_host(instance)}: comments is not an array")
            except ProviderError as exc:
                if page == 1:
                    raise
                return posts, items, False, f"stopped after {page - 1} pages: {exc.reason}"
            views = [*(body.get("posts") or []), *(body.get("comments") or [])]
            if not views:
                return posts, items, True, ""
            last_page = len(body.get("posts") or []) < PAGE_SIZE and len(body.get("comments") or []) < PAGE_SIZE
            items += len(views)
            oldest = None
            for view in views:
                post = self._to_post(view)
                if post is None:
                    continue
                oldest = post.created_at if oldest is None else min(oldest, post.created_at)
                if lower <= post.created_at < window.end and (post.created_at > lower or lower == window.start):
                    posts.append(post)
            if len(posts) >= limit:
                return posts, items, False, ""
            if last_page or (oldest is not None and oldest < lower):
                return posts, items, True, ""
        return posts, items, False, f"stopped at the {MAX_PAGES}-page cap"

    def _to_post(self, view: Any) -> Post | None:
        if not isinstance(view, dict):
            return None
        creator = view.get("creator") if isinstance(view.get("creator"), dict) else {}
        counts = view.get("counts") if isinstance(view.get("counts"), dict) else {}
        if isinstance(view.get("comment"), dict):
            item = view["comment"]
            text = str(item.get("content") or "").strip()
        elif isinstance(view.get("post"), dict):
            item = view["post"]
            title, body = str(item.get("name") or "").strip(), str(item.get("body") or "").strip()
            text = f"{title}\n{body}" if title and body else title or body
        else:
            return None
        ap_id = str(item.get("ap_id") or "")
        created_at = parse_datetime(item.get("published"))
        if not ap_id or not text or created_at is None:
            return None
        return Post(
            id=f"{self.name}:{ap_id}",
            text=text,
            created_at=created_at,
            provider=self.name,
            author=str(creator.get("name") or ""),
            url=ap_id,
            likes=as_int(counts.get("score")),
            replies=as_int(counts.get("comments")),
        )

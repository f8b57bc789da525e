"""Hacker News through Algolia's ``search_by_date`` (``GET {base}/api/v1/search_by_date``): stories and comments.

No credentials, free. ``tags=(story,comment)`` asks for both kinds; ``numericFilters=created_at_i>=T1,created_at_i<T2``
bounds the window (and, for incremental scans, starts after the newest ``created_at_i`` stored). Results come newest
first and are paged with ``page`` (``hitsPerPage`` up to 1000; Algolia stops at about 1,000 hits per query).

``nbHits`` is Algolia's count of every hit matching the query and the filters: the number of posts in the window, a
*reported* total even when we fetch fewer (``FetchResult.reported_total``; not set on incremental scans, where it
counts only the new ones). Story text is the title plus ``story_text``; comment text is ``comment_text``; both are
HTML and stripped. ``points`` count as likes, ``num_comments`` as replies. The permalink is the item's page on
news.ycombinator.com (a story's ``url`` is the page it links to, not the post).

Cursor: ``{"created_at_i": "<newest unix seconds seen>"}``.
"""

from __future__ import annotations

from typing import Any

import httpx

from social_analytics.analyses.sources._http import (
    Page,
    RequestBudget,
    as_int,
    collect_pages,
    parse_datetime,
    request_json,
)
from social_analytics.analyses.sources.base import Cursor, FetchResult, ProviderBadResponse, SourceQuery, fetch_each
from social_analytics.analyses.sources.mastodon import html_to_text
from social_analytics.analyses.sources.translate import as_query, hackernews_query
from social_analytics.models import Post, TimeWindow
from social_analytics.query import Query

DEFAULT_BASE_URL = "https://hn.algolia.com"
SEARCH_PATH = "/api/v1/search_by_date"
MAX_HITS_PER_PAGE = 1000
MAX_PAGES = 20
PERMALINK = "https://news.ycombinator.com/item?id={}"


class HackerNewsAdapter:
    name = "hackernews"
    simulated = False

    def __init__(self, client: httpx.AsyncClient, base_url: str = DEFAULT_BASE_URL) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + SEARCH_PATH

    def __repr__(self) -> str:
        return f"HackerNewsAdapter(url={self._url!r})"

    def translate(self, query: Query | str) -> SourceQuery:
        return hackernews_query(as_query(query))

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
        start = int(window.start.timestamp())
        stored = as_int((cursor or {}).get("created_at_i")) or None
        incremental = stored is not None and stored >= start
        lower = f"created_at_i>{stored}" if incremental else f"created_at_i>={start}"
        base = {
            "query": query,
            "tags": "(story,comment)",
            "numericFilters": f"{lower},created_at_i<{int(window.end.timestamp())}",
            "hitsPerPage": str(min(MAX_HITS_PER_PAGE, max(1, limit))),
        }
        result = FetchResult(posts=[], cursor=dict(cursor) if cursor else None)
        newest = stored or 0
        totals: list[int] = []

        async def fetch_page(page_cursor: str | None) -> Page:
            page = int(page_cursor or 0)
            body, _ = await request_json(
                self._client, "GET", self._url, provider=self.name, budget=budget, params={**base, "page": str(page)}
            )
            if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
                raise ProviderBadResponse("hackernews: response is not {hits: [...]}")
            if not totals and isinstance(body.get("nbHits"), int):
                totals.append(body["nbHits"])
            hits = body["hits"]
            posts = [post for post in map(self._to_post, hits) if post is not None]
            more = page + 1 < as_int(body.get("nbPages"))
            return Page(posts=posts, items=len(hits), next_cursor=str(page + 1) if more else None)

        def track_newest(post: Post) -> None:
            nonlocal newest
            newest = max(newest, int(post.created_at.timestamp()))

        await collect_pages(result, window, limit, MAX_PAGES, fetch_page, track_newest)
        result.requests = budget.requests
        if newest:
            result.cursor = {"created_at_i": str(newest)}
        if totals and not incremental:
            result.reported_total = totals[0]
            result.reported_note = "Algolia nbHits: stories and comments matching in the window"
        return result

    def _to_post(self, hit: Any) -> Post | None:
        if not isinstance(hit, dict):
            return None
        object_id = str(hit.get("objectID") or "")
        created_at = parse_datetime(hit.get("created_at_i")) or parse_datetime(hit.get("created_at"))
        if hit.get("comment_text"):
            text = html_to_text(str(hit["comment_text"]))
        else:
            title = str(hit.get("title") or "").strip()
            body = html_to_text(str(hit.get("story_text") or ""))
            text = f"{title}\n{body}" if title and body else title or body
        if not object_id or not text or created_at is None:
            return None
        return Post(
            id=f"{self.name}:{object_id}",
            text=text,
            created_at=created_at,
            provider=self.name,
            author=str(hit.get("author") or ""),
            url=PERMALINK.format(object_id),
            likes=as_int(hit.get("points")),
            replies=as_int(hit.get("num_comments")),
        )

"""SocialData.tools Twitter search (``GET /twitter/search``), about 20 tweets a page, ``next_cursor`` paging.

Billing is per tweet returned ($0.0002), so the window goes into the query as ``since_time:``/``until_time:``
operators and an incremental scan adds ``since_id:`` (the cursor ``{"since_id": "<newest tweet id>"}``).

Faithful posts (docs/decisions.md): a retweet (``retweeted_status`` present) stays a post of its own, made when it
was retweeted, with the original's full text and ``kind="repost"`` but *its own* engagement, which is none: the
counts X puts on a retweet are the original's, and copying them would credit every retweet with the original's
popularity. X escapes ``&``, ``<`` and ``>`` in tweet text as HTML entities: they are unescaped exactly once.
"""

from __future__ import annotations

from html import unescape
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
from social_analytics.analyses.sources.base import Cursor, FetchResult, ProviderBadResponse, SourceQuery
from social_analytics.analyses.sources.catalog import PAGE_OVERSHOOT, max_billable_items
from social_analytics.analyses.sources.translate import as_query, operator_query
from social_analytics.models import Post, TimeWindow
from social_analytics.query import Query

DEFAULT_BASE_URL = "https://api.socialdata.tools"
MAX_PAGES = 200


def newer_id(a: str | None, b: str | None) -> str | None:
    """The larger of two numeric tweet ids (snowflakes grow with time); None-safe."""
    candidates = [x for x in (a, b) if x and str(x).isdigit()]
    return max(candidates, key=int) if candidates else None


class SocialDataAdapter:
    name = "socialdata"
    simulated = False

    def __init__(self, client: httpx.AsyncClient, api_key: str, base_url: str = DEFAULT_BASE_URL) -> None:
        self._client = client
        self._api_key = api_key
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")

    def __repr__(self) -> str:
        return f"SocialDataAdapter(base_url={self._base_url!r}, api_key='***')"

    def translate(self, query: Query | str) -> SourceQuery:
        """The whole boolean in X's operators, every user term quoted (``translate.operator_query``)."""
        return operator_query(as_query(query), "socialdata", max_chars=None)

    async def fetch(
        self,
        query: Query | str,
        window: TimeWindow,
        limit: int,
        *,
        cursor: Cursor | None = None,
        budget: RequestBudget | None = None,
    ) -> FetchResult:
        """Tweets newest first. ``cursor={"since_id": ...}`` fetches only tweets newer than that id."""
        budget = budget or RequestBudget.of(60)
        sent = self.translate(query)
        since_id = (cursor or {}).get("since_id")
        search = (
            f"{sent.requests[0]} since_time:{int(window.start.timestamp())} until_time:{int(window.end.timestamp())}"
        )
        if since_id:
            search += f" since_id:{since_id}"
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        result = FetchResult(posts=[], cursor=dict(cursor) if cursor else None)
        newest = since_id

        async def fetch_page(page_cursor: str | None) -> Page:
            params = {"query": search, "type": "Latest"}
            if page_cursor:
                params["cursor"] = page_cursor
            body, _ = await request_json(
                self._client,
                "GET",
                f"{self._base_url}/twitter/search",
                provider=self.name,
                budget=budget,
                params=params,
                headers=headers,
            )
            if not isinstance(body, dict) or not isinstance(body.get("tweets", []), list):
                raise ProviderBadResponse("socialdata: response is not {tweets: [...]} ")
            tweets = body.get("tweets") or []
            posts = [post for post in map(self._to_post, tweets) if post is not None]
            return Page(posts=posts, items=len(tweets), next_cursor=body.get("next_cursor"))

        def track_newest(post: Post) -> None:
            nonlocal newest
            newest = newer_id(newest, post.id.split(":", 1)[1])

        await collect_pages(
            result,
            window,
            limit,
            MAX_PAGES,
            fetch_page,
            track_newest,
            max_billable=max_billable_items(self.name, limit),
            page_cost=PAGE_OVERSHOOT[self.name],
        )
        result.requests = budget.requests
        if newest:
            result.cursor = {"since_id": newest}
        result.sent_query = search
        if sent.note:
            result.notes.append(sent.note)
        return result

    def _to_post(self, tweet: Any) -> Post | None:
        if not isinstance(tweet, dict):
            return None
        native_id = str(tweet.get("id_str") or tweet.get("id") or "")
        original = tweet.get("retweeted_status") if isinstance(tweet.get("retweeted_status"), dict) else None
        source = original or tweet
        text = unescape(str(source.get("full_text") or source.get("text") or tweet.get("full_text") or ""))
        created_at = parse_datetime(tweet.get("tweet_created_at"))
        if not native_id or not text or created_at is None:
            return None
        user = tweet.get("user") if isinstance(tweet.get("user"), dict) else {}
        screen_name = str(user.get("screen_name") or "")
        entities = source.get("entities") if isinstance(source.get("entities"), dict) else {}
        hashtags = [
            str(tag.get("text")).lower()
            for tag in entities.get("hashtags") or []
            if isinstance(tag, dict) and tag.get("text")
        ]
        own = original is None  # a retweet has no engagement of its own (its counts are the original's)
        return Post(
            id=f"{self.name}:{native_id}",
            text=text,
            created_at=created_at,
            provider=self.name,
            author=screen_name,
            url=f"https://x.com/{screen_name or 'i/web'}/status/{native_id}",
            likes=as_int(tweet.get("favorite_count")) if own else 0,
            reposts=as_int(tweet.get("retweet_count")) if own else 0,
            replies=as_int(tweet.get("reply_count")) if own else 0,
            language=source.get("lang") or tweet.get("lang") or None,
            hashtags=hashtags,
            kind="post" if own else "repost",
        )

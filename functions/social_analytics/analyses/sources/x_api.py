"""X API v2 recent search (``GET /2/tweets/search/recent``): ``max_results`` 10..100, ``next_token`` paging,
``expansions=author_id`` joined to ``includes.users`` for usernames. $0.005 per post returned, so ``max_results``
is sized to what is still needed. Incremental cursor: ``{"since_id": "<newest id>"}`` (``meta.newest_id``).

Faithful posts, as for SocialData: a retweet (``referenced_tweets`` with ``type == "retweeted"``) is a post of its own
with ``kind="repost"``, the original's full text when ``includes.tweets`` has it, and no engagement of its own (the
``public_metrics`` X reports on a retweet are the original's). Text entities (``&amp;``) are unescaped exactly once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
from social_analytics.analyses.sources.socialdata import newer_id
from social_analytics.analyses.sources.translate import X_MAX_QUERY_CHARS, as_query, operator_query
from social_analytics.models import Post, TimeWindow, isoformat_z
from social_analytics.query import Query

DEFAULT_BASE_URL = "https://api.x.com"
TWEET_FIELDS = "created_at,public_metrics,lang,entities,author_id,referenced_tweets"
MAX_PAGES = 100
# Recent search covers the last 7 days; start_time must be inside it, end_time at least 10 s in the past.
_SEARCH_SPAN = timedelta(days=7) - timedelta(minutes=1)
_END_MARGIN = timedelta(seconds=30)


class XApiAdapter:
    name = "x"
    simulated = False

    def __init__(
        self,
        client: httpx.AsyncClient,
        bearer_token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        now: Any = None,
    ) -> None:
        self._client = client
        self._token = bearer_token
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._now = now or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"XApiAdapter(base_url={self._base_url!r}, bearer_token='***')"

    def _time_params(self, window: TimeWindow, since_id: str | None) -> dict[str, str]:
        now = self._now()
        params: dict[str, str] = {}
        if not since_id:  # since_id already bounds the search from below
            params["start_time"] = isoformat_z(max(window.start, now - _SEARCH_SPAN))
        if window.end < now - _END_MARGIN:
            params["end_time"] = isoformat_z(window.end)
        return params

    def translate(self, query: Query | str) -> SourceQuery:
        """The whole boolean in X's operators, every user term quoted (``translate.operator_query``)."""
        return operator_query(as_query(query), "x", max_chars=X_MAX_QUERY_CHARS)

    async def fetch(
        self,
        query: Query | str,
        window: TimeWindow,
        limit: int,
        *,
        cursor: Cursor | None = None,
        budget: RequestBudget | None = None,
    ) -> FetchResult:
        """Posts newest first. ``cursor={"since_id": ...}`` fetches only posts newer than that id."""
        budget = budget or RequestBudget.of(60)
        sent = self.translate(query)
        since_id = (cursor or {}).get("since_id")
        headers = {"Authorization": f"Bearer {self._token}"}
        base_params = {
            "query": sent.requests[0],
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id,referenced_tweets.id",
            "user.fields": "username",
            "sort_order": "recency",
            **self._time_params(window, since_id),
        }
        if since_id:
            base_params["since_id"] = since_id
        result = FetchResult(posts=[], cursor=dict(cursor) if cursor else None)
        newest = since_id
        ceiling = max_billable_items(self.name, limit)

        async def fetch_page(next_token: str | None) -> Page:
            nonlocal newest
            # Never more than the billing ceiling leaves room for (collect_pages keeps that room >= 10).
            room = ceiling - result.billable_items
            params = dict(base_params, max_results=str(min(100, room, max(10, limit - len(result.posts)))))
            if next_token:
                params["next_token"] = next_token
            body, _ = await request_json(
                self._client,
                "GET",
                f"{self._base_url}/2/tweets/search/recent",
                provider=self.name,
                budget=budget,
                params=params,
                headers=headers,
            )
            if not isinstance(body, dict) or not isinstance(body.get("data", []), list):
                raise ProviderBadResponse("x: response is not {data: [...], meta: {...}}")
            if "data" not in body and "meta" not in body:
                raise ProviderBadResponse(f"x: response without data or meta ({_first_error(body)})")
            data = body.get("data") or []
            meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
            includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
            users = {
                str(u.get("id")): str(u.get("username") or "")
                for u in includes.get("users") or []
                if isinstance(u, dict)
            }
            originals = {
                str(t.get("id")): t for t in includes.get("tweets") or [] if isinstance(t, dict) and t.get("id")
            }
            newest = newer_id(newest, meta.get("newest_id"))
            posts = [post for post in (self._to_post(tweet, users, originals) for tweet in data) if post is not None]
            return Page(posts=posts, items=len(data), next_cursor=meta.get("next_token"))

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
            max_billable=ceiling,
            page_cost=PAGE_OVERSHOOT[self.name],
        )
        result.requests = budget.requests
        if newest:
            result.cursor = {"since_id": newest}
        result.sent_query = sent.requests[0]
        if sent.note:
            result.notes.append(sent.note)
        return result

    def _to_post(self, tweet: Any, users: dict[str, str], originals: dict[str, dict] | None = None) -> Post | None:
        if not isinstance(tweet, dict):
            return None
        native_id = str(tweet.get("id") or "")
        retweeted = next(
            (
                str(ref.get("id"))
                for ref in tweet.get("referenced_tweets") or []
                if isinstance(ref, dict) and ref.get("type") == "retweeted"
            ),
            None,
        )
        original = (originals or {}).get(retweeted or "") if retweeted else None
        text = unescape(str((original or {}).get("text") or tweet.get("text") or ""))
        created_at = parse_datetime(tweet.get("created_at"))
        if not native_id or not text or created_at is None:
            return None
        username = users.get(str(tweet.get("author_id")), "")
        metrics = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}
        entities = tweet.get("entities") if isinstance(tweet.get("entities"), dict) else {}
        hashtags = [
            str(tag.get("tag")).lower()
            for tag in entities.get("hashtags") or []
            if isinstance(tag, dict) and tag.get("tag")
        ]
        own = retweeted is None  # a retweet's public_metrics are its original's
        return Post(
            id=f"{self.name}:{native_id}",
            text=text,
            created_at=created_at,
            provider=self.name,
            author=username,
            url=f"https://x.com/{username or 'i/web'}/status/{native_id}",
            likes=as_int(metrics.get("like_count")) if own else 0,
            reposts=as_int(metrics.get("retweet_count")) if own else 0,
            replies=as_int(metrics.get("reply_count")) if own else 0,
            language=tweet.get("lang") or None,
            hashtags=hashtags,
            kind="post" if own else "repost",
        )


def _first_error(body: dict) -> str:
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("detail") or errors[0].get("message") or "")[:160]
    return "empty body"

"""Mastodon hashtag timelines (``GET {instance}/api/v1/timelines/tag/{hashtag}``) across several instances.

No credentials. The keyword becomes a hashtag (word characters only: ``"#AWS Lambda"`` -> ``awslambda``). Each
instance is paged with ``max_id`` (``limit`` 40) until the window start or the limit; instances are queried
concurrently and merged, deduplicated by the global ``uri``. An instance that requires login (401) or fails is
skipped with its reason in ``FetchResult.notes``; only when every instance fails does the adapter raise.
``content`` is HTML and is stripped to text.

Incremental cursor: ``{"since_id:<instance>": "<newest status id there>"}`` (ids are per instance); ``since_id``
keeps the newest-first order so paging down with ``max_id`` stops at the stored position.
"""

from __future__ import annotations

import asyncio
import re
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from social_analytics.analyses.sources._http import RequestBudget, as_int, parse_datetime, request_json
from social_analytics.analyses.sources.base import (
    Cursor,
    FetchResult,
    ProviderBadResponse,
    ProviderError,
    ProviderUnavailable,
    ProviderUnsupportedQuery,
    SourceQuery,
)
from social_analytics.analyses.sources.translate import as_query, hackernews_query, mastodon_tags
from social_analytics.models import Post, TimeWindow
from social_analytics.query import Query

DEFAULT_INSTANCES = ("https://mastodon.social", "https://hachyderm.io", "https://fosstodon.org")
PAGE_SIZE = 40
MAX_PAGES = 50
MAX_SEARCH_PAGES = 5
_NON_WORD = re.compile(r"[\W]+", re.UNICODE)


def hashtag_for(query: str) -> str:
    """The hashtag a keyword maps to: word characters only, casefolded (``""`` when nothing is left)."""
    return _NON_WORD.sub("", query.replace("#", "")).casefold()


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")
        # Mastodon hides the scheme/ellipsis parts of links in <span class="invisible">: keep them, URLs stay whole.

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        elif tag in ("p", "div", "li", "blockquote"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of a Mastodon ``content`` fragment: tags dropped, entities decoded, blank lines collapsed."""
    if "<" not in html and "&" not in html:
        return html.strip()
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # malformed markup: fall back to a crude strip
        text = unescape(re.sub(r"<[^>]+>", " ", html))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _host(instance: str) -> str:
    parts = urlsplit(instance)
    return (parts.netloc + parts.path.rstrip("/")) or instance


class MastodonAdapter:
    name = "mastodon"
    simulated = False

    def __init__(
        self,
        client: httpx.AsyncClient,
        instances: list[str] | tuple[str, ...] = DEFAULT_INSTANCES,
        access_token: str | None = None,
        trends: bool = False,
    ) -> None:
        self._client = client
        self._instances = [i.strip().rstrip("/") for i in instances if i and i.strip()]
        self._token = access_token or None  # a user token with read:search, for the first instance's status search
        self._trends = trends

    def __repr__(self) -> str:
        return f"MastodonAdapter(instances={self._instances!r})"

    def translate(self, query: Query | str) -> SourceQuery:
        """One tag timeline per hashtag-able term (``translate.mastodon_tags``): OR branches are separate tags."""
        return mastodon_tags(as_query(query))

    async def fetch(
        self,
        query: Query | str,
        window: TimeWindow,
        limit: int,
        *,
        cursor: Cursor | None = None,
        budget: RequestBudget | None = None,
    ) -> FetchResult:
        """Posts from all instances and tags, newest first, deduplicated by ``uri``; see the module docstring for
        cursors (one per instance, and per tag when the query has several)."""
        budget = budget or RequestBudget.of(60)
        parsed = as_query(query)
        sent = self.translate(parsed)
        tags = list(sent.requests)
        if not self._instances:
            raise ProviderUnsupportedQuery("mastodon: MASTODON_INSTANCES is empty")
        cursor = dict(cursor or {})

        def key(instance: str, tag: str) -> str:
            return f"since_id:{_host(instance)}" if len(tags) == 1 else f"since_id:{_host(instance)}#{tag}"

        targets = [(instance, tag) for tag in tags for instance in self._instances]
        calls = [self._fetch_instance(i, tag, window, limit, cursor.get(key(i, tag)), budget) for i, tag in targets]
        words = hackernews_query(parsed).requests[0]
        extras = asyncio.gather(
            self._search_statuses(words, window, limit, budget) if self._token and not cursor else _nothing(),
            self._trending_uses(tags[0], window, budget)
            if self._trends and not cursor and len(tags) == 1
            else _nothing(),
            return_exceptions=True,
        )
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        searched, trending = await extras
        result = FetchResult(posts=[], cursor=cursor, complete=True)
        by_uri: dict[str, Post] = {}
        errors: list[ProviderError] = []
        for (instance, tag), outcome in zip(targets, outcomes, strict=True):
            where = _host(instance) if len(tags) == 1 else f"{_host(instance)} #{tag}"
            if isinstance(outcome, ProviderError):
                errors.append(outcome)
                result.notes.append(f"{where} skipped: {outcome.reason}")
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            posts, newest, billable, note = outcome
            result.billable_items += billable
            if note:
                result.notes.append(f"{where}: {note}")
                result.complete = False
            if len(posts) >= limit:
                result.complete = False
            if newest:
                cursor[key(instance, tag)] = newest
            for post in posts:
                kept = by_uri.get(post.id)
                if kept is None or (post.likes + post.reposts) > (kept.likes + kept.reposts):
                    by_uri[post.id] = post  # the instance that knows more of the interactions wins
        if errors:
            result.complete = False
        if isinstance(searched, list):
            for post in searched:  # full-text hits: posts without the hashtag too
                by_uri.setdefault(post.id, post)
            result.notes.append(f"status search: {len(searched)} posts")
            if len(searched) >= limit:
                result.complete = False
        elif isinstance(searched, ProviderError):
            result.notes.append(f"status search skipped: {searched.reason}")
        if isinstance(trending, tuple):
            result.reported_total, result.reported_note = trending
        if len(errors) == len(targets):
            first = errors[0]
            if all(type(e) is type(first) for e in errors):
                kind: type[ProviderError] = type(first)
            elif any(e.retryable for e in errors):
                kind = ProviderUnavailable
            else:
                kind = ProviderBadResponse
            raise kind("mastodon: every instance failed: " + "; ".join(result.notes), status=first.status)
        result.requests = budget.requests
        merged = sorted(by_uri.values(), key=lambda p: p.created_at, reverse=True)
        if len(merged) > limit:
            result.complete = False
        result.posts = merged[:limit]
        result.cursor = cursor or None
        result.sent_query = " | ".join(f"#{tag}" for tag in tags)
        if sent.note:
            result.notes.append(sent.note)
        return result

    async def _search_statuses(
        self, query: str, window: TimeWindow, limit: int, budget: RequestBudget
    ) -> list[Post] | ProviderError:
        """Full-text ``/api/v2/search?type=statuses`` on the first instance with the user token (indexable posts
        only), paged with ``offset`` until the window's start or the limit. A failure is returned, not raised."""
        instance = self._instances[0]
        url = f"{instance}/api/v2/search"
        found: list[Post] = []
        for page in range(MAX_SEARCH_PAGES):
            params = {"q": query, "type": "statuses", "limit": str(PAGE_SIZE), "offset": str(page * PAGE_SIZE)}
            try:
                body, _ = await request_json(
                    self._client, "GET", url, provider=f"mastodon search {_host(instance)}", budget=budget,
                    params=params, headers={"Authorization": f"Bearer {self._token}"},
                )  # fmt: skip
                if not isinstance(body, dict) or not isinstance(body.get("statuses"), list):
                    raise ProviderBadResponse(f"mastodon search {_host(instance)}: response has no statuses array")
            except ProviderError as exc:
                return found if found else exc
            statuses = body["statuses"]
            oldest = None
            for status in statuses:
                post = self._to_post(status) if isinstance(status, dict) else None
                if post is None:
                    continue
                oldest = post.created_at if oldest is None else min(oldest, post.created_at)
                if window.start <= post.created_at < window.end:
                    found.append(post)
            if len(statuses) < PAGE_SIZE or len(found) >= limit or (oldest is not None and oldest < window.start):
                break
        return found[:limit]

    async def _trending_uses(self, tag: str, window: TimeWindow, budget: RequestBudget) -> tuple[int, str] | None:
        """Where the hashtag trends, its per-day ``uses`` (``/api/v1/trends/tags``) prorated over the window: the
        largest instance figure (each instance counts the posts it knows, and they overlap). None elsewhere."""
        best: tuple[int, str] | None = None
        calls = [
            request_json(
                self._client,
                "GET",
                f"{instance}/api/v1/trends/tags",
                provider=f"mastodon {_host(instance)}",
                budget=budget,
                params={"limit": "20"},
            )
            for instance in self._instances
        ]
        answers = await asyncio.gather(*calls, return_exceptions=True)
        for instance, answer in zip(self._instances, answers, strict=True):
            if isinstance(answer, ProviderError):
                continue
            if isinstance(answer, BaseException):
                raise answer
            body = answer[0]
            for entry in body if isinstance(body, list) else []:
                if not isinstance(entry, dict) or str(entry.get("name") or "").casefold() != tag:
                    continue
                uses = uses_in_window(entry.get("history"), window)
                if uses is not None and (best is None or uses > best[0]):
                    best = (uses, f"trending tag #{tag} on {_host(instance)}: per-day uses prorated to the window")
        return best

    async def _fetch_instance(
        self, instance: str, tag: str, window: TimeWindow, limit: int, since_id: str | None, budget: RequestBudget
    ) -> tuple[list[Post], str | None, int, str]:
        url = f"{instance}/api/v1/timelines/tag/{quote(tag, safe='')}"
        posts: list[Post] = []
        newest: str | None = since_id
        billable = 0
        max_id: str | None = None
        note = ""
        for page_number in range(MAX_PAGES):
            params = {"limit": str(PAGE_SIZE)}
            if max_id:
                params["max_id"] = max_id
            if since_id:
                params["since_id"] = since_id
            try:
                body, response = await request_json(
                    self._client, "GET", url, provider=f"mastodon {_host(instance)}", budget=budget, params=params,
                    ok_statuses=(404,),
                )  # fmt: skip
                if response.status_code == 404:  # unknown hashtag on this instance
                    break
                if not isinstance(body, list):
                    raise ProviderBadResponse(f"mastodon {_host(instance)}: response is not an array of statuses")
            except ProviderError as exc:
                if not posts and page_number == 0:
                    raise
                note = f"stopped after {page_number} pages: {exc.reason}"
                break
            if not body:
                break
            previous_max_id = max_id
            billable += len(body)
            oldest_on_page = None
            for status in body:
                if not isinstance(status, dict):
                    continue
                status_id = str(status.get("id") or "")
                if status_id and (newest is None or _id_newer(status_id, newest)):
                    newest = status_id
                if status_id:
                    max_id = status_id if max_id is None or _id_newer(max_id, status_id) else max_id
                post = self._to_post(status)
                if post is None:
                    continue
                oldest_on_page = post.created_at if oldest_on_page is None else min(oldest_on_page, post.created_at)
                if window.start <= post.created_at < window.end:
                    posts.append(post)
            if max_id == previous_max_id:
                break
            if len(posts) >= limit or (oldest_on_page is not None and oldest_on_page < window.start):
                break
        return posts, newest, billable, note

    def _to_post(self, status: dict[str, Any]) -> Post | None:
        inner = status.get("reblog") if isinstance(status.get("reblog"), dict) else status
        uri = str(inner.get("uri") or "")
        text = html_to_text(str(inner.get("content") or ""))
        spoiler = str(inner.get("spoiler_text") or "").strip()
        if spoiler:
            text = f"{spoiler}\n{text}" if text else spoiler
        created_at = parse_datetime(inner.get("created_at"))
        if not uri or not text or created_at is None:
            return None
        account = inner.get("account") if isinstance(inner.get("account"), dict) else {}
        return Post(
            id=f"{self.name}:{uri}",
            text=text,
            created_at=created_at,
            provider=self.name,
            author=str(account.get("acct") or account.get("username") or ""),
            url=str(inner.get("url") or uri),
            likes=as_int(inner.get("favourites_count")),
            reposts=as_int(inner.get("reblogs_count")),
            replies=as_int(inner.get("replies_count")),
            language=inner.get("language") or None,
            hashtags=[
                str(t.get("name")).lower() for t in inner.get("tags") or [] if isinstance(t, dict) and t.get("name")
            ],
        )


def _id_newer(a: str, b: str) -> bool:
    """Mastodon ids are numeric strings (snowflake-like) on Mastodon proper; compare as (length, text) otherwise."""
    if a.isdigit() and b.isdigit():
        return int(a) > int(b)
    return (len(a), a) > (len(b), b)


async def _nothing() -> None:
    return None


def uses_in_window(history: Any, window: TimeWindow) -> int | None:
    """Tag history ``[{day: unix s (string), uses}]`` -> uses inside the window, each day's uses spread evenly over
    the part of that UTC day that has passed (the current day is partial)."""
    if not isinstance(history, list):
        return None
    start, end = window.start.timestamp(), window.end.timestamp()
    total = 0.0
    seen = False
    for day in history:
        if not isinstance(day, dict):
            continue
        day_start = as_int(day.get("day"))
        if not day_start:
            continue
        day_end = min(day_start + 86400, end)
        if day_end <= day_start:
            continue
        seen = True
        overlap = max(0.0, min(day_end, end) - max(day_start, start))
        total += as_int(day.get("uses")) * overlap / (day_end - day_start)
    return round(total) if seen else None

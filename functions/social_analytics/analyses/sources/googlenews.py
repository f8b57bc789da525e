"""Google News search as RSS (``GET {base}/rss/search?q=<query> when:<N>d&hl=..&gl=..&ceid=..``): headlines, keyless.

The feed is RSS 2.0: ``<item>`` with ``<title>`` ("Headline - Publisher"), ``<link>`` (a news.google.com redirect),
``<guid>``, ``<pubDate>`` (RFC 822), ``<description>`` (HTML) and ``<source url="...">Publisher</source>``. It holds at
most 100 items, ranked by Google, not every article: a search sample of headlines. ``when:Nd`` asks for the last N
days (the window rounded up to whole days); items outside the window are dropped. ``hl``/``gl``/``ceid`` choose the
edition (language and country); the edition's language is the headlines' language.

The feed is untrusted XML: it is parsed with ``defusedxml`` (no DTDs, no entity expansion), never a bare stdlib XML
parser. XML parsing decodes entities once; the title is not HTML-unescaped again.
"""

from __future__ import annotations

import math
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from social_analytics.analyses.sources._http import RequestBudget, parse_datetime, request_content
from social_analytics.analyses.sources.base import (
    Cursor,
    FetchResult,
    ProviderBadResponse,
    SourceCannotRun,
    SourceQuery,
)
from social_analytics.analyses.sources.news_terms import news_terms
from social_analytics.analyses.sources.translate import as_query
from social_analytics.models import Post, TimeWindow
from social_analytics.query import Query

if TYPE_CHECKING:  # pragma: no cover
    from xml.etree.ElementTree import Element  # the type only: parsing goes through defusedxml

DEFAULT_BASE_URL = "https://news.google.com"
SEARCH_PATH = "/rss/search"
FEED_CAP = 100  # Google News answers at most this many items per feed
DEFAULT_HL, DEFAULT_GL, DEFAULT_CEID = "en-US", "US", "US:en"


# ------------------------------------------------------------------ the query translator (pure)
def _quote(text: str) -> str:
    return '"' + text.replace('"', " ").strip() + '"'


def news_word(word: str) -> str:
    """A user word as Google News reads it: bare when it is plain (letters, digits, inner ``-`` or ``'``), else
    quoted, so a typed ``when:``, ``site:`` or ``-x`` stays a word."""
    plain = word and word[0].isalnum() and all(ch.isalnum() or ch in "-'" for ch in word) and ":" not in word
    return word if plain else _quote(word)


def _render(item: str | tuple[str, str]) -> str:
    if isinstance(item, tuple):
        kind, text = item
        return _quote(text) if kind == "phrase" else news_word(text.lstrip("#$"))
    return news_word(item)


def translate(
    words: list[str] | tuple[str, ...],
    *,
    phrases: tuple[str, ...] | list[str] = (),
    any_of: tuple | list = (),
    exclude: tuple | list = (),
) -> str:
    """The Google News query: every word and ``"phrase"``, ``(a OR b)`` for each ``any_of`` group, ``-word`` for each
    exclusion (groups and exclusions hold words or ``("word" | "phrase", text)`` atoms; the ``when:`` operator is
    added by the adapter)."""
    parts = [news_word(w) for w in words if w]
    parts += [_quote(p) for p in phrases if p.strip()]
    for group in any_of:
        alternatives = [_render(item) for item in group if item]
        if len(alternatives) == 1:
            parts.append(alternatives[0])
        elif alternatives:
            parts.append("(" + " OR ".join(alternatives) + ")")
    parts += ["-" + _render(item) for item in exclude if item]
    return " ".join(parts)


def translate_query(query: Query) -> SourceQuery:
    """A parsed query as one Google News search (``news_terms``). ``lang:`` is left to the post check: the edition
    (``hl``) chooses the headlines' language."""
    terms = news_terms(query)
    if not terms.positive:
        raise SourceCannotRun("googlenews: nothing in this query can be searched there")
    notes = list(terms.notes) + (
        [f"lang:{','.join(terms.languages)} left to the post check"] if terms.languages else []
    )
    text = translate(terms.words, phrases=terms.phrases, any_of=terms.any_of, exclude=terms.exclude)
    return SourceQuery((text,), note="; ".join(dict.fromkeys(notes)))


def when_days(window: TimeWindow) -> int:
    return max(1, math.ceil(window.hours / 24))


# ------------------------------------------------------------------ parsing
def decode_rss(response: httpx.Response, provider: str) -> Element:
    try:
        root = fromstring(response.content)
    except (ParseError, DefusedXmlException, ValueError):
        raise ProviderBadResponse(f"{provider}: the feed is not readable XML", status=response.status_code) from None
    if root.tag != "rss" or root.find("channel") is None:
        raise ProviderBadResponse(f"{provider}: the answer is not an RSS feed", status=response.status_code)
    return root


def headline_of(title: str, publisher: str) -> str:
    """The title without its trailing `` - Publisher`` (Google appends it to every title)."""
    title = " ".join(title.split())
    if publisher and title.endswith(f" - {publisher}"):
        return title[: -len(publisher) - 3].rstrip()
    return title


def item_to_post(item: Element, language: str | None) -> Post | None:
    def text_of(tag: str) -> str:
        found = item.find(tag)
        return (found.text or "").strip() if found is not None else ""

    source = item.find("source")
    publisher = (source.text or "").strip() if source is not None else ""
    headline = headline_of(text_of("title"), publisher)
    link = text_of("link")
    guid = text_of("guid") or link
    created_at = _pub_date(text_of("pubDate"))
    if not headline or not guid or created_at is None:
        return None
    return Post(
        id=f"googlenews:{guid}",
        text=headline,
        created_at=created_at,
        provider="googlenews",
        author=publisher or (source.get("url", "") if source is not None else ""),
        url=link or None,
        language=language,
        kind="headline",
    )


def _pub_date(value: str) -> Any:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return parse_datetime(value)
    return parse_datetime(moment.isoformat())


class GoogleNewsAdapter:
    name = "googlenews"
    simulated = False

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str = DEFAULT_BASE_URL,
        hl: str = DEFAULT_HL,
        gl: str = DEFAULT_GL,
        ceid: str = DEFAULT_CEID,
    ) -> None:
        self._client = client
        self._url = (base_url or DEFAULT_BASE_URL).rstrip("/") + SEARCH_PATH
        self._edition = {"hl": hl or DEFAULT_HL, "gl": gl or DEFAULT_GL, "ceid": ceid or DEFAULT_CEID}
        self._language = self._edition["hl"].split("-")[0].lower() or None

    def __repr__(self) -> str:
        return f"GoogleNewsAdapter(url={self._url!r}, edition={self._edition!r})"

    def translate(self, query: Query | str) -> SourceQuery:
        return translate_query(as_query(query))

    async def fetch(
        self,
        query: Query | str,
        window: TimeWindow,
        limit: int,
        *,
        cursor: Cursor | None = None,
        budget: RequestBudget | None = None,
    ) -> FetchResult:
        """Headlines newest first for ``translate(query)`` (one request)."""
        budget = budget or RequestBudget.of(60)
        sent = self.translate(query)
        search = f"{sent.requests[0]} when:{when_days(window)}d"
        requests_before = budget.requests
        root, _ = await request_content(
            self._client, "GET", self._url, provider=self.name, budget=budget,
            params={"q": search, **self._edition}, decode=decode_rss,
            headers={"Accept": "application/rss+xml, application/xml;q=0.9"},
        )  # fmt: skip
        items = root.findall("channel/item")
        result = FetchResult(posts=[], cursor=dict(cursor) if cursor else None, sent_query=search)
        if sent.note:
            result.notes.append(sent.note)
        result.requests = budget.requests - requests_before
        result.billable_items = len(items)
        seen: set[str] = set()
        for post in (item_to_post(item, self._language) for item in items):
            if post is None or post.id in seen or not window.start <= post.created_at < window.end:
                continue
            seen.add(post.id)
            result.posts.append(post)
        result.posts.sort(key=lambda p: p.created_at, reverse=True)
        if len(result.posts) > limit or len(items) >= FEED_CAP:
            result.complete = False
            if len(items) >= FEED_CAP:
                result.notes.append(f"the feed's {FEED_CAP}-item cap was reached")
        else:
            result.complete = True
        result.posts = result.posts[:limit]
        return result

"""GDELT DOC 2.0 (``GET {base}/api/v2/doc/doc``): world online news, keyless, updated every 15 minutes.

Three modes per fetch, paced (GDELT asks for at most one request every 5 seconds):

* ``mode=ArtList`` (``format=json``, ``sort=DateDesc``, ``maxrecords`` up to 250): ``{"articles": [{url, url_mobile,
  title, seendate "20250101T120000Z", socialimage, domain, language "English", sourcecountry}]}``. Each article is a
  headline: its title is the text, its domain the author, its URL the id; language (mapped to a code) and source
  country are kept.
* ``mode=timelinevolraw``: ``{"timeline": [{"series": "Article Count", "data": [{"date", "value", "norm"}]}]}``. The
  sum of ``value`` inside the window is GDELT's own count of matching articles: the source's *reported* volume.
* ``mode=timelinetone``: the average tone of the matching articles per interval (GDELT's scale: about -10..+10 in
  practice, -100..+100 in theory). Returned as the ``news_tone`` series, never mixed with our sentiment scores.

Load shedding: GDELT answers 429, or 200 with a plain-text "Please limit requests to one every 5 seconds" body. Both
are ``rate_limited``: the request is not retried inside the job (that would only add load), and the container's
gate (``GdeltGate``) holds every GDELT request back for a cool-off. The gate also spaces requests
``GDELT_MIN_INTERVAL_SECONDS`` apart and caches the three answers per (query, window on GDELT's 15-minute grid) for
``GDELT_CACHE_SECONDS``: GDELT changes at most every 15 minutes, so a repeat within that time costs GDELT nothing.
The timelines are extras: when one fails or does not fit in the job's time, the articles are still used and a note
says what is missing.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from social_analytics.analyses.sources._http import RequestBudget, error_for, request_content
from social_analytics.analyses.sources.base import (
    Cursor,
    FetchResult,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    SourceCannotRun,
    SourceQuery,
)
from social_analytics.analyses.sources.news_terms import news_terms
from social_analytics.analyses.sources.translate import as_query
from social_analytics.models import Post, TimeWindow, isoformat_z
from social_analytics.query import Query

DEFAULT_BASE_URL = "https://api.gdeltproject.org"
DOC_PATH = "/api/v2/doc/doc"
MAX_RECORDS = 250
MIN_INTERVAL_SECONDS = 5.0
CACHE_SECONDS = 900.0
COOL_OFF_SECONDS = 60.0
GRID = timedelta(minutes=15)
MIN_WORD = 3  # GDELT refuses keywords shorter than this ("too short")
TONE_SCALE = (
    "GDELT average tone of the matching articles (positive minus negative word share, in percent): about -10 to "
    "+10 in practice, -100 to +100 in theory; not comparable with the sentiment scores"
)
_RATE_TEXT = re.compile(r"limit requests|one every \d+ seconds|too many requests", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)
# GDELT names languages in English; the scorer and the language filter use ISO 639-1 codes.
LANGUAGE_CODES = {
    "english": "en", "spanish": "es", "french": "fr", "german": "de", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "russian": "ru", "chinese": "zh", "japanese": "ja", "korean": "ko", "arabic": "ar",
    "turkish": "tr", "polish": "pl", "swedish": "sv", "norwegian": "no", "danish": "da", "finnish": "fi",
    "greek": "el", "hebrew": "he", "hindi": "hi", "indonesian": "id", "ukrainian": "uk", "czech": "cs",
    "romanian": "ro", "hungarian": "hu", "vietnamese": "vi", "thai": "th", "persian": "fa", "catalan": "ca",
}  # fmt: skip
_CODE_LANGUAGES = {code: name for name, code in LANGUAGE_CODES.items()}


class GdeltRateLimited(ProviderRateLimited):
    """GDELT is shedding load: not retried inside the job (retrying is what it asks us not to do)."""

    retryable = False


# ------------------------------------------------------------------ the query translator (pure)
def _quote(text: str) -> str:
    return '"' + text.replace('"', " ").strip() + '"'


def gdelt_word(word: str) -> str:
    """One user word as GDELT reads it: bare when it is only word characters, else a quoted phrase (so ``c++``,
    ``sourcelang:`` or ``-x`` typed by a user can never become an operator)."""
    word = word.lstrip("#")
    return word if _WORD.fullmatch(word) else _quote(word)


def _render(item: str | tuple[str, str]) -> str:
    """A word (bare when safe, else quoted) or a ``("phrase", text)`` / ``("word", text)`` atom."""
    if isinstance(item, tuple):
        kind, text = item
        return _quote(text) if kind == "phrase" else gdelt_word(text)
    return gdelt_word(item)


def _text_of(item: str | tuple[str, str]) -> str:
    return item[1] if isinstance(item, tuple) else item


def translate(
    words: list[str] | tuple[str, ...],
    *,
    phrases: tuple[str, ...] | list[str] = (),
    any_of: tuple | list = (),
    exclude: tuple | list = (),
    languages: tuple[str, ...] | list[str] = (),
) -> str:
    """The GDELT query for: every word, every phrase, one of each ``any_of`` group (``(a OR b)``: GDELT needs the
    parentheses), none of ``exclude`` (``-word``), and one of ``languages`` (ISO codes -> ``sourcelang:english``).
    Groups and exclusions hold words or ``("word" | "phrase", text)`` atoms.

    Raises ``SourceCannotRun`` when nothing positive is at least ``MIN_WORD`` characters long (GDELT answers such a
    query with an error text)."""
    parts = [gdelt_word(w) for w in words if w.lstrip("#")]
    parts += [_quote(p) for p in phrases if p.strip()]
    for group in any_of:
        alternatives = [_render(item) for item in group if _text_of(item).lstrip("#")]
        if len(alternatives) == 1:
            parts.append(alternatives[0])
        elif alternatives:
            parts.append("(" + " OR ".join(alternatives) + ")")
    longest = max((len(m) for p in parts for m in _WORD.findall(p)), default=0)
    if longest < MIN_WORD:
        raise SourceCannotRun(f"gdelt: every search word is shorter than {MIN_WORD} characters")
    parts += ["-" + _render(item) for item in exclude if _text_of(item).lstrip("#")]
    names = [_CODE_LANGUAGES[code] for code in languages if code in _CODE_LANGUAGES]
    if len(names) == 1:
        parts.append(f"sourcelang:{names[0]}")
    elif names:
        parts.append("(" + " OR ".join(f"sourcelang:{n}" for n in names) + ")")
    return " ".join(parts)


def translate_query(query: Query) -> SourceQuery:
    """A parsed query as one GDELT search (``news_terms``: what cannot be said is left to the post check)."""
    terms = news_terms(query)
    # GDELT refuses a query holding any keyword under MIN_WORD characters: a required one is dropped (a superset),
    # an OR group holding one is dropped whole (a narrower OR would lose posts), a short exclusion is dropped.
    notes = list(terms.notes)
    short = [w for w in [*terms.words, *terms.phrases] if _too_short(w)]
    words = [w for w in terms.words if not _too_short(w)]
    phrases = [p for p in terms.phrases if not _too_short(p)]
    groups = [g for g in terms.any_of if not any(_too_short(_text_of(a)) for a in g)]
    if len(groups) < len(terms.any_of):
        notes.append("an OR group with a short word left to the post check")
    exclude = [a for a in terms.exclude if not _too_short(_text_of(a))]
    if short or len(exclude) < len(terms.exclude):
        notes.append(f"words under {MIN_WORD} characters left to the post check")
    if not (words or phrases or groups):
        raise SourceCannotRun(
            f"gdelt: nothing in this query can be searched there (GDELT needs words of {MIN_WORD}+ characters)"
        )
    text = translate(words, phrases=phrases, any_of=groups, exclude=exclude, languages=terms.languages)
    return SourceQuery((text,), note="; ".join(dict.fromkeys(notes)))


def _too_short(text: str) -> bool:
    return all(len(m) < MIN_WORD for m in _WORD.findall(text))


# ------------------------------------------------------------------ pacing, cool-off and cache (per container)
@dataclass
class _Answer:
    articles: list
    volume: list | None
    tone: list | None


class GdeltGate:
    """The container's GDELT manners: requests spaced ``interval`` apart, a cool-off after GDELT sheds load, and
    the answers cached per (query, window) for ``cache_seconds``. Thread-safe (no await while holding the lock)."""

    def __init__(
        self,
        interval: float = MIN_INTERVAL_SECONDS,
        cache_seconds: float = CACHE_SECONDS,
        cool_off: float = COOL_OFF_SECONDS,
        clock=time.monotonic,
        max_entries: int = 256,
    ) -> None:
        self.interval = interval
        self.cache_seconds = cache_seconds
        self.cool_off = cool_off
        self._clock = clock
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._cool_until = 0.0
        self._cache: OrderedDict[tuple, tuple[float, _Answer]] = OrderedDict()
        self._max = max_entries

    def cooling_for(self) -> float:
        return max(0.0, self._cool_until - self._clock())

    def reserve_slot(self, max_wait: float = float("inf")) -> float | None:
        """Seconds to wait before the next request may go, booking that slot; None (nothing booked) when the wait
        would be longer than ``max_wait``, so a request that will not be sent takes no one's turn."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            if slot - now >= max_wait:
                return None
            self._next_slot = slot + self.interval
            return slot - now

    def shed(self, retry_after: float | None) -> None:
        with self._lock:
            self._cool_until = max(self._cool_until, self._clock() + max(retry_after or 0.0, self.cool_off))

    def cached(self, key: tuple) -> _Answer | None:
        with self._lock:
            found = self._cache.get(key)
            if found is None:
                return None
            if found[0] <= self._clock():
                del self._cache[key]
                return None
            return found[1]

    def store(self, key: tuple, answer: _Answer) -> None:
        if self.cache_seconds <= 0:
            return
        with self._lock:
            self._cache[key] = (self._clock() + self.cache_seconds, answer)
            self._cache.move_to_end(key)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)


# ------------------------------------------------------------------ parsing
def parse_seendate(value: Any) -> datetime | None:
    """``20250101T120000Z`` -> aware UTC datetime (None when unreadable)."""
    try:
        return datetime.strptime(str(value), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def language_code(name: Any) -> str | None:
    return LANGUAGE_CODES.get(str(name or "").strip().casefold())


def decode_gdelt(response: httpx.Response, provider: str) -> Any:
    """GDELT's JSON; its plain-text answers are either load shedding (``GdeltRateLimited``) or a query it refused."""
    text = response.content.decode("utf-8", "replace")
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        if _RATE_TEXT.search(text):
            raise GdeltRateLimited(
                f"{provider}: asked to slow down", retry_after_seconds=MIN_INTERVAL_SECONDS, status=None
            )
        error = ProviderBadResponse(f"{provider}: the query was refused", status=response.status_code)
        error.detail = stripped[:160]
        raise error
    try:
        # strict=False: GDELT titles may carry raw control characters.
        return json.loads(text, strict=False)
    except ValueError:
        raise ProviderBadResponse(f"{provider}: malformed JSON", status=response.status_code) from None


def gdelt_error(response: httpx.Response, provider: str) -> ProviderError:
    """``error_for``, except that a 429 is not retried inside the job."""
    error = error_for(response, provider)
    if isinstance(error, ProviderRateLimited):
        limited = GdeltRateLimited(error.reason, error.retry_after_seconds or MIN_INTERVAL_SECONDS)
        limited.detail = error.detail
        return limited
    return error


def timeline_points(body: Any, window: TimeWindow) -> list[dict] | None:
    """The first series of a timeline answer inside the window, as ``[{"start", "value"}]``; None when absent."""
    if not isinstance(body, dict) or not isinstance(body.get("timeline"), list):
        return None
    if not body["timeline"]:
        return []
    series = body["timeline"][0]
    data = series.get("data") if isinstance(series, dict) else None
    if not isinstance(data, list):
        return None
    points = []
    for entry in data:
        if not isinstance(entry, dict):
            continue
        moment = parse_seendate(entry.get("date"))
        value = entry.get("value")
        if moment is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if window.start - GRID < moment < window.end:
            points.append({"start": isoformat_z(moment), "value": value})
    return points


def article_to_post(article: Any) -> Post | None:
    if not isinstance(article, dict):
        return None
    url = str(article.get("url") or "").strip()
    title = " ".join(str(article.get("title") or "").split())
    created_at = parse_seendate(article.get("seendate"))
    if not url or not title or created_at is None:
        return None
    country = str(article.get("sourcecountry") or "").strip() or None
    return Post(
        id=f"gdelt:{url}",
        text=title,
        created_at=created_at,
        provider="gdelt",
        author=str(article.get("domain") or ""),
        url=url,
        language=language_code(article.get("language")),
        kind="headline",
        country=country,
    )


# ------------------------------------------------------------------ the adapter
def _grid(moment: datetime, up: bool = False) -> datetime:
    epoch = int(moment.timestamp())
    step = int(GRID.total_seconds())
    floor = epoch - epoch % step
    return datetime.fromtimestamp(floor + (step if up and floor != epoch else 0), UTC)


class GdeltAdapter:
    name = "gdelt"
    simulated = False

    def __init__(self, client: httpx.AsyncClient, base_url: str = DEFAULT_BASE_URL, gate: GdeltGate | None = None):
        self._client = client
        self._url = (base_url or DEFAULT_BASE_URL).rstrip("/") + DOC_PATH
        self._gate = gate or GdeltGate()

    def __repr__(self) -> str:
        return f"GdeltAdapter(url={self._url!r})"

    def translate(self, query: Query | str) -> SourceQuery:
        return translate_query(as_query(query))

    async def _get(self, params: dict[str, str], budget: RequestBudget) -> Any:
        left = self._gate.cooling_for()
        if left > 0:
            raise GdeltRateLimited(f"gdelt: cooling off for {left:.0f}s after being asked to slow down", left)
        wait = self._gate.reserve_slot(max_wait=budget.remaining())
        if wait is None:
            raise GdeltRateLimited("gdelt: the next request slot is past the job's time", self._gate.interval)
        if wait > 0:
            await budget.sleep(wait)
        try:
            body, _ = await request_content(
                self._client, "GET", self._url, provider=self.name, budget=budget, params=params,
                decode=decode_gdelt, error_of=gdelt_error,
            )  # fmt: skip
        except ProviderRateLimited as exc:
            self._gate.shed(exc.retry_after_seconds)
            raise
        return body

    async def fetch(
        self,
        query: Query | str,
        window: TimeWindow,
        limit: int,
        *,
        cursor: Cursor | None = None,
        budget: RequestBudget | None = None,
        sent_query: str | None = None,
    ) -> FetchResult:
        """Articles newest first for ``translate(query)``, GDELT's volume as ``reported_total`` and the tone as
        ``series["news_tone"]``. ``sent_query`` sends that GDELT text as it is instead (tests)."""
        budget = budget or RequestBudget.of(60)
        sent = SourceQuery((sent_query,)) if sent_query else self.translate(query)
        search = sent.requests[0]
        start, end = _grid(window.start), _grid(window.end, up=True)
        records = min(MAX_RECORDS, max(1, limit))
        base = {
            "query": search,
            "format": "json",
            "startdatetime": start.strftime("%Y%m%d%H%M%S"),
            "enddatetime": end.strftime("%Y%m%d%H%M%S"),
        }
        key = (self._url, search, base["startdatetime"], base["enddatetime"], records)
        result = FetchResult(posts=[], cursor=dict(cursor) if cursor else None, sent_query=sent.sent)
        if sent.note:
            result.notes.append(sent.note)
        answer = self._gate.cached(key)
        requests_before = budget.requests
        if answer is None:
            body = await self._get({**base, "mode": "ArtList", "sort": "DateDesc", "maxrecords": str(records)}, budget)
            if not isinstance(body, dict):
                raise ProviderBadResponse("gdelt: response is not {articles: [...]}")
            articles = body.get("articles") or []  # GDELT answers {} when nothing matched
            if not isinstance(articles, list):
                raise ProviderBadResponse("gdelt: articles is not an array")
            answer = _Answer(articles=articles, volume=None, tone=None)
            complete_answer = True
            for mode in ("timelinevolraw", "timelinetone"):
                try:
                    timeline = await self._get({**base, "mode": mode}, budget)
                except ProviderError as exc:
                    result.notes.append(f"{mode} skipped: {exc.code}")
                    complete_answer = False
                    if isinstance(exc, GdeltRateLimited):
                        break
                    continue
                setattr(answer, "volume" if mode == "timelinevolraw" else "tone", timeline)
            if complete_answer:
                self._gate.store(key, answer)
        else:
            result.notes.append("from the GDELT cache (GDELT updates every 15 minutes)")
        result.requests = budget.requests - requests_before
        result.billable_items = len(answer.articles)
        seen: set[str] = set()
        for post in map(article_to_post, answer.articles):
            if post is None or post.id in seen or not window.start <= post.created_at < window.end:
                continue
            seen.add(post.id)
            result.posts.append(post)
        result.posts.sort(key=lambda p: p.created_at, reverse=True)
        result.posts = result.posts[:limit]
        result.complete = len(answer.articles) < records
        volume = timeline_points(answer.volume, window) if answer.volume is not None else None
        if volume is not None:
            inside = [p for p in volume if window.start <= _at(p["start"]) < window.end]
            result.reported_total = int(sum(p["value"] for p in inside))
            result.reported_note = "GDELT timelinevolraw: articles matching in the window (GDELT's count)"
        tone = timeline_points(answer.tone, window) if answer.tone is not None else None
        if tone is not None:
            result.series["news_tone"] = {
                "provider": self.name,
                "name": "news tone",
                "scale": TONE_SCALE,
                "basis": "reported",
                "points": tone,
            }
        return result


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))

"""The interface every post source implements, and the typed errors they raise.

Two methods. ``SocialMediaAdapter.translate(query) -> SourceQuery`` says what the source will be sent for a parsed
``social_analytics.query.Query``: the most selective question it can run that is still a superset of the query (the
full boolean in the paid providers' operator syntax, one request per OR branch where a source has no OR, ...; see
``sources.translate``), or raises ``SourceCannotRun`` with the reason (a ``skipped`` row, never a silent empty).
``SocialMediaAdapter.fetch(query, window, limit, *, cursor=None, budget=None) -> FetchResult`` runs it. It
accepts the cursor stored by the previous scan of the same (keyword, provider) (sources without cursors ignore it),
returns the posts, the newest cursor seen, the number of billable items the provider returned, and non-fatal notes
(e.g. "hachyderm.io skipped: 401 requires login"). ``budget`` is a
``social_analytics.analyses.sources._http.RequestBudget``: the job's deadline and retry policy, honoured per request.

A cursor is a small JSON-serializable ``dict[str, str]`` whose keys are provider specific (``since_id`` for
SocialData and X, ``since`` for Bluesky, ``since_id:<instance>`` per Mastodon instance). Callers store it opaquely.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from social_analytics.models import Post, TimeWindow

if TYPE_CHECKING:  # pragma: no cover
    from social_analytics.analyses.sources._http import RequestBudget
    from social_analytics.query import Query

Cursor = dict[str, str]


@runtime_checkable
class SocialMediaAdapter(Protocol):
    """A source of posts. ``name`` is the provider id used in ``result.source`` (``socialdata``, ``simulated``...)."""

    name: str
    simulated: bool

    def translate(self, query: Query) -> SourceQuery:
        """What this source is sent for ``query`` (raises ``SourceCannotRun`` when it cannot run any of it)."""
        ...

    async def fetch(
        self,
        query: Query,
        window: TimeWindow,
        limit: int,
        *,
        cursor: Cursor | None = None,
        budget: RequestBudget | None = None,
    ) -> FetchResult:
        """Up to ``limit`` posts the source returns for ``translate(query)`` inside ``window``, newest first. The
        fan-out checks every one of them against ``query`` (sources match loosely: prefixes, substrings, tags)."""
        ...


@dataclass(frozen=True)
class SourceQuery:
    """What one source is sent for a query: one search per entry of ``requests`` (several when the source has no OR
    and the query's OR branches become separate searches), and a ``note`` on what was left to the post check."""

    requests: tuple[str, ...]
    note: str = ""

    @property
    def sent(self) -> str:
        """The ``sent_query`` of a row: the searches joined with `` | ``."""
        return " | ".join(self.requests)


def translate_of(adapter: object, query: Query) -> SourceQuery:
    """What ``adapter`` will be sent; one without ``translate`` (a test double) is sent the query as typed."""
    translate = getattr(adapter, "translate", None)
    return translate(query) if translate is not None else SourceQuery((query.display,))


@dataclass
class FetchResult:
    """What one adapter call produced.

    ``posts`` newest first, at most ``limit``, all inside the window. ``cursor`` is the newest cursor seen merged with
    the one passed in (it never moves backwards; ``None`` when the provider has no incremental cursor).
    ``billable_items`` counts items the provider returned (what paid providers charge for, even those dropped
    because they fell outside the window). ``notes`` are human-readable, secret-free remarks for provenance.
    """

    posts: list[Post]
    cursor: Cursor | None = None
    billable_items: int = 0
    requests: int = 0
    notes: list[str] = field(default_factory=list)
    # Coverage: ``complete`` False when the adapter stopped before the window's start (the limit, a page cap, a
    # failed page) and None when it cannot tell (the fan-out then decides from the post count and the limit).
    complete: bool | None = None
    # A provider's own count of the posts matching in the window (Algolia ``nbHits``, Mastodon tag history uses);
    # ``reported_note`` says what it counts.
    reported_total: int | None = None
    reported_note: str = ""
    account: str | None = None  # who searched, where the results depend on the viewer (Bluesky)
    sent_query: str = ""  # what was actually sent (several requests: joined with " | ")
    # A source that counts every matching post of the hours it holds (the archive): ``exact_total`` is that count
    # (``posts`` may be fewer: the limit), ``uncovered`` the pieces of the window it does not hold
    # (``{"from", "to", "reason"}``), never counted as zero; ``covered_from`` the start of its first covered piece.
    exact_total: int | None = None
    uncovered: list[dict] = field(default_factory=list)
    covered_from: datetime | None = None


class ProviderError(Exception):
    """Base of every provider failure; ``reason`` is safe to show to users (never contains secrets).

    ``status`` is the HTTP status when there was one; ``retry_after_seconds`` the server's hint (Retry-After,
    x-rate-limit-reset, X-RateLimit-Reset, ratelimit-reset) converted to seconds from now, when it gave one.
    """

    code = "provider_error"
    retryable = False
    # The provider's own error text, for the logs only (never shown to callers: docs/RELIABILITY.md).
    detail = ""

    def __init__(self, reason: str, *, status: int | None = None, retry_after_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after_seconds = retry_after_seconds


class ProviderNotConfigured(ProviderError):
    code = "not_configured"


class ProviderUnsupportedQuery(ProviderError):
    """The provider cannot express this query (e.g. a Mastodon hashtag from a keyword with no word characters)."""

    code = "unsupported_query"


class SourceCannotRun(ProviderUnsupportedQuery):
    """The source cannot run any part of the query (a prefix for X, no hashtag form for Mastodon...): a ``skipped``
    row whose reason says why. Raised by ``translate``, before any request."""


class ProviderAuthError(ProviderError):
    code = "auth"


class ProviderForbidden(ProviderAuthError):
    """403: authenticated but not allowed (plan, app permissions, blocked IP)."""

    code = "forbidden"


class ProviderPaymentRequired(ProviderError):
    code = "payment_required"


class ProviderRateLimited(ProviderError):
    code = "rate_limited"
    retryable = True

    def __init__(self, reason: str, retry_after_seconds: float | None = None, *, status: int | None = 429) -> None:
        super().__init__(reason, status=status, retry_after_seconds=retry_after_seconds)


class ProviderBadResponse(ProviderError):
    """Malformed JSON, an unexpected shape, or a 4xx that retrying cannot fix (400, 404, 422)."""

    code = "bad_response"


class ProviderUnavailable(ProviderError):
    """5xx or a connection failure: worth retrying."""

    code = "unavailable"
    retryable = True


class ProviderUnreachable(ProviderUnavailable):
    """The host name does not resolve (no network, a wrong base URL): retrying within a job cannot help."""

    code = "unreachable"
    retryable = False


class ProviderTimeout(ProviderError):
    code = "timeout"
    retryable = True


class UnconfiguredAdapter:
    """Stands in for a provider that was asked for but has no credentials: shows up as ``skipped`` in provenance."""

    simulated = False

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self._reason = reason

    def translate(self, query: Query) -> SourceQuery:
        raise ProviderNotConfigured(self._reason)

    async def fetch(self, query: Query, window: TimeWindow, limit: int, *, cursor=None, budget=None) -> FetchResult:
        raise ProviderNotConfigured(self._reason)


def _cursor_value(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)


def merge_results(results: list[FetchResult], limit: int, sent: SourceQuery) -> FetchResult:
    """The answers of one source's several searches (``SourceQuery.requests``) as one: posts deduplicated by id,
    newest first, at most ``limit``. Each cursor key keeps the oldest of the values the searches reached, so the next
    incremental scan misses nothing any of them has not seen (the stored window's merge drops the repeats)."""
    if len(results) == 1:
        merged = results[0]
        merged.sent_query = sent.sent
        if sent.note:
            merged.notes.append(sent.note)
        return merged
    by_id: dict[str, Post] = {}
    for result in results:
        for post in result.posts:
            by_id.setdefault(post.id, post)
    posts = sorted(by_id.values(), key=lambda p: p.created_at, reverse=True)
    cursor: Cursor = {}
    for result in results:
        for key, value in (result.cursor or {}).items():
            if key not in cursor or _cursor_value(str(value)) < _cursor_value(cursor[key]):
                cursor[key] = str(value)
    completes = [r.complete for r in results]
    complete = None if any(c is None for c in completes) else all(completes)
    if len(posts) > limit:
        complete = False
    totals = [r.reported_total for r in results]
    merged = FetchResult(
        posts=posts[:limit],
        cursor=cursor or None,
        billable_items=sum(r.billable_items for r in results),
        requests=max(r.requests for r in results),  # the searches share one request budget: its count is the total
        notes=[note for r in results for note in r.notes] + ([sent.note] if sent.note else []),
        complete=complete,
        account=results[0].account,
        sent_query=sent.sent,
    )
    if all(t is not None for t in totals):
        merged.reported_total = sum(t for t in totals if t is not None)
        merged.reported_note = (
            f"{results[0].reported_note}; summed over {len(results)} searches (overlaps counted twice)"
        )
    return merged


async def fetch_each(sent: SourceQuery, fetch_one: Callable[[str], Awaitable[FetchResult]], limit: int) -> FetchResult:
    """Run every search of ``sent`` at once (they share the job's request budget) and merge the answers."""
    results = await asyncio.gather(*(fetch_one(text) for text in sent.requests))
    return merge_results(list(results), limit, sent)

"""The interface every post source implements, and the typed errors they raise.

One method: ``SocialMediaAdapter.fetch(query, window, limit, *, cursor=None, budget=None) -> FetchResult``. It
accepts the cursor stored by the previous scan of the same (keyword, provider) (sources without cursors ignore it),
returns the posts, the newest cursor seen, the number of billable items the provider returned, and non-fatal notes
(e.g. "hachyderm.io skipped: 401 requires login"). ``budget`` is a
``social_analytics.analyses.sources._http.RequestBudget``: the job's deadline and retry policy, honoured per request.

A cursor is a small JSON-serializable ``dict[str, str]`` whose keys are provider specific (``since_id`` for
SocialData and X, ``since`` for Bluesky, ``since_id:<instance>`` per Mastodon instance). Callers store it opaquely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from social_analytics.models import Post, TimeWindow

if TYPE_CHECKING:  # pragma: no cover
    from social_analytics.analyses.sources._http import RequestBudget

Cursor = dict[str, str]


@runtime_checkable
class SocialMediaAdapter(Protocol):
    """A source of posts. ``name`` is the provider id used in ``result.source`` (``socialdata``, ``simulated``...)."""

    name: str
    simulated: bool

    async def fetch(
        self,
        query: str,
        window: TimeWindow,
        limit: int,
        *,
        cursor: Cursor | None = None,
        budget: RequestBudget | None = None,
    ) -> FetchResult:
        """Up to ``limit`` posts matching ``query`` created inside ``window``, newest first, following pagination."""
        ...


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
    # Series a source reports beside its posts, on the source's own scale (GDELT's ``news_tone``): name -> the
    # series document (``points`` of ``{"start", "value"}``, ``scale``, ``basis``). Never mixed with our scores.
    series: dict[str, dict] = field(default_factory=dict)


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

    async def fetch(self, query: str, window: TimeWindow, limit: int, *, cursor=None, budget=None) -> FetchResult:
        raise ProviderNotConfigured(self._reason)

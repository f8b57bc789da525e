"""The interface every post source implements, and the typed errors they raise."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from social_analytics.models import Post, TimeWindow


@runtime_checkable
class SocialMediaAdapter(Protocol):
    """A source of posts. ``name`` is the provider id used in ``result.source`` (``socialdata``, ``simulated``...)."""

    name: str
    simulated: bool

    async def fetch(self, query: str, window: TimeWindow, limit: int) -> list[Post]:
        """Return up to ``limit`` posts matching ``query`` created inside ``window``, following pagination."""
        ...


class ProviderError(Exception):
    """Base of every provider failure; ``reason`` is safe to show to users (never contains secrets)."""

    code = "provider_error"
    retryable = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderNotConfigured(ProviderError):
    code = "not_configured"


class ProviderAuthError(ProviderError):
    code = "auth"


class ProviderPaymentRequired(ProviderError):
    code = "payment_required"


class ProviderRateLimited(ProviderError):
    code = "rate_limited"
    retryable = True

    def __init__(self, reason: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_seconds = retry_after_seconds


class ProviderBadResponse(ProviderError):
    code = "bad_response"


class ProviderUnavailable(ProviderError):
    """5xx or a connection failure: worth retrying."""

    code = "unavailable"
    retryable = True


class ProviderTimeout(ProviderError):
    code = "timeout"
    retryable = True

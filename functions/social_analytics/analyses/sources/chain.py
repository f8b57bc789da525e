"""The provider chain: try adapters in order within a job's time budget, record provenance, fall back on failure.

``fetch_with_fallback`` returns the posts of the first adapter that produced any, plus ``source`` (the provenance
stored in ``result.source``) and the newest incremental cursor of every adapter that answered. Retryable errors (429,
5xx, timeouts) are retried per request inside the adapter, waiting what ``Retry-After`` / ``x-rate-limit-reset`` /
``ratelimit-reset`` / ``X-RateLimit-Reset`` ask for when it fits in the remaining budget (see
``adapters._http.RequestBudget``). A ``CircuitBreaker`` per container makes later jobs skip a dead provider quickly.

A live provider that answers with zero posts is a real answer ("nobody posted that"): the chain then tries the next
*live* provider but does not fall back to simulated posts unless ``simulate_when_empty`` is set. Simulated data is
never labeled live: ``source["simulated"]`` is true iff any returned post came from a simulated adapter.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from social_analytics import composition
from social_analytics.analyses.sources.base import (
    DEFAULT_REQUEST_TIMEOUT,
    Cursor,
    FetchResult,
    ProviderAuthError,
    ProviderError,
    ProviderNotConfigured,
    ProviderPaymentRequired,
    ProviderTimeout,
    ProviderUnsupportedQuery,
    RequestBudget,
    SocialMediaAdapter,
)
from social_analytics.analyses.sources.breaker import CircuitBreaker
from social_analytics.analyses.sources.catalog import PRICE_PER_POST_USD
from social_analytics.models import Post, TimeWindow, isoformat_z
from social_analytics.observability import logger
from social_analytics.public_errors import provider_reason

_TIMEOUT_GRACE_SECONDS = 1.0  # past the job's budget, how long a source may still finish its request


@dataclass
class FetchOutcome:
    posts: list[Post]
    source: dict[str, Any]
    cursors: dict[str, Cursor] = field(default_factory=dict)

    @property
    def provider(self) -> str:
        return self.source["provider"]

    @property
    def simulated(self) -> bool:
        return self.source["simulated"]


def _attempt(name: str, outcome: str, reason: str, *, posts: int = 0, retries: int = 0, ms: float = 0.0) -> dict:
    return {
        "provider": name,
        "outcome": outcome,
        "reason": reason,
        "posts": posts,
        "retries": retries,
        "elapsed_ms": round(ms, 1),
    }


async def fetch_with_fallback(
    adapters: Sequence[SocialMediaAdapter],
    query: str,
    window: TimeWindow,
    limit: int,
    budget_seconds: float,
    breaker: CircuitBreaker | None = None,
    *,
    cursors: Mapping[str, Cursor] | None = None,
    simulate_when_empty: bool = False,
    max_retries: int = 3,
    base_delay: float = 0.5,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    log_extra: Mapping[str, Any] | None = None,
) -> FetchOutcome:
    """Try ``adapters`` in order until one returns posts (see the module docstring).

    ``cursors`` maps provider name -> the cursor stored by the previous scan of this keyword (incremental fetch);
    the outcome's ``cursors`` holds the new ones to store. Never raises for provider failures: when everything
    fails the outcome has no posts, ``source["provider"] == "none"`` and every attempt says why. ``log_extra`` (the
    job id) goes with every logged provider failure.
    """
    breaker = breaker or composition.breaker()
    cursors = cursors or {}
    deadline = clock() + budget_seconds
    attempts: list[dict] = []
    new_cursors: dict[str, Cursor] = {}
    cost = 0.0
    chosen: SocialMediaAdapter | None = None
    posts: list[Post] = []
    live_answered_empty: str | None = None

    for adapter in adapters:
        name = adapter.name
        if adapter.simulated and live_answered_empty and not simulate_when_empty:
            attempts.append(_attempt(name, "skipped", f"{live_answered_empty} answered with 0 posts"))
            continue
        remaining = deadline - clock()
        if not adapter.simulated:
            if remaining <= 0:
                attempts.append(_attempt(name, "skipped", "job time budget exhausted"))
                continue
            why = breaker.check(name)
            if why:
                attempts.append(_attempt(name, "skipped", why))
                continue
        budget = RequestBudget(
            deadline=deadline,
            max_retries=max_retries,
            base_delay=base_delay,
            request_timeout=request_timeout,
            clock=clock,
            sleep=sleep,
        )
        started = time.monotonic()
        try:
            result = await _call(adapter, query, window, limit, cursors.get(name), budget, remaining)
        except (ProviderUnsupportedQuery, ProviderNotConfigured) as exc:
            breaker.release(name)
            attempts.append(_attempt(name, "skipped", exc.reason, ms=(time.monotonic() - started) * 1000))
            continue
        except ProviderError as exc:
            if not adapter.simulated:
                permanent = isinstance(exc, ProviderAuthError | ProviderPaymentRequired)
                breaker.record_failure(name, f"{exc.code}", permanent=permanent)
            _log_failure(name, exc, log_extra)
            attempts.append(
                _attempt(
                    name, "failed", provider_reason(exc.code, exc.status), retries=budget.retries,
                    ms=(time.monotonic() - started) * 1000,
                )
            )  # fmt: skip
            continue
        except Exception as exc:  # an adapter bug must not sink the job: log it, fall to the next provider
            logger.exception("adapter crashed", extra={**(log_extra or {}), "provider": name})
            if not adapter.simulated:
                breaker.record_failure(name, type(exc).__name__)
            attempts.append(_attempt(name, "failed", provider_reason("internal_error")))
            continue
        if not adapter.simulated:
            breaker.record_success(name)
        cost += result.billable_items * PRICE_PER_POST_USD.get(name, 0.0)
        if result.cursor:
            new_cursors[name] = dict(result.cursor)
        notes = list(result.notes)
        if budget.retries:
            notes.insert(0, f"{budget.retries} retries ({', '.join(budget.retry_reasons)})")
        attempts.append(
            _attempt(
                name, "ok", "; ".join(notes) or ("" if result.posts else "no posts matched"),
                posts=len(result.posts[:limit]), retries=budget.retries, ms=(time.monotonic() - started) * 1000,
            )
        )  # fmt: skip
        if result.posts:
            chosen, posts = adapter, result.posts[:limit]
            break
        if not adapter.simulated:
            live_answered_empty = live_answered_empty or name

    simulated = bool(chosen is not None and chosen.simulated) or any(p.provider == "simulated" for p in posts)
    provider = chosen.name if chosen is not None else (live_answered_empty or "none")
    source = {
        "provider": provider,
        "simulated": simulated,
        "attempts": attempts,
        "fetched_at": isoformat_z(datetime.now(UTC)),
        "cost_estimate_usd": round(cost, 6),
    }
    return FetchOutcome(posts=posts, source=source, cursors=new_cursors)


def _log_failure(name: str, exc: ProviderError, log_extra: Mapping[str, Any] | None) -> None:
    """The failure's details (the provider's own words included) go to the logs; attempts show a fixed phrase."""
    extra = {**(log_extra or {}), "provider": name, "code": exc.code, "status": exc.status}
    logger.warning("provider failed", extra={**extra, "reason": exc.reason, "provider_message": exc.detail})


async def _call(
    adapter: SocialMediaAdapter,
    query: str,
    window: TimeWindow,
    limit: int,
    cursor: Cursor | None,
    budget: RequestBudget,
    remaining: float,
) -> FetchResult:
    if adapter.simulated:  # local and instant: no budget guard, it is the last resort even when time is up
        return await adapter.fetch(query, window, limit, cursor=cursor, budget=budget)
    try:
        async with asyncio.timeout(max(0.0, remaining) + _TIMEOUT_GRACE_SECONDS):
            return await adapter.fetch(query, window, limit, cursor=cursor, budget=budget)
    except TimeoutError:
        raise ProviderTimeout(f"{adapter.name}: job time budget exhausted") from None

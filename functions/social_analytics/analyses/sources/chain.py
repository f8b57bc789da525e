"""The provider chain: try adapters in order within a job's time budget, record provenance, fall back on failure.

``fetch_with_fallback`` returns the posts of the first adapter that produced any, plus ``source`` (the provenance
stored in ``result.source``) and the newest incremental cursor of every adapter that answered. Retryable errors (429,
5xx, timeouts) are retried per request inside the adapter, waiting what ``Retry-After`` / ``x-rate-limit-reset`` /
``ratelimit-reset`` / ``X-RateLimit-Reset`` ask for when it fits in the remaining budget (see
``adapters._http.RequestBudget``). A ``CircuitBreaker`` per container makes later jobs skip a dead provider quickly.

A live provider that answers with zero posts is a real answer ("nobody posted that"): the chain then tries the next
*live* provider but does not fall back to simulated posts unless ``simulate_when_empty`` is set. Simulated data is
never labeled live: ``source["simulated"]`` is true iff any returned post came from a simulated adapter.

Each attempt is the fan-out's (``fanout.fetch_source``: translation, breaker, budget, typed errors and the check of
every post against the query), so a chain answer counts only matching posts, like a fan-out's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from social_analytics import composition
from social_analytics.analyses.sources._http import DEFAULT_REQUEST_TIMEOUT
from social_analytics.analyses.sources.base import Cursor, SocialMediaAdapter
from social_analytics.analyses.sources.breaker import CircuitBreaker
from social_analytics.analyses.sources.fanout import FetchOutcome, _attempt, fetch_source
from social_analytics.analyses.sources.translate import as_query
from social_analytics.models import Post, TimeWindow, isoformat_z
from social_analytics.query import Query

__all__ = ["FetchOutcome", "fetch_with_fallback"]


async def fetch_with_fallback(
    adapters: Sequence[SocialMediaAdapter],
    query: Query | str,
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
    """Try ``adapters`` in order until one returns matching posts (see the module docstring).

    ``cursors`` maps provider name -> the cursor stored by the previous scan of this keyword (incremental fetch);
    the outcome's ``cursors`` holds the new ones to store. Never raises for provider failures: when everything
    fails the outcome has no posts, ``source["provider"] == "none"`` and every attempt says why. ``log_extra`` (the
    job id) goes with every logged provider failure.
    """
    breaker = breaker or composition.breaker()
    query = as_query(query)
    cursors = cursors or {}
    deadline = clock() + budget_seconds
    options = {
        "max_retries": max_retries, "base_delay": base_delay, "request_timeout": request_timeout,
        "clock": clock, "sleep": sleep, "log_extra": log_extra,
    }  # fmt: skip
    attempts: list[dict] = []
    new_cursors: dict[str, Cursor] = {}
    cost = 0.0
    chosen: SocialMediaAdapter | None = None
    posts: list[Post] = []
    live_answered_empty: str | None = None
    examples: list[dict] = []

    for adapter in adapters:
        name = adapter.name
        if adapter.simulated and live_answered_empty and not simulate_when_empty:
            attempts.append(_attempt(name, "skipped", f"{live_answered_empty} answered with 0 posts"))
            continue
        run = await fetch_source(adapter, query, window, limit, cursors.get(name), deadline, breaker, **options)
        attempts.append(run.attempt)
        cost += run.cost
        examples.extend(run.examples)
        if run.result is None:
            continue
        if run.result.cursor:
            new_cursors[name] = dict(run.result.cursor)
        if run.result.posts:
            chosen, posts = adapter, run.result.posts
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
        "off_topic_examples": examples[:12],
    }
    return FetchOutcome(posts=posts, source=source, cursors=new_cursors)

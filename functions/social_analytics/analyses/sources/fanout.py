"""Fan-out: ask every live source of a job at once within its time budget, merge their posts, record each source.

``fetch_fanout`` runs ``fetch_source`` (the one per-source call: breaker check, request budget, typed errors) for
every live adapter concurrently. A source that fails, hangs or is skipped only changes its own attempt and row; the
others' posts are used. Each source is asked for up to ``limit`` posts (the limit applies per source: with rates
unknown up front, a shared split would starve the busy sources; the volume estimate corrects for every cap).

Each source is first asked what it will be sent (``adapter.translate(query)``: the most selective search it can run
that is still a superset of the query, ``sources.translate``); one that can run none of it is a ``skipped`` row with
the reason, before any request or spend. Every post it returns is then checked against the whole query
(``sources.checking``): only matching posts are merged and counted; the row says how many were ``fetched``,
``matched`` and ``off_topic``, and ``source.off_topic_examples`` keeps a few dropped posts with the reason.

This module owns the attempt of one source (``fetch_source``: breaker, budget, typed errors, the post check); the
provider chain (``sources.chain``, used for imports) runs its attempts through it.

Merging: sources are taken in the job's order; a post is dropped as a duplicate when an earlier post has the same
URL/URI (``url``, or the native id when it is one) or the same author and normalized text (casefolded, whitespace
collapsed). Every post keeps its ``provider``.

Simulated posts never mix with live ones: a simulated adapter in the list runs only when no live source answered
(all failed or were skipped), or when every live source answered with zero posts and ``simulate_when_empty`` is set.
A live source answering zero posts is a real answer ("nobody posted that").

``source``: ``provider`` is the comma-separated list of the sources whose posts are in the result (a single name
when one source produced everything; the answering sources when none had posts; ``"none"`` when nobody answered),
``simulated``, ``attempts`` (unchanged shape, one per source, in order), ``providers`` (one row per source: posts,
coverage, volume estimate, timing, cost, sentiment; see ``service.coverage``), ``fetched_at``, ``cost_estimate_usd``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from social_analytics import composition
from social_analytics.analyses.sources import coverage as cov
from social_analytics.analyses.sources._http import DEFAULT_REQUEST_TIMEOUT, RequestBudget
from social_analytics.analyses.sources.base import (
    Cursor,
    FetchResult,
    ProviderAuthError,
    ProviderError,
    ProviderNotConfigured,
    ProviderPaymentRequired,
    ProviderTimeout,
    ProviderUnsupportedQuery,
    SocialMediaAdapter,
    translate_of,
)
from social_analytics.analyses.sources.breaker import CircuitBreaker
from social_analytics.analyses.sources.catalog import PRICE_PER_POST_USD
from social_analytics.analyses.sources.checking import check_posts
from social_analytics.analyses.sources.translate import as_query
from social_analytics.models import Post, TimeWindow, isoformat_z
from social_analytics.observability import logger
from social_analytics.public_errors import provider_reason
from social_analytics.query import Query

_SPACE = re.compile(r"\s+")
_TIMEOUT_GRACE_SECONDS = 1.0  # past the job's budget, how long a source may still finish its request
MAX_OFF_TOPIC_EXAMPLES = 12  # in the result, over all sources


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


def _log_failure(name: str, exc: ProviderError, log_extra: Mapping[str, Any] | None) -> None:
    """The failure's details (the provider's own words included) go to the logs; attempts show a fixed phrase."""
    extra = {**(log_extra or {}), "provider": name, "code": exc.code, "status": exc.status}
    logger.warning("provider failed", extra={**extra, "reason": exc.reason, "provider_message": exc.detail})


async def _call(
    adapter: SocialMediaAdapter,
    query: Query,
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


@dataclass
class SourceRun:
    """What asking one source produced: its attempt record and, when it answered, its result."""

    adapter: SocialMediaAdapter
    attempt: dict
    result: FetchResult | None = None  # its ``posts`` are the matching ones only
    ms: float = 0.0
    cost: float = 0.0
    fetched: list[Post] = field(default_factory=list)  # what the source returned, before the post check
    off_topic: int = 0
    examples: list[dict] = field(default_factory=list)
    sent_query: str = ""

    @property
    def name(self) -> str:
        return self.adapter.name


@dataclass
class FanoutOutcome(FetchOutcome):
    coverage: dict = field(default_factory=dict)
    volume: dict = field(default_factory=dict)
    by_source: dict[str, list[Post]] = field(default_factory=dict)  # each answering live source's own posts


async def fetch_source(
    adapter: SocialMediaAdapter,
    query: Query | str,
    window: TimeWindow,
    limit: int,
    cursor: Cursor | None,
    deadline: float,
    breaker: CircuitBreaker,
    *,
    max_retries: int = 3,
    base_delay: float = 0.5,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    log_extra: Mapping[str, Any] | None = None,
) -> SourceRun:
    """Ask one source, never raising: the translation, the breaker, the job's deadline and the provider's errors all
    end up in the returned attempt (a fixed public phrase; the provider's own words are logged with ``log_extra``).
    Paid sources come wrapped by ``spend.SpendGate.guard``: a refused spend is a ``skipped`` attempt like any other.
    The posts it returns are checked against ``query``: ``result.posts`` keeps the matching ones."""
    name = adapter.name
    query = as_query(query)
    try:  # before the breaker and any spend: a query the source cannot run costs nothing
        sent = translate_of(adapter, query)
    except (ProviderUnsupportedQuery, ProviderNotConfigured) as exc:
        return SourceRun(adapter, _attempt(name, "skipped", exc.reason))
    remaining = deadline - clock()
    if not adapter.simulated:
        if remaining <= 0:
            return SourceRun(adapter, _attempt(name, "skipped", "job time budget exhausted"), sent_query=sent.sent)
        why = breaker.check(name)
        if why:
            return SourceRun(adapter, _attempt(name, "skipped", why), sent_query=sent.sent)
    budget = RequestBudget(
        deadline=deadline, max_retries=max_retries, base_delay=base_delay, request_timeout=request_timeout,
        clock=clock, sleep=sleep,
    )  # fmt: skip
    started = time.monotonic()
    try:
        result = await _call(adapter, query, window, limit, cursor, budget, remaining)
    except (ProviderUnsupportedQuery, ProviderNotConfigured) as exc:
        breaker.release(name)
        ms = (time.monotonic() - started) * 1000
        return SourceRun(adapter, _attempt(name, "skipped", exc.reason, ms=ms), ms=ms, sent_query=sent.sent)
    except ProviderError as exc:
        if not adapter.simulated:
            permanent = isinstance(exc, ProviderAuthError | ProviderPaymentRequired)
            breaker.record_failure(name, f"{exc.code}", permanent=permanent)
        ms = (time.monotonic() - started) * 1000
        _log_failure(name, exc, log_extra)
        attempt = _attempt(name, "failed", provider_reason(exc.code, exc.status), retries=budget.retries, ms=ms)
        return SourceRun(adapter, attempt, ms=ms, sent_query=sent.sent)
    except Exception as exc:  # an adapter bug must not sink the job or the other sources
        logger.exception("adapter crashed", extra={**(log_extra or {}), "provider": name})
        if not adapter.simulated:
            breaker.record_failure(name, type(exc).__name__)
        ms = (time.monotonic() - started) * 1000
        attempt = _attempt(name, "failed", provider_reason("internal_error"), ms=ms)
        return SourceRun(adapter, attempt, ms=ms, sent_query=sent.sent)
    if not adapter.simulated:
        breaker.record_success(name)
    ms = (time.monotonic() - started) * 1000
    fetched = result.posts[:limit]
    checked = check_posts(query, fetched)
    result.posts = checked.matched
    notes = list(result.notes)
    if budget.retries:
        notes.insert(0, f"{budget.retries} retries ({', '.join(budget.retry_reasons)})")
    if not checked.matched:
        notes.append(f"{len(fetched)} returned, none matched the query" if fetched else "no posts matched")
    attempt = _attempt(
        name, "ok", "; ".join(notes), posts=len(checked.matched), retries=budget.retries, ms=ms,
    )  # fmt: skip
    cost = result.billable_items * PRICE_PER_POST_USD.get(name, 0.0)
    return SourceRun(
        adapter, attempt, result=result, ms=ms, cost=cost, fetched=fetched, off_topic=checked.off_topic,
        examples=checked.examples, sent_query=result.sent_query or sent.sent,
    )  # fmt: skip


def _normalized_text(text: str) -> str:
    return _SPACE.sub(" ", text.casefold()).strip()


def _native(post: Post) -> str:
    native = post.id.split(":", 1)[1] if ":" in post.id else post.id
    return native if "://" in native else ""


def merge_posts(groups: Sequence[Sequence[Post]]) -> list[Post]:
    """The posts of every source, newest first, without duplicates (see the module docstring); earlier groups win."""
    seen_urls: set[str] = set()
    seen_texts: set[tuple[str, str]] = set()
    merged: list[Post] = []
    for posts in groups:
        for post in posts:
            urls = {u for u in (post.url or "", _native(post)) if u}
            text_key = (post.author.casefold(), _normalized_text(post.text)) if post.author else None
            if urls & seen_urls or (text_key is not None and text_key in seen_texts):
                continue
            seen_urls |= urls
            if text_key is not None:
                seen_texts.add(text_key)
            merged.append(post)
    merged.sort(key=lambda p: p.created_at, reverse=True)
    return merged


async def fetch_fanout(
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
) -> FanoutOutcome:
    """Every live adapter at once, then the simulated ones only if needed (see the module docstring). Never raises
    for provider failures."""
    breaker = breaker or composition.breaker()
    query = as_query(query)
    cursors = cursors or {}
    deadline = clock() + budget_seconds
    options = {
        "max_retries": max_retries, "base_delay": base_delay, "request_timeout": request_timeout,
        "clock": clock, "sleep": sleep, "log_extra": log_extra,
    }  # fmt: skip
    live = [a for a in adapters if not a.simulated]
    simulated = [a for a in adapters if a.simulated]
    live_runs = await asyncio.gather(
        *(fetch_source(a, query, window, limit, cursors.get(a.name), deadline, breaker, **options) for a in live)
    )
    answered = [run for run in live_runs if run.result is not None]
    with_posts = [run for run in answered if run.result.posts]
    sim_runs: list[SourceRun] = []
    for adapter in simulated:
        if with_posts:  # not tried at all (as in a chain that stopped at its first answer): no attempt recorded
            continue
        if answered and not simulate_when_empty:
            reason = f"{answered[0].name} answered with 0 posts"
        else:
            sim_runs.append(await fetch_source(adapter, query, window, limit, None, deadline, breaker, **options))
            continue
        sim_runs.append(SourceRun(adapter, _attempt(adapter.name, "skipped", reason)))
    runs = [*live_runs, *sim_runs]
    # Live and simulated never mix: simulated runs only when no live source returned a post.
    producing = with_posts or [run for run in sim_runs if run.result is not None and run.result.posts]
    posts = merge_posts([run.result.posts for run in producing])
    kept: dict[str, int] = {}
    for post in posts:
        kept[post.provider] = kept.get(post.provider, 0) + 1

    rows: list[dict] = []
    estimates: list[dict] = []
    for run in runs:
        estimate = cov.source_estimate(run.result, window, limit, run.fetched) if run.result is not None else {}
        in_result = run in producing
        rows.append(
            cov.row(
                run.name, run.attempt["outcome"], ms=run.ms, cost=run.cost, reason=run.attempt["reason"],
                estimate=estimate, posts=kept.get(run.name, 0) if in_result else 0, fetched=len(run.fetched),
                result=run.result, off_topic=run.off_topic, sent_query=run.sent_query,
            )
        )  # fmt: skip
        estimates.append(estimate)
    coverage, volume = cov.summarize(rows, estimates, len(posts), window)

    names = [run.name for run in producing] or [run.name for run in answered]
    is_simulated = any(run.adapter.simulated for run in producing) or any(p.provider == "simulated" for p in posts)
    source = {
        "provider": ",".join(names) if names else "none",
        "simulated": is_simulated,
        "attempts": [run.attempt for run in runs],
        "providers": rows,
        "fetched_at": isoformat_z(datetime.now(UTC)),
        "cost_estimate_usd": round(sum(run.cost for run in runs), 6),
        "off_topic_examples": [example for run in runs for example in run.examples][:MAX_OFF_TOPIC_EXAMPLES],
    }
    new_cursors = {run.name: dict(run.result.cursor) for run in answered if run.result.cursor}
    by_source = {run.name: run.result.posts for run in answered}
    return FanoutOutcome(
        posts=posts, source=source, cursors=new_cursors, coverage=coverage, volume=volume, by_source=by_source
    )

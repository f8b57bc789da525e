"""HTTP plumbing shared by the live adapters: one request with typed errors, retries inside a job's budget.

``RequestBudget`` (part of the adapter interface, in ``base``) is created by the provider chain per (job, adapter) and
passed down to every request, so retries happen per page (a failed page 3 does not re-fetch - and re-pay for - pages
1 and 2) and never outlive the job.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from social_analytics.analyses.sources.base import (
    DEFAULT_REQUEST_TIMEOUT,
    FetchResult,
    ProviderAuthError,
    ProviderBadResponse,
    ProviderError,
    ProviderForbidden,
    ProviderPaymentRequired,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
    ProviderUnreachable,
    RequestBudget,
)
from social_analytics.models import Post, TimeWindow

if TYPE_CHECKING:  # pragma: no cover
    import httpx

USER_AGENT = "async-social-analytics/0.1 (+https://github.com/; sentiment research)"


def build_client(*, timeout: float = DEFAULT_REQUEST_TIMEOUT, max_connections: int = 64) -> httpx.AsyncClient:
    """The one pooled client per container (create it inside the event loop that will use it)."""
    import httpx  # on first use: the parsing helpers here serve the worker's imports too, which never fetch

    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=False,
    )


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait according to the response headers, or None.

    Understands ``Retry-After`` (seconds or HTTP date), ``x-rate-limit-reset`` (X: epoch seconds),
    ``ratelimit-reset`` (Bluesky: epoch seconds) and ``X-RateLimit-Reset`` (Mastodon: ISO 8601; epoch accepted).
    """
    now = time.time() if now is None else now
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError, IndexError, OverflowError):
                pass
    for name in ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"):
        value = (headers.get(name) or "").strip()
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            moment = parse_datetime(value)
            if moment is not None:
                return max(0.0, moment.timestamp() - now)
            continue
        # An epoch (X, Bluesky) or, from some servers, a delta in seconds.
        return max(0.0, number - now) if number > 1e9 else max(0.0, number)
    return None


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 (``Z`` or offset; naive means UTC) or epoch seconds/milliseconds -> aware UTC datetime, else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text.replace("z", "Z"))
            except ValueError:
                return None
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if number > 1e11:  # milliseconds
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def as_int(value: Any) -> int:
    """A non-negative count from whatever the provider sent (missing, null, string) - 0 when unusable."""
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _message(response: httpx.Response) -> str:
    """A short provider message from an error body (never headers, never the request)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("message", "detail", "error", "title"):
            if isinstance(body.get(key), str):
                return body[key][:160]
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", ""))[:160]
    return ""


def error_for(response: httpx.Response, provider: str) -> ProviderError:
    """The typed error for a non-2xx response."""
    status = response.status_code
    reason = f"{provider}: HTTP {status}"  # the provider's own message stays in ``detail``, for the logs
    hint = retry_after_seconds(response.headers)
    if status == 401:
        error: ProviderError = ProviderAuthError(reason, status=status)
    elif status == 402:
        error = ProviderPaymentRequired(reason, status=status)
    elif status == 403:
        error = ProviderForbidden(reason, status=status)
    elif status == 429:
        error = ProviderRateLimited(reason, retry_after_seconds=hint)
    elif status >= 500:
        error = ProviderUnavailable(reason, status=status, retry_after_seconds=hint)
    else:
        error = ProviderBadResponse(reason, status=status)
    error.detail = _message(response)
    return error


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    provider: str,
    budget: RequestBudget,
    params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    ok_statuses: tuple[int, ...] = (),
) -> tuple[Any, httpx.Response]:
    """One JSON request with typed errors and retries inside ``budget``.

    Returns ``(parsed_json, response)``. Statuses in ``ok_statuses`` (e.g. Mastodon's 404 for an unknown hashtag)
    are returned with ``None`` as the body instead of raising.
    """
    return await request_content(
        client, method, url, provider=provider, budget=budget, params=params, headers=headers, json_body=json_body,
        ok_statuses=ok_statuses, decode=_decode_json,
    )  # fmt: skip


def _decode_json(response: httpx.Response, provider: str) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        raise ProviderBadResponse(
            f"{provider}: malformed JSON (HTTP {response.status_code})", status=response.status_code
        ) from None


async def request_content(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    provider: str,
    budget: RequestBudget,
    decode: Callable[[httpx.Response, str], Any],
    params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    ok_statuses: tuple[int, ...] = (),
    error_of: Callable[[httpx.Response, str], ProviderError] | None = None,
) -> tuple[Any, httpx.Response]:
    """One request with typed errors and retries inside ``budget``, its body read by ``decode(response, provider)``
    (which raises a ``ProviderError`` for a body it cannot use: retried when that error is retryable).
    ``error_of`` maps a non-2xx response to its error (default ``error_for``)."""
    import httpx  # already loaded: ``client`` is one

    error_of = error_of or error_for
    retry_number = 0
    while True:
        remaining = budget.remaining()
        if remaining <= 0:
            raise ProviderTimeout(f"{provider}: job time budget exhausted")
        budget.requests += 1
        try:
            try:
                response = await client.request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    json=json_body,
                    timeout=min(budget.request_timeout, remaining),
                )
            except httpx.TimeoutException as exc:
                raise ProviderTimeout(f"{provider}: request timed out ({type(exc).__name__})") from None
            except httpx.TransportError as exc:
                if _name_not_resolved(exc):
                    raise ProviderUnreachable(f"{provider}: host name does not resolve (no network?)") from None
                raise ProviderUnavailable(f"{provider}: connection failed ({type(exc).__name__})") from None
            if response.status_code in ok_statuses:
                return None, response
            if response.status_code >= 400:
                raise error_of(response, provider)
            return decode(response, provider), response
        except ProviderError as exc:
            if not exc.retryable or retry_number >= budget.max_retries:
                raise
            wait = max(exc.retry_after_seconds or 0.0, budget.backoff(retry_number))
            if wait >= budget.remaining():
                exc.reason += f" (retry in {wait:.1f}s exceeds the remaining budget)"
                raise
            retry_number += 1
            budget.retries += 1
            budget.retry_reasons.append(exc.code)
            await budget.sleep(wait)


def _name_not_resolved(exc: BaseException) -> bool:
    """True when a transport error comes from a DNS lookup failure (``socket.gaierror`` in its chain)."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass
class Page:
    """One page of a search, as an adapter read it: its mapped posts, how many items the provider returned
    (what it bills), and the cursor of the next page, if any."""

    posts: list[Post]
    items: int
    next_cursor: str | None


async def collect_pages(
    result: FetchResult,
    window: TimeWindow,
    limit: int,
    max_pages: int,
    fetch_page: Callable[[str | None], Awaitable[Page]],
    on_post: Callable[[Post], None] | None = None,
    *,
    max_billable: int | None = None,
    page_cost: int = 0,
) -> None:
    """Follow a search's pages into ``result``: posts inside the window, deduplicated, newest first, up to ``limit``.

    ``fetch_page(cursor)`` reads one page (``None`` for the first). A failure after some posts were collected keeps
    them with a note; a failure on the first page raises. ``on_post`` sees every new post, inside the window or not
    (the adapters track the newest id or time there, for incremental cursors).

    ``max_billable`` is a hard ceiling on the items the search may bill: no page is asked for unless ``page_cost``
    more (the most one page can bill) still fit. Items outside the window and duplicates count: the provider bills
    every item it serves, so a provider that keeps serving posts we drop cannot run up the bill.
    """
    seen: set[str] = set()
    page_cursor: str | None = None
    for page_number in range(max_pages):
        if max_billable is not None and max_billable - result.billable_items < page_cost:
            result.notes.append(f"stopped at the billing ceiling: {result.billable_items} items billed")
            result.complete = False
            break
        try:
            page = await fetch_page(page_cursor)
        except ProviderError as exc:
            if not result.posts:
                raise
            result.notes.append(f"stopped after {page_number} pages: {exc.reason}")
            result.complete = False
            break
        result.billable_items += page.items
        for post in page.posts:
            if post.id in seen:
                continue
            if on_post is not None:
                on_post(post)
            if window.start <= post.created_at < window.end:
                seen.add(post.id)
                result.posts.append(post)
        next_cursor = page.next_cursor
        if len(result.posts) >= limit:
            result.complete = False  # stopped by the limit: more posts may exist in the window
            break
        if not page.items or not next_cursor or next_cursor == page_cursor:
            result.complete = True  # the provider has nothing more in the window
            break
        page_cursor = next_cursor
    else:
        result.complete = False  # the page cap ended it
    result.posts = sorted(result.posts, key=lambda p: p.created_at, reverse=True)[:limit]

"""Spend control for paid providers (docs/RELIABILITY.md, "Spend model").

* **Who may spend** is decided by the API when it queues a job (``paid_allowed`` on the job message): callers with
  an API key (API Gateway puts ``requestContext.identity.apiKeyId`` in the event), the admin, and scheduled scans
  of admin-tracked keywords; anonymous searches only when ``PAID_FOR_ANONYMOUS`` is on.
* **A daily budget per paid provider** (``PAID_DAILY_BUDGET_USD``, per UTC day): before each paid call the worker
  reserves the call's maximum cost with one conditional ``ADD`` in DynamoDB that fails when it would pass the
  budget; after the call the reservation is settled to the actual cost. A storage error means no paid call
  (fail closed). A refused reservation skips the provider with ``budget_exhausted``; free sources still answer.
* **No hand-off to a dearer provider**: when a job has a cheaper paid provider too (SocialData beside X), the dearer
  one waits for the cheaper one's outcome (in a concurrent fan-out; in a chain it has it already). If the cheaper
  one answered, the dearer one is not needed (``paid_not_needed``: they search the same posts); if it failed, was
  refused or was never called (circuit open, out of time), the dearer one is skipped with
  ``paid_fallback_disabled`` unless ``PAID_FALLBACK`` is on.

``SpendGate.guard(adapters)`` wraps each configured paid adapter of a job in a ``PaidAdapter``, whose call reserves
first (or raises ``SpendSkipped``, which the provider chain and the fan-out record as ``skipped`` with its reason,
like any provider that cannot be asked) and settles after. Nothing in the chain itself changes.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from social_analytics import composition
from social_analytics.analyses.sources.base import (
    Cursor,
    FetchResult,
    ProviderError,
    ProviderNotConfigured,
    UnconfiguredAdapter,
    translate_of,
)
from social_analytics.analyses.sources.catalog import PRICE_PER_POST_USD, max_billable_items
from social_analytics.models import TimeWindow
from social_analytics.observability import logger
from social_analytics.settings import get_settings

PAID_PROVIDERS = tuple(PRICE_PER_POST_USD)

# One reservation at a time per process: DynamoDB's conditional ADD is atomic, moto's emulation of it is not.
_reserve_lock = threading.Lock()


def _micros(usd: float) -> int:
    return math.ceil(round(usd * 1_000_000, 6))


def today(now: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if now is None else now, UTC).strftime("%Y-%m-%d")


def max_cost_usd(provider: str, limit: int) -> float:
    """The most one call for ``limit`` posts can cost: its billing ceiling (every post up to the limit plus a whole
    last page), which the adapter's paging never passes."""
    return max_billable_items(provider, limit) * PRICE_PER_POST_USD.get(provider, 0.0)


# ----------------------------------------------------------------------------------------------- API side


def caller_may_spend(event: Mapping[str, Any], *, is_admin: bool = False) -> bool:
    """Whether a search from this API Gateway event may use paid providers."""
    if get_settings().paid_for_anonymous or is_admin:
        return True
    identity = (event.get("requestContext") or {}).get("identity") or {}
    return bool(identity.get("apiKeyId"))


# ----------------------------------------------------------------------------------------------- worker side


class SpendSkipped(ProviderNotConfigured):
    """A paid call the spend rules refused: the provider is skipped with ``reason`` (no request was made)."""

    code = "spend_skipped"


@dataclass
class Reservation:
    provider: str
    day: str
    micros: int


class SpendGate:
    """One job's spend rules. ``chain`` names the job's configured providers (for the fallback rule); ``guard`` sets
    it from the adapters it wraps. One gate per job: it remembers how each paid call of the job went."""

    def __init__(
        self,
        *,
        paid_allowed: bool,
        chain: Sequence[str] = (),
        log_extra: Mapping[str, Any] | None = None,
        clock=time.time,
    ) -> None:
        self.paid_allowed = paid_allowed
        self.chain = list(chain)
        self.log_extra = dict(log_extra or {})
        self._clock = clock
        self._outcome: dict[str, str] = {}  # paid provider -> "running" | "answered" | "failed"
        self._done: dict[str, asyncio.Event] = {}

    def started(self, provider: str) -> None:
        """Called synchronously as a paid call begins, so a concurrent dearer call knows to wait for it."""
        self._outcome[provider] = "running"
        self._done.setdefault(provider, asyncio.Event()).clear()

    def finished(self, provider: str, answered: bool) -> None:
        self._outcome[provider] = "answered" if answered else "failed"
        self._done.setdefault(provider, asyncio.Event()).set()

    @staticmethod
    def is_paid(provider: str) -> bool:
        return provider in PRICE_PER_POST_USD

    def guard(self, adapters: Sequence[Any]) -> list[Any]:
        """``adapters`` with every configured paid one wrapped in a ``PaidAdapter`` (same order, same names)."""
        configured = [a for a in adapters if not isinstance(a, UnconfiguredAdapter)]
        self.chain = [a.name for a in configured]
        return [PaidAdapter(a, self) if self.is_paid(a.name) and a in configured else a for a in adapters]

    async def _dearer_refused(self, provider: str) -> str | None:
        """Why ``provider`` must not be called because of a cheaper paid provider of the job, or None."""
        price = PRICE_PER_POST_USD[provider]
        for cheaper in self.chain:
            if cheaper not in PRICE_PER_POST_USD or PRICE_PER_POST_USD[cheaper] >= price:
                continue
            if self._outcome.get(cheaper) == "running":
                await self._done[cheaper].wait()
            if self._outcome.get(cheaper) == "answered":
                return f"paid_not_needed: {cheaper} answered for less (the same posts)"
            if not get_settings().paid_fallback:
                return f"paid_fallback_disabled: {cheaper} is cheaper and did not answer; PAID_FALLBACK is off"
        return None

    async def before(self, provider: str, limit: int) -> tuple[Reservation | None, str | None]:
        """``(reservation, None)`` when the call may go ahead (no reservation for free providers), else
        ``(None, reason)``: ``paid_not_allowed``, ``paid_not_needed``, ``paid_fallback_disabled``,
        ``budget_exhausted`` or ``budget_unavailable`` (the budget could not be read: no paid call)."""
        if not self.is_paid(provider):
            return None, None
        settings = get_settings()
        if not self.paid_allowed:
            return None, "paid_not_allowed: anonymous searches use free sources only"
        refused = await self._dearer_refused(provider)
        if refused:
            return None, refused
        budget = _micros(settings.paid_daily_budget_usd)
        amount = _micros(max_cost_usd(provider, limit))
        day = today(self._clock())
        exhausted = f"budget_exhausted: today's {provider} budget (${settings.paid_daily_budget_usd:g}) is spent"
        if amount > budget:
            return None, exhausted
        try:
            reserved = await asyncio.to_thread(self._reserve, day, provider, amount, budget)
        except Exception:
            logger.exception("spend reservation failed; no paid call", extra={**self.log_extra, "provider": provider})
            return None, "budget_unavailable: the spend budget could not be checked"
        if not reserved:
            logger.info("paid provider skipped: budget exhausted", extra={**self.log_extra, "provider": provider})
            return None, exhausted
        return Reservation(provider=provider, day=day, micros=amount), None

    @staticmethod
    def _reserve(day: str, provider: str, amount: int, budget: int) -> bool:
        with _reserve_lock:
            return composition.data.spend.reserve(day, provider, amount, budget)

    async def after(self, reservation: Reservation | None, billable_items: int | None) -> None:
        """Settle a reservation to the actual cost of ``billable_items`` (None: unknown, the reservation stays).

        Never above the reservation: the adapters stop paging at the ceiling that was reserved, so more billed items
        mean a provider that served bigger pages than documented; that is logged and the day's count keeps the
        reservation (the budget is a cap on what we let calls spend, so it is never raised after the fact)."""
        if reservation is None or billable_items is None:
            return
        actual = _micros(billable_items * PRICE_PER_POST_USD[reservation.provider])
        if actual > reservation.micros:
            logger.warning(
                "paid call billed past its reservation",
                extra={**self.log_extra, "provider": reservation.provider, "billable_items": billable_items},
            )
            actual = reservation.micros
        try:
            await asyncio.to_thread(
                composition.data.spend.adjust, reservation.day, reservation.provider, actual - reservation.micros
            )
        except Exception:  # the reservation stays counted: the day's total errs on the high side
            logger.exception("spend settlement failed", extra={**self.log_extra, "provider": reservation.provider})


class PaidAdapter:
    """A paid adapter behind the job's ``SpendGate``: reserve, call, settle. Provider errors settle to 0 (failed
    requests are not billed) and propagate; anything else (a crash, a cancelled call) keeps the reservation."""

    simulated = False

    def __init__(self, inner: Any, gate: SpendGate) -> None:
        self.inner = inner
        self.name = inner.name
        self.gate = gate

    def __repr__(self) -> str:
        return f"PaidAdapter({self.inner!r})"

    def translate(self, query: Any) -> Any:
        return translate_of(self.inner, query)

    async def fetch(
        self, query: Any, window: TimeWindow, limit: int, *, cursor: Cursor | None = None, budget: Any = None
    ) -> FetchResult:
        self.gate.started(self.name)
        answered = False
        try:
            reservation, why = await self.gate.before(self.name, limit)
            if why:
                raise SpendSkipped(why)
            try:
                result = await self.inner.fetch(query, window, limit, cursor=cursor, budget=budget)
            except ProviderError:
                await self.gate.after(reservation, 0)
                raise
            await self.gate.after(reservation, result.billable_items)
            answered = True
            return result
        finally:
            self.gate.finished(self.name, answered)


# ----------------------------------------------------------------------------------------------- metrics


def report(now: float | None = None) -> dict:
    """``GET /api/metrics``'s ``spend``: today's spend per paid provider against the budget."""
    settings = get_settings()
    day = today(now)
    spent = composition.data.spend.spent(day)
    budget = settings.paid_daily_budget_usd
    providers = {}
    for name in PAID_PROVIDERS:
        micros = spent.get(name, 0)
        # Exhausted: not even a one-post call fits in what is left.
        room = _micros(budget) - micros
        providers[name] = {
            "spent_usd": round(micros / 1_000_000, 6),
            "budget_usd": budget,
            "exhausted": room < _micros(max_cost_usd(name, 1)),
        }
    return {"day": day, "budget_usd_per_provider": budget, "providers": providers}

"""A per-provider circuit breaker shared by every job of a container, so later jobs skip a dead provider quickly.

The container's one breaker is held by ``social_analytics.composition`` (``composition.breaker()``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Circuit:
    failures: int = 0
    open_until: float = 0.0
    trial_in_flight: bool = False
    last_reason: str = ""


class CircuitBreaker:
    """Per-provider breaker shared by all jobs of a container.

    Closed -> open after ``failure_threshold`` consecutive failures (at once for auth / payment errors, which do not
    heal by themselves) for ``reset_seconds``; then half-open: one job tries, success closes, failure re-opens.
    """

    def __init__(
        self, failure_threshold: int = 3, reset_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._circuits: dict[str, _Circuit] = {}

    def state(self, name: str) -> str:
        circuit = self._circuits.get(name)
        if circuit is None or circuit.open_until == 0.0:
            return "closed"
        return "open" if self._clock() < circuit.open_until else "half_open"

    def snapshot(self) -> dict[str, tuple[str, float]]:
        """Every provider with a circuit: (state, seconds it stays open from now; 0 when not open)."""
        now = self._clock()
        return {name: (self.state(name), max(0.0, c.open_until - now)) for name, c in self._circuits.items()}

    def check(self, name: str) -> str | None:
        """None when a call may go ahead, else the reason to skip it (``"circuit open ..."``)."""
        circuit = self._circuits.get(name)
        if circuit is None or circuit.open_until == 0.0:
            return None
        left = circuit.open_until - self._clock()
        if left > 0:
            return f"circuit open for {left:.0f}s more after {circuit.failures} failures ({circuit.last_reason})"
        if circuit.trial_in_flight:
            return "circuit open (half-open: another job is probing the provider)"
        circuit.trial_in_flight = True
        return None

    def record_success(self, name: str) -> None:
        self._circuits.pop(name, None)

    def record_failure(self, name: str, reason: str = "", *, permanent: bool = False) -> None:
        circuit = self._circuits.setdefault(name, _Circuit())
        circuit.failures += 1
        circuit.trial_in_flight = False
        circuit.last_reason = reason[:120]
        if permanent or circuit.failures >= self.failure_threshold or circuit.open_until:
            circuit.open_until = self._clock() + self.reset_seconds

    def release(self, name: str) -> None:
        """A call that neither succeeded nor failed (skipped for its query): free a half-open trial slot."""
        circuit = self._circuits.get(name)
        if circuit is not None:
            circuit.trial_in_flight = False

"""Contract-test helpers: fixtures on disk, a fixed window, mock transports, a budget that never sleeps."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from social_analytics.analyses.sources._http import RequestBudget
from social_analytics.models import TimeWindow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "providers"
NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def fixture(name: str) -> dict | list:
    return json.loads((FIXTURES / name).read_text())


def run(coro):
    return asyncio.run(coro)


def window() -> TimeWindow:
    return TimeWindow.last_hours(24, now=NOW)


class Sleeps(list):
    """Records requested waits instead of sleeping."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def budget(seconds: float = 30.0, **kwargs) -> RequestBudget:
    kwargs.setdefault("base_delay", 0.01)
    kwargs.setdefault("sleep", Sleeps())
    return RequestBudget.of(seconds, **kwargs)


def client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


class Script:
    """A MockTransport handler answering queued responses in order and recording the requests."""

    def __init__(self, *responses: httpx.Response | Callable[[httpx.Request], httpx.Response]) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.responses:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        response = self.responses.pop(0)
        return response(request) if callable(response) else response

"""The analysis service code against in-memory stores (``tests/fakes/stores.py``): no moto, no network."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from social_analytics import composition

from tests.fakes.stores import InMemoryCounters, InMemoryJobStore, InMemoryQueue


@dataclass
class Stores:
    jobs: InMemoryJobStore
    queue: InMemoryQueue
    counters: InMemoryCounters


@pytest.fixture
def stores(monkeypatch) -> Stores:
    monkeypatch.setenv("HOT_CACHE_SECONDS", "5")
    composition.reset()
    fakes = Stores(jobs=InMemoryJobStore(), queue=InMemoryQueue(), counters=InMemoryCounters())
    composition.use(jobs=fakes.jobs, results=fakes.jobs, queue=fakes.queue, counters=fakes.counters)
    yield fakes
    composition.reset()


def result_for(keyword: str, languages: list[str] | None = None) -> dict:
    """A stored result as the worker writes it (only the fields the cache policy reads matter)."""
    result = {"keyword": keyword, "posts_analyzed": 3, "sentiment": {"positive": 1, "neutral": 1, "negative": 1}}
    if languages:
        result["language_filter"] = {"languages": languages}
    return result

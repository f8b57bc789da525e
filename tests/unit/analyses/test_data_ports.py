"""The storage modules behind ``composition.data`` and their in-memory fakes both have every method of their
Protocol in analyses/ports.py, with the same parameters, and the composition's defaults are those modules."""

from __future__ import annotations

import inspect

import pytest
from social_analytics import composition
from social_analytics.analyses import ports
from social_analytics.storage import cursors, imports, metrics, posts, purge, spend, stream

from tests.fakes.stores import (
    InMemoryCounterReadings,
    InMemoryImportObjects,
    InMemoryPostWindows,
    InMemoryPurge,
    InMemorySpendLedger,
)


def methods(protocol: type) -> dict[str, list[str]]:
    return {
        name: [p for p in inspect.signature(member).parameters if p != "self"]
        for name, member in vars(protocol).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


@pytest.mark.parametrize(
    ("protocol", "implementations"),
    [
        (ports.PostWindows, [posts, InMemoryPostWindows()]),
        (ports.Cursors, [cursors, InMemoryPostWindows()]),
        (ports.ImportObjects, [imports, InMemoryImportObjects()]),
        (ports.SpendLedger, [spend, InMemorySpendLedger()]),
        (ports.KeywordPurge, [purge, InMemoryPurge()]),
        (ports.StreamMinutes, [stream, InMemoryPurge()]),
        (ports.CounterReadings, [metrics, InMemoryCounterReadings()]),
    ],
)
def test_the_stores_and_their_fakes_meet_the_protocols(protocol, implementations):
    wanted = methods(protocol)
    attributes = [name for name in getattr(protocol, "__annotations__", {}) if name not in wanted]
    assert wanted
    for implementation in implementations:
        found = {name: list(inspect.signature(getattr(implementation, name)).parameters) for name in wanted}
        assert found == wanted, implementation
        assert all(hasattr(implementation, name) for name in attributes), implementation


def test_the_deployed_wiring_is_the_storage_modules():
    composition.reset()
    assert composition.data == composition.DataStores(
        post_windows=posts,
        cursors=cursors,
        import_objects=imports,
        spend=spend,
        purge=purge,
        stream_minutes=stream,
        counter_readings=metrics,
    )
    fake = InMemorySpendLedger()
    composition.use_data(spend=fake)
    assert composition.data.spend is fake and composition.data.purge is purge
    composition.reset()
    assert composition.data.spend is spend

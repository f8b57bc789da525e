"""The DynamoDB modules and the in-memory fakes both have every method of tracking/ports.py's Protocols, with the
same parameters (what the type checker would say, checked here without one)."""

from __future__ import annotations

import inspect

import pytest
from social_analytics.storage import alerts, events, history, tracked
from social_analytics.tracking import ports

from tests.fakes.tracking_stores import FakeAlerts, FakeEvents, FakeHistory, FakeTrackedStore


def methods(protocol: type) -> dict[str, list[str]]:
    return {
        name: [p for p in inspect.signature(member).parameters if p != "self"]
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    }


@pytest.mark.parametrize(
    ("protocol", "implementations"),
    [
        (ports.TrackedStore, [tracked, FakeTrackedStore()]),
        (ports.History, [history, FakeHistory()]),
        (ports.Alerts, [alerts, FakeAlerts()]),
        (ports.EventBus, [events, FakeEvents()]),
    ],
)
def test_the_stores_and_their_fakes_meet_the_protocols(protocol, implementations):
    wanted = methods(protocol)
    assert wanted
    for implementation in implementations:
        found = {name: list(inspect.signature(getattr(implementation, name)).parameters) for name in wanted}
        assert found == wanted, implementation

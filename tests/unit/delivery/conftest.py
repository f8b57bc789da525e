from __future__ import annotations

import pytest

from tests.fakes.delivery_stores import InMemoryChannels, InMemoryDeliveryQueue, RecordingMailer


@pytest.fixture
def delivery_env(monkeypatch):
    """The delivery stores as in-memory fakes; fast retries; loopback receivers allowed (as in `make run`)."""
    from social_analytics import composition, settings

    monkeypatch.setenv("DELIVERY_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("DELIVERY_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("DELIVERY_BACKOFF_SECONDS", "1")
    monkeypatch.setenv("DELIVERY_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("DELIVERY_EMAIL_SENDER", "alerts@example.org")
    settings.reset()
    stores = composition.use_delivery(
        channels=InMemoryChannels(), queue=InMemoryDeliveryQueue(), mailer=RecordingMailer()
    )
    yield stores
    composition.reset()

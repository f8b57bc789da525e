"""Channels: create (the destination checked by the SSRF guard, the secret stored encrypted and shown once), list,
delete, send a test, read the log."""

from __future__ import annotations

import secrets
import time

from social_analytics import composition
from social_analytics.delivery import guard, messages, signing
from social_analytics.records import Channel, ChannelSecret, ChannelSubscription
from social_analytics.settings import get_delivery_settings


class DestinationRefused(ValueError):
    """The URL or address cannot be a channel; the message names the rule (never the URL)."""


class UnknownChannels(ValueError):
    pass


def new_id() -> str:
    return "ch_" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")


def masked_address(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}"


def create(kind: str, url: str | None, address: str | None, name: str | None) -> dict:
    """The 201 body: the channel with its masked target, plus (webhooks) the signing secret, this once."""
    settings = get_delivery_settings()
    secret = ChannelSecret()
    if kind == "email":
        if not settings.email_sender:
            raise DestinationRefused("email delivery is not configured on this deployment (DELIVERY_EMAIL_SENDER)")
        secret.address = address
        target = masked_address(address or "")
    else:
        try:
            guard.check_url(url or "", allow_loopback=settings.allow_loopback)
        except guard.Refused as refused:
            raise DestinationRefused(f"url {refused}") from None
        secret.url = url
        target = guard.masked(url or "")
        if kind == "webhook":
            secret.secret = signing.new_secret()
    channel = Channel(id=new_id(), type=kind, name=name or f"{kind} {target}", target=target, created_at=time.time())
    composition.delivery.channels.put_channel(channel, secret)
    body = channel.public()
    if secret.secret:
        body["secret"] = secret.secret
    return body


def list_all() -> list[dict]:
    return [c.public() for c in sorted(composition.delivery.channels.list_channels(), key=lambda c: c.created_at)]


def delete(channel_id: str) -> bool:
    """Delete the channel and its secret, and take it off every tracked keyword that named it."""
    deleted = composition.delivery.channels.delete_channel(channel_id)
    tracked = composition.tracking.tracked
    for item in tracked.list_tracked():
        if any(sub.id == channel_id for sub in item.channels):
            item.channels = [sub for sub in item.channels if sub.id != channel_id]
            tracked.put_tracked(item, replace_channels=True)
    return deleted


def exists(channel_id: str) -> bool:
    return composition.delivery.channels.get_channel(channel_id) is not None


def check_subscriptions(subscriptions: list[ChannelSubscription] | None) -> None:
    """Every channel a tracked keyword names must exist."""
    missing = [s.id for s in subscriptions or [] if not exists(s.id)]
    if missing:
        raise UnknownChannels(missing)


def send_test(channel_id: str) -> dict | None:
    channel = composition.delivery.channels.get_channel(channel_id)
    if channel is None:
        return None
    message = messages.test_message(channel.id, channel.name)
    queued = messages.enqueue([message])
    return {"id": channel.id, "queued": bool(queued), "idempotency_key": message.idempotency_key}


def deliveries(channel_id: str, limit: int) -> list[dict] | None:
    if not exists(channel_id):
        return None
    return [row.public() for row in composition.delivery.channels.list_deliveries(channel_id, limit)]

"""Delivery channels, their secrets and their delivery logs.

- ``CHANNELS`` / ``CH#<id>``: the channel (type, name, masked target), no secret;
- SSM SecureString ``<CHANNEL_SECRETS_PATH>/<id>``: its URL or address and its signing secret, as JSON, encrypted
  at rest with the account's ``aws/ssm`` key (no key of our own to pay for);
- ``CHANNEL#<id>`` / ``LOG#<created ms>#<idempotency key>``: one delivery, which is also its idempotency record
  (:func:`claim_delivery` is the one conditional write that lets a message be sent);
- ``CHANNEL#<id>`` / ``FOLD#<hour>``: the alerts the hourly cap held back in that hour.
"""

from __future__ import annotations

import json
import time

from social_analytics.records import Channel, ChannelSecret, Delivery
from social_analytics.settings import get_delivery_settings
from social_analytics.storage import aws, dynamo
from social_analytics.storage.clients import client

_table = dynamo.results_table
SENT_STATUSES = ("sending", "delivered")


def _parameter_name(channel_id: str) -> str:
    return f"{get_delivery_settings().secrets_path.rstrip('/')}/{channel_id}"


# ------------------------------------------------------------------ channels
def put_channel(channel: Channel, secret: ChannelSecret) -> None:
    """The secret first: a channel item never exists without what it needs to send."""
    client("ssm").put_parameter(
        Name=_parameter_name(channel.id),
        Value=secret.model_dump_json(exclude_none=True),
        Type="SecureString",
        Overwrite=False,
    )
    _table().put_item(
        Item=dynamo.to_dynamo({**dynamo.channel_key(channel.id), **channel.model_dump()}),
        ConditionExpression="attribute_not_exists(pk)",
    )


def get_channel(channel_id: str) -> Channel | None:
    item = _table().get_item(Key=dynamo.channel_key(channel_id), ConsistentRead=True).get("Item")
    return Channel.model_validate(dynamo.from_dynamo(item)) if item else None


def list_channels() -> list[Channel]:
    items = dynamo.query_items(KeyConditionExpression=aws.Key("pk").eq(dynamo.CHANNELS), ConsistentRead=True)
    return [Channel.model_validate(dynamo.from_dynamo(item)) for item in items]


def delete_channel(channel_id: str) -> bool:
    response = _table().delete_item(Key=dynamo.channel_key(channel_id), ReturnValues="ALL_OLD")
    try:
        client("ssm").delete_parameter(Name=_parameter_name(channel_id))
    except client("ssm").exceptions.ParameterNotFound:
        pass
    return bool(response.get("Attributes"))


def get_secret(channel_id: str) -> ChannelSecret | None:
    """The channel's URL or address and signing secret (decrypted). None once the channel is deleted."""
    ssm = client("ssm")
    try:
        value = ssm.get_parameter(Name=_parameter_name(channel_id), WithDecryption=True)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None
    return ChannelSecret.model_validate(json.loads(value))


# ------------------------------------------------------------------ the delivery log
def _delivery_key(channel_id: str, created_at: float, idempotency_key: str) -> dict:
    return {"pk": dynamo.channel_pk(channel_id), "sk": dynamo.delivery_sk(created_at, idempotency_key)}


def _delivery(item: dict) -> Delivery:
    return Delivery.model_validate(dynamo.from_dynamo(item))


def create_delivery(delivery: Delivery) -> bool:
    """Record a queued delivery; False when one with the same key exists (it was queued before: do not queue it
    again)."""
    item = {
        **_delivery_key(delivery.channel_id, delivery.created_at, delivery.idempotency_key),
        **delivery.model_dump(exclude_none=True),
        "expires_at": int(delivery.created_at + get_delivery_settings().log_ttl_seconds),
    }
    return dynamo.conditional(
        _table().put_item, Item=dynamo.to_dynamo(item), ConditionExpression="attribute_not_exists(pk)"
    )


def claim_delivery(delivery: Delivery, now: float, lease_seconds: float) -> tuple[bool, Delivery | None]:
    """Take the delivery for one attempt: (True, the row) when this attempt may send; (False, the row as it is)
    when it was delivered or failed already, or another attempt holds it now. Counts the attempt."""
    request = dict(
        Key=_delivery_key(delivery.channel_id, delivery.created_at, delivery.idempotency_key),
        UpdateExpression=(
            "SET #status = :sending, lease_until = :lease, updated_at = :now, kind = :kind, what = :what, "
            "channel_id = :channel, idempotency_key = :key, created_at = :created, expires_at = :expires "
            "ADD attempts :one"
        ),
        ConditionExpression=(
            "attribute_not_exists(pk) OR #status IN (:queued, :retrying) OR (#status = :sending AND lease_until < :now)"
        ),
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues=dynamo.to_dynamo(
            {
                ":sending": "sending",
                ":queued": "queued",
                ":retrying": "retrying",
                ":lease": now + lease_seconds,
                ":now": now,
                ":kind": delivery.kind,
                ":what": delivery.what,
                ":channel": delivery.channel_id,
                ":key": delivery.idempotency_key,
                ":created": delivery.created_at,
                ":expires": int(delivery.created_at + get_delivery_settings().log_ttl_seconds),
                ":one": 1,
            }
        ),
        ReturnValues="ALL_NEW",
    )
    response = dynamo.conditional_response(_table().update_item, **request)
    if response is None:
        return False, get_delivery(delivery.channel_id, delivery.created_at, delivery.idempotency_key)
    return True, _delivery(response["Attributes"])


def get_delivery(channel_id: str, created_at: float, idempotency_key: str) -> Delivery | None:
    item = (
        _table().get_item(Key=_delivery_key(channel_id, created_at, idempotency_key), ConsistentRead=True).get("Item")
    )
    return _delivery(item) if item else None


def finish_delivery(
    delivery: Delivery, status: str, code: int | None, latency_ms: int | None, error: str | None
) -> None:
    """Record an attempt's outcome (``delivered``, ``failed``, ``retrying`` or ``folded``) and release its claim."""
    values = {
        ":status": status,
        ":now": time.time(),
        ":code": code,
        ":latency": latency_ms,
        ":error": error,
    }
    _table().update_item(
        Key=_delivery_key(delivery.channel_id, delivery.created_at, delivery.idempotency_key),
        UpdateExpression="SET #status = :status, updated_at = :now, code = :code, latency_ms = :latency, "
        "#error = :error REMOVE lease_until",
        ExpressionAttributeNames={"#status": "status", "#error": "error"},
        ExpressionAttributeValues=dynamo.to_dynamo(values),
    )


def list_deliveries(channel_id: str, limit: int = 50) -> list[Delivery]:
    response = _table().query(
        KeyConditionExpression=aws.Key("pk").eq(dynamo.channel_pk(channel_id)) & aws.Key("sk").begins_with("LOG#"),
        ScanIndexForward=False,
        Limit=limit,
        ConsistentRead=True,
    )
    return [_delivery(item) for item in response.get("Items", [])]


def count_sent_since(channel_id: str, since: float) -> int:
    """Messages the channel delivered (or is delivering) since ``since``: what the hourly cap counts."""
    return dynamo.count(
        10_000,
        KeyConditionExpression=aws.Key("pk").eq(dynamo.channel_pk(channel_id))
        & aws.Key("sk").between(dynamo.delivery_log_bound(since), "LOG#~"),
        FilterExpression=aws.Attr("status").is_in(list(SENT_STATUSES)),
        ConsistentRead=True,
    )


# ------------------------------------------------------------------ alerts held back by the cap
def add_fold(channel_id: str, hour: int, what: str) -> None:
    _table().update_item(
        Key={"pk": dynamo.channel_pk(channel_id), "sk": dynamo.fold_sk(hour)},
        UpdateExpression="ADD #count :one, alerts :what SET expires_at = if_not_exists(expires_at, :expires)",
        ExpressionAttributeNames={"#count": "count"},
        ExpressionAttributeValues={":one": 1, ":what": {what}, ":expires": hour + 7 * 86400},
    )


def open_folds(channel_id: str, before_hour: int) -> list[dict]:
    """Held-back alerts of hours before ``before_hour`` not yet announced: ``{"hour", "count", "alerts"}``."""
    items = dynamo.query_items(
        KeyConditionExpression=aws.Key("pk").eq(dynamo.channel_pk(channel_id))
        & aws.Key("sk").between(dynamo.fold_sk(0), dynamo.fold_sk(before_hour - 1)),
        FilterExpression=aws.Attr("announced").not_exists(),
        ConsistentRead=True,
    )
    return [
        {"hour": int(item["sk"][5:]), "count": int(item["count"]), "alerts": sorted(item.get("alerts") or [])}
        for item in items
    ]


def mark_fold_announced(channel_id: str, hour: int) -> bool:
    return dynamo.conditional(
        _table().update_item,
        Key={"pk": dynamo.channel_pk(channel_id), "sk": dynamo.fold_sk(hour)},
        UpdateExpression="SET announced = :yes",
        ConditionExpression="attribute_exists(pk) AND attribute_not_exists(announced)",
        ExpressionAttributeValues={":yes": True},
    )

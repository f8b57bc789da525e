"""Daily spend per paid provider: one item per (UTC day, provider), counted in micro-dollars.

Items (pk, sk): ``SPEND#<YYYY-MM-DD>, <provider>`` with ``micros`` (reserved + settled spend, integer micro-USD so
repeated ADDs never drift) and ``calls``. A reservation is one conditional ``ADD``: it succeeds only while the day's
total plus the amount stays within the budget, so concurrent workers can never reserve past it together.
"""

from __future__ import annotations

import time

from social_analytics.storage import dynamo

_KEEP_SECONDS = 3 * 86400
_table = dynamo.results_table
_key = dynamo.spend_key


def reserve(day: str, provider: str, micros: int, budget_micros: int) -> bool:
    """Add ``micros`` to the day's spend if the total stays within ``budget_micros``; False when it would not.

    Any other storage error propagates (the caller fails closed: no paid call).
    """
    if micros > budget_micros:  # the condition below would let a first reservation of the day through
        return False
    return dynamo.conditional(
        _table().update_item,
        Key=_key(day, provider),
        UpdateExpression="ADD micros :amount, calls :one SET expires_at = if_not_exists(expires_at, :ttl)",
        ConditionExpression="attribute_not_exists(micros) OR micros <= :room",
        ExpressionAttributeValues={
            ":amount": micros,
            ":one": 1,
            ":room": budget_micros - micros,
            ":ttl": int(time.time()) + _KEEP_SECONDS,
        },
    )


def adjust(day: str, provider: str, micros: int) -> bool:
    """Settle a reservation: add the difference between the actual cost and the amount reserved (at most 0).

    Conditional, so a settlement can never raise the day's count (the caller clamps the actual cost to the
    reservation) nor take it below zero (a day item that expired or was reset meanwhile). False when refused.
    """
    if micros > 0:
        raise ValueError("a settlement never adds to the reservation")
    if not micros:
        return True
    return dynamo.conditional(
        _table().update_item,
        Key=_key(day, provider),
        UpdateExpression="ADD micros :amount",
        ConditionExpression="micros >= :release",
        ExpressionAttributeValues={":amount": micros, ":release": -micros},
    )


def spent(day: str) -> dict[str, int]:
    """Micro-dollars counted per provider on ``day``."""
    answer = _table().query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": dynamo.spend_pk(day)}, ConsistentRead=True
    )
    items = answer.get("Items", [])
    return {item["sk"]: int(item.get("micros", 0)) for item in items}

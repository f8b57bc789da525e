"""Incremental-scan cursors: one item per (keyword, provider), ``KW#<key>`` / ``CURSOR#<provider>``.

A cursor is the provider's opaque ``dict[str, str]`` (``since_id``, ``since``, ``since_id:<instance>``) plus when it was
taken. ``expires_at`` (epoch s) is both DynamoDB's TTL and the code's freshness check (moto never expires items, and
DynamoDB may take days to): a cursor older than the window it was taken for is useless, so it expires with it.
"""

from __future__ import annotations

import time

from social_analytics.records import StoredCursor
from social_analytics.storage import aws, dynamo

PREFIX = dynamo.CURSOR


def item(key: str, provider: str, cursor: dict[str, str], taken_at: float, expires_at: int) -> dict:
    """The DynamoDB item (resource-style values) of a cursor; ``storage.posts`` writes it in its transaction."""
    return {
        **dynamo.keyword_item_key(key, dynamo.cursor_sk(provider)),
        "provider": provider,
        "cursor": {str(k): str(v) for k, v in cursor.items()},
        "taken_at": dynamo.decimal(taken_at),
        "expires_at": int(expires_at),
    }


def save(key: str, provider: str, cursor: dict[str, str], ttl_seconds: float, now: float | None = None) -> None:
    now = time.time() if now is None else now
    dynamo.results_table().put_item(Item=item(key, provider, cursor, now, int(now + ttl_seconds)))


def load(key: str, now: float | None = None) -> dict[str, StoredCursor]:
    """The keyword's unexpired cursors, by provider."""
    now = time.time() if now is None else now
    found: dict[str, StoredCursor] = {}
    condition = aws.Key("pk").eq(dynamo.keyword_pk(key)) & aws.Key("sk").begins_with(PREFIX)
    for row in dynamo.query_items(KeyConditionExpression=condition):
        if int(row.get("expires_at", 0)) <= now:
            continue
        found[row["provider"]] = StoredCursor(
            provider=row["provider"],
            cursor={str(k): str(v) for k, v in (row.get("cursor") or {}).items()},
            taken_at=float(row.get("taken_at", 0)),
            expires_at=int(row["expires_at"]),
        )
    return found


def delete_for_keyword(key: str) -> int:
    """Delete every cursor of the keyword (expired or not); returns how many items were deleted."""
    return delete_prefix(key, PREFIX)


def delete_prefix(key: str, prefix: str) -> int:
    return dynamo.delete_matching(
        KeyConditionExpression=aws.Key("pk").eq(dynamo.keyword_pk(key)) & aws.Key("sk").begins_with(prefix),
        ProjectionExpression="pk, sk",
        ConsistentRead=True,
    )

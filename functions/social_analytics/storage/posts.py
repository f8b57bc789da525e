"""The posts of a keyword's last live fetch, kept for incremental scans: ``KW#<key>`` / ``POSTS#<part>``.

The window is one zlib-compressed JSON list of posts (newest first) split into parts of at most 350 kB (a DynamoDB
item holds 400 kB), written in one transaction together with the provider's cursor, so a cursor never exists without
the posts it continues from. Every part carries the same ``generation`` (the job id that wrote it) and the part
count; a read that does not find a complete generation returns None (the caller then does a full fetch).
``expires_at`` = fetch time + the window's hours: after that no stored post can be inside a new window.
"""

from __future__ import annotations

import json
import time
import zlib
from datetime import datetime
from functools import cache

from social_analytics.models import Post
from social_analytics.records import StoredWindow
from social_analytics.settings import get_settings
from social_analytics.storage import aws, dynamo
from social_analytics.storage import cursors as cursor_store
from social_analytics.storage.clients import client

PREFIX = dynamo.POSTS
PART_BYTES = 350_000
MAX_PARTS = 10  # 3.5 MB compressed: a transaction holds 4 MB; a bigger window is simply not kept


@cache
def _serializer():
    return aws.TypeSerializer()


def post_to_dict(post: Post) -> dict:
    return {
        "id": post.id,
        "text": post.text,
        "created_at": post.created_at.isoformat(),
        "provider": post.provider,
        "author": post.author,
        "url": post.url,
        "likes": post.likes,
        "reposts": post.reposts,
        "replies": post.replies,
        "language": post.language,
        "hashtags": list(post.hashtags),
    }


def post_from_dict(data: dict) -> Post:
    return Post(
        id=data["id"],
        text=data["text"],
        created_at=datetime.fromisoformat(data["created_at"]),
        provider=data["provider"],
        author=data.get("author") or "",
        url=data.get("url"),
        likes=int(data.get("likes") or 0),
        reposts=int(data.get("reposts") or 0),
        replies=int(data.get("replies") or 0),
        language=data.get("language"),
        hashtags=list(data.get("hashtags") or []),
    )


def encode(posts: list[Post]) -> list[bytes]:
    raw = json.dumps([post_to_dict(p) for p in posts], separators=(",", ":"), ensure_ascii=False).encode()
    packed = zlib.compress(raw, 6)
    return [packed[i : i + PART_BYTES] for i in range(0, len(packed), PART_BYTES)] or [b""]


def decode(parts: list[bytes]) -> list[Post]:
    return [post_from_dict(d) for d in json.loads(zlib.decompress(b"".join(parts)))]


def load_window(key: str, now: float | None = None) -> StoredWindow | None:
    """The keyword's stored window, or None (none, expired, or an incomplete write)."""
    now = time.time() if now is None else now
    rows = list(
        dynamo.query_items(
            KeyConditionExpression=aws.Key("pk").eq(dynamo.keyword_pk(key)) & aws.Key("sk").begins_with(PREFIX),
            ConsistentRead=True,
        )
    )
    if not rows:
        return None
    head = rows[0]
    generation, parts = head.get("generation"), int(head.get("parts", 0))
    current = sorted((r for r in rows if r.get("generation") == generation), key=lambda r: int(r["part"]))
    if len(current) != parts or [int(r["part"]) for r in current] != list(range(parts)):
        return None
    if int(head.get("expires_at", 0)) <= now:
        return None
    data = [r["data"].value if isinstance(r["data"], aws.Binary) else bytes(r["data"]) for r in current]
    try:
        posts = decode(data)
    except (ValueError, KeyError, TypeError, zlib.error):
        return None
    return StoredWindow(
        provider=head["provider"],
        posts=posts,
        fetched_at=float(head["fetched_at"]),
        window_hours=int(head["window_hours"]),
        limit=int(head["limit"]),
        expires_at=int(head["expires_at"]),
        generation=str(generation),
        query=str(head.get("query", "")),
    )


def save_window(
    key: str, window: StoredWindow, cursor: dict[str, str] | None, *, cursors: dict[str, dict[str, str]] | None = None
) -> bool:
    """Replace the keyword's window (and the provider's cursor) atomically. False when it is too big to keep
    (then any previous window is deleted, so the next scan is a full fetch and never merges stale posts).

    A window fanned out over several sources has ``provider`` = their comma-separated names and ``cursors`` = one
    cursor per source (each written in the same transaction)."""
    settings = get_settings()
    parts = encode(window.posts)
    existing = _existing_parts(key)
    if len(parts) > MAX_PARTS:
        delete_for_keyword(key)
        return False
    common = {
        "provider": window.provider,
        "generation": window.generation,
        "query": window.query,
        "parts": len(parts),
        "count": len(window.posts),
        "fetched_at": dynamo.decimal(window.fetched_at),
        "window_hours": window.window_hours,
        "limit": window.limit,
        "expires_at": window.expires_at,
    }
    actions: list[dict] = [
        {"Put": {"TableName": settings.table_name, "Item": _typed(_part_item(key, i, data, common))}}
        for i, data in enumerate(parts)
    ]
    actions += [
        {"Delete": {"TableName": settings.table_name, "Key": _typed(dynamo.keyword_item_key(key, sk))}}
        for sk in existing
        if sk not in {_part_sk(i) for i in range(len(parts))}
    ]
    if cursor:
        cursor_item = cursor_store.item(key, window.provider, cursor, window.fetched_at, window.expires_at)
        actions.append({"Put": {"TableName": settings.table_name, "Item": _typed(cursor_item)}})
    for provider, each in (cursors or {}).items():
        cursor_item = cursor_store.item(key, provider, each, window.fetched_at, window.expires_at)
        actions.append({"Put": {"TableName": settings.table_name, "Item": _typed(cursor_item)}})
    client("dynamodb").transact_write_items(TransactItems=actions)
    return True


def delete_for_keyword(key: str) -> int:
    """Delete the keyword's stored window (every part); returns how many items were deleted."""
    return cursor_store.delete_prefix(key, PREFIX)


_part_sk = dynamo.posts_part_sk


def _part_item(key: str, index: int, data: bytes, common: dict) -> dict:
    return {**dynamo.keyword_item_key(key, _part_sk(index)), "part": index, "data": aws.Binary(data), **common}


def _existing_parts(key: str) -> list[str]:
    page = dynamo.results_table().query(
        KeyConditionExpression=aws.Key("pk").eq(dynamo.keyword_pk(key)) & aws.Key("sk").begins_with(PREFIX),
        ProjectionExpression="sk",
        ConsistentRead=True,
    )
    return [row["sk"] for row in page.get("Items", [])]


def _typed(item: dict) -> dict:
    return {name: _serializer().serialize(value) for name, value in item.items() if value is not None}

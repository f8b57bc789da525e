"""Jetstream counts: the stream cursor, recorded gaps, per-keyword per-minute buckets and counted-post markers.

Items (all in the results table, all with ``expires_at`` TTL except the cursor):

- ``STREAM, CURSOR``: ``time_us`` of the newest event whose effects are stored (everything at or before it).
- ``STREAM, GAP#<from µs>#<to µs>``: an interval the stream did not deliver, with its reason.
- ``STREAM#KW#<key>, MIN#<minute epoch>``: one minute of one keyword: posts, positive, neutral, negative,
  compound_sum, deleted, ``terms_json`` (top terms), ``samples_json`` (the newest few posts), and ``ids`` /
  ``deleted_ids``, string sets of the counted posts' short hashes. The sets make counting exactly-once: a bucket
  is rewritten with a condition on its version, adding only posts not yet in ``ids``, so every redelivery
  (rewound cursor, reconnect, a run that died before storing its cursor) adds nothing.
- ``STREAM#SEEN#<hash>, POST``: which keywords counted a post, so a later delete is counted for them.
- ``STREAM#HR#<key>, HOUR#<hour epoch>``: the read path of long views and the backtest. One item per keyword and
  hour holding, per minute ``MM`` that has posts, ``mMM`` (``"posts,positive,neutral,negative,compound_sum,deleted"``)
  and ``vMM`` (the minute bucket's version it copies). About 2 KB an hour, so a 7-day backtest reads 169 small items
  (tens of read units) instead of 10,080 minute items with their id sets (thousands): DynamoDB bills a read by the
  size of the whole item, a projection does not make it cheaper. Written after each merge, apart from the
  exactly-once minute writes: one conditional update per keyword and hour touched (never older over newer: a cell's
  ``vMM`` only grows), so it stays a copy of the minute buckets that any later merge of the minute repairs.

Reads of buckets for the API project away the id sets.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from social_analytics.observability import logger
from social_analytics.records import BucketDelta, CountedPost  # noqa: F401  (re-exported: built by the stream)
from social_analytics.settings import get_settings
from social_analytics.storage import aws, dynamo

PARTITION = dynamo.STREAM
MAX_TERMS = 50
MAX_SAMPLES = 5
# A bucket item stays under DynamoDB's 400 KB by construction: at most this many post hashes (12 bytes each) in
# ``ids`` and ``deleted_ids`` together (~240 KB), 50 terms of at most 64 characters, 5 samples of a few KB each.
# A minute of the whole network holds about 3,000 posts; past the cap a post is not counted (and logged).
MAX_IDS_PER_BUCKET = 20_000
_MERGE_ATTEMPTS = 8
_PUT_THREADS = 16


_table = dynamo.results_table
bucket_pk = dynamo.stream_bucket_pk
_minute_sk = dynamo.minute_sk
HOUR = 3600
_COUNT_FIELDS = ("posts", "positive", "neutral", "negative", "compound_sum", "deleted")


# ------------------------------------------------------------------ cursor and gaps
def get_cursor() -> int | None:
    item = _table().get_item(Key=dynamo.stream_cursor_key(), ConsistentRead=True).get("Item")
    return int(item["time_us"]) if item else None


def put_cursor(time_us: int) -> None:
    """Store the cursor; never moves it back (an older, slower run finishing late leaves a newer one)."""
    dynamo.conditional(
        _table().put_item,
        Item={**dynamo.stream_cursor_key(), "time_us": time_us, "updated_at": dynamo.decimal(time.time())},
        ConditionExpression="attribute_not_exists(time_us) OR time_us < :t",
        ExpressionAttributeValues={":t": time_us},
    )


def put_gap(from_us: int, to_us: int, reason: str, ttl_seconds: int) -> None:
    _table().put_item(
        Item={
            "pk": PARTITION,
            "sk": dynamo.stream_gap_sk(from_us, to_us),
            "from_us": from_us,
            "to_us": to_us,
            "reason": reason,
            "expires_at": int(to_us / 1e6 + ttl_seconds),
        }
    )


def list_gaps(since_us: int, until_us: int) -> list[dict]:
    """Gaps overlapping [since, until], oldest first: ``{"from_us", "to_us", "reason"}``."""
    condition = aws.Key("pk").eq(PARTITION) & aws.Key("sk").between("GAP#", f"GAP#{until_us:017d}~")
    return [
        {"from_us": int(item["from_us"]), "to_us": int(item["to_us"]), "reason": item["reason"]}
        for item in dynamo.query_items(KeyConditionExpression=condition)
        if int(item["to_us"]) >= since_us and int(item["from_us"]) <= until_us
    ]


def reset_cursor_and_gaps() -> tuple[bool, int]:
    """Forget the cursor and every recorded gap (the admin's way out of a stuck cursor); the counts stay."""
    removed = _table().delete_item(Key=dynamo.stream_cursor_key(), ReturnValues="ALL_OLD").get("Attributes")
    gaps = dynamo.delete_matching(
        KeyConditionExpression=aws.Key("pk").eq(PARTITION) & aws.Key("sk").begins_with("GAP#"),
        ProjectionExpression="pk, sk",
    )
    return removed is not None, gaps


def get_backfill(key: str) -> dict | None:
    """``{"from_us", "to_us"}``: the archived span a keyword's minutes were filled from, None when never filled."""
    item = _table().get_item(Key=dynamo.stream_backfill_key(key), ConsistentRead=True).get("Item")
    return {"from_us": int(item["from_us"]), "to_us": int(item["to_us"])} if item else None


def put_backfill(key: str, from_us: int, to_us: int, ttl_seconds: int) -> None:
    _table().put_item(
        Item={
            **dynamo.stream_backfill_key(key),
            "key": key,
            "from_us": from_us,
            "to_us": to_us,
            "expires_at": int(to_us / 1e6 + ttl_seconds),
        }
    )


# ------------------------------------------------------------------ buckets
def _plain_bucket(item: dict) -> dict:
    return {
        "minute": dynamo.minute_of(item["sk"]),
        "posts": int(item.get("posts", 0)),
        "positive": int(item.get("positive", 0)),
        "neutral": int(item.get("neutral", 0)),
        "negative": int(item.get("negative", 0)),
        "compound_sum": float(item.get("compound_sum", 0)),
        "deleted": int(item.get("deleted", 0)),
        "terms": json.loads(item.get("terms_json") or "{}"),
        "samples": json.loads(item.get("samples_json") or "[]"),
    }


def _merged(item: dict | None, key: str, minute: int, delta: BucketDelta, ttl_seconds: int) -> dict | None:
    """The bucket item with the delta's new posts and deletes added, or None when it adds nothing."""
    item = dict(item or {"pk": bucket_pk(key), "sk": _minute_sk(minute), "ver": 0})
    ids = set(item.get("ids") or ())
    deleted_ids = set(item.get("deleted_ids") or ())
    new_posts = {h: p for h, p in delta.posts.items() if h not in ids}
    new_deletes = delta.deleted - deleted_ids
    room = MAX_IDS_PER_BUCKET - len(ids) - len(deleted_ids)
    if len(new_posts) + len(new_deletes) > room:
        logger.warning(
            "stream bucket full: posts not counted",
            extra={"minute": minute, "over": len(new_posts) + len(new_deletes) - max(room, 0)},
        )
        new_deletes = set(sorted(new_deletes)[: max(room, 0)])
        new_posts = dict(sorted(new_posts.items())[: max(room - len(new_deletes), 0)])
    if not new_posts and not new_deletes:
        return None
    terms = json.loads(item.get("terms_json") or "{}")
    samples = json.loads(item.get("samples_json") or "[]")
    counts = {name: int(item.get(name, 0)) for name in ("posts", "positive", "neutral", "negative", "deleted")}
    compound_sum = float(item.get("compound_sum", 0))
    for post in new_posts.values():
        counts["posts"] += 1
        counts[post.label] += 1
        compound_sum += post.compound
        for term in set(post.terms):
            terms[term] = terms.get(term, 0) + 1
        samples.append(post.sample)
    counts["deleted"] += len(new_deletes)
    top_terms = dict(sorted(terms.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TERMS])
    samples = sorted(samples, key=lambda s: s["time_us"], reverse=True)[:MAX_SAMPLES]
    item.update({name: value for name, value in counts.items()})
    item.update(
        {
            "epoch": minute,
            "compound_sum": dynamo.decimal(compound_sum, 4),
            "terms_json": json.dumps(top_terms, separators=(",", ":"), ensure_ascii=False),
            "samples_json": json.dumps(samples, separators=(",", ":"), ensure_ascii=False),
            "expires_at": minute + ttl_seconds,
            "ver": int(item.get("ver", 0)) + 1,
        }
    )
    if ids | new_posts.keys():
        item["ids"] = ids | new_posts.keys()
    if deleted_ids | new_deletes:
        item["deleted_ids"] = deleted_ids | new_deletes
    return item


def _batch_get(keys: list[dict], projection: str | None = None) -> dict[tuple[str, str], dict]:
    """Strongly consistent BatchGetItem of up to any number of keys (100 per call, unprocessed ones retried)."""
    name = get_settings().table_name
    resource = _table().meta.client
    found: dict[tuple[str, str], dict] = {}
    extra = {"ProjectionExpression": projection} if projection else {}
    for start in range(0, len(keys), 100):
        request = {name: {"Keys": keys[start : start + 100], "ConsistentRead": True, **extra}}
        for _ in range(10):
            response = resource.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(name, []):  # the resource's client speaks Python types
                found[(item["pk"], item["sk"])] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(0.05)
    return found


def merge_buckets(deltas: dict[tuple[str, int], BucketDelta], ttl_seconds: int) -> int:
    """Add each delta to its (keyword, minute) bucket exactly once; returns the posts newly counted.

    One consistent batch read of every touched bucket, then one conditional put per bucket that changes
    (condition: the version read is still there), re-read and retried when another run wrote in between.
    """
    if not deltas:
        return 0
    keys = [{"pk": bucket_pk(key), "sk": _minute_sk(minute)} for key, minute in deltas]
    current = _batch_get(keys)

    def merge_one(entry: tuple[tuple[str, int], BucketDelta]) -> tuple[int, dict | None]:
        """(posts newly counted, the bucket as stored now, or None when there is none)."""
        (key, minute), delta = entry
        item = current.get((bucket_pk(key), _minute_sk(minute)))
        for _attempt in range(_MERGE_ATTEMPTS):
            before = int(item.get("posts", 0)) if item else 0
            merged = _merged(item, key, minute, delta, ttl_seconds)
            if merged is None:  # a redelivery: its hour cell is rewritten too, in case a crash lost that write
                return 0, item
            if item is None:
                written = dynamo.conditional(
                    _table().put_item, Item=merged, ConditionExpression="attribute_not_exists(pk)"
                )
            else:
                written = dynamo.conditional(
                    _table().put_item,
                    Item=merged,
                    ConditionExpression="ver = :v",
                    ExpressionAttributeValues={":v": item["ver"]},
                )
            if written:
                return merged["posts"] - before, merged
            item = _table().get_item(Key={"pk": bucket_pk(key), "sk": _minute_sk(minute)}, ConsistentRead=True)
            item = item.get("Item")
        raise RuntimeError(f"bucket {key!r} {minute} kept changing under {_MERGE_ATTEMPTS} attempts")

    # The puts are independent round trips: overlap them (boto3 clients are thread-safe).
    with ThreadPoolExecutor(max_workers=min(_PUT_THREADS, len(deltas))) as pool:
        merged = dict(zip(deltas, pool.map(merge_one, deltas.items()), strict=True))
    _update_hours({where: bucket for where, (_, bucket) in merged.items() if bucket is not None}, ttl_seconds)
    return sum(counted for counted, _ in merged.values())


def get_buckets(wanted: list[tuple[str, int]]) -> dict[tuple[str, int], dict]:
    """The buckets of these (keyword, minute) pairs that exist, in batches of 100 keys (alert evaluation)."""
    names = "pk, sk, posts, positive, neutral, negative, compound_sum, deleted, terms_json, samples_json"
    keys = [{"pk": bucket_pk(key), "sk": _minute_sk(minute)} for key, minute in dict.fromkeys(wanted)]
    found = _batch_get(keys, names)
    return {
        (dynamo.stream_bucket_key_of(pk), dynamo.minute_of(sk)): _plain_bucket(item) for (pk, sk), item in found.items()
    }


def query_buckets(key: str, since_minute: int, until_minute: int, samples: bool = True) -> list[dict]:
    """Buckets with since <= minute <= until, oldest first, without their id sets."""
    names = "pk, sk, posts, positive, neutral, negative, compound_sum, deleted, terms_json"
    items = dynamo.query_items(
        KeyConditionExpression=aws.Key("pk").eq(bucket_pk(key))
        & aws.Key("sk").between(_minute_sk(since_minute), _minute_sk(until_minute)),
        ProjectionExpression=names + (", samples_json" if samples else ""),
    )
    return [_plain_bucket(item) for item in items]


# ------------------------------------------------------------------ hour aggregates (the read path)
def _update_hours(buckets: dict[tuple[str, int], dict], ttl_seconds: int) -> None:
    """Copy the minute buckets a merge stored into their hour items: one conditional update per keyword and hour."""
    hours: dict[tuple[str, int], dict[int, dict]] = {}
    for (key, minute), bucket in buckets.items():
        hours.setdefault((key, minute - minute % HOUR), {})[minute] = bucket
    if not hours:
        return

    def update(entry: tuple[tuple[str, int], dict[int, dict]]) -> None:
        (key, hour), minutes = entry
        if not _put_hour_cells(key, hour, minutes, ttl_seconds) and len(minutes) > 1:
            for minute, bucket in minutes.items():  # some minute was newer already: the others one by one
                _put_hour_cells(key, hour, {minute: bucket}, ttl_seconds)

    with ThreadPoolExecutor(max_workers=min(_PUT_THREADS, len(hours))) as pool:
        list(pool.map(update, hours.items()))


def _put_hour_cells(key: str, hour: int, minutes: dict[int, dict], ttl_seconds: int) -> bool:
    """Set these minutes' cells of one hour item, unless a newer version of one of them is there (False)."""
    sets, conditions = ["expires_at = :ttl"], []
    values: dict[str, object] = {":ttl": hour + HOUR + ttl_seconds}
    for minute, bucket in sorted(minutes.items()):
        slot = f"{(minute - hour) // 60:02d}"
        sets += [f"m{slot} = :c{slot}", f"v{slot} = :v{slot}"]
        conditions.append(f"(attribute_not_exists(v{slot}) OR v{slot} < :v{slot})")
        values[f":c{slot}"] = ",".join(str(bucket.get(name, 0)) for name in _COUNT_FIELDS)
        values[f":v{slot}"] = int(bucket["ver"])
    return dynamo.conditional(
        _table().update_item,
        Key={"pk": dynamo.stream_hours_pk(key), "sk": dynamo.hour_sk(hour)},
        UpdateExpression="SET " + ", ".join(sets),
        ConditionExpression=" AND ".join(conditions),
        ExpressionAttributeValues=values,
    )


def query_hours(key: str, since_minute: int, until_minute: int) -> list[dict]:
    """The minutes with since <= minute <= until from the hour items, oldest first: counts only (no terms, no
    samples), the shape of ``query_buckets``. One small item per hour read."""
    items = dynamo.query_items(
        KeyConditionExpression=aws.Key("pk").eq(dynamo.stream_hours_pk(key))
        & aws.Key("sk").between(dynamo.hour_sk(since_minute - since_minute % HOUR), dynamo.hour_sk(until_minute)),
    )
    minutes = []
    for item in items:
        hour = dynamo.hour_of(item["sk"])
        for slot in range(60):
            cell = item.get(f"m{slot:02d}")
            minute = hour + slot * 60
            if cell is None or not since_minute <= minute <= until_minute:
                continue
            values = cell.split(",")
            bucket = {
                name: int(value) for name, value in zip(_COUNT_FIELDS, values, strict=True) if name != "compound_sum"
            }
            bucket["compound_sum"] = float(values[_COUNT_FIELDS.index("compound_sum")])
            minutes.append({"minute": minute, **bucket, "terms": {}, "samples": []})
    return minutes


# ------------------------------------------------------------------ counted-post markers (for deletes)
def mark_counted(markers: dict[str, dict[str, int]], ttl_seconds: int) -> None:
    """``{post hash: {keyword key: minute}}``, written in batches (idempotent puts, later keys merged in)."""
    if not markers:
        return
    existing = _batch_get([dynamo.stream_seen_key(h) for h in markers])
    expires = int(time.time()) + ttl_seconds
    with _table().batch_writer() as batch:
        for post_hash, keys in markers.items():
            seen = dynamo.stream_seen_key(post_hash)
            old = existing.get((seen["pk"], seen["sk"]))
            merged = {**json.loads(old["keys_json"]), **keys} if old else keys
            if old and merged == json.loads(old["keys_json"]):
                continue
            batch.put_item(
                Item={
                    **seen,
                    "keys_json": json.dumps(merged, sort_keys=True),
                    "expires_at": expires,
                }
            )


def counted_keys(post_hashes: list[str]) -> dict[str, dict[str, int]]:
    """For each hash of a counted post: the keywords that counted it."""
    if not post_hashes:
        return {}
    found = _batch_get([dynamo.stream_seen_key(h) for h in dict.fromkeys(post_hashes)])
    return {dynamo.stream_seen_hash_of(pk): json.loads(item["keys_json"]) for (pk, _), item in found.items()}


def count_minutes(key: str, up_to: int) -> int:
    """How many minute buckets a keyword has, counting no further than ``up_to`` (keys only)."""
    return dynamo.count(up_to, KeyConditionExpression=aws.Key("pk").eq(bucket_pk(key)))


def delete_keyword(key: str) -> int:
    """Remove a keyword's buckets and their hour items (its part of a keyword deletion)."""
    dynamo.delete_matching(
        KeyConditionExpression=aws.Key("pk").eq(dynamo.stream_hours_pk(key)), ProjectionExpression="pk, sk"
    )
    return dynamo.delete_matching(
        KeyConditionExpression=aws.Key("pk").eq(bucket_pk(key)), ProjectionExpression="pk, sk"
    )

"""The results table's plumbing, in one place: its key schema, Decimal conversion, pagination, conditional writes.

Every storage module builds its keys here, so the table's layout can be read in one screen:

==============================  ==================================  =============================================
pk                              sk                                  what
==============================  ==================================  =============================================
``JOB#<job id>``                ``JOB``                             a job (``storage.jobs``)
``KW#<key>``                    ``INFLIGHT``                        the keyword's single-flight lock
``KW#<key>``                    ``RESULT``                          the keyword's latest result (the cache)
``KW#<key>``                    ``HIST#<iso time>#<job id>``        a tracked keyword's history point
``KW#<key>``                    ``CURSOR#<provider>``               an incremental-scan cursor
``KW#<key>``                    ``POSTS#<part>``                    the posts of the last live fetch
``TRACKED``                     ``KW#<key>``                        a tracked keyword
``ALERTS``                      ``<iso time>#<key>#<type>``         an alert
``METRICS``                     ``<name>``                          a counter (``storage.metrics``)
``SPEND#<YYYY-MM-DD>``          ``<provider>``                      a paid provider's spend that day
``STREAM``                      ``CURSOR`` / ``GAP#<from>#<to>``    the stream cursor, a gap
``STREAM#KW#<key>``             ``MIN#<minute epoch>``              one minute of one keyword's stream counts
``STREAM#HR#<key>``             ``HOUR#<hour epoch>``               its compact counts per minute of one hour
``STREAM#SEEN#<post hash>``     ``POST``                            which keywords counted a post
``CHANNELS``                    ``CH#<channel id>``                 a delivery channel (``storage.channels``)
``CHANNEL#<channel id>``        ``LOG#<ms>#<idempotency key>``      one delivery in the channel's log
``CHANNEL#<channel id>``        ``FOLD#<hour epoch>``               alerts held back by the hourly cap
==============================  ==================================  =============================================

Pagination is one loop (``pages``/``query_items``) because the resource-level ``Table`` (which speaks Python types
and boto3's condition objects) has no paginators; conditional writes go through :func:`conditional`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from social_analytics.settings import get_settings
from social_analytics.storage import aws
from social_analytics.storage.clients import table

KEYWORD = "KW#"
JOB = "JOB#"
TRACKED = "TRACKED"
ALERTS = "ALERTS"
METRICS = "METRICS"
SPEND = "SPEND#"
STREAM = "STREAM"
STREAM_KEYWORD = "STREAM#KW#"
STREAM_SEEN = "STREAM#SEEN#"
CHANNELS = "CHANNELS"
CHANNEL = "CHANNEL#"
STREAM_HOURS = "STREAM#HR#"

# Sort-key prefixes of a keyword's partition (``KW#<key>``).
LOCK_SK = "INFLIGHT"
RESULT_SK = "RESULT"
HISTORY = "HIST#"
CURSOR = "CURSOR#"
POSTS = "POSTS#"


def results_table():
    """The results table (every item above lives in it)."""
    return table(get_settings().table_name)


# ------------------------------------------------------------------ keys
def keyword_pk(key: str) -> str:
    return f"{KEYWORD}{key}"


def keyword_item_key(key: str, sort_key: str) -> dict:
    return {"pk": keyword_pk(key), "sk": sort_key}


def job_key(job_id: str) -> dict:
    return {"pk": f"{JOB}{job_id}", "sk": "JOB"}


def lock_key(key: str) -> dict:
    return keyword_item_key(key, LOCK_SK)


def keyword_result_key(key: str) -> dict:
    return keyword_item_key(key, RESULT_SK)


def history_sk(moment_iso: str, job_id: str = "") -> str:
    return f"{HISTORY}{moment_iso}#{job_id}"


def cursor_sk(provider: str) -> str:
    return f"{CURSOR}{provider}"


def posts_part_sk(index: int) -> str:
    return f"{POSTS}{index:03d}"


def tracked_key(key: str) -> dict:
    return {"pk": TRACKED, "sk": keyword_pk(key)}


def alert_sk(at_iso: str, key: str, alert_type: str) -> str:
    return f"{at_iso}#{key}#{alert_type}"


def metric_key(name: str) -> dict:
    return {"pk": METRICS, "sk": name}


def spend_pk(day: str) -> str:
    return f"{SPEND}{day}"


def spend_key(day: str, provider: str) -> dict:
    return {"pk": spend_pk(day), "sk": provider}


def stream_cursor_key() -> dict:
    return {"pk": STREAM, "sk": "CURSOR"}


def stream_backfill_key(key: str) -> dict:
    """Where a keyword's archive backfill is recorded (the key hashed: a key may be longer than a sort key allows)."""
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    return {"pk": STREAM, "sk": f"BACKFILL#{digest}"}


def stream_gap_sk(from_us: int, to_us: int) -> str:
    return f"GAP#{from_us:017d}#{to_us:017d}"


def stream_bucket_pk(key: str) -> str:
    return f"{STREAM_KEYWORD}{key}"


def stream_bucket_key_of(pk: str) -> str:
    """The keyword key of a bucket's pk (the inverse of :func:`stream_bucket_pk`)."""
    return pk.removeprefix(STREAM_KEYWORD)


def minute_sk(minute: int) -> str:
    return f"MIN#{minute:010d}"


def minute_of(sort_key: str) -> int:
    return int(sort_key[4:])


def stream_hours_pk(key: str) -> str:
    return f"{STREAM_HOURS}{key}"


def hour_sk(hour: int) -> str:
    return f"HOUR#{hour:010d}"


def hour_of(sort_key: str) -> int:
    return int(sort_key[5:])


def stream_seen_key(post_hash: str) -> dict:
    return {"pk": f"{STREAM_SEEN}{post_hash}", "sk": "POST"}


def stream_seen_hash_of(pk: str) -> str:
    return pk.removeprefix(STREAM_SEEN)


def channel_key(channel_id: str) -> dict:
    return {"pk": CHANNELS, "sk": f"CH#{channel_id}"}


def channel_pk(channel_id: str) -> str:
    return f"{CHANNEL}{channel_id}"


def delivery_sk(created_at: float, idempotency_key: str) -> str:
    return f"LOG#{round(created_at * 1000):013d}#{idempotency_key}"


def delivery_log_bound(epoch: float) -> str:
    return f"LOG#{round(epoch * 1000):013d}"


def fold_sk(hour_epoch: int) -> str:
    return f"FOLD#{hour_epoch:010d}"


# ------------------------------------------------------------------ values
def decimal(number: float, places: int | None = 3) -> Decimal:
    """A number as a DynamoDB Decimal, rounded to ``places`` (epoch seconds keep milliseconds) unless None."""
    return Decimal(str(number if places is None else round(number, places)))


def to_dynamo(value: Any, places: int | None = 3) -> Any:
    """``value`` as DynamoDB accepts it: floats become Decimals (rounded to ``places``, unless None), inside lists
    and dicts too; everything else is returned as it is."""
    if isinstance(value, float):
        return decimal(value, places)
    if isinstance(value, dict):
        return {name: to_dynamo(item, places) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamo(item, places) for item in value]
    return value


def from_dynamo(value: Any) -> Any:
    """The inverse: Decimals become ints when whole, floats otherwise; sets become sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {name: from_dynamo(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [from_dynamo(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(from_dynamo(item) for item in value)
    return value


# ------------------------------------------------------------------ reads
def pages(call: Callable[..., dict], **request: Any) -> Iterator[dict]:
    """Every page of a ``query``/``scan`` (``call`` is the table's method), fetched as they are consumed."""
    while True:
        page = call(**request)
        yield page
        last = page.get("LastEvaluatedKey")
        if last is None:
            return
        request["ExclusiveStartKey"] = last


def query_items(**request: Any) -> Iterator[dict]:
    """Every item a query of the results table returns, page after page (stop consuming to stop reading)."""
    for page in pages(results_table().query, **request):
        yield from page.get("Items", [])


def count(up_to: int, **request: Any) -> int:
    """How many items a query matches, counting no further than ``up_to`` (``Select=COUNT``, ``Limit=up_to``)."""
    total = 0
    if up_to <= 0:  # DynamoDB refuses a Limit below 1
        return min(total, up_to)
    for page in pages(results_table().query, **request, Select="COUNT", Limit=up_to):
        total += int(page.get("Count", 0))
        if total >= up_to:
            break
    return min(total, up_to)


# ------------------------------------------------------------------ writes
def conditional(write: Callable[..., Any], **request: Any) -> bool:
    """One conditional write (``put_item``/``update_item``/``delete_item``): False when its condition failed."""
    try:
        write(**request)
        return True
    except aws.ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False


def conditional_response(write: Callable[..., Any], **request: Any) -> dict | None:
    """A conditional write's response (ask for ``ReturnValues`` to read the item back); None when its condition
    failed."""
    try:
        return write(**request)
    except aws.ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return None


def conditional_seen(write: Callable[..., Any], **request: Any) -> tuple[bool, dict | None]:
    """A conditional write that, when its condition fails, says what the condition saw: (False, the item in
    low-level attribute values, ``{"status": {"S": "done"}}``, or None when there was none); (True, None) when
    it was written. Costs no extra read (``ReturnValuesOnConditionCheckFailure=ALL_OLD``)."""
    try:
        write(**request, ReturnValuesOnConditionCheckFailure="ALL_OLD")
        return True, None
    except aws.ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False, error.response.get("Item")


def delete_matching(**request: Any) -> int:
    """Delete every item a query of the results table returns (ask only for ``pk, sk``); returns how many."""
    deleted = 0
    with results_table().batch_writer() as batch:
        for item in query_items(**request):
            batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
            deleted += 1
    return deleted

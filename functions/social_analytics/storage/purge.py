"""Delete everything stored about one keyword (admin): its partition ``KW#<key>``, its finished jobs, its alerts.

Per-keyword data lives under ``pk = KW#<key>`` (result, history, cursors, posts, ...): one partition query finds it.
Jobs (``JOB#<id>``) and alerts (``ALERTS``/``<time>#<key>#<type>``) live elsewhere; both carry the attribute ``key``,
and the table's global secondary index ``ByKey`` (partition key ``key``, keys only; template.yaml) finds them without
reading any other keyword's items. So a deletion costs what the keyword holds, never what the table holds.
Every item that has a ``key`` attribute is in that index: it must be a non-empty string (keys are validated at most
512 bytes, under the index's 2,048-byte limit).
"""

from __future__ import annotations

from collections.abc import Iterator

from social_analytics.settings import get_settings
from social_analytics.storage import aws, dynamo
from social_analytics.storage.jobs import TERMINAL, get_job

KINDS = (
    (dynamo.RESULT_SK, "result"),
    (dynamo.HISTORY, "history"),
    ("CURSOR", "cursors"),
    ("POST", "posts"),
    (dynamo.LOCK_SK, "locks"),
)
KEY_INDEX = "ByKey"
_BATCH_GET = 100  # BatchGetItem's most keys per call


_table = dynamo.results_table


def kind_of(sort_key: str) -> str:
    for prefix, kind in KINDS:
        if sort_key.startswith(prefix):
            return kind
    return "other"


def count_items(key: str, up_to: int) -> int:
    """How many items a deletion of ``key`` would visit, counting no further than ``up_to`` (cheap: keys only
    for the index, and at most ``up_to`` items read from the partition)."""
    total = dynamo.count(up_to, KeyConditionExpression=aws.Key("pk").eq(dynamo.keyword_pk(key)))
    if total < up_to:
        total += dynamo.count(up_to - total, IndexName=KEY_INDEX, KeyConditionExpression=aws.Key("key").eq(key))
    return min(total, up_to)


def delete_keyword_items(key: str) -> dict[str, int]:
    """Delete the keyword's partition. An in-flight lock is kept (its job is still running) and counted apart."""
    counts = {kind: 0 for _, kind in KINDS} | {"other": 0, "skipped_in_flight": 0}
    condition = aws.Key("pk").eq(dynamo.keyword_pk(key))
    with _table().batch_writer() as batch:
        for item in dynamo.query_items(KeyConditionExpression=condition, ConsistentRead=True):
            kind = kind_of(item["sk"])
            if kind == "locks":
                holder = get_job(item.get("job_id", ""))
                if holder is not None and holder.status not in TERMINAL:
                    counts["skipped_in_flight"] += 1
                    continue
            batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
            counts[kind] += 1
    return counts


def keyed_items(key: str, pk_prefix: str) -> Iterator[dict]:
    """Keys (pk, sk) of the items whose ``key`` attribute is ``key`` and whose pk starts with ``pk_prefix``."""
    for item in dynamo.query_items(IndexName=KEY_INDEX, KeyConditionExpression=aws.Key("key").eq(key)):
        if str(item["pk"]).startswith(pk_prefix):
            yield {"pk": item["pk"], "sk": item["sk"]}


def _statuses(keys: list[dict]) -> list[dict]:
    """(pk, sk, status) of the given job items, read consistently in batches."""
    name = get_settings().table_name
    found: list[dict] = []
    for start in range(0, len(keys), _BATCH_GET):
        request = {
            name: {
                "Keys": keys[start : start + _BATCH_GET],
                "ProjectionExpression": "pk, sk, #status",
                "ExpressionAttributeNames": {"#status": "status"},
                "ConsistentRead": True,
            }
        }
        while request:
            page = _table().meta.client.batch_get_item(RequestItems=request)
            found += page.get("Responses", {}).get(name, [])
            request = page.get("UnprocessedKeys") or {}
    return found


def delete_finished_jobs(key: str) -> tuple[int, int]:
    """Delete the keyword's done/failed jobs (they hold results). Returns (deleted, skipped because running)."""
    deleted = skipped = 0
    keys = list(keyed_items(key, dynamo.JOB))
    with _table().batch_writer() as batch:
        for item in _statuses(keys):
            if item.get("status") not in TERMINAL:
                skipped += 1
                continue
            batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
            deleted += 1
    return deleted, skipped


def delete_alerts(key: str) -> int:
    deleted = 0
    with _table().batch_writer() as batch:
        for item in keyed_items(key, dynamo.ALERTS):
            batch.delete_item(Key=item)
            deleted += 1
    return deleted

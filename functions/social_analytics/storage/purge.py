"""Delete everything stored about one keyword (admin): its partition ``KW#<key>`` and its finished jobs.

Per-keyword data lives under ``pk = KW#<key>`` (result, history, cursors, posts, ...): that is what makes a
keyword's deletion complete. Jobs are ``JOB#<id>`` items found by a filtered scan (rare, admin only).
"""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr, Key

from social_analytics.settings import get_settings
from social_analytics.storage.clients import table
from social_analytics.storage.jobs import TERMINAL, get_job

KINDS = (("RESULT", "result"), ("HIST#", "history"), ("CURSOR", "cursors"), ("POST", "posts"), ("INFLIGHT", "locks"))


def _table():
    return table(get_settings().table_name)


def kind_of(sort_key: str) -> str:
    for prefix, kind in KINDS:
        if sort_key.startswith(prefix):
            return kind
    return "other"


def delete_keyword_items(key: str) -> dict[str, int]:
    """Delete the keyword's partition. An in-flight lock is kept (its job is still running) and counted apart."""
    counts = {kind: 0 for _, kind in KINDS} | {"other": 0, "skipped_in_flight": 0}
    query: dict = {"KeyConditionExpression": Key("pk").eq(f"KW#{key}"), "ConsistentRead": True}
    with _table().batch_writer() as batch:
        while True:
            page = _table().query(**query)
            for item in page.get("Items", []):
                kind = kind_of(item["sk"])
                if kind == "locks":
                    holder = get_job(item.get("job_id", ""))
                    if holder is not None and holder["status"] not in TERMINAL:
                        counts["skipped_in_flight"] += 1
                        continue
                batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
                counts[kind] += 1
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return counts


def delete_finished_jobs(key: str) -> tuple[int, int]:
    """Delete the keyword's done/failed jobs (they hold results). Returns (deleted, skipped because running)."""
    deleted = skipped = 0
    scan: dict = {
        "FilterExpression": Attr("pk").begins_with("JOB#") & Attr("key").eq(key),
        "ProjectionExpression": "pk, sk, #status",
        "ExpressionAttributeNames": {"#status": "status"},
    }
    with _table().batch_writer() as batch:
        while True:
            page = _table().scan(**scan)
            for item in page.get("Items", []):
                if item.get("status") not in TERMINAL:
                    skipped += 1
                    continue
                batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
                deleted += 1
            if "LastEvaluatedKey" not in page:
                break
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return deleted, skipped

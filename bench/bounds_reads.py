"""DynamoDB reads of the stream views, counted from the real calls against moto: items returned per request and the
read units DynamoDB would bill for them (by the size of each *whole* item read, as DynamoDB does, whatever the
projection). Used by bench/bounds_bench.py and tests/component/test_stream_reads.py.
"""

from __future__ import annotations

import math
import os
import random
import time
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

MINUTE, HOUR, DAY = 60, 3600, 86400
POSTS_PER_MINUTE = 20  # a busy tracked keyword: every minute of the week has posts


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: attribute names plus values (strings in UTF-8, numbers ~1 byte per
    two digits plus one, sets the sum of their members)."""

    def value_size(value: Any) -> int:
        if isinstance(value, str):
            return len(value.encode())
        if isinstance(value, bytes):
            return len(value)
        if isinstance(value, bool) or value is None:
            return 1
        if isinstance(value, int | float | Decimal):
            return len(str(value).lstrip("-").replace(".", "")) // 2 + 1
        if isinstance(value, set | frozenset | list | tuple):
            return sum(value_size(v) for v in value) + 3
        if isinstance(value, dict):
            return sum(len(k.encode()) + value_size(v) for k, v in value.items()) + 3
        return len(str(value))

    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def _plain(value: Any) -> str:
    """A key attribute, whether the response is still low-level (``{"S": ...}``) or already Python types."""
    return value["S"] if isinstance(value, dict) else value


class ReadMeter:
    """Every read call of the results table while active: its operation and the (pk, sk) of each item returned."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]], bool]] = []

    @staticmethod
    def before(params, context, **_: Any) -> None:
        context["read_meter_params"] = params

    def __call__(self, model, parsed, context, **_: Any) -> None:
        params = context.get("read_meter_params") or {}
        name = model.name
        if name not in ("Query", "GetItem", "BatchGetItem", "Scan"):
            return
        if name == "GetItem":
            found = [parsed["Item"]] if parsed.get("Item") else []
            consistent = bool(params.get("ConsistentRead"))
        elif name == "BatchGetItem":
            found = [item for items in parsed.get("Responses", {}).values() for item in items]
            consistent = any(t.get("ConsistentRead") for t in params.get("RequestItems", {}).values())
        else:
            found = parsed.get("Items", [])
            consistent = bool(params.get("ConsistentRead"))
        keys = [(_plain(item["pk"]), _plain(item["sk"])) for item in found if "pk" in item and "sk" in item]
        self.calls.append((name, keys, consistent))

    @property
    def items(self) -> int:
        return sum(len(keys) for _, keys, _ in self.calls)

    def read_units(self, sizes: dict[tuple[str, str], int]) -> float:
        """Read units of the calls: a query's items summed then rounded up to 4 KB, a get's each; half when not
        strongly consistent. ``sizes`` are the whole items' sizes (what DynamoDB bills)."""
        units = 0.0
        for name, keys, consistent in self.calls:
            factor = 1.0 if consistent else 0.5
            if name in ("Query", "Scan"):
                units += max(1, math.ceil(sum(sizes.get(k, 0) for k in keys) / 4096)) * factor
            else:
                units += sum(max(1, math.ceil(sizes.get(k, 0) / 4096)) for k in keys) * factor
        return units


@contextmanager
def metered():
    from social_analytics.storage import dynamo

    client = dynamo.results_table().meta.client
    meter = ReadMeter()
    client.meta.events.register("before-call.dynamodb", ReadMeter.before)
    client.meta.events.register("after-call.dynamodb", meter)
    try:
        yield meter
    finally:
        client.meta.events.unregister("after-call.dynamodb", meter)
        client.meta.events.unregister("before-call.dynamodb", ReadMeter.before)


def all_sizes() -> dict[tuple[str, str], int]:
    """The whole size of every item in the results table (read outside any meter)."""
    from social_analytics.storage import dynamo

    sizes = {}
    for page in dynamo.pages(dynamo.results_table().scan):
        for item in page.get("Items", []):
            sizes[(item["pk"], item["sk"])] = item_size(item)
    return sizes


def write_minutes(key: str, first_minute: int, last_minute: int, posts_per_minute: int = POSTS_PER_MINUTE) -> int:
    """Count posts into every minute of [first, last] through the stream's own writer; returns the minutes."""
    from social_analytics.records import BucketDelta, CountedPost
    from social_analytics.storage import stream

    rng = random.Random(7)
    words = ["lambda", "serverless", "cold", "start", "latency", "deploy", "python", "outage", "budget", "bluesky"]
    deltas = {}
    for minute in range(first_minute, last_minute + MINUTE, MINUTE):
        posts = {}
        for n in range(posts_per_minute):
            label = rng.choice(["positive", "neutral", "negative"])
            sample = {"text": f"post {n} at {minute}", "time_us": (minute + n) * 1_000_000, "author": f"u{n}"}
            posts[f"{minute:x}{n:04x}{rng.getrandbits(32):08x}"] = CountedPost(
                label=label, compound=round(rng.uniform(-1, 1), 3), terms=rng.sample(words, 3), sample=sample
            )
        deltas[(key, minute)] = BucketDelta(posts=posts)
    stream.merge_buckets(deltas, 8 * DAY)
    return len(deltas)


def backtest_read_units(days: int = 7) -> dict:
    """A tracked keyword with ``days`` of busy minutes; the read units and items of one backtest, against the old
    read path (every minute bucket)."""
    from moto import mock_aws

    from local_stack.resources import create_resources
    from local_stack.template import Template

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        template = Template.load()
        create_resources(template, endpoint_url=None)
        for spec in template.functions().values():
            for name, value in spec.environment.items():
                if not name.startswith("POWERTOOLS_"):
                    os.environ[name] = value
        from social_analytics import composition
        from social_analytics.storage import stream
        from social_analytics.tracking import stream_views

        composition.reset()
        now = time.time()
        current = int(now // MINUTE) * MINUTE
        started = time.perf_counter()
        minutes = write_minutes("serverless", current - days * DAY, current - MINUTE)
        write_seconds = time.perf_counter() - started
        sizes = all_sizes()
        with metered() as meter:
            answer = stream_views.backtest("serverless", "medium", now=now)
        with metered() as old:  # the read path before: every minute bucket of the window
            stream.query_buckets("serverless", current - days * DAY, current - MINUTE, samples=False)
        composition.reset()
    return {
        "days": days,
        "minutes": minutes,
        "minutes_evaluated": answer["minutes_evaluated"],
        "items_read": meter.items,
        "read_units": meter.read_units(sizes),
        "minute_items_read_units": old.read_units(sizes),
        "write_seconds": round(write_seconds, 1),
        "target": 200,
        "ok": meter.read_units(sizes) <= 200,
    }

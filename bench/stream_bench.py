"""Stream ingestion bench: matching throughput, post-to-counted latency and the monthly AWS cost, 1,000 keywords.

Posts are synthetic but shaped like Bluesky's: 5 to 40 words from a 20,000-word vocabulary with a few hashtags,
mentions, URLs and non-ASCII words; about 2% mention a tracked keyword. Keywords mix single words, two- and
three-word phrases, tags and literals the tokenizer cannot split (``c++``).

1. Matching: posts matched per second of CPU on one core (``time.process_time``), the matcher built before timing.
2. One minute at Bluesky's volume: the real StreamFunction code (service/stream.py) against the loopback Jetstream
   holding the last 60 s of traffic at 2.2 M posts/day (1,528 posts, 10% as many deletes) with 1,000 tracked
   keywords, DynamoDB = moto in this process. Gives CPU seconds per run (moto's own CPU included: an
   overestimate) and the DynamoDB items a run writes and reads.
3. Latency: live traffic (25 posts/s, arriving in real time) and scheduled runs every LATENCY_INTERVAL seconds;
   each matched post's latency is (stored time - its stream time). At the default 60 s interval the latency is
   the wait for the next run (uniform over the interval: posts arrive at a steady rate, runs on a fixed rate) plus
   the measured delay from a run's start to the post being stored; p50/p95 combine the two.
4. Cost: runs/month x billed duration (CPU seconds scaled from one core to Lambda's 512 MB share, plus measured
   I/O wait) x price; DynamoDB units from the measured writes and reads; Scheduler invocations; published prices.

    PYTHONPATH=functions:. .venv/bin/python -m bench.stream_bench
"""

from __future__ import annotations

import math
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "functions", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from social_analytics.tracking.stream_matching import KeywordMatcher  # noqa: E402

KEYWORDS = 1000
POSTS = 50_000
TARGET_POSTS_PER_SECOND = 10_000
POSTS_PER_DAY = 2_200_000  # Bluesky, 2026 (PROVIDERS.md section j)
DELETES_PER_POST = 0.1
LATENCY_INTERVAL = 15.0
LATENCY_RUNS = 3
DEFAULT_INTERVAL = 60.0
TARGET_P95_SECONDS = 60.0
# Published prices, us-east-1, arm64 (see docs/STREAM.md for the sources).
LAMBDA_ARM_GB_SECOND = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_MEMORY_GB = 0.5
LAMBDA_FULL_VCPU_MB = 1769  # a function gets one full vCPU at 1,769 MB, proportionally less below
DYNAMODB_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_READ_UNIT = 0.125 / 1_000_000
SCHEDULER_INVOCATION = 1.00 / 1_000_000
DYNAMODB_ROUND_TRIP = 0.010  # seconds, a conservative in-region figure
JETSTREAM_CONNECT = 0.5  # seconds: TLS + WebSocket handshake to the public instance
RUNS_PER_MONTH = 60 * 24 * 30


def _word(rng: random.Random) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "".join(rng.choice(letters) for _ in range(rng.randint(3, 10)))


def corpus(seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    vocabulary = [*sorted({_word(rng) for _ in range(20_000)}), "café", "straße", "日本語", "naïve", "über"]
    keywords: list[str] = []
    for index in range(KEYWORDS):
        kind = index % 10
        if kind < 6:
            keywords.append(_word(rng) + "x")  # rarely in ordinary text
        elif kind < 8:
            keywords.append(" ".join(_word(rng) for _ in range(2 + index % 2)))
        elif kind == 8:
            keywords.append("#" + _word(rng))
        else:
            keywords.append(_word(rng) + "++")
    posts = []
    for _ in range(POSTS):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(5, 40))]
        if rng.random() < 0.02:
            words.insert(rng.randrange(len(words)), rng.choice(keywords))
        if rng.random() < 0.3:
            words.append("#" + rng.choice(vocabulary))
        if rng.random() < 0.2:
            words.append("https://example.com/" + rng.choice(vocabulary))
        if rng.random() < 0.1:
            words.insert(0, "@" + rng.choice(vocabulary) + ".bsky.social")
        posts.append(" ".join(words).capitalize() + rng.choice([".", "!", "?", " 🙂", ""]))
    return keywords, posts


def matching_throughput() -> dict:
    keywords, posts = corpus()
    started = time.process_time()
    matcher = KeywordMatcher(keywords)
    build_seconds = time.process_time() - started
    matcher.match(posts[0])
    started = time.process_time()
    matched = sum(1 for text in posts if matcher.match(text))
    cpu = time.process_time() - started
    return {
        "keywords": len(matcher),
        "posts": len(posts),
        "posts_matched": matched,
        "cpu_seconds": round(cpu, 3),
        "posts_per_second": round(len(posts) / cpu),
        "build_ms": round(build_seconds * 1000, 1),
        "cpu_us_per_post": round(cpu / len(posts) * 1e6, 2),
    }


# ------------------------------------------------------------------ 1,000 tracked boolean queries
BOOLEAN_QUERIES = 1000
TARGET_BOOLEAN_POSTS_PER_SECOND = 50_000


def boolean_corpus(seed: int = 11) -> tuple[list[str], list[str]]:
    """1,000 boolean queries and the corpus posts, about 3% of them given the positive words of a random query
    (a third of those also its exclusion). Queries name a rare word (a brand, as tracked queries do) and words of
    the posts' own vocabulary (second terms, exclusions), so indexed candidates really are evaluated."""
    _, posts = corpus()
    rng = random.Random(seed)
    vocabulary = sorted({w for text in posts[:5000] for w in text.lower().split() if w.isalpha() and len(w) > 4})
    queries: list[str] = []
    positives: list[list[str]] = []
    excluded: list[str] = []
    for index in range(BOOLEAN_QUERIES):
        r1, r2 = _word(rng) + "x", _word(rng) + "x"  # rarely in ordinary text
        v1, v2 = rng.choice(vocabulary), rng.choice(vocabulary)
        query, positive = [
            (f"{r1} -{v2}", [r1]),
            (f"({r1} OR {r2}) NOT {v2}", [r2]),
            (f'"{r1} {v1}" OR {r2}', [r1, v1]),
            (f"#{r1} OR {r2} lang:en", [r2]),
            (f"{r1} NEAR/3 {v1}", [r1, "and", v1]),
            (f"{r1[:4]}* {v1} -{v2}", [r1, v1]),
            (f"({r1} AND {v1}) OR ({r2} -{v2})", [r2]),
            (f"{r1}++ -{v2}", [r1 + "++"]),
        ][index % 8]
        queries.append(query)
        positives.append(positive)
        excluded.append(v2)
    mixed = []
    for text in posts:
        if rng.random() < 0.03:
            pick = rng.randrange(len(queries))
            words = text.split()
            extra = positives[pick] + ([excluded[pick]] if rng.random() < 0.33 else [])
            at = rng.randrange(len(words) + 1)
            text = " ".join(words[:at] + extra + words[at:])
        mixed.append(text)
    return queries, mixed


def boolean_matching_throughput() -> dict:
    """Posts per CPU second through the stream's index of 1,000 boolean queries (``QueryIndex``), one core."""
    from social_analytics.query import PostView, QueryIndex, parse_query

    queries, posts = boolean_corpus()
    started = time.process_time()
    index = QueryIndex(parse_query(q) for q in queries)
    build_seconds = time.process_time() - started
    views = [PostView(text, "did:plc:bench", ("en",)) for text in posts]
    index.match(views[0])
    started = time.process_time()
    hits = [index.match(view) for view in views]
    cpu = time.process_time() - started
    # The same answer as asking every query on its own (what the index must not change).
    sample = range(0, len(views), 97)
    parsed = list(index.queries.values())
    assert all(hits[i] == {q.key for q in parsed if q.matches(views[i])} for i in sample)
    return {
        "queries": len(index),
        "posts": len(posts),
        "posts_matched": sum(1 for found in hits if found),
        "cpu_seconds": round(cpu, 3),
        "posts_per_second": round(len(posts) / cpu),
        "build_ms": round(build_seconds * 1000, 1),
        "cpu_us_per_post": round(cpu / len(posts) * 1e6, 2),
    }


# ------------------------------------------------------------------ the real run against moto and the fake
class _Environment:
    """moto in this process with the template's resources, the functions' environment, 1,000 tracked keywords."""

    def __init__(self, keywords: list[str]) -> None:
        self.keywords = keywords

    def __enter__(self):
        from moto import mock_aws

        from local_stack.resources import create_resources
        from local_stack.template import Template

        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_DEFAULT_REGION": "us-east-1",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": "WARNING",
            }
        )
        os.environ.pop("AWS_ENDPOINT_URL", None)
        self._mock = mock_aws()
        self._mock.start()
        template = Template.load()
        create_resources(template, endpoint_url=None)
        for spec in template.functions().values():
            for key, value in spec.environment.items():
                if not key.startswith("POWERTOOLS_"):
                    os.environ[key] = value
        os.environ.update(
            {
                "STREAM_ENABLED": "true",
                "STREAM_IDLE_SECONDS": "1",
                "STREAM_FLUSH_SECONDS": "10",
                "METRICS_FLUSH_SECONDS": "0",
            }
        )
        self._reset()
        from social_analytics.models import normalize_keyword
        from social_analytics.records import TrackedKeyword
        from social_analytics.storage import tracked as tracked_store

        for keyword in self.keywords:
            tracked_store.put_tracked(
                TrackedKeyword(
                    keyword=keyword,
                    key=normalize_keyword(keyword),
                    interval_minutes=60,
                    providers=None,
                    sensitivity="medium",
                    min_volume=10,
                    limit=100,
                    window_hours=24,
                )
            )
        return self

    def _reset(self) -> None:
        from social_analytics.settings import get_settings, get_stream_settings
        from social_analytics.storage import clients

        get_settings.cache_clear()
        get_stream_settings.cache_clear()
        clients.reset_clients()

    def use(self, url: str, **env: str) -> None:
        os.environ["JETSTREAM_URL"] = url
        os.environ.update(env)
        self._reset()

    def __exit__(self, *_exc) -> None:
        self._mock.stop()


def _events(posts: list[str], start_us: int, seconds: float, per_second: float, seed: int) -> list[dict]:
    from tests.fakes.jetstream_server import delete_event, post_event, tid

    rng = random.Random(seed)
    count = int(seconds * per_second)
    events = []
    for index in range(count):
        at = start_us + int(index * 1e6 / per_second)
        did = f"did:plc:b{rng.randrange(1_000_000):06d}"
        events.append(post_event(did, tid(at, index % 1024), rng.choice(posts), at, langs=["en"]))
        if rng.random() < DELETES_PER_POST:
            events.append(delete_event(did, tid(at - 3_600_000_000, index % 1024), at + 1))
    return events


class _DynamoTimer:
    """CPU (of the calling thread) and calls spent inside DynamoDB API calls: moto's share of a run here."""

    def __init__(self) -> None:
        self.cpu, self.calls, self.write_units, self.batch_keys, self.batch_writes = 0.0, {}, 0, 0, 0
        self._lock = threading.Lock()

    def __enter__(self):
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        timer = self

        def timed(client, operation, params):
            if client.meta.service_model.service_name != "dynamodb":
                return original(client, operation, params)
            started = time.thread_time()
            try:
                return original(client, operation, params)
            finally:
                with timer._lock:
                    timer.cpu += time.thread_time() - started
                    timer.calls[operation] = timer.calls.get(operation, 0) + 1
                    if operation == "PutItem":  # a write costs a unit per started KB of the item
                        timer.write_units += math.ceil(len(str(params.get("Item", {}))) / 1024)
                    elif operation == "BatchGetItem":
                        timer.batch_keys += sum(len(r["Keys"]) for r in params["RequestItems"].values())
                    elif operation == "BatchWriteItem":
                        timer.batch_writes += sum(len(r) for r in params["RequestItems"].values())

        BaseClient._make_api_call = timed
        return self

    def __exit__(self, *_exc) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original


def _aws_run_seconds(app_cpu: float, calls: dict[str, int]) -> float:
    """A run's duration in Lambda (512 MB): our CPU at its vCPU share, DynamoDB round trips, the connection.

    Bucket puts overlap 16 at a time; every other call is one sequential round trip.
    """
    cpu_share = min(LAMBDA_MEMORY_GB * 1024 / LAMBDA_FULL_VCPU_MB, 1.0)  # 512 MB: 0.29 of a vCPU
    puts = calls.get("PutItem", 0)
    sequential = sum(calls.values()) - puts + math.ceil(puts / 16)
    return app_cpu / cpu_share + sequential * DYNAMODB_ROUND_TRIP + JETSTREAM_CONNECT


def one_minute(keywords: list[str], posts: list[str]) -> dict:
    """One run over the last 60 s at Bluesky's volume: CPU (ours and moto's apart), DynamoDB calls and units."""
    from social_analytics.storage import stream as stream_store
    from social_analytics.tracking import stream

    from tests.fakes.jetstream_server import FakeJetstream, now_us

    per_second = POSTS_PER_DAY / 86400
    with _Environment(keywords) as env, FakeJetstream() as jet:
        start = now_us() - 60_000_000
        jet.add(*_events(posts, start, 60, per_second, seed=3))
        env.use(jet.url)
        stream_store.put_cursor(start)
        with _DynamoTimer() as dynamo:
            wall = time.perf_counter()
            report = stream.execute()
            wall = time.perf_counter() - wall
    assert not isinstance(report, str), report
    app_cpu = max(report.cpu_seconds - dynamo.cpu, 0.0)  # the run's process CPU minus moto's share
    return {
        "events": report.events,
        "posts": report.posts,
        "matched": report.matched,
        "counted": report.counted,
        "cpu_seconds": round(report.cpu_seconds, 3),
        "moto_cpu_seconds": round(dynamo.cpu, 3),
        "app_cpu_seconds": round(app_cpu, 3),
        "wall_seconds": round(wall, 3),
        "dynamodb_calls": dynamo.calls,
        "put_write_units": dynamo.write_units,
        "batch_get_keys": dynamo.batch_keys,
        "batch_write_items": dynamo.batch_writes,
        "aws_run_seconds": round(_aws_run_seconds(app_cpu, dynamo.calls), 3),
    }


def latency(keywords: list[str], posts: list[str], aws_run_seconds: float) -> dict:
    """Live traffic and scheduled runs every LATENCY_INTERVAL s: each matched post's time to be stored.

    Measured here with moto in this process (slow: every query scans the table) on a shared machine; the figure
    at the default interval is modelled: a post waits for the next run (uniform over 60 s) and is stored by the
    end of that run, whose AWS duration comes from the measured one-minute run.
    """
    from social_analytics.storage import stream as stream_store
    from social_analytics.tracking import stream

    from tests.fakes.jetstream_server import FakeJetstream, now_us

    matching = [p for p in posts if _MATCHER(keywords).match(p)]
    pool = posts[:2000] + matching[:200]  # ~10% matching: more latency samples than Bluesky's share
    stop = threading.Event()
    samples: list[tuple[float, float]] = []  # (post time, stored time)
    with _Environment(keywords) as env, FakeJetstream() as jet:
        env.use(jet.url)
        stream_store.put_cursor(now_us())

        def feed() -> None:
            seed = 0
            while not stop.wait(0.2):
                seed += 1
                jet.add(*_events(pool, now_us(), 0.2, 25, seed))

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        next_run = time.time() + LATENCY_INTERVAL
        for _ in range(LATENCY_RUNS):
            time.sleep(max(next_run - time.time(), 0))
            report = stream.execute()
            samples.extend(report.counted_at)
            next_run = max(next_run + LATENCY_INTERVAL, time.time())
        stop.set()
        feeder.join()
    measured = sorted(stored - posted for posted, stored in samples)
    modelled = sorted(DEFAULT_INTERVAL * phase / 1000 + aws_run_seconds for phase in range(1000))
    return {
        "samples": len(measured),
        "interval": LATENCY_INTERVAL,
        "measured_p50": round(_percentile(measured, 50), 2),
        "measured_p95": round(_percentile(measured, 95), 2),
        "default_p50": round(_percentile(modelled, 50), 2),
        "default_p95": round(_percentile(modelled, 95), 2),
    }


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1] if len(values) > 1 else values[0]


def _MATCHER(keywords: list[str]) -> KeywordMatcher:
    from social_analytics.query import parse_query
    from social_analytics.tracking.stream_matching import matcher_for

    return matcher_for(parse_query(k).key for k in keywords)


def monthly_cost(minute: dict) -> dict:
    """From one measured run of one minute's traffic to a month of runs, at published prices."""
    billed = minute["aws_run_seconds"]
    lam = RUNS_PER_MONTH * (billed * LAMBDA_MEMORY_GB * LAMBDA_ARM_GB_SECOND + LAMBDA_REQUEST)
    calls = minute["dynamodb_calls"]
    # Writes: a unit per started KB of each put item (measured); markers (< 1 KB) one unit each; updates one each.
    writes = minute["put_write_units"] + minute["batch_write_items"] + calls.get("UpdateItem", 0)
    # Strongly consistent reads: a unit per 4 KB read. The tracked list (1,000 items, ~300 B each) is ~75 units;
    # every batch-read key is one unit (items under 4 KB), found or not.
    reads = calls.get("GetItem", 0) + 75 * calls.get("Query", 0) + minute["batch_get_keys"]
    dynamo = RUNS_PER_MONTH * (writes * DYNAMODB_WRITE_UNIT + reads * DYNAMODB_READ_UNIT)
    scheduler = RUNS_PER_MONTH * SCHEDULER_INVOCATION
    return {
        "billed_seconds_per_run": round(billed, 3),
        "lambda_usd": round(lam, 2),
        "dynamodb_usd": round(dynamo, 2),
        "scheduler_usd": round(scheduler, 2),
        "write_units_per_run": writes,
        "read_units_per_run": reads,
        "total_usd": round(lam + dynamo + scheduler, 2),
    }


def main(quick: bool = False) -> list[dict]:
    """Rows for ``bench/run.py``: {"measure", "value", "unit", "target", "ok"}."""
    matching = matching_throughput()
    print(f"  matching: {matching}", flush=True)
    rate = matching["posts_per_second"]
    rows = [
        {
            "measure": f"matching posts/s, {matching['keywords']} keywords, 1 core",
            "value": rate,
            "unit": "/s",
            "target": f">= {TARGET_POSTS_PER_SECOND:,}",
            "ok": rate >= TARGET_POSTS_PER_SECOND,
        },
        {"measure": "matching CPU per post", "value": matching["cpu_us_per_post"], "unit": "us"},
    ]
    boolean = boolean_matching_throughput()
    print(f"  boolean matching: {boolean}", flush=True)
    rate = boolean["posts_per_second"]
    rows += [
        {
            "measure": f"matching posts/s, {boolean['queries']} boolean queries, 1 core",
            "value": rate,
            "unit": "/s",
            "target": f">= {TARGET_BOOLEAN_POSTS_PER_SECOND:,}",
            "ok": rate >= TARGET_BOOLEAN_POSTS_PER_SECOND,
        },
        {"measure": "boolean matching CPU per post", "value": boolean["cpu_us_per_post"], "unit": "us"},
    ]
    keywords, posts = corpus()
    minute = one_minute(keywords, posts)
    print(f"  one minute at Bluesky volume: {minute}", flush=True)
    rows.append({"measure": "1 min of Bluesky (1,528 posts): our CPU", "value": minute["app_cpu_seconds"], "unit": "s"})
    rows.append(
        {
            "measure": "1 min of Bluesky: run in Lambda 512 MB (modelled)",
            "value": minute["aws_run_seconds"],
            "unit": "s",
        }
    )
    lat = latency(keywords, posts, minute["aws_run_seconds"])
    print(f"  latency: {lat}", flush=True)
    rows.append(
        {
            "measure": f"post-to-counted p50 / p95, runs every {LATENCY_INTERVAL:.0f} s, moto",
            "value": f"{lat['measured_p50']} / {lat['measured_p95']}",
            "unit": "s",
        }
    )
    p95 = lat["default_p95"]
    rows.append(
        {
            "measure": "post-to-counted p50 / p95 at 60 s (modelled)",
            "value": f"{lat['default_p50']} / {p95}",
            "unit": "s",
            "target": f"p95 <= {TARGET_P95_SECONDS:.0f}",
            "ok": p95 <= TARGET_P95_SECONDS,
        }
    )
    cost = monthly_cost(minute)
    print(f"  monthly cost: {cost}", flush=True)
    rows.append({"measure": "stream cost/month: Lambda (512 MB arm64)", "value": cost["lambda_usd"], "unit": "USD"})
    rows.append({"measure": "stream cost/month: DynamoDB on demand", "value": cost["dynamodb_usd"], "unit": "USD"})
    rows.append({"measure": "stream cost/month: Scheduler", "value": cost["scheduler_usd"], "unit": "USD"})
    rows.append({"measure": "stream cost/month, 1,000 keywords, total", "value": cost["total_usd"], "unit": "USD"})
    return rows


if __name__ == "__main__":
    main()

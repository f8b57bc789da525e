"""Fetch concurrency benchmark: one job vs 10 concurrent jobs over one shared httpx.AsyncClient.

Against the loopback fake provider server with 200 ms per page (SocialData shape, 20 tweets a page, 100 posts a job =
5 pages), so a job is dominated by provider latency. Target: 10 concurrent jobs take < 1.5x one job.

    .venv/bin/python bench/fetch_bench.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "functions", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from social_analytics.analyses.sources._http import build_client  # noqa: E402
from social_analytics.analyses.sources.breaker import CircuitBreaker  # noqa: E402
from social_analytics.analyses.sources.chain import fetch_with_fallback  # noqa: E402
from social_analytics.analyses.sources.credentials import load_provider_config  # noqa: E402
from social_analytics.analyses.sources.registry import build_adapters  # noqa: E402
from social_analytics.models import TimeWindow  # noqa: E402

from tests.fakes.provider_server import FakeProviderServer  # noqa: E402

PAGE_DELAY = 0.2
JOBS = 10
LIMIT = 100
PROVIDER = "socialdata"


async def _timed(fake: FakeProviderServer, jobs: int) -> tuple[float, int]:
    config = load_provider_config(fake.env())
    client = build_client()
    try:
        adapters = build_adapters([PROVIDER], config, client)
        window = TimeWindow.last_hours(24)
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(
                fetch_with_fallback(adapters, f"serverless -kw{i}", window, LIMIT, 30.0, CircuitBreaker())
                for i in range(jobs)
            )
        )
        elapsed = time.perf_counter() - started
    finally:
        await client.aclose()
    assert all(o.source["provider"] == PROVIDER and len(o.posts) == LIMIT for o in outcomes), "a job fell back"
    return elapsed, sum(len(o.posts) for o in outcomes)


def main() -> list[dict]:
    with FakeProviderServer(posts=300, page_delay=PAGE_DELAY) as fake:
        asyncio.run(_timed(fake, 1))  # warm-up (imports, first connection)
        single, _ = asyncio.run(_timed(fake, 1))
        concurrent, posts = asyncio.run(_timed(fake, JOBS))
    rows = [
        {"metric": "single_job_seconds", "value": round(single, 3), "target": f"~{LIMIT // 20} pages x {PAGE_DELAY}s"},
        {"metric": f"{JOBS}_concurrent_jobs_seconds", "value": round(concurrent, 3), "target": "-"},
        {"metric": "concurrent_over_single_ratio", "value": round(concurrent / single, 3), "target": "< 1.5"},
        {"metric": "posts_fetched_concurrently", "value": posts, "target": JOBS * LIMIT},
    ]
    for row in rows:
        print(f"{row['metric']:<32} {row['value']!s:>10}   target {row['target']}")
    return rows


if __name__ == "__main__":
    main()

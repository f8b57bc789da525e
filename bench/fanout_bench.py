"""Fan-out benchmark: submit-to-done of one job fanned out over five sources, as a ratio to one source.

The real local stack (HTTP front, SQS pump, worker processes) against the loopback fake providers, where every search
page takes 300 ms (SocialData, Bluesky, Mastodon with two instances, Hacker News, Lemmy with two instances; 20 posts
each, one page per source and instance). Each measured job is a new keyword submitted with ``refresh`` and its
``providers`` named in the request (``["socialdata"]`` or all five), timed from the POST to the poll that sees it
done. Medians of ``RUNS`` jobs each, after a warm-up. Target: five sources <= 1.3 x one source.

    PYTHONPATH=functions:. .venv/bin/python bench/fanout_bench.py
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "functions", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import httpx  # noqa: E402

from local_stack.stack import LocalStack, wait_until  # noqa: E402
from tests.fakes.provider_server import FakeProviderServer  # noqa: E402

PAGE_DELAY = 0.3
POSTS = 20
LIMIT = 20
RUNS = 5
FIVE = ["socialdata", "bluesky", "mastodon", "hackernews", "lemmy"]
TARGET = 1.3


def _submit_to_done(client: httpx.Client, providers: list[str]) -> tuple[float, dict]:
    started = time.perf_counter()
    body = {
        "keyword": f"serverless -fanout{uuid.uuid4().hex[:8]}",
        "limit": LIMIT,
        "refresh": True,
        "providers": providers,
    }
    queued = client.post("/api/analyses", json=body)
    queued.raise_for_status()

    def finished():
        job = client.get(queued.json()["status_url"]).json()
        return job if job["status"] in ("done", "failed") else None

    job = wait_until(finished, timeout=60, interval=0.01)
    elapsed = time.perf_counter() - started
    if not job or job["status"] != "done":
        raise RuntimeError(f"the bench job did not finish: {job}")
    return elapsed, job["result"]


def main(runs: int = RUNS) -> list[dict]:
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with (
        FakeProviderServer(posts=POSTS, page_delay=PAGE_DELAY) as fake,
        (artifacts / "local-stack-fanout-bench.log").open("w") as log,
    ):
        # anonymous jobs against the paid fake: let them spend (the default keeps anonymous searches on free sources)
        paid = {"PAID_FOR_ANONYMOUS": "true", "PAID_DAILY_BUDGET_USD": "1000"}
        environment = {**fake.env(), "PROVIDERS": ",".join(FIVE), **paid}
        with (
            LocalStack(port=0, log=log, environment=environment, parameters={"BatchingWindowSeconds": "0"}) as stack,
            httpx.Client(base_url=stack.base_url, timeout=30) as client,
        ):
            _submit_to_done(client, FIVE)  # warm-up: imports, the Bluesky login, first connections
            _submit_to_done(client, ["socialdata"])
            one, five = [], []
            for _ in range(runs):  # interleaved, so drift on the shared machine hits both alike
                one.append(_submit_to_done(client, ["socialdata"])[0])
                seconds, result = _submit_to_done(client, FIVE)
                five.append(seconds)
                rows = result["source"]["providers"]
                per_source = {r["provider"]: r["ms"] for r in rows}
                print(f"  five sources {seconds:.3f} s; per source ms {per_source}", flush=True)
                if sorted(r["provider"] for r in rows if r["outcome"] == "ok") != sorted(FIVE):
                    raise RuntimeError(f"a source did not answer: {result['source']['attempts']}")
    single, fanned = statistics.median(one), statistics.median(five)
    rows = [
        {"metric": "one_source_submit_to_done_seconds", "value": round(single, 3), "target": f">= {PAGE_DELAY}"},
        {"metric": "five_sources_submit_to_done_seconds", "value": round(fanned, 3), "target": "-"},
        {"metric": "five_over_one_ratio", "value": round(fanned / single, 3), "target": f"<= {TARGET}"},
    ]
    for row in rows:
        print(f"{row['metric']:<40} {row['value']!s:>8}   target {row['target']}")
    return rows


if __name__ == "__main__":
    main()

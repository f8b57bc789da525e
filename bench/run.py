"""``make bench``: the platform's figures in one table, against the original FastAPI + Celery + Redis stack.

Starts the real local stack (moto server, HTTP front, SQS-driven worker processes), measures it over HTTP from a
separate client process, then adds the analytics bench and the fetch bench. Ratios are given
where the machine's speed drifts (two shared cores). Raw figures go to ``test-artifacts/bench.json``.

    make bench                    # or: PYTHONPATH=functions:. .venv/bin/python -m bench.run [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / "functions", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench.http_load import LoadResult, run_load_in_subprocess  # noqa: E402
from local_stack.stack import LocalStack, wait_until  # noqa: E402

ARTIFACTS = ROOT / "test-artifacts"
SIMULATED = {"PROVIDERS": "simulated"}

# Published prices (us-east-1), used by the cost estimate; see docs/PERFORMANCE.md for the sources and arithmetic.
LAMBDA_ARM_GB_SECOND = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1_000_000
SQS_REQUEST = 0.40 / 1_000_000
DYNAMODB_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_READ_UNIT = 0.125 / 1_000_000
COMPREHEND_PER_1M_SHORT_POSTS = 100.0  # $0.0001 per 100-character unit, one unit per short post


class Table:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, group: str, measure: str, value, unit: str = "", target: str = "", original: str = "", ok=None):
        row = {"group": group, "measure": measure, "value": value, "unit": unit, "target": target}
        row.update({"original": original, "ok": ok})
        self.rows.append(row)
        print(f"  {measure:<52} {_fmt(value):>10} {unit:<8} {_verdict(ok)}", flush=True)

    def print(self) -> None:
        width = (20, 52, 10, 8, 18, 20, 6)
        header = ("group", "measure", "value", "unit", "target", "original stack", "")
        print("\n" + "  ".join(h.ljust(w) for h, w in zip(header, width, strict=True)))
        print("  ".join("-" * w for w in width))
        for row in self.rows:
            cells = (row["group"], row["measure"], _fmt(row["value"]), row["unit"], row["target"], row["original"])
            line = "  ".join(str(c).ljust(w) for c, w in zip(cells, width, strict=False))
            print(f"{line}  {_verdict(row['ok'])}")


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _verdict(ok) -> str:
    return "" if ok is None else ("met" if ok else "MISSED")


# ------------------------------------------------------------------ helpers
def poll_done(client: httpx.Client, status_url: str, timeout: float = 60.0, interval: float = 0.01) -> dict:
    def finished():
        body = client.get(status_url).json()
        return body if body["status"] in ("done", "failed") else None

    body = wait_until(finished, timeout=timeout, interval=interval)
    if not body:
        raise RuntimeError(f"{status_url} did not finish in {timeout} s")
    return body


def metrics(client: httpx.Client) -> dict:
    return client.get("/api/metrics").json()


def batch_records(snapshot: dict) -> int:
    return round(snapshot["avg_batch_size"] * snapshot["batches_processed"])


def stack_pids(stack: LocalStack) -> dict[str, int]:
    return stack.pids()  # the stack's own processes (one in the default embedded mode), not this client


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    return LoadResult(values, 1.0, {}).percentile(fraction)


# ------------------------------------------------------------------ measurements
def http_latency(stack: LocalStack, table: Table, quick: bool) -> None:
    print("cached POST /api/analyses and GET /api/jobs/{id} (client in its own process)", flush=True)
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        queued = client.post("/api/analyses", json={"keyword": "bench hot keyword"}).json()
        poll_done(client, queued["status_url"])
        before = metrics(client)
    total_1, total_16 = (500, 2000) if quick else (3000, 8000)
    post = {"keyword": "bench hot keyword"}
    runs = {
        ("POST", 1): run_load_in_subprocess(stack.base_url, "POST", "/api/analyses", post, 1, total_1),
        ("POST", 16): run_load_in_subprocess(stack.base_url, "POST", "/api/analyses", post, 16, total_16),
        ("GET", 1): run_load_in_subprocess(stack.base_url, "GET", queued["status_url"], None, 1, total_1),
        ("GET", 16): run_load_in_subprocess(stack.base_url, "GET", queued["status_url"], None, 16, total_16),
    }
    for (method, concurrency), result in runs.items():
        name = "cached POST" if method == "POST" else "GET done job"
        assert set(result.statuses) == {200}, result.statuses
        for fraction in (0.50, 0.95, 0.99):
            label = f"p{round(fraction * 100)}"
            target, original, ok = "", "", None
            if method == "POST" and concurrency == 1 and label == "p50":
                target, original, ok = "< 1.0", "1.30", result.percentile(fraction) < 1.0
            if method == "POST" and concurrency == 16 and label == "p99":
                original = "41"
            table.add(
                "http", f"{name} c={concurrency} {label}", result.percentile(fraction), "ms", target, original, ok
            )
        rps = result.requests_per_second
        if concurrency == 16:
            is_post = method == "POST"
            target, original = ("> 1,000", "840") if is_post else ("", "")
            table.add(
                "http", f"{name} c=16 throughput", rps, "req/s", target, original, rps > 1000 if is_post else None
            )
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        after = metrics(client)
    sent = sum(len(r.latencies_ms) for (m, _), r in runs.items() if m == "POST")
    warmups = 50 * (1 + 16)  # run_load's warm-up requests per connection
    hits = after["cache_hits"] - before["cache_hits"]
    table.add(
        "http", "cache hits counted / POSTs sent", f"{hits}/{sent + warmups}", "", "equal", "", hits == sent + warmups
    )


def submit_to_done(stack: LocalStack, table: Table, samples: int, label: str, target: bool) -> None:
    print(f"submit-to-done, one cache miss at a time ({label})", flush=True)
    latencies = []
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        for _ in range(samples):
            started = time.perf_counter()
            queued = client.post("/api/analyses", json={"keyword": f"latency {uuid.uuid4().hex[:10]}"}).json()
            body = poll_done(client, queued["status_url"], interval=0.005)
            assert body["status"] == "done", body
            latencies.append(time.perf_counter() - started)
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    table.add(
        "latency",
        f"submit-to-done p50 ({label})",
        p50,
        "s",
        "<= 0.5" if target else "",
        "1.15",
        p50 <= 0.5 if target else None,
    )
    table.add("latency", f"submit-to-done p95 ({label})", p95, "s")


def burst(stack: LocalStack, table: Table, label: str, target: bool) -> dict:
    print(f"burst: 200 POSTs over 50 new keywords at concurrency 20 ({label})", flush=True)
    run = uuid.uuid4().hex[:8]
    keywords = [f"burst {run} topic {i}" for i in range(50)]
    requests = [keywords[i % 50] for i in range(200)]
    # the worker containers' CPU; in the embedded mode they are threads of the one stack process
    worker_pids = [child.process.pid for child in stack.workers() if child.process] or list(stack.pids().values())
    with httpx.Client(base_url=stack.base_url, timeout=30, limits=httpx.Limits(max_connections=20)) as client:
        before = metrics(client)
        cpu_before = sum(cpu_seconds(pid) for pid in worker_pids)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda k: client.post("/api/analyses", json={"keyword": k}), requests))
        statuses = {answer.status_code for answer in answers}
        job_urls = {answer.json()["status_url"] for answer in answers if answer.status_code == 202}
        pending = set(job_urls)
        while pending:
            pending = {url for url in pending if client.get(url).json()["status"] not in ("done", "failed")}
            if pending:
                time.sleep(0.01)
        elapsed = time.perf_counter() - started
        wait_until(lambda: metrics(client)["jobs_done"] - before["jobs_done"] >= len(job_urls), timeout=5)
        cpu = sum(cpu_seconds(pid) for pid in worker_pids) - cpu_before
        after = metrics(client)
    jobs = after["tasks_enqueued"] - before["tasks_enqueued"]
    batches = after["batches_processed"] - before["batches_processed"]
    records = batch_records(after) - batch_records(before)
    posts = after["posts_analyzed"] - before["posts_analyzed"]
    average = records / batches if batches else 0.0
    assert statuses <= {200, 202}, statuses
    table.add(
        "burst",
        f"all 50 topics done ({label})",
        elapsed,
        "s",
        "< 0.85" if target else "",
        "0.85",
        elapsed < 0.85 if target else None,
    )
    table.add(
        "burst",
        f"jobs queued for 50 topics ({label})",
        jobs,
        "",
        "== 50" if target else "",
        "79-112",
        jobs == 50 if target else None,
    )
    table.add(
        "burst",
        f"average SQS batch size ({label})",
        round(average, 2),
        "",
        ">= 8" if target else "",
        "4.4-4.8",
        average >= 8 if target else None,
    )
    return {"cpu_seconds": cpu, "posts": posts, "batches": batches, "jobs": jobs, "average_batch": average}


def memory(stack: LocalStack, table: Table) -> None:
    pids = stack_pids(stack)
    total = 0.0
    for name, pid in pids.items():
        size = rss_mib(pid)
        total += size
        table.add("memory", f"RSS {name}", round(size, 1), "MiB")
    table.add("memory", "RSS whole local stack", round(total, 1), "MiB", "< 200", "200-280", total < 200)


def cold_imports(stack: LocalStack, table: Table) -> None:
    """Each handler's cold import and its ratio to ``import boto3`` in the same run, and a fresh API process's
    first request (bench/cold_bench.py)."""
    from bench import cold_bench

    print("cold starts (bench/cold_bench.py)", flush=True)
    for row in cold_bench.measure(cold_bench.stack_environments(stack)):
        table.add("cold start", row["measure"], row["value"], row["unit"], row.get("target", ""), "", row.get("ok"))


def cost(table: Table, burst_figures: dict, result_bytes: int) -> None:
    posts, cpu = burst_figures["posts"], burst_figures["cpu_seconds"]
    if not posts:
        return
    per_post_cpu = cpu / posts
    posts_per_job = posts / max(1, burst_figures["jobs"])
    batch = max(1.0, burst_figures["average_batch"])
    jobs_per_million = 1_000_000 / posts_per_job
    lambda_compute = 1_000_000 * per_post_cpu * 0.5 * LAMBDA_ARM_GB_SECOND  # 512 MB = 0.5 GB
    lambda_requests = jobs_per_million / batch * LAMBDA_REQUEST + jobs_per_million * LAMBDA_REQUEST  # worker + API
    sqs = jobs_per_million * (1 + 2 / batch) * SQS_REQUEST  # send per job; receive + delete per batch
    result_kb = max(1, -(-result_bytes // 1024))
    # per job (no transactions): job item (1), lock (1), running (1, the job's lease), result stored as the keyword's
    # latest and as the job's (2 x result size), lock release (1), metrics (1 per batch)
    writes = 1 + 1 + 1 + 2 * result_kb + 1 + 1 / batch
    # API cache read (result size) + lock read; worker: previous result (result size), job read
    reads = (result_kb / 4 + 0.5) + 0.5 + (result_kb / 4 + 0.5) + 0.5
    dynamodb = jobs_per_million * (writes * DYNAMODB_WRITE_UNIT + reads * DYNAMODB_READ_UNIT)
    total = lambda_compute + lambda_requests + sqs + dynamodb
    table.add("cost", "worker CPU per post (measured)", round(per_post_cpu * 1000, 3), "ms")
    table.add("cost", "Lambda compute per 1M posts (arm64, 512 MB)", round(lambda_compute, 4), "USD")
    table.add("cost", "Lambda requests per 1M posts", round(lambda_requests, 4), "USD")
    table.add("cost", "SQS per 1M posts", round(sqs, 4), "USD")
    table.add("cost", f"DynamoDB per 1M posts ({result_kb} KB results)", round(dynamodb, 3), "USD")
    table.add("cost", "total per 1M posts analyzed", round(total, 3), "USD", "< Comprehend", "", total < 100)
    table.add("cost", "Amazon Comprehend sentiment per 1M short posts", COMPREHEND_PER_1M_SHORT_POSTS, "USD")


def result_size(stack: LocalStack) -> int:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        answer = client.post("/api/analyses", json={"keyword": "bench hot keyword"}).json()
    return len(json.dumps(answer.get("result", {}), separators=(",", ":"), ensure_ascii=False).encode())


def stack_figures(table: Table, quick: bool, log) -> None:
    # The simulated provider only: the figures are the platform's, not a live provider's (or a missing network's).
    with LocalStack(port=0, log=log, environment=SIMULATED) as stack:
        http_latency(stack, table, quick)
        submit_to_done(stack, table, 5 if quick else 20, "window 1 s, default", target=True)
        figures = burst(stack, table, "window 1 s, default", target=True)
        memory(stack, table)
        cold_imports(stack, table)
        cost(table, figures, result_size(stack))
        httpx.post(f"{stack.aws_endpoint}/moto-api/reset")  # moto's state is per process: the next stack starts clean
    with LocalStack(port=0, log=log, environment=SIMULATED, parameters={"BatchingWindowSeconds": "0"}) as stack:
        submit_to_done(stack, table, 5 if quick else 20, "window 0 s", target=False)
        burst(stack, table, "window 0 s", target=False)


# ------------------------------------------------------------------ the other engineers' benches
def analytics_rows(table: Table) -> None:
    print("analytics bench (bench/analytics_bench.py)", flush=True)
    try:
        from bench import analytics_bench

        rows = analytics_bench.main()
    except (ImportError, SystemExit, Exception) as error:  # report, do not hide, a missing piece
        table.add("worker", "analytics bench", f"not run: {error}", "")
        return
    for row in rows:
        if row.get("bench") == "analytics_throughput":
            table.add("worker", "raw polarity_scores texts/s (machine yardstick)", row["raw_texts_per_s"], "/s")
            table.add("worker", "analyze() texts/s", row["analyze_texts_per_s"], "/s")
            ratio = row["ratio"]
            table.add("worker", "analyze() / raw VADER throughput", ratio, "ratio", ">= 0.9", "", ratio >= 0.9)
            share = row["query_check_share_of_analyze"]
            table.add(
                "worker",
                "checking posts against a boolean query / analyze()",
                share,
                "ratio",
                "< 0.05",
                "",
                share < 0.05,
            )
        elif row.get("bench") == "analytics_groundtruth" and row["scorer"] == "calibrated":
            table.add(
                "accuracy",
                f"{row['file']} calibrated r / acc / wF1",
                f"{row['pearson_r']:.3f} / {row['accuracy']:.3f} / {row['weighted_f1']:.3f}",
                "",
            )


def local_rows(table: Table) -> None:
    print("local stack bench (bench/local_bench.py)", flush=True)
    try:
        from bench import local_bench

        rows = {row["metric"]: row for row in local_bench.main()}
    except (ImportError, SystemExit, Exception) as error:
        table.add("local", "local stack bench", f"not run: {error}", "")
        return
    burst_ratio, rss_ratio = rows["burst_ratio_to_original"]["value"], rows["rss_ratio_to_original"]["value"]
    pss_ratio = rows["pss_ratio_to_original"]["value"]
    original_burst, original_rss = local_bench.ORIGINAL_BURST_SECONDS, local_bench.ORIGINAL_RSS_MIB
    table.add("local", "burst 200 POSTs / 50 new keywords, c=20 (median)", rows["burst_seconds_median"]["value"], "s")
    table.add(
        "local",
        "stack CPU per burst (median; steadier on a loaded machine)",
        rows["burst_cpu_seconds_median"]["value"],
        "s",
    )
    table.add(
        "local",
        "... of which the stack's own process (the critical path)",
        rows["burst_main_process_cpu_seconds_median"]["value"],
        "s",
    )
    table.add(
        "local",
        f"burst / original {original_burst} s",
        burst_ratio,
        "ratio",
        "<= 1.5",
        f"{original_burst} s",
        burst_ratio <= 1.5,
    )
    table.add("local", "stack RSS after a burst (~50 keywords)", rows["stack_rss_mib_after_bench"]["value"], "MiB")
    table.add(
        "local", "stack RSS after every round (whole tree)", rows["stack_rss_mib_after_all_rounds"]["value"], "MiB"
    )
    table.add(
        "local",
        f"stack RSS / original {original_rss:.0f} MiB",
        rss_ratio,
        "ratio",
        "<= 1.0",
        f"{original_rss:.0f} MiB",
        rss_ratio <= 1.0,
    )
    table.add(
        "local", "stack PSS after every round (whole tree)", rows["stack_pss_mib_after_all_rounds"]["value"], "MiB"
    )
    table.add("local", f"stack PSS / original {local_bench.ORIGINAL_PSS_MIB:.0f} MiB", pss_ratio, "ratio")
    table.add("local", "RSS added per stored keyword", rows["rss_mib_per_stored_keyword"]["value"], "MiB")
    table.add("local", "storage round trips per job", rows["storage_calls_per_job"]["value"], "")
    table.add("local", "restore of the durable state", rows["restore_seconds"]["value"], "s")


def fetch_rows(table: Table) -> None:
    print("fetch bench (bench/fetch_bench.py)", flush=True)
    try:
        from bench import fetch_bench

        rows = fetch_bench.main()
    except (ImportError, SystemExit, Exception) as error:
        table.add("fetch", "fetch bench", f"not run: {error}", "")
        return
    for row in rows:
        metric, value = row["metric"], row["value"]
        if metric == "concurrent_over_single_ratio":
            table.add("fetch", "10 concurrent jobs / 1 job (200 ms/page)", value, "ratio", "<= 1.5", "", value <= 1.5)
        else:
            table.add("fetch", metric.replace("_", " "), value, "")


def stream_rows(table: Table) -> None:
    print("stream bench (bench/stream_bench.py)", flush=True)
    try:
        from bench import stream_bench

        rows = stream_bench.main()
    except (ImportError, SystemExit, Exception) as error:
        table.add("stream", "stream bench", f"not run: {error}", "")
        return
    for row in rows:
        table.add("stream", row["measure"], row["value"], row.get("unit", ""), row.get("target", ""), "", row.get("ok"))


def archive_rows(table: Table, quick: bool) -> None:
    print("archive bench (bench/archive_bench.py)", flush=True)
    try:
        from bench import archive_bench

        rows = archive_bench.main(quick)
    except (ImportError, SystemExit, Exception) as error:
        table.add("archive", "archive bench", f"not run: {error}", "")
        return
    for row in rows:
        table.add(
            "archive", row["measure"], row["value"], row.get("unit", ""), row.get("target", ""), "", row.get("ok")
        )


def fanout_rows(table: Table, quick: bool) -> None:
    print("fan-out bench (bench/fanout_bench.py)", flush=True)
    try:
        from bench import fanout_bench

        rows = fanout_bench.main(runs=3 if quick else fanout_bench.RUNS)
    except (ImportError, SystemExit, Exception) as error:
        table.add("fan-out", "fan-out bench", f"not run: {error}", "")
        return
    for row in rows:
        metric, value = row["metric"], row["value"]
        if metric == "five_over_one_ratio":
            ok = value <= fanout_bench.TARGET
            table.add("fan-out", "submit-to-done 5 sources / 1 (300 ms/page)", value, "ratio", "<= 1.3", "", ok)
        else:
            table.add("fan-out", metric.replace("_", " "), value, "s")


def inputs_rows(table: Table) -> None:
    print("inputs bench (bench/inputs_bench.py)", flush=True)
    try:
        from bench import inputs_bench

        rows = inputs_bench.main()
    except (ImportError, SystemExit, Exception) as error:
        table.add("storage", "inputs bench", f"not run: {error}", "")
        return
    for row in rows:
        name = row["result"]
        table.add("storage", f"{name}: JSON / stored bytes", f"{row['json_bytes']:,} / {row['stored_bytes']:,}", "B")
        table.add("storage", f"{name}: without the caps", row["uncapped_json_bytes"], "B")
        table.add(
            "storage",
            f"{name}: fit + encode / decode",
            f"{row['fit_ms'] + row['encode_ms']:.2f} / {row['decode_ms']:.2f}",
            "ms",
        )


def bounds_rows(table: Table) -> None:
    print("bounds bench (bench/bounds_bench.py)", flush=True)
    try:
        from bench import bounds_bench

        rows = {row["bench"]: row for row in bounds_bench.main()}
    except (ImportError, SystemExit, Exception) as error:
        table.add("bounds", "bounds bench", f"not run: {error}", "")
        return
    peak = rows["import_peak"]
    table.add(
        "bounds",
        f"worker peak RSS, largest import ({peak['bytes'] / 2**20:.0f} MiB of tiny rows, {peak['rows']:,} parsed"
        f" in {peak['parse_seconds']} s, {peak['not_read']:,} lines not read)",
        round(peak["peak_mib"], 1),
        "MiB",
        f"< {peak['target_mib']:.0f} (half of {peak['worker_memory_mib']})",
        "~3,300 MiB",
        peak["ok"],
    )
    reads = rows["backtest_reads"]
    table.add(
        "bounds",
        f"backtest read units, {reads['days']} busy days ({reads['items_read']} items)",
        reads["read_units"],
        "RU",
        "<= 200",
        f"{reads['minute_items_read_units']:.0f} RU (minute items)",
        reads["ok"],
    )


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests and samples (a smoke run)")
    args = parser.parse_args()
    ARTIFACTS.mkdir(exist_ok=True)
    table = Table()
    print(f"machine: {machine()}\n", flush=True)
    with (ARTIFACTS / "bench-stack.log").open("w") as log:
        stack_figures(table, args.quick, log)
    local_rows(table)
    analytics_rows(table)
    fetch_rows(table)
    stream_rows(table)
    archive_rows(table, args.quick)
    fanout_rows(table, args.quick)
    inputs_rows(table)
    bounds_rows(table)
    table.print()
    (ARTIFACTS / "bench.json").write_text(
        json.dumps({"machine": machine(), "at": time.time(), "rows": table.rows}, indent=1)
    )
    missed = [row["measure"] for row in table.rows if row["ok"] is False]
    print(f"\n{len(table.rows)} figures; targets missed: {', '.join(missed) if missed else 'none'}")
    print(f"raw figures: {ARTIFACTS / 'bench.json'}")


if __name__ == "__main__":
    main()

"""Cold starts: each handler's import in a fresh interpreter, as a ratio to ``import boto3`` measured in the same run,
and the first request of a fresh API process (import + one POST /api/analyses against the local stack's AWS).

Each figure is the median of ``RUNS`` fresh subprocesses, interleaved (boto3, then every handler, then again) so a
burst of load on the shared machine hits them alike. Targets (issue "cold starts"): the API at most 2x ``import boto3``,
the worker at most 2.5x.

    PYTHONPATH=functions:. .venv/bin/python -m bench.cold_bench     # starts its own local stack
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
TARGETS = {"ApiFunction": 2.0, "WorkerFunction": 2.5}
HANDLERS = {
    "ApiFunction": "social_analytics.handlers.api",
    "WorkerFunction": "social_analytics.handlers.worker",
    "StreamFunction": "social_analytics.handlers.stream",
    "SchedulerFunction": "social_analytics.handlers.scheduler",
    "ImportFunction": "social_analytics.handlers.imports",
}
# What the timed import must not load (the layout test checks the same on every commit).
API_MUST_NOT_LOAD = ("aws_xray_sdk.core", "httpx", "vaderSentiment", "py3langid", "boto3.resources.factory")

IMPORT_PROBE = """
import sys, time
started = time.perf_counter()
import {module}
elapsed = time.perf_counter() - started
print(elapsed, ",".join(m for m in {unwanted!r} if m in sys.modules))
"""

# A fresh API process: import the handler, then answer one uncached POST /api/analyses (DynamoDB + SQS round trips
# against the stack's moto). Nothing else is imported first: the context is a plain object, the event a dict.
FIRST_REQUEST_PROBE = """
import json, sys, time, uuid
started = time.perf_counter()
from social_analytics.handlers import api
imported = time.perf_counter()

class Context:
    function_name = "ApiFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    aws_request_id = str(uuid.uuid4())
    def get_remaining_time_in_millis(self):
        return 30000

event = {
    "resource": "/{proxy+}", "path": "/api/analyses", "httpMethod": "POST",
    "headers": {"Content-Type": "application/json"},
    "multiValueHeaders": {"Content-Type": ["application/json"]},
    "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
    "requestContext": {"requestId": str(uuid.uuid4()), "stage": "local", "httpMethod": "POST",
                       "path": "/api/analyses", "identity": {"sourceIp": "127.0.0.1"}},
    "body": json.dumps({"keyword": "cold start " + uuid.uuid4().hex[:8]}), "isBase64Encoded": False,
}
response = api.handler(event, Context())
answered = time.perf_counter()
print(json.dumps({"import": imported - started, "first": answered - imported, "status": response["statusCode"]}))
"""


def _run(code: str, environment: dict[str, str]) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def measure(environments: dict[str, dict[str, str]], runs: int = RUNS) -> list[dict]:
    """``environments``: each function's environment (logical id -> env), as the local stack gives it."""
    baseline_env = environments["ApiFunction"]
    samples: dict[str, list[float]] = {"boto3": [], **{logical_id: [] for logical_id in environments}}
    unwanted: dict[str, set[str]] = {logical_id: set() for logical_id in environments}
    first: list[dict] = []
    for _ in range(runs):
        samples["boto3"].append(float(_run(IMPORT_PROBE.format(module="boto3", unwanted=()), baseline_env).split()[0]))
        for logical_id, environment in environments.items():
            probe = IMPORT_PROBE.format(module=HANDLERS[logical_id], unwanted=API_MUST_NOT_LOAD)
            elapsed, *loaded = _run(probe, environment).split()
            samples[logical_id].append(float(elapsed))
            unwanted[logical_id].update(",".join(loaded).split(",") if loaded else [])
        first.append(json.loads(_run(FIRST_REQUEST_PROBE, environments["ApiFunction"]).splitlines()[-1]))
    boto3_ms = statistics.median(samples["boto3"]) * 1000
    rows = [{"measure": "import boto3 (the yardstick)", "value": round(boto3_ms, 1), "unit": "ms"}]
    for logical_id in environments:
        median_ms = statistics.median(samples[logical_id]) * 1000
        ratio = round(median_ms / boto3_ms, 2)
        target = TARGETS.get(logical_id)
        rows.append({"measure": f"import {HANDLERS[logical_id]}", "value": round(median_ms, 1), "unit": "ms"})
        rows.append(
            {
                "measure": f"{logical_id} import / import boto3",
                "value": ratio,
                "unit": "ratio",
                "target": f"<= {target}" if target else "",
                "ok": ratio <= target if target else None,
            }
        )
    api_loaded = sorted(unwanted["ApiFunction"] - {""})
    rows.append(
        {
            "measure": "API import loads X-Ray, httpx, VADER, langid, boto3 resources",
            "value": ", ".join(api_loaded) or "none",
            "unit": "",
            "target": "none",
            "ok": not api_loaded,
        }
    )
    statuses = {sample["status"] for sample in first}
    imported_ms = statistics.median(sample["import"] for sample in first) * 1000
    first_ms = statistics.median(sample["first"] for sample in first) * 1000
    rows.append({"measure": "fresh API process: import (same runs)", "value": round(imported_ms, 1), "unit": "ms"})
    rows.append(
        {
            "measure": f"fresh API process: first POST /api/analyses (HTTP {'/'.join(map(str, sorted(statuses)))})",
            "value": round(first_ms, 1),
            "unit": "ms",
        }
    )
    rows.append(
        {
            "measure": "fresh API process: import + first request / import boto3",
            "value": round((imported_ms + first_ms) / boto3_ms, 2),
            "unit": "ratio",
        }
    )
    return rows


def stack_environments(stack) -> dict[str, dict[str, str]]:
    return {
        logical_id: stack.function_environment(logical_id) for logical_id in HANDLERS if logical_id in stack.functions
    }


def main(runs: int = RUNS) -> list[dict]:
    for path in (ROOT / "functions", ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    from local_stack.stack import LocalStack

    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    log_path = artifacts / "cold-bench-stack.log"
    with log_path.open("w") as log, LocalStack(port=0, environment={"PROVIDERS": "simulated"}, log=log) as stack:
        rows = measure(stack_environments(stack), runs)
    for row in rows:
        print(f"  {row['measure']:<70} {row['value']!s:>10} {row['unit']:<6} {row.get('target', '')}")
    return rows


if __name__ == "__main__":
    main()

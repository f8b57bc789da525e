"""Bounds that no caller can blow up (docs/RELIABILITY.md, "Bounds"): the worker's peak memory parsing the largest
allowed import of tiny rows, and the DynamoDB read units of a 7-day backtest (against moto, counted from the calls).

    PYTHONPATH=functions:. .venv/bin/python -m bench.bounds_bench
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter so the peak is this parse's alone (VmHWM is the process's high-water mark).
_IMPORT_PEAK = r"""
import json, sys
sys.path[:0] = ["functions", "."]
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
from social_analytics.imports.parsing import parse_import
import time
from social_analytics.imports.uploads import MAX_IMPORT_POSTS, MAX_IMPORT_ROWS
from social_analytics.settings import DEFAULT_IMPORT_MAX_BYTES
data = b"text\n" + b"a\n" * ((DEFAULT_IMPORT_MAX_BYTES - 5) // 2)
before = rss("VmRSS:")
started = time.perf_counter()
# as the worker parses it (gather.fetch_import): the newest MAX_IMPORT_POSTS of at most MAX_IMPORT_ROWS rows
outcome = parse_import(data, fmt="csv", max_posts=MAX_IMPORT_POSTS, max_rows=MAX_IMPORT_ROWS)
seconds = time.perf_counter() - started
print(json.dumps({"bytes": len(data), "rows": outcome.report.rows, "kept": len(outcome.posts),
                  "over_cap": outcome.report.rows_over_cap, "not_read": outcome.report.lines_not_read,
                  "parse_seconds": round(seconds, 2), "before_mib": before, "peak_mib": rss("VmHWM:")}))
"""


def worker_memory_mib() -> int:
    """The worker's MemorySize: its own, else the template's Globals."""
    text = (ROOT / "template.yaml").read_text()
    worker = re.search(r"\n  WorkerFunction:\n(.*?)\n  \S", text, re.S)
    own = re.search(r"MemorySize: (\d+)", worker.group(1)) if worker else None
    return int((own or re.search(r"MemorySize: (\d+)", text)).group(1))


def import_peak() -> dict:
    out = subprocess.run([sys.executable, "-c", _IMPORT_PEAK], cwd=ROOT, capture_output=True, text=True, check=True)
    figures = json.loads(out.stdout)
    memory = worker_memory_mib()
    return {
        **figures,
        "worker_memory_mib": memory,
        "target_mib": memory / 2,
        "ok": figures["peak_mib"] < memory / 2,
    }


def backtest_reads() -> dict:
    from bench.bounds_reads import backtest_read_units

    return backtest_read_units()


def main() -> list[dict]:
    rows = [{"bench": "import_peak", **import_peak()}, {"bench": "backtest_reads", **backtest_reads()}]
    for row in rows:
        print(json.dumps(row))
    return rows


if __name__ == "__main__":
    main()

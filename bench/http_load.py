"""A small closed-loop HTTP load generator: N threads, one keep-alive connection each, exact latencies.

``http.client`` rather than httpx: its per-request cost on the client side is a fraction of httpx's, which
matters when the client shares two cores with the server it measures.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    latencies_ms: list[float]
    seconds: float
    statuses: dict[int, int]

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return 0.0
        index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
        return ordered[index]


def run_load(
    base_url: str,
    method: str,
    path: str,
    body: dict | None = None,
    concurrency: int = 1,
    requests: int = 1000,
    warmup: int = 50,
) -> LoadResult:
    """``requests`` requests in total spread over ``concurrency`` threads (after ``warmup`` per thread)."""
    split = urlsplit(base_url)
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if payload is not None else {}
    per_thread = max(1, requests // concurrency)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    statuses: dict[int, int] = {}
    status_lock = threading.Lock()
    ready = threading.Barrier(concurrency + 1)
    go = threading.Event()

    errors: list[BaseException] = []

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
        try:
            _work(index, connection)
        except BaseException as error:  # one failed thread must not leave the others waiting at the barrier
            errors.append(error)
            ready.abort()
            go.set()
        finally:
            connection.close()

    def _work(index: int, connection: http.client.HTTPConnection) -> None:
        for _ in range(warmup):
            connection.request(method, path, body=payload, headers=headers)
            connection.getresponse().read()
        ready.wait()
        go.wait()
        own = latencies[index]
        seen: dict[int, int] = {}
        for _ in range(per_thread):
            started = time.perf_counter()
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            response.read()
            own.append((time.perf_counter() - started) * 1000)
            seen[response.status] = seen.get(response.status, 0) + 1
        with status_lock:
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait()
    started = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} of {concurrency} client connections failed: {errors[0]!r}")
    elapsed = time.perf_counter() - started
    return LoadResult([value for own in latencies for value in own], elapsed, statuses)


def run_load_in_subprocess(base_url: str, method: str, path: str, body: dict | None, concurrency: int, requests: int):
    """``run_load`` in a separate interpreter, so the client never shares a GIL with the moto server it hits."""
    import subprocess
    import sys
    from pathlib import Path

    spec = json.dumps([base_url, method, path, body, concurrency, requests])
    output = subprocess.run(
        [sys.executable, "-m", "bench.http_load", spec],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(output)
    return LoadResult(data["latencies_ms"], data["seconds"], {int(k): v for k, v in data["statuses"].items()})


if __name__ == "__main__":
    import sys

    base, verb, target, payload_body, threads, total = json.loads(sys.argv[1])
    outcome = run_load(base, verb, target, payload_body, threads, total)
    print(json.dumps({"latencies_ms": outcome.latencies_ms, "seconds": outcome.seconds, "statuses": outcome.statuses}))

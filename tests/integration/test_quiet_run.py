"""`make run` on a machine without network: `python -m local_stack` as a subprocess with the default sources, a few
analyses and a tracked keyword. By default its output is for people (no JSON line, one line per kind of source
failure); with LOG_LEVEL=debug the structured lines come back, each naming the function that wrote it.

No test reaches the internet: every default source, and Jetstream, points at a closed loopback port, and any other
host would go through a proxy at another closed port, so every fetch fails as it would without network.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest

from local_stack.stack import wait_until
from tests.conftest import REPO_ROOT

TOKEN = "quiet-run-admin-token-for-the-test"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def offline_environment(tmp_path, **extra: str) -> dict[str, str]:
    port, nowhere = closed_port(), f"http://127.0.0.1:{closed_port()}"
    environment = {
        key: value for key, value in os.environ.items() if key not in ("PROVIDERS", "LOG_LEVEL", "POWERTOOLS_LOG_LEVEL")
    }
    environment.update(
        {
            "PORT": str(port),
            "LOCAL_DATA_DIR": str(tmp_path / "data"),
            "ADMIN_TOKEN": TOKEN,
            "SCAN_INTERVAL_SECONDS": "1",
            "STREAM_INTERVAL_SECONDS": "1",
            "STREAM_ENABLED": "true",
            "JETSTREAM_URL": f"ws://127.0.0.1:{closed_port()}/subscribe",
            "HACKERNEWS_BASE_URL": nowhere,
            "MASTODON_INSTANCES": nowhere,
            "LEMMY_INSTANCES": nowhere,
            "HTTP_PROXY": nowhere,
            "HTTPS_PROXY": nowhere,
            "ALL_PROXY": nowhere,
            "NO_PROXY": "127.0.0.1,localhost",  # loopback stays direct: the closed ports above refuse at once
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "functions"), str(REPO_ROOT)]),
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return environment


def run_like_make_run(tmp_path, **extra: str) -> list[str]:
    """Start the stack, submit three analyses and track a keyword, wait for the jobs and a few scheduled runs,
    stop it; returns every line it wrote (stdout and stderr)."""
    environment = offline_environment(tmp_path, **extra)
    process = subprocess.Popen(
        [sys.executable, "-m", "local_stack"],
        env=environment,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{environment['PORT']}"
    try:
        with httpx.Client(base_url=base, timeout=10) as client:

            def up():
                try:
                    return client.get("/api/health").status_code == 200
                except httpx.TransportError:
                    return False

            assert wait_until(up, timeout=90, interval=0.2), "".join(lines)
            suffix = uuid.uuid4().hex[:6]
            jobs = [
                client.post("/api/analyses", json={"keyword": f"{word} {suffix}"}).json()["status_url"]
                for word in ("alpha", "beta", "gamma")
            ]
            tracked = client.post(
                "/api/tracked",
                json={"keyword": f"delta {suffix}", "interval_minutes": 5},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert tracked.status_code == 201, tracked.text

            def finished():
                return all(client.get(url).json()["status"] in ("done", "failed") for url in jobs)

            assert wait_until(finished, timeout=90, interval=0.5)
            time.sleep(4)  # a few scheduler ticks and stream runs (each fails to connect)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)
    return lines


def structured(lines: list[str]) -> list[dict]:
    found = []
    for line in lines:
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict | list):
            found.append(parsed)
    return found


@pytest.mark.timeout(300)
def test_make_run_without_network_prints_no_json_and_one_line_per_kind_of_failure(tmp_path):
    lines = run_like_make_run(tmp_path)
    output = "".join(lines)

    assert structured(lines) == [], output
    assert not any(line.lstrip().startswith(("{", "[")) for line in lines), output
    assert "Ctrl-C stops" in output
    # the failures are there, as people read them: each kind once (the run is shorter than a minute)
    failures = [line for line in lines if line.startswith("WorkerFunction: provider failed (hackernews")]
    assert len(failures) == 1, output
    assert sum(line.startswith("StreamFunction: jetstream connection lost") for line in lines) == 1, output
    # scheduled runs print only when they queued something; the stream's runs (none connected) not at all
    assert any(line.startswith("SchedulerFunction: scheduled run:") and "enqueued=1" in line for line in lines)
    assert not any("enqueued=0" in line and "failed=0" in line for line in lines), output
    assert not any(line.startswith("StreamFunction: scheduled run") for line in lines), output


@pytest.mark.timeout(300)
def test_with_log_level_debug_every_line_names_the_function_that_wrote_it(tmp_path):
    lines = run_like_make_run(tmp_path, LOG_LEVEL="debug")
    logged = [line for line in structured(lines) if isinstance(line, dict) and "level" in line and "message" in line]
    by_message: dict[str, set[str]] = {}
    for line in logged:
        by_message.setdefault(line["message"], set()).add(line.get("function_name"))

    assert by_message["analysis queued"] == {"ApiFunction"}
    assert by_message["provider failed"] == {"WorkerFunction"}
    assert by_message["scheduled scan"] == {"SchedulerFunction"}
    assert by_message["jetstream connection lost"] == {"StreamFunction"}
    assert by_message["stream ingestion"] == {"StreamFunction"}
    # and the debug output has the rest back: every scheduled run, EMF documents
    assert any(line.startswith("SchedulerFunction: scheduled run:") and "enqueued=0" in line for line in lines)
    assert any(isinstance(line, dict) and "_aws" in line for line in structured(lines))

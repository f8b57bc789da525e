"""`make run` keeps its state: the real `python -m local_stack` (one process group), stopped with Ctrl-C and then
killed with SIGKILL, started again on the same LOCAL_DATA_DIR. Tracked keywords, history, alerts, results and the
generated admin token are all still there; a hard kill loses at most the last snapshot interval (2 s)."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from local_stack.stack import wait_until
from local_stack.template import REPO_ROOT

SNAPSHOT_SECONDS = 2.0


class MakeRun:
    """`python -m local_stack` in its own session (process group), its banner parsed."""

    def __init__(self, data_dir: Path, log: Path, extra: dict[str, str] | None = None) -> None:
        environment = {
            **os.environ,
            "PORT": "0",
            "LOCAL_DATA_DIR": str(data_dir),
            "PROVIDERS": "simulated",
            "SCAN_INTERVAL_SECONDS": "2",
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "functions"), str(REPO_ROOT)]),
            "PYTHONUNBUFFERED": "1",
            **(extra or {}),
        }
        environment.pop("ADMIN_TOKEN", None)
        environment.pop("AWS_ENDPOINT_URL", None)
        self.log = log.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local_stack"],
            cwd=REPO_ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            start_new_session=True,
        )
        self.banner: list[str] = []
        assert self.process.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.log.write(line)
            self.banner.append(line.strip())
            if line.strip().startswith("sources:"):
                break
        text = "\n".join(self.banner)
        url = re.search(r"(http://127\.0\.0\.1:\d+)/", text)
        token = re.search(r"admin token: (\S+)", text)
        assert url and token, f"no banner: {text}"
        self.base_url, self.token = url.group(1), token.group(1)
        self.client = httpx.Client(base_url=self.base_url, timeout=10)

    def admin(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def ctrl_c(self) -> None:
        self.client.close()
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(timeout=30) == 0
        self.log.close()

    def kill_group(self) -> None:
        self.client.close()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()


def state(run: MakeRun, keyword: str, analyzed: list[str]) -> dict:
    tracked = run.client.get("/api/tracked").json()["tracked"]
    history = run.client.get(f"/api/analyses/{keyword}/history").json()["points"]
    alerts = run.client.get("/api/alerts", params={"keyword": keyword})
    results = {k: run.client.get(f"/api/analyses/{k}").status_code for k in analyzed}
    return {
        "tracked": sorted(t["keyword"] for t in tracked),
        "history": [point["time"] for point in history],
        "alerts": alerts.json() if alerts.status_code == 200 else alerts.status_code,
        "results": results,
    }


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "local-data"


def test_state_and_token_survive_ctrl_c_and_kill_9(data_dir, tmp_path):
    log = tmp_path / "make-run.log"
    keyword = f"Kept {uuid.uuid4().hex[:6]}"
    analyzed = [f"analyzed {uuid.uuid4().hex[:6]} {i}" for i in range(3)]

    # GIVEN make run with a tracked keyword, a few analyses and scans building history
    run = MakeRun(data_dir, log)
    first_token = run.token
    assert run.client.post("/api/tracked", json={"keyword": keyword, "interval_minutes": 5}).status_code == 401
    created = run.client.post(
        "/api/tracked", json={"keyword": keyword, "interval_minutes": 5, "limit": 30}, headers=run.admin()
    )
    assert created.status_code == 201, created.text
    for name in analyzed:
        assert run.client.post("/api/analyses", json={"keyword": name}).status_code in (200, 202)
    assert wait_until(lambda: len(state(run, keyword, analyzed)["history"]) >= 2, timeout=60, interval=0.5)
    assert wait_until(lambda: set(state(run, keyword, analyzed)["results"].values()) == {200}, timeout=60)
    before = state(run, keyword, analyzed)

    # the token is kept in the data folder, readable by its owner only
    token_file = data_dir / "admin-token"
    assert token_file.read_text().strip() == first_token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700

    # WHEN Ctrl-C, then make run again
    run.ctrl_c()
    run = MakeRun(data_dir, log)

    # THEN everything is there, and the same token opens the admin routes
    assert run.token == first_token
    assert any("restored" in line for line in run.banner)
    after = state(run, keyword, analyzed)
    assert after["tracked"] == before["tracked"] and keyword in after["tracked"]
    assert after["history"][: len(before["history"])] == before["history"]
    assert after["alerts"] == before["alerts"] or isinstance(before["alerts"], int)
    assert set(after["results"].values()) == {200}
    assert run.client.delete("/api/tracked/nothing-here", headers=run.admin()).status_code != 401

    # AND scans go on building history; then the whole process group is killed (no shutdown, no final snapshot)
    assert wait_until(lambda: len(state(run, keyword, analyzed)["history"]) > len(after["history"]), timeout=60)
    kept = state(run, keyword, analyzed)
    time.sleep(SNAPSHOT_SECONDS + 1.5)  # what was there this long before the kill must survive it
    run.kill_group()

    run = MakeRun(data_dir, log)
    try:
        assert run.token == first_token
        survived = state(run, keyword, analyzed)
        assert survived["tracked"] == kept["tracked"]
        assert survived["history"][: len(kept["history"])] == kept["history"]
        assert set(survived["results"].values()) == {200}
        # and the restarted stack keeps working: a new analysis completes
        job = run.client.post("/api/analyses", json={"keyword": f"after kill {uuid.uuid4().hex[:6]}"}).json()
        finished = wait_until(
            lambda: run.client.get(job["status_url"]).json()["status"] in ("done", "failed"), timeout=60
        )
        assert finished and run.client.get(job["status_url"]).json()["status"] == "done"
    finally:
        run.ctrl_c()

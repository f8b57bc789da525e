"""The embedded stack builds results in a second process (the machine's other core): the same result as inline,
the job's own failures raised where the worker handles them, inline again when the child is lost, and the child never
outlives the stack, even after a ``kill -9``."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from social_analytics.analyses.outcomes import FetchedPosts
from social_analytics.analyses.results import build_result
from social_analytics.analyses.sources.simulated import simulate_posts
from social_analytics.models import AnalysisJob, TimeWindow
from social_analytics.scoring.limits import ResultTooLarge

from local_stack.analysis_pool import AnalysisPool
from local_stack.stack import LocalStack, child_pids, wait_until

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def a_job(keyword: str = "pool check") -> tuple[AnalysisJob, FetchedPosts]:
    window = TimeWindow.last_hours(24)
    job = AnalysisJob(
        job_id="j" * 32, keyword=keyword, key=keyword, limit=100, window_hours=24, submitted_at=time.time()
    )
    fetched = FetchedPosts(posts=simulate_posts(keyword, window, 100), source={"provider": "simulated"}, window=window)
    return job, fetched


def without_clock(result: dict) -> dict:
    return {key: value for key, value in result.items() if key != "analyzed_at"}


@pytest.fixture
def pool():
    pool = AnalysisPool(1)
    yield pool
    pool.close()


def test_the_child_builds_the_result_the_worker_would(pool):
    job, fetched = a_job()
    inline = build_result(job, fetched, None)
    built = pool(job, fetched, None)
    assert without_clock(built) == without_clock(inline)
    assert built["posts_analyzed"] == 100
    previous = pool(job, fetched, inline)  # with the keyword's previous result: term trends
    assert without_clock(previous) == without_clock(build_result(job, fetched, inline))


def test_a_jobs_own_failure_is_raised_in_the_stack(pool):
    job, fetched = a_job()
    with pytest.raises(TypeError):
        pool(job, FetchedPosts(posts=None, source={}, window=fetched.window), None)  # type: ignore[arg-type]
    assert pool(job, fetched, None)["posts_analyzed"] == 100  # the child still serves


def test_a_result_too_large_crosses_the_pipe_unchanged():
    """The worker fails the job with this error's text: it must read the same after the pickle the pipe carries."""
    import pickle

    error = ResultTooLarge(400_001)
    carried = pickle.loads(pickle.dumps(error))
    assert type(carried) is ResultTooLarge
    assert str(carried) == str(error)
    assert carried.size == 400_001


def test_a_lost_child_means_results_built_inline(pool):
    job, fetched = a_job()
    (pid,) = pool.pids()
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not pool.pids(), timeout=5)
    assert pool(job, fetched, None)["posts_analyzed"] == 100
    assert pool(job, fetched, None)["posts_analyzed"] == 100


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_embedded_stack_builds_results_in_its_child_and_takes_it_along_when_killed():
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / f"local-stack-pool-{os.getpid()}.log").open("w") as log:
        stack = LocalStack(port=0, log=log, environment={"PROVIDERS": "simulated"}).start()
        try:
            stack_pid = stack.pids()["stack"]
            (child,) = child_pids(stack_pid)
            before = cpu_ticks(child)
            with httpx.Client(base_url=stack.base_url, timeout=30) as client:
                urls = [
                    client.post("/api/analyses", json={"keyword": f"pool job {i}"}).json()["status_url"]
                    for i in range(6)
                ]
                done = wait_until(
                    lambda: all(client.get(url).json()["status"] == "done" for url in urls), timeout=60, interval=0.2
                )
                assert done
            assert cpu_ticks(child) > before  # the analysis ran there
            os.kill(stack_pid, signal.SIGKILL)
            assert wait_until(lambda: not alive(child), timeout=10), "the analysis process outlived the stack"
        finally:
            stack.stop()

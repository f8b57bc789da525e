"""The worker processes killed (SIGKILL) in the middle of a batch: the stack's supervisor starts new ones, the
killed batch's messages reappear after the visibility timeout and complete, and every job is analyzed once.

The module's stack: SocialData (a loopback fake) takes 1.5 s per page, so a batch stays in flight; the worker's
timeout and the job lease are 6 s (``WorkerTimeoutSeconds``, ``JOB_LEASE_SECONDS``) and the queue's visibility 8 s,
just above them, so a killed attempt's lease (the job's one guard against a second run) has run out when its
message reappears.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from local_stack.stack import LocalStack
from tests.fakes.provider_server import FakeProviderServer
from tests.reliability.helpers import job_item, metrics, submit_all, wait_finished, wait_until


@pytest.fixture(scope="module")
def slow_provider_stack(tmp_path_factory):
    log = (tmp_path_factory.mktemp("worker-killed") / "local-stack.log").open("w")
    with FakeProviderServer(posts=60, page_delay=1.5) as fake:
        environment = {
            **fake.env(),
            "PROVIDERS": "socialdata,simulated",
            # these jobs are anonymous searches: let them use the paid fake, with room for all of them
            "PAID_FOR_ANONYMOUS": "true",
            "PAID_DAILY_BUDGET_USD": "1000",
            "FETCH_BUDGET_SECONDS": "5",
            # the job lease lasts one worker timeout, as in the template (the local stack would make it the
            # visibility timeout, so a message reappearing right at its end could still find its killed attempt's
            # lease and spend a delivery waiting)
            "JOB_LEASE_SECONDS": "6",
        }
        with LocalStack(
            port=0,
            log=log,
            environment=environment,
            parameters={"WorkerTimeoutSeconds": "6"},
            visibility_timeout=8,
            mode="processes",  # one process per worker container, so they can be killed
        ) as stack:
            yield stack
    log.close()


def kill_workers_mid_batch(stack, report, keywords: int, kills: int) -> None:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        before = metrics(client)
        restarts_before = sum(worker.restarts for worker in stack.workers())
        run = uuid.uuid4().hex[:6]
        job_ids = set(submit_all(client, [f"killed {run} {i}" for i in range(keywords)], limit=40))
        killed_running: set[str] = set()
        attempts_at_last_kill: dict[str, int] = {}
        workers = len(stack.workers())
        for kill in range(1, kills + 1):
            # GIVEN jobs running in a worker, in an attempt begun since the last kill (a job killed mid-attempt
            # still says running until its message reappears)
            def running_now(seen: dict[str, int] = attempts_at_last_kill) -> set[str]:
                items = {j: job_item(stack, j) for j in job_ids}
                return {
                    j
                    for j, item in items.items()
                    if item["status"] == "running" and int(item.get("attempts", 0)) > seen.get(j, 0)
                }

            in_flight = wait_until(running_now, timeout=60, interval=0.2)
            assert in_flight, "no job was ever seen running"
            killed_running |= in_flight

            # WHEN every worker process is killed (SIGKILL: no cleanup, no partial batch response)
            for index in range(workers):
                stack.kill_worker(index)
            attempts_at_last_kill = {j: int(job_item(stack, j).get("attempts", 0)) for j in job_ids}

            # THEN the supervisor starts new workers
            def restarted(expected: int = restarts_before + kill * workers) -> bool:
                started = sum(w.restarts for w in stack.workers()) >= expected
                return started and all(w.ready.is_set() for w in stack.workers())

            assert wait_until(restarted, timeout=60), "the supervisor did not restart the workers"

        # AND every job completes
        finished = wait_finished(client, job_ids, timeout=180)
        lost = job_ids - finished.keys()
        report("jobs lost", "worker killed", len(lost))
        assert not lost, f"{len(lost)} jobs never finished"
        assert {job["status"] for job in finished.values()} == {"done"}
        # AND the killed jobs' messages were delivered again (the job record counts its attempts)
        assert any(int(job_item(stack, j)["attempts"]) >= 2 for j in killed_running), "no killed job was retried"
        # AND each job was analyzed exactly once
        after = metrics(client)
        assert after["jobs_done"] - before["jobs_done"] == keywords
        assert after["latency_ms"]["queued"]["samples"] - before["latency_ms"]["queued"]["samples"] == keywords
        assert after["jobs_failed"] == before["jobs_failed"]
    report("faults survived", "worker processes killed mid-batch", kills * workers)


def test_killed_workers_lose_no_job_and_analyze_each_once(slow_provider_stack, report):
    kill_workers_mid_batch(slow_provider_stack, report, keywords=10, kills=1)


@pytest.mark.slow
def test_workers_killed_twice_over_thirty_jobs_lose_nothing(slow_provider_stack, report):
    kill_workers_mid_batch(slow_provider_stack, report, keywords=30, kills=2)

"""Provider faults through the whole stack: bursts of new keywords while SocialData (a loopback fake) answers 500s,
hangs, returns malformed JSON or storms 429s with Retry-After. Every job finishes, and since simulated is in the
chain, finishes done on simulated posts with the failure in ``source.attempts``; none stays queued or running. Once the
provider is healthy and the circuit breaker's reset has passed, a new job is served by SocialData again.

The module's stack: ``PROVIDERS=socialdata,simulated``, a 4 s fetch budget, a 2 s breaker reset
(``CIRCUIT_RESET_SECONDS``) and a 60 s visibility timeout (a fault must not look like a lost message).
"""

from __future__ import annotations

import dataclasses
import time
import uuid

import httpx
import pytest

from local_stack.stack import LocalStack
from tests.fakes.provider_server import FakeProviderServer, Reply
from tests.reliability.helpers import metrics, submit_all, wait_finished

CIRCUIT_RESET_SECONDS = 2.0

# fault name -> (what SocialData answers to every search, the error code the chain records)
STORMS = {
    "provider 500s": (Reply(500, {"status": "error", "message": "Internal Server Error"}), "unavailable"),
    "provider timeouts": (Reply(hang=True), "timeout"),
    "malformed JSON": (Reply(200, '{"next_cursor": null, "tweets": [{"id": '), "bad_response"),
    "429 storm": (
        Reply(429, {"status": "error", "message": "Too Many Requests"}, {"Retry-After": "1"}),
        "rate_limited",
    ),
}


class StormyProvider(FakeProviderServer):
    """The fake provider, with a weather: while ``storm`` is set, every SocialData search gets that reply."""

    storm: Reply | None = None

    def _default(self, route, path, query, headers, body):
        storm = self.storm
        if storm is not None and route == "socialdata":
            return dataclasses.replace(storm, headers=dict(storm.headers))
        return super()._default(route, path, query, headers, body)


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    log = (tmp_path_factory.mktemp("provider-faults") / "local-stack.log").open("w")
    with StormyProvider(posts=60) as fake:
        environment = {
            **fake.env(),
            "PROVIDERS": "socialdata,simulated",
            # these jobs are anonymous searches: let them use the paid fake, with room for all of them
            "PAID_FOR_ANONYMOUS": "true",
            "PAID_DAILY_BUDGET_USD": "1000",
            "FETCH_BUDGET_SECONDS": "4",
            "CIRCUIT_RESET_SECONDS": str(CIRCUIT_RESET_SECONDS),
        }
        with LocalStack(port=0, log=log, environment=environment, visibility_timeout=60) as stack:
            yield stack, fake
    log.close()


def weather_the_storms(faults, report, keywords_per_storm: int) -> None:
    stack, fake = faults
    with httpx.Client(base_url=stack.base_url, timeout=60) as client:
        before = metrics(client)
        total = 0
        for name, (reply, code) in STORMS.items():
            # GIVEN SocialData failing this way, and a closed (or half-open) breaker
            time.sleep(CIRCUIT_RESET_SECONDS + 0.5)
            fake.storm = reply
            calls_before = fake.requests["socialdata"]
            run = uuid.uuid4().hex[:6]

            # WHEN a burst of new keywords arrives
            job_ids = set(submit_all(client, [f"{name} {run} {i}" for i in range(keywords_per_storm)], limit=20))
            finished = wait_finished(client, job_ids, timeout=120)

            # THEN every job finished: none stays queued or running
            lost = job_ids - finished.keys()
            report("jobs lost", name, len(lost))
            assert not lost, f"{name}: {len(lost)} jobs never finished"
            assert fake.requests["socialdata"] > calls_before, f"{name}: the provider was never asked"
            seen = set()
            for job in finished.values():
                # done on simulated posts, SocialData's failure (or its open circuit) recorded first
                assert job["status"] == "done", job.get("error")
                source = job["result"]["source"]
                assert source["provider"] == "simulated" and source["simulated"] is True, source
                first, last = source["attempts"][0], source["attempts"][-1]
                assert first["provider"] == "socialdata" and first["outcome"] in ("failed", "skipped"), source
                assert first["reason"], source
                assert last == {**last, "provider": "simulated", "outcome": "ok"}
                seen.add(first["reason"].split(":", 1)[0] if first["outcome"] == "failed" else "circuit")
            # AND the fault itself reached the chain (not only the open circuit after it)
            assert code in seen, f"{name}: no job met the fault, only {seen}"
            report("faults survived", name, len(job_ids))
            total += len(job_ids)
        fake.storm = None

        # WHEN the provider is healthy again and the breaker's reset has passed
        time.sleep(CIRCUIT_RESET_SECONDS + 0.5)
        (job_id,) = submit_all(client, [f"after the storm {uuid.uuid4().hex[:6]}"], limit=20)
        job = wait_finished(client, {job_id}, timeout=60)[job_id]

        # THEN the next job is served by SocialData again
        assert job["status"] == "done"
        assert job["result"]["source"]["provider"] == "socialdata"
        assert job["result"]["source"]["simulated"] is False
        after = metrics(client)
    assert after["jobs_done"] + after["jobs_failed"] - before["jobs_done"] - before["jobs_failed"] == total + 1


def test_every_job_survives_provider_storms_and_socialdata_serves_again(faults, report):
    weather_the_storms(faults, report, keywords_per_storm=6)


@pytest.mark.slow
def test_bursts_of_twenty_keywords_survive_provider_storms(faults, report):
    weather_the_storms(faults, report, keywords_per_storm=20)

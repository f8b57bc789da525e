"""Load: many POSTs over many new keywords at once: no 5xx, one job per keyword, every job finishes, and the
counters add up (hits + misses = requests)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from social_analytics.models import normalize_keyword

from tests.reliability.helpers import jobs_of_keys, metrics, post_burst, wait_finished


def run_load(stack, report, requests: int, keywords: int, concurrency: int) -> None:
    run = uuid.uuid4().hex[:8]
    names = [f"Load {run} Topic {i}" for i in range(keywords)]
    # the same keyword arrives in several spellings, which normalize to one key
    sent = [names[i % keywords] if i % 3 else f"  {names[i % keywords].upper()} " for i in range(requests)]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(base_url=stack.base_url, timeout=60, limits=limits) as client:
        before = metrics(client)
        answers = post_burst(client, sent, concurrency)

        statuses = [answer.status_code for answer in answers]
        assert not [s for s in statuses if s >= 500], f"server errors: {sorted(set(statuses))}"
        assert set(statuses) <= {200, 202}
        job_ids = {answer.json()["job_id"] for answer in answers if answer.status_code == 202}
        finished = wait_finished(client, job_ids, timeout=120)
        lost = job_ids - finished.keys()
        after = metrics(client)

    # every job reached done or failed
    report("jobs lost", "load", len(lost))
    assert not lost, f"{len(lost)} jobs never finished"
    assert all(body["status"] == "done" for body in finished.values())
    # one job per keyword: never two in flight for one keyword (none was ever started a second time)
    keys = {normalize_keyword(name) for name in names}
    per_key = jobs_of_keys(stack, keys)
    assert {key: len(jobs) for key, jobs in per_key.items() if len(jobs) != 1} == {}
    assert len(job_ids) == keywords
    # the counters add up
    hits = after["cache_hits"] - before["cache_hits"]
    misses = after["cache_misses"] - before["cache_misses"]
    assert hits + misses == requests
    assert after["tasks_enqueued"] - before["tasks_enqueued"] == keywords
    report("load held", "requests", requests)
    report("load held", "5xx", sum(s >= 500 for s in statuses))
    report("load held", "jobs", len(job_ids))


def test_a_burst_over_new_keywords_holds(local_stack, report):
    run_load(local_stack, report, requests=200, keywords=20, concurrency=20)


@pytest.mark.slow
def test_a_thousand_posts_over_a_hundred_keywords_at_concurrency_50(local_stack, report):
    run_load(local_stack, report, requests=1000, keywords=100, concurrency=50)

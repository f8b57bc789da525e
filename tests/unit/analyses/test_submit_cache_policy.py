"""Which stored result answers a submission (``analyses.submit``): fresh, same window and language filter, built
from at least as many posts, and no sources named; anything else queues a job."""

from __future__ import annotations

import pytest
from social_analytics.analyses import submit
from social_analytics.settings import get_settings

from tests.unit.analyses.conftest import result_for


def ask(keyword: str = "Serverless", **fields) -> submit.Answer:
    return submit.submit(submit.Submission(keyword=keyword, **fields))


def test_a_fresh_result_answers_without_a_job(stores):
    stores.jobs.put_result("serverless", result_for("serverless"), age=60)

    answer = ask()

    assert answer.cached is True and answer.enqueued is False
    assert answer.body == {"status": "done", "cached": True, "result": result_for("serverless")}
    assert stores.jobs.jobs == {} and stores.queue.sent == []
    assert stores.counters.counts["cache_hits"] == 1 and stores.counters.counts["cache_misses"] == 0


def test_a_stale_result_queues_a_job(stores):
    stores.jobs.put_result("serverless", result_for("serverless"), age=get_settings().cache_ttl_seconds + 1)

    answer = ask()

    assert answer.cached is False and answer.enqueued is True
    assert [job.key for job in stores.queue.sent] == ["serverless"]
    assert stores.jobs.get_job(answer.body["job_id"]).status == "queued"
    assert stores.counters.counts["cache_misses"] == 1 and stores.counters.counts["tasks_enqueued"] == 1


def test_a_result_of_another_window_does_not_answer(stores):
    stores.jobs.put_result("serverless", result_for("serverless"), window_hours=24)

    assert ask(window_hours=48).enqueued is True
    assert stores.queue.sent[0].window_hours == 48


@pytest.mark.parametrize(
    ("stored_limit", "asked_limit", "cached"), [(50, 100, False), (100, 100, True), (200, 100, True)]
)
def test_a_result_answers_requests_for_no_more_posts_than_it_was_built_from(stores, stored_limit, asked_limit, cached):
    stores.jobs.put_result("serverless", result_for("serverless"), limit=stored_limit)

    answer = ask(limit=asked_limit)

    assert answer.cached is cached
    assert len(stores.queue.sent) == (0 if cached else 1)


def test_naming_the_sources_always_fetches(stores):
    stores.jobs.put_result("serverless", result_for("serverless"))

    answer = ask(providers=("bluesky",))

    assert answer.enqueued is True and stores.queue.sent[0].providers == ("bluesky",)


@pytest.mark.parametrize(
    ("stored", "asked", "cached"),
    [
        (["en"], ("en",), True),
        (None, None, True),
        (["en"], None, False),  # a filtered result does not answer for every language
        (None, ("en",), False),  # nor an unfiltered one for a filtered request
        (["en"], ("de",), False),
        (["de", "en"], ("de", "en"), True),
    ],
)
def test_a_result_answers_only_the_same_language_filter(stores, stored, asked, cached):
    stores.jobs.put_result("serverless", result_for("serverless", languages=stored))

    assert ask(languages=asked).cached is cached


def test_refresh_queues_a_job_even_when_a_fresh_result_exists(stores):
    stores.jobs.put_result("serverless", result_for("serverless"))

    answer = ask(refresh=True)

    assert answer.cached is False and answer.enqueued is True and len(stores.queue.sent) == 1


def test_spellings_of_one_keyword_share_its_cached_result(stores):
    stores.jobs.put_result("serverless", result_for("serverless"))

    assert ask("  SERVERLESS ").cached is True
    assert stores.queue.sent == []


def test_a_hit_is_kept_hot_so_the_next_one_reads_no_store(stores):
    stores.jobs.put_result("serverless", result_for("serverless"))
    ask()
    reads = stores.jobs.calls["get_latest_result"]

    again = ask()

    assert again.cached is True and again.text is not None  # served pre-serialized from the hot cache
    assert stores.jobs.calls["get_latest_result"] == reads


def test_the_hot_cache_still_applies_the_policy(stores):
    stores.jobs.put_result("serverless", result_for("serverless"), window_hours=24)
    ask()  # now hot

    assert ask(window_hours=48).enqueued is True

"""One job per keyword at a time (``analyses.submit``): concurrent submissions share the job in flight."""

from __future__ import annotations

import pytest
from social_analytics.analyses import submit

from tests.unit.analyses.conftest import result_for


def ask(keyword: str = "serverless", **fields) -> submit.Answer:
    return submit.submit(submit.Submission(keyword=keyword, **fields))


def test_two_submissions_for_one_keyword_share_one_job(stores):
    first = ask()
    second = ask("  Serverless")

    assert first.enqueued is True and second.enqueued is False
    assert second.body["job_id"] == first.body["job_id"]
    assert second.body["status"] == "queued" and second.body["status_url"] == f"/api/jobs/{first.body['job_id']}"
    assert len(stores.queue.sent) == 1 and len(stores.jobs.jobs) == 1
    assert stores.counters.counts["cache_misses"] == 2 and stores.counters.counts["tasks_enqueued"] == 1


def test_the_shared_job_reports_its_current_status(stores):
    first = ask()
    stores.jobs.mark_running(first.body["job_id"], lease_seconds=30)

    assert ask().body["status"] == "running"


def test_other_keywords_get_their_own_jobs(stores):
    ask("serverless")
    ask("lambda")

    assert sorted(job.key for job in stores.queue.sent) == ["lambda", "serverless"]


def test_a_finished_holders_leftover_lock_is_released(stores):
    first = ask()
    # The holder finished but its lock stayed (a crash between the two writes): it must not block the keyword.
    stores.jobs.jobs[first.body["job_id"]]["status"] = "done"
    assert stores.jobs.locks["serverless"].job_id == first.body["job_id"]

    second = ask()

    assert second.enqueued is True and second.body["job_id"] != first.body["job_id"]
    assert stores.jobs.locks["serverless"].job_id == second.body["job_id"]
    assert len(stores.queue.sent) == 2


def test_a_job_finishing_between_cache_read_and_lock_causes_no_second_job(stores):
    # The cache read finds nothing; just before the lock is taken, another job stores a fresh result and releases.
    stores.jobs.before_lock = lambda job: stores.jobs.put_result(job.key, result_for(job.key))

    answer = ask()

    assert answer.cached is True and answer.body["result"] == result_for("serverless")
    assert stores.queue.sent == []
    assert stores.jobs.jobs == {} and stores.jobs.locks == {}  # the job written with the lock was discarded
    assert stores.counters.counts["cache_hits"] == 1 and stores.counters.counts["cache_misses"] == 0


def test_a_refresh_is_not_answered_by_a_result_older_than_the_request(stores):
    stores.jobs.before_lock = lambda job: stores.jobs.put_result(job.key, result_for(job.key), age=30)

    answer = ask(refresh=True)

    assert answer.enqueued is True and len(stores.queue.sent) == 1


def test_a_refresh_is_answered_by_a_result_that_finished_after_it_was_asked(stores):
    stores.jobs.before_lock = lambda job: stores.jobs.put_result(job.key, result_for(job.key), age=0)

    answer = ask(refresh=True)

    assert answer.cached is True and stores.queue.sent == []


def test_a_result_for_another_window_finishing_meanwhile_does_not_answer(stores):
    stores.jobs.before_lock = lambda job: stores.jobs.put_result(job.key, result_for(job.key), window_hours=48)

    assert ask(window_hours=24).enqueued is True


def test_a_queue_failure_fails_the_job_and_frees_the_keyword(stores):
    stores.queue.refuse = True
    with pytest.raises(submit.QueueUnavailable):
        ask()
    (failed,) = stores.jobs.jobs.values()
    assert failed["status"] == "failed" and failed["error"]["code"] == "enqueue_failed"
    assert stores.jobs.locks == {}

    stores.queue.refuse = False
    retry = ask()

    assert retry.enqueued is True and retry.body["job_id"] != failed["job_id"]

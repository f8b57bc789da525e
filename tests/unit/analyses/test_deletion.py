"""Deleting a keyword's data (analyses/deletion.py) against in-memory stores: a small deletion runs at once and
answers the counts, a large one becomes one deletion job (shared by repeated DELETEs) that the worker runs to the
same counts. No moto, no network."""

from __future__ import annotations

from collections import Counter

import pytest
from social_analytics import composition
from social_analytics.analyses import deletion
from social_analytics.records import StoredResult, TrackedKeyword

from tests.fakes.stores import InMemoryPurge, KeywordData
from tests.fakes.tracking_stores import FakeTrackedStore

KEY = "serverless"


@pytest.fixture
def purge(stores) -> InMemoryPurge:
    found = InMemoryPurge()
    composition.use_data(purge=found, stream_minutes=found)
    composition.use_tracking(tracked=FakeTrackedStore())
    return found


def test_a_small_deletion_runs_at_once_and_keeps_what_is_still_running(stores, purge):
    purge.keywords[KEY] = KeywordData(
        items=Counter(result=1, history=5, cursors=2, posts=1, locks=1),
        locks_in_flight=1,
        jobs=["done", "failed", "running"],
        alerts=3,
        stream_minutes=4,
    )
    purge.keywords["other"] = KeywordData(items=Counter(result=1), alerts=2)
    composition.hot_results.put(KEY, StoredResult(result={"keyword": "Serverless"}, analyzed_epoch=0), fresh_for=60)

    answer = deletion.delete_keyword("  Serverless ")

    assert answer.finished  # counted and deleted within the request: the route answers 200
    body = answer.body
    assert body == {
        "keyword": "Serverless",
        "key": KEY,
        "deleted": {
            "result": 1,
            "history": 5,
            "cursors": 2,
            "posts": 1,
            "locks": 1,
            "other": 0,
            "jobs": 2,
            "alerts": 3,
            "stream_minutes": 4,
        },
        "kept": {"running_jobs": 1, "in_flight_locks": 1},
        "tracked": False,
        "note": None,
    }
    assert composition.hot_results.get(KEY) is None  # no container keeps serving the deleted result
    assert purge.count_items(KEY, 100) == 2  # the running job and its lock
    assert purge.count_items("other", 100) == 3  # another keyword is untouched
    assert stores.queue.sent == []


def test_a_large_deletion_is_one_job_that_the_worker_runs_to_the_counts(stores, purge):
    purge.keywords[KEY] = KeywordData(items=Counter(history=150), stream_minutes=60)

    first_answer, again_answer = deletion.delete_keyword("Serverless"), deletion.delete_keyword("SERVERLESS")
    first, again = first_answer.body, again_answer.body

    assert not first_answer.finished and not again_answer.finished  # queued: the route answers 202
    assert first["status_url"] == f"/api/jobs/{first['job_id']}" and first["status"] == "queued"
    assert again["job_id"] == first["job_id"]  # one deletion job per keyword at a time
    assert purge.visits == 0  # nothing deleted in the request
    [message] = stores.queue.sent
    assert (message.kind, message.key, message.job_id) == ("deletion", f"DELETE#{KEY}", first["job_id"])
    assert KEY not in stores.jobs.locks  # an analysis of the keyword is never blocked by its deletion

    assert stores.jobs.mark_running(message.job_id, 60) == "started"
    answer = deletion.run_job(message)

    assert answer == {"job_id": message.job_id, "status": "done", "deleted": 210}
    job = stores.jobs.get_job(message.job_id)
    assert job.status == "done"
    assert job.result["deleted"]["history"] == 150 and job.result["deleted"]["stream_minutes"] == 60
    assert stores.jobs.locks == {}


def test_a_deletion_job_that_cannot_be_queued_fails_and_frees_its_lock(stores, purge):
    purge.keywords[KEY] = KeywordData(items=Counter(history=500))
    stores.queue.refuse = True

    with pytest.raises(deletion.submissions.QueueUnavailable):
        deletion.delete_keyword("serverless")

    [job] = stores.jobs.jobs.values()
    assert job["status"] == "failed" and job["error"]["code"] == "enqueue_failed"
    assert stores.jobs.locks == {}


def test_deleting_a_tracked_keyword_says_it_stays_tracked_unless_untrack_is_asked(stores, purge):
    tracked = composition.tracking.tracked
    tracked.put_tracked(TrackedKeyword(keyword="Serverless", key=KEY, interval_minutes=15))
    purge.keywords[KEY] = KeywordData(items=Counter(result=1, history=3))

    kept = deletion.delete_keyword("Serverless").body
    assert kept["tracked"] is True and "untrack=true" in kept["note"]
    assert tracked.get_tracked(KEY) is not None  # its next scan brings data back, and the answer says so

    purge.keywords[KEY] = KeywordData(items=Counter(result=1, history=3))
    untracked = deletion.delete_keyword("Serverless", untrack=True).body
    assert untracked["tracked"] is False and untracked["note"] is None
    assert tracked.get_tracked(KEY) is None and untracked["deleted"]["history"] == 3

"""The embedded stack's SQS pollers sleep until a message may have arrived on their own queue."""

from __future__ import annotations

from local_stack.persistence import Activity

JOBS = "https://sqs.us-east-1.amazonaws.com/123456789012/local-JobsQueue"
IMPORTS = "https://sqs.us-east-1.amazonaws.com/123456789012/local-ImportQueue"


def test_a_send_wakes_only_its_queues_poller():
    activity = Activity()
    jobs, imports, any_queue = activity.waker(JOBS), activity.waker(IMPORTS), activity.waker()
    activity.record("sqs", "SendMessage", None, "http://localhost:5000/123456789012/local-JobsQueue")
    assert jobs.is_set() and any_queue.is_set()
    assert not imports.is_set()


def test_a_change_of_unknown_queue_wakes_every_poller():
    activity = Activity()
    jobs, imports = activity.waker(JOBS), activity.waker(IMPORTS)
    activity.record("sqs", "ChangeMessageVisibility", None)
    assert jobs.is_set() and imports.is_set()


def test_reads_wake_nobody():
    activity = Activity()
    jobs = activity.waker(JOBS)
    activity.record("sqs", "ReceiveMessage", None, JOBS)
    activity.record("dynamodb", "PutItem", None)
    assert not jobs.is_set()

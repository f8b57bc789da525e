"""Metrics and correlation ids the handlers emit (Powertools EMF is disabled in tests, so add_metric is spied on)."""

from __future__ import annotations

import pytest

from tests.conftest import sqs_event


@pytest.fixture
def added_metrics(monkeypatch):
    """Every (name, value) the handlers pass to Powertools Metrics.add_metric."""
    from social_analytics.observability import metrics

    added: list[tuple[str, float]] = []
    real_add = metrics.add_metric
    monkeypatch.setattr(metrics, "add_metric", lambda **kw: added.append((kw["name"], kw["value"])) or real_add(**kw))
    return added


def names(added: list[tuple[str, float]]) -> list[str]:
    return [name for name, _ in added]


def test_a_queued_analysis_counts_one_enqueue_and_logs_under_the_job_id(call_api, added_metrics):
    from social_analytics.observability import logger

    status, body = call_api("POST", "/api/analyses", {"keyword": "observability"})
    assert status == 202
    assert names(added_metrics) == ["CacheMiss", "TasksEnqueued"]
    # Logs after the enqueue carry the job id, as the worker's logs of the same job do.
    assert logger.get_correlation_id() == body["job_id"]

    # Single flight: the same keyword again is a miss that joins the job, and enqueues nothing.
    added_metrics.clear()
    status, again = call_api("POST", "/api/analyses", {"keyword": "observability"})
    assert (status, again["job_id"]) == (202, body["job_id"])
    assert names(added_metrics) == ["CacheMiss"]


def test_the_worker_records_job_latency_and_batch_metrics(call_api, queue_messages, lambda_context, added_metrics):
    from social_analytics.handlers import worker

    call_api("POST", "/api/analyses", {"keyword": "latency"})
    added_metrics.clear()

    assert worker.handler(sqs_event(queue_messages()), lambda_context) == {"batchItemFailures": []}

    recorded = dict(added_metrics)
    assert recorded["BatchesProcessed"] == 1 and recorded["BatchSize"] == 1
    assert 0 <= recorded["JobLatency"] < 60_000  # milliseconds from submission to stored result

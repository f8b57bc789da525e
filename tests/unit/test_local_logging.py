"""The logs of functions sharing one process (the embedded local stack): each line names its own function; and the
local stack's quiet output: one human line per kind of failure a minute, scheduled runs only when they did something."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from dataclasses import dataclass

import pytest
from social_analytics.observability import logger

from local_stack.quiet import HumanLines
from local_stack.scheduler import did_something


@dataclass
class Context:
    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local"
    aws_request_id: str = "request"


@pytest.fixture
def lines():
    """Every line the package logger writes, as Powertools formats it, in the thread that logged it."""
    written: list[dict] = []
    formatter = logger.registered_formatter

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            written.append(json.loads(formatter.format(record)))

    capture = Capture(level=logging.DEBUG)
    logger._logger.addHandler(capture)
    level = logger.log_level
    logger.setLevel("INFO")
    yield written
    logger.setLevel(level)
    logger._logger.removeHandler(capture)


def test_functions_on_threads_of_one_process_each_log_their_own_function_name(lines):
    names = ("ApiFunction", "WorkerFunction", "StreamFunction", "SchedulerFunction")
    both_started = threading.Barrier(len(names))

    @logger.inject_lambda_context
    def handler(event, context):
        both_started.wait(timeout=10)  # every function's context is set before any of them logs
        for index in range(3):
            logger.info("working", extra={"expected": context.function_name, "index": index})

    threads = [threading.Thread(target=handler, args=({}, Context(name))) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    working = [line for line in lines if line["message"] == "working"]
    assert len(working) == 3 * len(names)
    assert {(line["function_name"], line["expected"]) for line in working} == {(name, name) for name in names}


def test_keys_appended_in_one_record_task_stay_in_that_task(lines):
    """The worker runs a batch's records as asyncio tasks: a job id appended by one is not on another's lines."""

    async def record(job_id: str, other_done: asyncio.Event, done: asyncio.Event) -> None:
        logger.append_keys(job_id=job_id)
        done.set()
        await other_done.wait()
        logger.info("record", extra={"expected": job_id})

    async def batch() -> None:
        first, second = asyncio.Event(), asyncio.Event()
        await asyncio.gather(record("job-1", second, first), record("job-2", first, second))

    @logger.inject_lambda_context
    def handler(event, context):
        asyncio.run(batch())

    handler({}, Context("WorkerFunction"))
    records = [line for line in lines if line["message"] == "record"]
    assert sorted((line["job_id"], line["expected"]) for line in records) == [("job-1", "job-1"), ("job-2", "job-2")]
    assert {line["function_name"] for line in records} == {"WorkerFunction"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(message: str, level: int = logging.WARNING, exc_info=None, **fields) -> logging.LogRecord:
    found = logging.LogRecord("social-analytics", level, __file__, 1, message, None, exc_info)
    found.__dict__.update(fields)
    return found


@pytest.fixture
def human():
    written: list[str] = []
    clock = Clock()
    logger.thread_safe_clear_keys()  # no invocation's keys: lines outside any function say "local"
    return HumanLines(logger.registered_formatter, written.append, window=60, clock=clock), written, clock


def test_one_human_line_per_kind_of_failure_a_minute(human):
    lines, written, clock = human
    failure = {"provider": "mastodon", "code": "provider_unreachable", "reason": "mastodon: host name does not resolve"}
    for _ in range(5):
        assert lines.filter(record("provider failed", **failure)) is False  # the JSON line is never written
    lines.filter(record("provider failed", provider="lemmy", code="provider_unreachable", reason="lemmy: no DNS"))
    clock.now += 61
    lines.filter(record("provider failed", **failure))

    assert written == [
        "local: provider failed (mastodon: host name does not resolve)",
        "local: provider failed (lemmy: no DNS)",
        "local: provider failed (mastodon: host name does not resolve) [4 more like it in the last 60 s]",
    ]
    assert not any(line.lstrip().startswith(("{", "[")) for line in written)


def test_a_human_line_names_the_function_and_an_error_and_stays_short(human):
    lines, written, _clock = human

    @logger.inject_lambda_context
    def handler(event, context):
        try:
            raise TimeoutError("the table")
        except TimeoutError:
            lines.filter(record("job attempt failed", logging.ERROR, reason="x" * 500, exc_info=sys.exc_info()))

    handler({}, Context("WorkerFunction"))
    (line,) = written
    assert line.startswith("WorkerFunction: error: job attempt failed (xxx")
    assert line.endswith("...; TimeoutError)") and len(line) < 200


@pytest.mark.parametrize(
    ("answer", "printed"),
    [
        ({"tracked": 3, "due": 0, "enqueued": 0, "in_flight": 0, "failed": 0}, False),
        ({"tracked": 3, "due": 1, "enqueued": 1, "in_flight": 0, "failed": 0}, True),
        ({"tracked": 3, "due": 1, "enqueued": 0, "in_flight": 0, "failed": 1}, True),
        ({"skipped": "no_tracked_keywords"}, False),
        ({"events": 0, "matched": 0, "counted": 0, "drops": 6, "stopped": "connection_failed", "alerts": 0}, False),
        ({"events": 900, "matched": 2, "counted": 2, "alerts": 0, "gaps": 0}, True),
        ({"events": 900, "matched": 0, "counted": 0, "alerts": 0, "gaps": [{"from": 1}]}, True),
    ],
)
def test_a_scheduled_run_prints_a_line_only_when_it_did_something(answer, printed):
    assert did_something(answer) is printed

"""What EventBridge Scheduler does for a ``ScheduleV2`` event, for one local function.

Invokes the handler with a Scheduler-shaped event at start and then every ``interval_seconds`` (the
``SCAN_INTERVAL_SECONDS`` env, ``STREAM_INTERVAL_SECONDS`` for StreamFunction, else the rate of the template's
ScheduleExpression). A failed invocation is retried like the schedule's RetryPolicy says
(``MaximumRetryAttempts``), then logged and dropped (AWS would send it to the schedule's dead-letter queue).

Run as a child process: ``python -m local_stack.scheduler '<json config>'``. Prints ``READY`` when running.
"""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
import uuid
from datetime import UTC, datetime

from local_stack.quiet import debug
from local_stack.runtime import LambdaContext, load_handler
from local_stack.template import ACCOUNT, REGION

_stopped = threading.Event()
# A run's answer says it did something when one of these is non-zero: scans queued or not, posts matched or counted,
# alerts raised, replay gaps recorded. Other runs (nothing due, no tracked keyword, a stream that could not connect,
# whose warnings say so) print nothing unless LOG_LEVEL=debug.
ACTIVITY = ("enqueued", "failed", "matched", "counted", "deletes_of_counted", "alerts", "gaps")
_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def rate_seconds(expression: str) -> float:
    """``rate(15 minutes)`` -> 900. Cron and at() expressions are not emulated."""
    match = re.fullmatch(r"\s*rate\(\s*(\d+)\s+([a-z]+)\s*\)\s*", expression)
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"unsupported schedule expression for the local scheduler: {expression!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def scheduler_event(schedule_name: str) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/{schedule_name}"],
        "detail": {},
    }


def fire(handler, config: dict, stopped: threading.Event = _stopped, log=None) -> None:
    attempts = 1 + int(config.get("maximum_retry_attempts", 0))
    for attempt in range(1, attempts + 1):
        context = LambdaContext(function_name=config["function_name"], timeout_seconds=int(config["timeout"]))
        try:
            response = handler(scheduler_event(config["schedule_name"]), context)
            if did_something(response) or debug():
                (log or print)(f"{config['function_name']}: scheduled run: {summary(response)}")
            return
        except Exception as error:
            print(f"scheduled invocation failed (attempt {attempt}/{attempts}): {error!r}", file=sys.stderr, flush=True)
            if stopped.wait(min(2.0 * attempt, 10.0)):
                return


def did_something(response) -> bool:
    return not isinstance(response, dict) or any(response.get(key) for key in ACTIVITY)


def summary(response) -> str:
    """The handler's answer on one short line (scalars only; lists are counted)."""
    if not isinstance(response, dict):
        return json.dumps(response, default=str)[:200]
    parts = []
    for key, value in response.items():
        if isinstance(value, list | tuple | dict):
            parts.append(f"{key}={len(value)}")
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts)[:300]


def run(config: dict, stopped: threading.Event = _stopped, log=None, handler=None) -> None:
    if handler is None:
        from local_stack.quiet import quiet

        quiet()
    handler = handler or load_handler(config["handler"])
    if stopped is _stopped:
        print("READY", flush=True)
    interval = float(config["interval_seconds"])
    while not stopped.is_set():
        fire(handler, config, stopped, log)
        stopped.wait(interval)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: _stopped.set())
    signal.signal(signal.SIGINT, lambda *_: _stopped.set())
    run(json.loads(sys.argv[1]))


if __name__ == "__main__":
    main()

"""What Lambda's SQS event source mapping does, for one local worker "container".

Long-polls the queue, fills a batch up to ``BatchSize`` or until ``MaximumBatchingWindowInSeconds`` has
passed since the first message, invokes the handler, deletes the records that did not fail, and leaves the
failed ones on the queue to reappear after the visibility timeout (the queue's redrive policy moves them to
the dead-letter queue after maxReceiveCount deliveries; moto implements that part).

Run as a child process: ``python -m local_stack.sqs_pump '<json config>'``. Prints ``READY`` when polling.
"""

from __future__ import annotations

import json
import signal
import sys
import time

import boto3

from local_stack.runtime import LambdaContext, load_handler

_running = True


def _stop(*_args) -> None:
    global _running
    _running = False


def to_record(message: dict, queue_arn: str) -> dict:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


def collect_batch(sqs, queue_url: str, batch_size: int, window_seconds: float, wake=None) -> list[dict]:
    """One batch. ``wake`` (in-process moto): poll without long-polling and sleep until a message is sent."""
    receive = {
        "QueueUrl": queue_url,
        "AttributeNames": ["All"],
        "MessageAttributeNames": ["All"],
    }
    if wake is not None:
        wake.clear()
    messages = sqs.receive_message(
        **receive, MaxNumberOfMessages=min(10, batch_size), WaitTimeSeconds=0 if wake is not None else 1
    ).get("Messages", [])
    if not messages:
        if wake is not None:
            wake.wait(0.5)  # a message whose visibility timeout ran out wakes nobody: look again soon
        return []
    deadline = time.monotonic() + window_seconds
    while len(messages) < batch_size and time.monotonic() < deadline:
        if wake is not None:
            wake.clear()
        more = sqs.receive_message(**receive, MaxNumberOfMessages=min(10, batch_size - len(messages))).get(
            "Messages", []
        )
        if more:
            messages.extend(more)
        elif wake is not None:
            wake.wait(max(0.0, deadline - time.monotonic()))
        else:
            time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))
    return messages


def run(config: dict, stopped=None, wake=None, log=None, handler=None) -> None:
    """Poll until ``stopped`` (a threading.Event; the module's SIGTERM flag when run as a process)."""
    if handler is None:
        from local_stack.quiet import quiet

        quiet()
    handler = handler or load_handler(config["handler"])
    sqs = boto3.session.Session().client("sqs")
    queue_url, queue_arn = config["queue_url"], config["queue_arn"]
    batch_size, window = int(config["batch_size"]), float(config["batching_window_seconds"])
    running = (lambda: not stopped.is_set()) if stopped is not None else (lambda: _running)
    if stopped is None:
        print("READY", flush=True)
    while running():
        try:
            messages = collect_batch(sqs, queue_url, batch_size, window, wake)
        except Exception as error:  # moto restarting or the stack stopping: try again shortly
            print(f"sqs receive failed: {error!r}", file=sys.stderr, flush=True)
            time.sleep(0.5)
            continue
        if not messages:
            continue
        event = {"Records": [to_record(message, queue_arn) for message in messages]}
        context = LambdaContext(function_name=config["function_name"], timeout_seconds=int(config["timeout"]))
        started = time.perf_counter()
        try:
            response = handler(event, context) or {}
            failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        except Exception as error:  # the whole batch failed: every message stays and reappears
            print(f"worker invocation failed: {error!r}", file=sys.stderr, flush=True)
            failed = {message["MessageId"] for message in messages}
        done = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        line = batch_line(config["function_name"], messages, failed, time.perf_counter() - started)
        if log is not None and line:
            log(line)


def batch_line(function_name: str, messages: list[dict], failed: set[str], seconds: float) -> str | None:
    """One line per batch naming its jobs (None for a batch without jobs, such as S3's test event)."""
    jobs = []
    for message in messages:
        try:
            body = json.loads(message["Body"])
            label = body.get("job_id", "")[:8] + (f" {body['keyword']!r}" if body.get("keyword") else "")
        except (ValueError, AttributeError, TypeError):
            label = ""
        if label:
            jobs.append(label + (" (failed, retried later)" if message["MessageId"] in failed else ""))
    if not jobs:
        return None
    shown = ", ".join(jobs[:10]) + (f" and {len(jobs) - 10} more" if len(jobs) > 10 else "")
    return f"{function_name}: {len(messages)} message(s) in {seconds:.2f} s: {shown}"


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run(json.loads(sys.argv[1]))


if __name__ == "__main__":
    main()

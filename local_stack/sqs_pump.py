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


def collect_batch(sqs, queue_url: str, batch_size: int, window_seconds: float) -> list[dict]:
    receive = {
        "QueueUrl": queue_url,
        "AttributeNames": ["All"],
        "MessageAttributeNames": ["All"],
    }
    messages = sqs.receive_message(**receive, MaxNumberOfMessages=min(10, batch_size), WaitTimeSeconds=1).get(
        "Messages", []
    )
    if not messages:
        return []
    deadline = time.monotonic() + window_seconds
    while len(messages) < batch_size and time.monotonic() < deadline:
        more = sqs.receive_message(**receive, MaxNumberOfMessages=min(10, batch_size - len(messages))).get(
            "Messages", []
        )
        if more:
            messages.extend(more)
        else:
            time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))
    return messages


def run(config: dict) -> None:
    handler = load_handler(config["handler"])
    sqs = boto3.session.Session().client("sqs")
    queue_url, queue_arn = config["queue_url"], config["queue_arn"]
    batch_size, window = int(config["batch_size"]), float(config["batching_window_seconds"])
    print("READY", flush=True)
    while _running:
        try:
            messages = collect_batch(sqs, queue_url, batch_size, window)
        except Exception as error:  # moto restarting or the stack stopping: try again shortly
            print(f"sqs receive failed: {error!r}", file=sys.stderr, flush=True)
            time.sleep(0.5)
            continue
        if not messages:
            continue
        event = {"Records": [to_record(message, queue_arn) for message in messages]}
        context = LambdaContext(function_name=config["function_name"], timeout_seconds=int(config["timeout"]))
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


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run(json.loads(sys.argv[1]))


if __name__ == "__main__":
    main()

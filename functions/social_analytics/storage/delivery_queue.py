"""The delivery queue: one message per (alert or digest, channel)."""

from __future__ import annotations

import json

from social_analytics.settings import get_delivery_settings
from social_analytics.storage.clients import client


def send_deliveries(messages: list[dict]) -> list[dict]:
    """Queue the messages (batches of 10); returns the ones SQS refused."""
    refused: list[dict] = []
    for start in range(0, len(messages), 10):
        chunk = messages[start : start + 10]
        response = client("sqs").send_message_batch(
            QueueUrl=get_delivery_settings().queue_url,
            Entries=[
                {"Id": str(i), "MessageBody": json.dumps(m, separators=(",", ":"), ensure_ascii=False)}
                for i, m in enumerate(chunk)
            ],
        )
        refused += [chunk[int(failure["Id"])] for failure in response.get("Failed", [])]
    return refused


def delay_retry(receipt_handle: str, seconds: int) -> None:
    """Let a failed message reappear after ``seconds`` (the backoff) instead of the queue's visibility timeout."""
    client("sqs").change_message_visibility(
        QueueUrl=get_delivery_settings().queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
    )

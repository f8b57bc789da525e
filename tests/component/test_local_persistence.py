"""The embedded stack's durable state against in-process moto: a snapshot restores items, queued messages (visible
again at once) and objects; a damaged snapshot is set aside; expired items are swept as DynamoDB's TTL would."""

from __future__ import annotations

import stat
import time

import boto3

from local_stack import persistence


def test_a_snapshot_restores_items_messages_and_objects(aws, tmp_path):
    table = boto3.resource("dynamodb").Table(aws.physical_names["ResultsTable"])
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    queue, bucket = aws.physical_names["JobsQueue"], aws.physical_names["ImportsBucket"]
    table.put_item(Item={"pk": "KW#kept", "sk": "LATEST", "n": 3})
    sqs.send_message(QueueUrl=queue, MessageBody='{"job_id": "j1"}')
    s3.put_object(Bucket=bucket, Key="imports/j1.csv", Body=b"text\nhello\n")
    # a message taken by a worker that then died with the process
    assert sqs.receive_message(QueueUrl=queue, VisibilityTimeout=600).get("Messages")

    data_dir = persistence.prepare_data_dir(tmp_path / "data")
    persistence.save(data_dir)
    assert stat.S_IMODE((data_dir / persistence.SNAPSHOT_NAME).stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700

    # everything lost (a new process starts empty)
    table.delete_item(Key={"pk": "KW#kept", "sk": "LATEST"})
    sqs.purge_queue(QueueUrl=queue)
    s3.delete_object(Bucket=bucket, Key="imports/j1.csv")

    restored = persistence.restore(data_dir)
    assert restored["items"] >= 1 and restored["messages"] >= 1 and restored["objects"] == 1
    assert table.get_item(Key={"pk": "KW#kept", "sk": "LATEST"})["Item"]["n"] == 3
    messages = sqs.receive_message(QueueUrl=queue).get("Messages", [])
    assert [m["Body"] for m in messages] == ['{"job_id": "j1"}']  # visible now, not after 600 s
    assert s3.get_object(Bucket=bucket, Key="imports/j1.csv")["Body"].read() == b"text\nhello\n"


def test_a_damaged_snapshot_is_set_aside_not_lost(aws, tmp_path):
    data_dir = persistence.prepare_data_dir(tmp_path / "data")
    (data_dir / persistence.SNAPSHOT_NAME).write_bytes(b"not a pickle")
    assert persistence.restore(data_dir) is None
    assert not (data_dir / persistence.SNAPSHOT_NAME).exists()
    assert [p.read_bytes() for p in data_dir.glob("state.damaged-*")] == [b"not a pickle"]


def test_expired_items_are_swept(aws):
    table = boto3.resource("dynamodb").Table(aws.physical_names["ResultsTable"])
    now = int(time.time())
    table.put_item(Item={"pk": "KW#old", "sk": "JOB", "expires_at": now - 10})
    table.put_item(Item={"pk": "KW#new", "sk": "JOB", "expires_at": now + 3600})
    table.put_item(Item={"pk": "KW#forever", "sk": "JOB"})
    assert persistence.sweep_expired() == 1
    assert "Item" not in table.get_item(Key={"pk": "KW#old", "sk": "JOB"})
    assert "Item" in table.get_item(Key={"pk": "KW#new", "sk": "JOB"})
    assert "Item" in table.get_item(Key={"pk": "KW#forever", "sk": "JOB"})

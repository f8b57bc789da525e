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


def test_a_snapshot_of_another_format_is_moved_aside_never_overwritten(aws, tmp_path, capsys):
    import pickle

    data_dir = persistence.prepare_data_dir(tmp_path / "data")
    other = pickle.dumps({"format": 99, "saved_at": 0, "dynamodb": {}, "sqs": {}, "s3": {}})
    (data_dir / persistence.SNAPSHOT_NAME).write_bytes(other)
    assert persistence.restore(data_dir) is None
    assert [p.read_bytes() for p in data_dir.glob("state.format-99-*")] == [other]
    assert "format 99" in capsys.readouterr().err
    persistence.save(data_dir)  # the next snapshot lands beside it, the old one is still there
    assert [p.read_bytes() for p in data_dir.glob("state.format-99-*")] == [other]


def test_a_snapshot_of_the_wrong_shape_is_moved_aside_and_the_stack_starts_empty(aws, tmp_path, capsys):
    import pickle

    table = boto3.resource("dynamodb").Table(aws.physical_names["ResultsTable"])
    data_dir = persistence.prepare_data_dir(tmp_path / "data")
    wrong = pickle.dumps({"format": persistence.FORMAT, "saved_at": 0, "dynamodb": {table.name: ["not", "items"]}})
    (data_dir / persistence.SNAPSHOT_NAME).write_bytes(wrong)
    assert persistence.restore(data_dir) is None  # no exception: make run goes on
    assert [p.read_bytes() for p in data_dir.glob("state.unrestorable-*")] == [wrong]
    assert "could not restore" in capsys.readouterr().err
    table.put_item(Item={"pk": "KW#after", "sk": "JOB"})  # the tables still work
    assert "Item" in table.get_item(Key={"pk": "KW#after", "sk": "JOB"})


def test_the_data_folder_must_be_empty_or_ours_and_leftover_temp_files_are_removed(tmp_path):
    import os

    foreign = tmp_path / "home"
    foreign.mkdir(mode=0o755)
    (foreign / "notes.txt").write_text("mine")
    try:
        persistence.prepare_data_dir(foreign)
        raise AssertionError("a folder with other files must be refused")
    except persistence.NotOurDataDir as refused:
        assert "notes.txt" in str(refused)
    assert stat.S_IMODE(foreign.stat().st_mode) == 0o755 and (foreign / "notes.txt").exists()  # untouched

    empty = tmp_path / "empty"
    empty.mkdir()
    data_dir = persistence.prepare_data_dir(empty)
    assert persistence.is_ours(data_dir) and stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    leftover = data_dir / f".{persistence.SNAPSHOT_NAME}.12345.tmp"  # a kill -9 during a snapshot
    leftover.write_bytes(b"x" * 1024)
    (data_dir / "admin-token").write_text("t")
    assert persistence.prepare_data_dir(data_dir) == data_dir
    assert not leftover.exists() and (data_dir / "admin-token").exists()

    link = tmp_path / "link"
    os.symlink(data_dir, link)
    try:
        persistence.prepare_data_dir(link)
        raise AssertionError("a symlink must be refused")
    except persistence.NotOurDataDir:
        pass


def test_make_reset_deletes_only_a_folder_of_ours(tmp_path):
    import os
    import subprocess

    from local_stack.template import REPO_ROOT

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious").write_text("x")
    env = {**os.environ, "LOCAL_DATA_DIR": str(foreign)}
    refused = subprocess.run(["make", "-s", "reset"], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and (foreign / "precious").exists()
    ours = persistence.prepare_data_dir(tmp_path / "ours")
    env["LOCAL_DATA_DIR"] = str(ours)
    done = subprocess.run(["make", "-s", "reset"], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and not ours.exists()


def test_snapshots_are_spaced_by_their_own_cost(tmp_path):
    snapshots = persistence.Snapshotter(tmp_path, interval=2.0)
    assert snapshots.next_wait() == 2.0
    snapshots.last_seconds = 0.9  # a large state took 0.9 s to write
    assert snapshots.next_wait() == 9.0  # snapshotting takes at most a tenth of the time


def test_import_uploads_expire_after_a_day_as_the_lifecycle_rule_says(aws):
    from datetime import UTC, datetime, timedelta

    s3 = boto3.client("s3")
    bucket = aws.physical_names["ImportsBucket"]
    s3.put_object(Bucket=bucket, Key="imports/old.csv", Body=b"text\nold\n")
    s3.put_object(Bucket=bucket, Key="imports/new.csv", Body=b"text\nnew\n")
    from moto.backends import get_backend

    from local_stack.template import ACCOUNT

    stored = get_backend("s3")[ACCOUNT]["aws"].buckets[bucket].keys
    stored["imports/old.csv"].last_modified = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1, minutes=1)
    assert persistence.sweep_expired() == 1
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == ["imports/new.csv"]

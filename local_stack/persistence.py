"""Durable local state for the in-process moto: snapshots of what the platform stores, in ``LOCAL_DATA_DIR``.

moto keeps everything in memory and has no persistence of its own (its recorder journals requests for replay, which
grows without bound and replays every metrics flush). So the stack snapshots the state it uses (DynamoDB items, SQS
messages, S3 objects) with pickle: when something changed, at most every ``interval`` seconds and at least ten
snapshots' durations apart (a large state is not rewritten back to back: the API waits while a snapshot holds the
lock), and at shutdown; written to a temporary file, fsynced, then renamed over the last one, so a kill -9 at any
moment leaves the previous whole snapshot. The loss window of a kill -9 or a power cut is therefore the writes since
the last snapshot *finished*: up to ``max(interval, 10 x the last snapshot's duration)`` plus one snapshot's duration
(about 2.5 s for a small state; tens of seconds for hundreds of MB). A clean stop (Ctrl-C, SIGTERM) loses nothing.
Restoring puts the items back into the tables the template creates; messages that were in flight become visible at
once (the workers that held them are gone).

The data folder must be empty or ours (``MARKER``): the stack never chmods, fills or (``make reset``) deletes a folder
it did not create. Temporary files a kill -9 left behind are removed at start. A snapshot of another format, or one
whose shape this version cannot restore, is moved aside with a message (never overwritten) and the stack starts empty.

Every call into the in-process moto runs under one lock (``moto_lock``) so a snapshot sees no half-applied request.
"""

from __future__ import annotations

import collections
import contextvars
import functools
import json
import os
import pickle
import sys
import threading
import time
from datetime import UTC
from pathlib import Path

from local_stack.template import ACCOUNT, REGION

SNAPSHOT_NAME = "state.pickle"
MARKER = ".async-social-analytics-local-data"
FORMAT = 1
# What a data folder of ours holds (an older one without the marker is adopted when it holds nothing else).
OUR_NAMES = (SNAPSHOT_NAME, "admin-token", MARKER)
SNAPSHOT_COST_FACTOR = 10  # snapshots at least this many of their own durations apart
READ_PREFIXES = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "Head")
SQS_WAKE_OPERATIONS = ("SendMessage", "SendMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch")

moto_lock = threading.RLock()
# The function whose handler made the call (the bench splits round trips per job into API and worker side); calls
# outside any handler (the SQS poller's receives and deletes, the metrics flusher) count under "other".
calls_owner: contextvars.ContextVar[str] = contextvars.ContextVar("calls_owner", default="other")


class Activity:
    """What the hooks saw: a change counter (snapshots) and an event set when a message may have become visible."""

    def __init__(self) -> None:
        self.changes = 0
        self.calls: dict[str, int] = {}
        self.calls_by_function: dict[str, dict[str, int]] = {}
        self.wakers: list[tuple[str | None, threading.Event]] = []  # (queue name, event): one per SQS poller
        self.count_calls = True  # a dict increment per call; the bench reads it to count round trips per job

    def waker(self, queue_url: str | None = None) -> threading.Event:
        """The event a poller sleeps on: set when a message may have arrived on its queue (any queue if None)."""
        event = threading.Event()
        self.wakers.append((_queue_name(queue_url), event))
        return event

    def wake(self, queue_url: str | None = None) -> None:
        """Wake the pollers of ``queue_url`` (every poller when it is not known): a job sent wakes the job
        worker's poller, not the import poller, which would look at its empty queue and sleep again."""
        name = _queue_name(queue_url)
        for queue, event in self.wakers:
            if name is None or queue is None or queue == name:
                event.set()

    def record(self, service: str, operation: str, response_body: bytes | None, queue_url: str | None = None) -> None:
        if self.count_calls:
            key = f"{service}.{operation}"
            self.calls[key] = self.calls.get(key, 0) + 1
            owned = self.calls_by_function.setdefault(calls_owner.get(), {})
            owned[key] = owned.get(key, 0) + 1
        if operation == "ReceiveMessage":
            if response_body and b"ReceiptHandle" in response_body:
                self.changes += 1
            return
        if not operation.startswith(READ_PREFIXES):
            self.changes += 1
        if service == "sqs" and operation in SQS_WAKE_OPERATIONS:
            self.wake(queue_url)


def _queue_name(queue_url: str | None) -> str | None:
    return queue_url.rstrip("/").rsplit("/", 1)[-1] if queue_url else None


activity = Activity()


def owned_by(handler, function: str):
    """``handler`` with its AWS calls (and those of the threads it hands work to) counted under ``function``."""

    @functools.wraps(handler)
    def counted(event, context):
        token = calls_owner.set(function)
        try:
            return handler(event, context)
        finally:
            calls_owner.reset(token)

    return counted


def install_hooks() -> None:
    """Serialize in-process moto calls under ``moto_lock`` and record them in ``activity``."""
    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber, "_local_stack_hooked", False):
        return
    original = BotocoreStubber.__call__

    def locked_call(self, event_name: str, request, **kwargs):
        with moto_lock:
            response = original(self, event_name, request, **kwargs)
        if response is not None:
            parts = event_name.split(".")  # before-send.<service>.<Operation>
            if len(parts) >= 3:
                body = response.raw.getvalue() if parts[2] == "ReceiveMessage" else None
                activity.record(parts[1], parts[2], body)
        return response

    BotocoreStubber.__call__ = locked_call
    BotocoreStubber._local_stack_hooked = True


def locked_wsgi(app):
    """The HTTP endpoint's requests under the same lock; every one counts as a change (tests and tools only)."""

    def call(environ, start_response):
        if environ.get("PATH_INFO") in ("/_local/calls", "/_local/calls_by_function"):  # the bench's counters
            counts = activity.calls if environ["PATH_INFO"] == "/_local/calls" else activity.calls_by_function
            body = json.dumps(counts).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        with moto_lock:
            body = b"".join(app(environ, start_response))
        activity.changes += 1
        activity.wake()
        return [body]

    return call


# ------------------------------------------------------------------ the snapshot
def _backends():
    from moto.backends import get_backend

    return (
        get_backend("dynamodb")[ACCOUNT][REGION],
        get_backend("sqs")[ACCOUNT][REGION],
        get_backend("s3")[ACCOUNT]["aws"],
    )


def capture() -> dict:
    dynamodb, sqs, s3 = _backends()
    return {
        "format": FORMAT,
        "saved_at": time.time(),
        "dynamodb": {name: table.items for name, table in dynamodb.tables.items()},
        "sqs": {queue.name: list(queue._messages) for queue in sqs.queues.values()},
        "s3": {name: list(bucket.keys.values()) for name, bucket in s3.buckets.items()},
    }


def save(data_dir: Path) -> float:
    """Write one snapshot atomically; returns its size in MiB."""
    with moto_lock:
        blob = pickle.dumps(capture(), protocol=pickle.HIGHEST_PROTOCOL)
    target = data_dir / SNAPSHOT_NAME
    temporary = data_dir / f".{SNAPSHOT_NAME}.{os.getpid()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(blob)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)
    directory = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return len(blob) / 1024 / 1024


def _set_aside(path: Path, why: str, kind: str) -> None:
    aside = path.with_name(f"{path.stem}.{kind}-{int(time.time())}{path.suffix}")
    path.rename(aside)
    print(f"local data: {why}; moved {path.name} to {aside.name} and started empty", file=sys.stderr, flush=True)


def restore(data_dir: Path) -> dict | None:
    """Put a snapshot's items, messages and objects into the (already created) resources.

    Returns ``{"items", "messages", "objects", "seconds", "saved_at"}`` or None when there is no snapshot (or it was
    set aside: unreadable, another format, or a shape this version cannot restore; never overwritten, never fatal)."""
    path = data_dir / SNAPSHOT_NAME
    if not path.exists():
        return None
    started = time.perf_counter()
    try:
        state = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, in a 0700 folder
    except Exception as error:  # a damaged file: keep it aside rather than lose it, start empty
        _set_aside(path, f"could not read {path} ({error!r})", "damaged")
        return None
    found = state.get("format") if isinstance(state, dict) else None
    if found != FORMAT:
        _set_aside(path, f"{path} is snapshot format {found!r}, this version reads {FORMAT}", f"format-{found}")
        return None
    try:
        return _restore_state(state, started)
    except Exception as error:  # a shape we cannot restore (another moto, another layout): keep it, start empty
        _clear_backends()
        _set_aside(path, f"could not restore {path} ({error!r})", "unrestorable")
        return None


def _clear_backends() -> None:
    """Empty what a half-applied restore put in (the resources themselves stay)."""
    dynamodb, sqs, s3 = _backends()
    with moto_lock:
        for table in dynamodb.tables.values():
            table.items = collections.defaultdict(dict)  # what moto's Table starts with
        for queue in sqs.queues.values():
            queue._messages = []
            queue._pending_messages = set()
        for bucket in s3.buckets.values():
            bucket.keys.clear()


def _restore_state(state: dict, started: float) -> dict:
    dynamodb, sqs, s3 = _backends()
    items = messages = objects = 0
    with moto_lock:
        for name, stored in state["dynamodb"].items():
            table = dynamodb.tables.get(name)
            if table is not None:
                if not isinstance(stored, dict):
                    raise TypeError(f"table {name}: items are a {type(stored).__name__}")
                table.items = stored
                items += sum(len(value) if isinstance(value, dict) else 1 for value in stored.values())
        queues = {queue.name: queue for queue in sqs.queues.values()}
        for name, stored in state["sqs"].items():
            queue = queues.get(name)
            if queue is None:
                continue
            for message in stored:
                message.visible_at = 0.0  # the attempts that held them died with the last run
            queue._messages = stored
            queue._pending_messages = set()
            messages += len(stored)
        for name, keys in state["s3"].items():
            bucket = s3.buckets.get(name)
            if bucket is None:
                continue
            for key in keys:
                bucket.keys[key.name] = key
                objects += 1
    return {
        "items": items,
        "messages": messages,
        "objects": objects,
        "seconds": time.perf_counter() - started,
        "saved_at": state["saved_at"],
    }


def sweep_expired(now: float | None = None) -> int:
    """Delete the items whose TTL attribute has passed, as DynamoDB's TTL does (moto never does): a stack left
    running keeps only what the template's TTLs keep, so memory and snapshots stop growing with time."""
    dynamodb = _backends()[0]
    now = time.time() if now is None else now
    removed = 0
    with moto_lock:
        for table in dynamodb.tables.values():
            attribute = table.ttl.get("AttributeName") if table.ttl.get("TimeToLiveStatus") == "ENABLED" else None
            if not attribute:
                continue
            for hash_key, stored in list(table.items.items()):
                items = list(stored.values()) if isinstance(stored, dict) else [stored]
                for item in items:
                    value = item.attrs.get(attribute)
                    try:
                        expired = value is not None and value.type == "N" and float(value.value) < now
                    except (TypeError, ValueError):
                        expired = False
                    if expired:
                        table.delete_item(item.hash_key, item.range_key)
                        removed += 1
                if isinstance(stored, dict) and not stored:
                    table.items.pop(hash_key, None)
        removed += _expire_uploads(now)
    if removed:
        activity.changes += 1
    return removed


UPLOAD_EXPIRY_SECONDS = 86400  # the imports bucket's lifecycle rule (ExpirationInDays: 1), which moto never applies


def _expire_uploads(now: float) -> int:
    """Delete import uploads older than a day, as the imports bucket's lifecycle rule does (call under the lock)."""
    s3 = _backends()[2]
    removed = 0
    for bucket in s3.buckets.values():
        for name, key in list(bucket.keys.items()):
            modified = getattr(key, "last_modified", None)
            if not name.startswith("imports/") or modified is None:
                continue
            if modified.tzinfo is None:  # moto keeps naive UTC
                modified = modified.replace(tzinfo=UTC)
            if modified.timestamp() < now - UPLOAD_EXPIRY_SECONDS:
                del bucket.keys[name]
                removed += 1
    return removed


def sweep_forever(stopped: threading.Event, interval: float = 60.0) -> None:
    while not stopped.wait(interval):
        try:
            sweep_expired()
        except Exception as error:  # never stop the stack over housekeeping
            print(f"local data: TTL sweep failed: {error!r}", file=sys.stderr, flush=True)


class Snapshotter:
    """Saves when something changed, every ``interval`` seconds or ten snapshot durations, whichever is longer
    (snapshot cost stays at most a tenth of the time however large the state), and once more at ``stop``."""

    def __init__(self, data_dir: Path, interval: float = 2.0) -> None:
        self.data_dir = data_dir
        self.interval = interval
        self.last_seconds = 0.0  # how long the last snapshot took
        self._stopped = threading.Event()
        self._saved_changes = activity.changes
        self._thread = threading.Thread(target=self._run, name="snapshots", daemon=True)

    def start(self) -> Snapshotter:
        self._thread.start()
        return self

    def next_wait(self) -> float:
        return max(self.interval, SNAPSHOT_COST_FACTOR * self.last_seconds)

    def save_if_changed(self) -> None:
        changes = activity.changes
        if changes != self._saved_changes:
            started = time.perf_counter()
            save(self.data_dir)
            self.last_seconds = time.perf_counter() - started
            self._saved_changes = changes

    def _run(self) -> None:
        while not self._stopped.wait(self.next_wait()):
            try:
                self.save_if_changed()
            except Exception as error:  # a full disk must not stop the stack; say so and try again
                print(f"local data: snapshot failed: {error!r}", file=sys.stderr, flush=True)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)
        self.save_if_changed()


class NotOurDataDir(SystemExit):
    """LOCAL_DATA_DIR names a folder that holds something else: refused, untouched."""


def is_ours(data_dir: Path) -> bool:
    """Whether the stack may use (and ``make reset`` may delete) this folder: it carries our marker."""
    return (data_dir / MARKER).is_file() and not (data_dir / MARKER).is_symlink()


def prepare_data_dir(path: str | os.PathLike) -> Path:
    """The data folder, made ours: created (0700) when absent, adopted when empty (or an older one of ours), and
    refused untouched otherwise (``LOCAL_DATA_DIR=/tmp`` or a home folder must never be chmod'ed or deleted)."""
    data_dir = Path(path).absolute()
    if data_dir.is_symlink() or (data_dir.exists() and not data_dir.is_dir()):
        raise NotOurDataDir(f"LOCAL_DATA_DIR={data_dir} is not a folder of the local stack's; choose another")
    if data_dir.is_dir() and not is_ours(data_dir):
        others = sorted(p.name for p in data_dir.iterdir() if p.name not in OUR_NAMES and not _is_ours_aside(p.name))
        if others:
            raise NotOurDataDir(
                f"LOCAL_DATA_DIR={data_dir} holds files that are not the local stack's ({', '.join(others[:5])}); "
                "it must be empty or one the stack created: choose another folder"
            )
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)  # provider sessions and the admin token are in there (only ever our own folder)
    marker = data_dir / MARKER
    if not marker.exists():
        descriptor = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write("The local stack's data (make run); make reset deletes this folder.\n")
    for leftover in data_dir.glob(f".{SNAPSHOT_NAME}.*.tmp"):  # a snapshot a kill -9 interrupted
        leftover.unlink(missing_ok=True)
    return data_dir


def _is_ours_aside(name: str) -> bool:
    return (name.startswith("state.") and name != SNAPSHOT_NAME) or (
        name.startswith(f".{SNAPSHOT_NAME}.") and name.endswith(".tmp")
    )

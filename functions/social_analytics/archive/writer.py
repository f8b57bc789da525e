"""What a stream run does for the archive: buffer every post and delete, write them as part files, compact, expire.

Each flush writes one small part file per hour it holds posts (and one per hour of deletes) before the stream stores
its cursor, so a run that dies is replayed and its posts written again: every read deduplicates by (did, rkey),
keeping the first receipt. At the end of the run the span it read joins ``meta/coverage.json``.

Compaction policy (:func:`maintain`): an hour whose end lies ``settle_seconds`` behind the stored cursor and which
still has part files is rewritten as one zstd Parquet file (its old compacted file and its parts merged, each post
once, every post deleted so far dropped), then its parts are removed; at most ``compactions_per_run`` hours a run,
oldest first, deletes before posts. Hours older than the retention are deleted (the bucket's lifecycle rule does the
same about daily; this keeps a folder archive in bounds and makes expiry exact to the hour).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime

from social_analytics import composition
from social_analytics.archive import coverage, parquet
from social_analytics.archive.layout import (
    COMPACTED,
    COVERAGE_KEY,
    DELETES,
    HOUR_US,
    POSTS,
    compacted_key,
    hour_of,
    parse_key,
    part_key,
)
from social_analytics.models import isoformat_z
from social_analytics.observability import logger
from social_analytics.settings import get_archive_settings
from social_analytics.tracking.stream_events import StreamPost


class RunArchive:
    """The archive side of one stream run (the run's ``ArchiveSink``)."""

    def __init__(self, store, from_us: int, started_us: int) -> None:
        self.store = store
        self.from_us = from_us
        self.started_us = started_us
        self.posts: list[StreamPost] = []
        self.deletes: list[tuple[str, str, int]] = []

    def add_post(self, post: StreamPost) -> None:
        self.posts.append(post)

    def add_delete(self, did: str, rkey: str, time_us: int) -> None:
        self.deletes.append((did, rkey, time_us))

    def flush(self) -> int:
        """Write what is buffered (one part file per hour and kind); returns the posts written."""
        written = 0
        posts_by_hour: dict[int, list[StreamPost]] = defaultdict(list)
        for post in self.posts:
            posts_by_hour[hour_of(post.time_us)].append(post)
        deletes_by_hour: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
        for row in self.deletes:
            deletes_by_hour[hour_of(row[2])].append(row)
        with tempfile.TemporaryDirectory(prefix="archive-") as workdir:
            out = os.path.join(workdir, "part.parquet")
            for hour, posts in sorted(posts_by_hour.items()):
                written += parquet.write_posts(posts, out)
                self.store.put(part_key(POSTS, hour, posts[0].time_us), _read_and_remove(out))
            for hour, rows in sorted(deletes_by_hour.items()):
                parquet.write_deletes(rows, out)
                self.store.put(part_key(DELETES, hour, rows[0][2]), _read_and_remove(out))
        self.posts, self.deletes = [], []
        return written

    def close(self, to_us: int) -> None:
        """The run read up to ``to_us`` (its stored cursor): add its span to the coverage."""
        floor = int((time.time() - get_archive_settings().retention_seconds) * 1e6)
        spans = coverage.parse(self.store.get(COVERAGE_KEY))
        self.store.put(COVERAGE_KEY, coverage.dump(coverage.extend(spans, self.from_us, to_us, floor)))


def _read_and_remove(path: str) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read()
    os.unlink(path)
    return data


def for_run(from_us: int, started_us: int) -> RunArchive | None:
    store = composition.archive_store()
    return RunArchive(store, from_us, started_us) if store is not None else None


def _files(store) -> dict[tuple[str, int], list[str]]:
    found: dict[tuple[str, int], list[str]] = defaultdict(list)
    for kind in (POSTS, DELETES):
        for key in store.list(kind + "/"):
            parsed = parse_key(key)
            if parsed:
                found[(parsed[0], parsed[1])].append(key)
    return found


def expire(store, now: float | None = None, files: dict | None = None) -> int:
    """Delete every hour older than the retention; returns the files removed (``files``: a listing already made)."""
    now = time.time() if now is None else now
    floor = hour_of(int((now - get_archive_settings().retention_seconds) * 1e6))
    files = _files(store) if files is None else files
    old = [key for (_, hour), keys in files.items() if hour < floor for key in keys]
    store.delete(old)
    for where in [where for where in files if where[1] < floor]:
        del files[where]
    spans = coverage.parse(store.get(COVERAGE_KEY))
    trimmed = coverage.extend(spans, 0, 0, floor)
    if trimmed != spans:
        store.put(COVERAGE_KEY, coverage.dump(trimmed))
    return len(old)


def compact_hour(store, kind: str, hour: int, keys: list[str], delete_keys: list[str]) -> int:
    """Rewrite one hour as its single compacted file; returns the rows it holds."""
    parts = [k for k in keys if not k.endswith("/" + COMPACTED)]
    with tempfile.TemporaryDirectory(prefix="compact-") as workdir:
        inputs_dir, deletes_dir = os.path.join(workdir, "in"), os.path.join(workdir, "deletes")
        os.mkdir(inputs_dir)
        os.mkdir(deletes_dir)
        inputs = store.local_copies(sorted(keys), inputs_dir)
        out = os.path.join(workdir, COMPACTED)
        if kind == DELETES:
            rows = parquet.compact_deletes(inputs, out)
        else:
            rows = parquet.compact_posts(inputs, store.local_copies(delete_keys, deletes_dir), out)
        store.put(compacted_key(kind, hour), _read_and_remove(out))
    store.delete(parts)
    return rows


def _due(files: dict[tuple[str, int], list[str]], kind: str, settled_us: int) -> list[int]:
    return sorted(
        hour
        for (found, hour), keys in files.items()
        if found == kind and hour + HOUR_US <= settled_us and any(not k.endswith("/" + COMPACTED) for k in keys)
    )


def maintenance_due(from_us: int, cursor_us: int, settle_seconds: int) -> bool:
    """Whether a run should list the archive: an hour settled during it, or it is the first minutes of an hour (a
    retry of what an earlier run left undone). Listing every minute would be most of the archive's request bill."""
    settle = settle_seconds * 1_000_000
    return hour_of(cursor_us - settle) != hour_of(from_us - settle) or (cursor_us - settle) % HOUR_US < 600_000_000


def maintain(cursor_us: int, now: float | None = None, from_us: int | None = None) -> list[str]:
    """Expire old hours, then compact the settled ones (see the module docstring); returns what was compacted.
    With ``from_us`` (the run's start cursor), only when :func:`maintenance_due`."""
    store = composition.archive_store()
    if store is None:
        return []
    config = get_archive_settings()
    if from_us is not None and not maintenance_due(from_us, cursor_us, config.settle_seconds):
        return []
    files = _files(store)
    expire(store, now, files)
    settled = cursor_us - config.settle_seconds * 1_000_000
    budget = config.compactions_per_run
    done: list[str] = []
    for kind in (DELETES, POSTS):  # deletes first: the posts' compaction then reads their compacted files
        if kind == POSTS and done:
            files = _files(store)  # the deletes as compacted just now
        for hour in _due(files, kind, settled)[:budget]:
            delete_keys = [k for (found, h), keys in files.items() if found == DELETES and h >= hour for k in keys]
            rows = compact_hour(store, kind, hour, files[(kind, hour)], delete_keys)
            done.append(f"{kind} {hour_iso(hour)}")
            logger.info("archive hour compacted", extra={"kind": kind, "hour": hour_iso(hour), "rows": rows})
        budget -= min(budget, len(done))
        if budget <= 0:
            break
    return done


def hour_iso(time_us: int) -> str:
    return isoformat_z(datetime.fromtimestamp(time_us / 1e6, UTC))

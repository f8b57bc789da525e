"""Jetstream ingestion: one scheduled run reads the stream from the stored cursor to the present, then exits.

A run (StreamFunction, every minute):

1. returns at once, without connecting, when the stream is disabled or no keyword is tracked;
2. builds (or reuses) one index of every tracked query (social_analytics.query: the jobs' matcher);
3. connects to ``JETSTREAM_URL`` with ``cursor`` = the stored cursor rewound ``rewind_seconds`` (the overlap is
   counted once, see storage/stream.py), and reads until an event reaches the run's start time (caught up), no
   event comes for ``idle_seconds`` (a quiet stream), or ``budget_seconds`` pass;
4. on a dropped connection reconnects from the last processed event, rewound again (at most ``max_reconnects``);
5. every ``flush_seconds`` and at the end: scores the matched posts (the jobs' VADER and tokenizer), adds them to
   the per-minute buckets exactly once, marks them counted (for deletes), then stores the cursor. A run that dies
   before storing the cursor is replayed by the next one and adds nothing twice;
6. raises the alerts of the minutes it completed (service/stream_alerts.py).

Gap rules: after (re)connecting, the first event must be at most ``gap_tolerance_seconds`` later than the point
already covered. If it is later, the server did not replay (it ignored the cursor, or the cursor was older than its
buffer): the interval between the covered point and that first event is stored as a gap with its reason,
``cursor_out_of_buffer`` when the covered point is older than the replay buffer, else ``not_replayed``. The very
first run (no stored cursor) promised nothing before it started, so its first connection records no gap.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidURI, WebSocketException

from social_analytics import composition
from social_analytics.archive import writer as archive_writer
from social_analytics.observability import logger, meter
from social_analytics.query import PostView, query_for_key
from social_analytics.records import Alert, BucketDelta
from social_analytics.settings import StreamSettings, get_archive_settings, get_stream_settings
from social_analytics.tracking import frames, stream_alerts, stream_backfill, stream_buckets
from social_analytics.tracking.stream_buckets import Matched, minute_of, post_hash
from social_analytics.tracking.stream_events import Malformed, StreamEvent, StreamPost, parse
from social_analytics.tracking.stream_matching import KeywordMatcher, matcher_for

MAX_MESSAGE_BYTES = 1 << 20
# time_us is believed only within [the stored cursor minus this, now plus FUTURE_SLACK]: a replayed day at most,
# and a little clock skew. Anything else is malformed (a future time would move the cursor past posts not yet read).
PAST_SLACK_US = 86_400 * 1_000_000
FUTURE_SLACK_US = 60 * 1_000_000


def with_cursor(url: str, cursor_us: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "cursor"] + [("cursor", str(cursor_us))]
    return urlunsplit(parts._replace(query=urlencode(query)))


class ArchiveSink(Protocol):
    """Where every post and delete of a run goes when the archive is on (archive/writer.py)."""

    def add_post(self, post: StreamPost) -> None: ...

    def add_delete(self, did: str, rkey: str, time_us: int) -> None: ...

    def flush(self) -> int: ...


@dataclass
class RunReport:
    events: int = 0
    posts: int = 0
    matched: int = 0
    counted: int = 0
    deletes_of_counted: int = 0  # deletes of posts counted for a keyword (per keyword)
    connections: int = 0
    drops: int = 0
    gaps: list[dict] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)
    malformed: Counter = field(default_factory=Counter)  # why messages were skipped
    archived: int = 0
    compacted: list[str] = field(default_factory=list)  # the hours the archive compacted after the run
    backfilled: dict = field(default_factory=dict)  # keywords whose archived minutes were filled: posts found
    started_us: int = 0
    cursor_from_us: int | None = None
    cursor_to_us: int | None = None
    stopped: str = ""
    alerts: list[Alert] = field(default_factory=list)
    cpu_seconds: float = 0.0
    counted_at: list[tuple[float, float]] = field(default_factory=list)  # (post time, stored time): latency

    def summary(self) -> dict:
        return {
            "events": self.events,
            "posts": self.posts,
            "matched": self.matched,
            "counted": self.counted,
            "deletes_of_counted": self.deletes_of_counted,
            "connections": self.connections,
            "drops": self.drops,
            "gaps": self.gaps,
            "kinds": dict(self.kinds),
            "malformed": dict(self.malformed),
            "archived": self.archived,
            "compacted": self.compacted,
            "backfilled": self.backfilled,
            "cursor_from_us": self.cursor_from_us,
            "cursor_to_us": self.cursor_to_us,
            "lag_seconds": round((self.started_us - self.cursor_to_us) / 1e6, 3) if self.cursor_to_us else None,
            "stopped": self.stopped,
            "alerts": len(self.alerts),
            "cpu_seconds": round(self.cpu_seconds, 3),
        }


class StreamRun:
    """One run's state: what was read, what waits to be stored, where the stream is covered up to."""

    def __init__(
        self,
        matcher: KeywordMatcher | None,
        settings: StreamSettings,
        covered_us: int,
        started_us: int,
        resumed: bool = True,
        archive: ArchiveSink | None = None,
        decode: Callable[[str | bytes], str | bytes | None] | None = None,
    ) -> None:
        self.matcher = matcher
        self.archive = archive
        self.decode = decode  # zstd frames (compress=true) to JSON text
        self.floor_us = covered_us - PAST_SLACK_US
        # The very first run (no stored cursor) promised nothing before its start: no gap on its first connection.
        self.check_first_replay = resumed
        self.settings = settings
        self.covered_us = covered_us  # every event at or before this has been processed
        self.stored_us = covered_us  # ... and its effects stored (the cursor)
        self.started_us = started_us
        self.pending: list[Matched] = []
        self.deletes: list[tuple[str, int]] = []  # (post hash, time_us)
        self.report = RunReport(started_us=started_us, cursor_from_us=covered_us)
        self.touched: set[str] = set()

    # ------------------------------------------------------------------ reading
    async def read(self, url: str, deadline: float) -> None:
        settings = self.settings
        next_flush = time.monotonic() + settings.flush_seconds
        attempts = 0
        while True:
            if time.monotonic() >= deadline:
                self.report.stopped = "budget"
                return
            ask = self.covered_us - int(settings.rewind_seconds * 1e6)
            try:
                async with connect(
                    with_cursor(url, ask),
                    open_timeout=min(10.0, max(deadline - time.monotonic(), 0.1)),
                    max_size=MAX_MESSAGE_BYTES,
                    compression=None,
                ) as socket:
                    self.report.connections += 1
                    first = True
                    while True:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            self.report.stopped = "budget"
                            return
                        try:
                            raw = await asyncio.wait_for(socket.recv(), timeout=min(settings.idle_seconds, remaining))
                        except TimeoutError:
                            self.report.stopped = "idle" if remaining > settings.idle_seconds else "budget"
                            return
                        event = self.accept(raw)
                        if event is None:
                            continue
                        time_us = event.time_us
                        if first:
                            first = False
                            if self.check_first_replay:
                                self._check_replay(time_us)
                            self.check_first_replay = True
                        self.handle(event)
                        if time_us >= self.started_us:
                            self.report.stopped = "caught_up"
                            return
                        if time.monotonic() >= next_flush:
                            self.flush()
                            next_flush = time.monotonic() + settings.flush_seconds
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI, WebSocketException) as error:
                attempts += 1
                self.report.drops += 1
                logger.warning("jetstream connection lost", extra={"error": type(error).__name__, "attempt": attempts})
                if isinstance(error, InvalidURI) or attempts > settings.max_reconnects:
                    self.report.stopped = "connection_failed"
                    return
                await asyncio.sleep(min(0.2 * attempts, 2.0))

    def _check_replay(self, first_us: int) -> None:
        tolerance = int(self.settings.gap_tolerance_seconds * 1e6)
        if first_us <= self.covered_us + tolerance:
            return
        old = self.started_us - self.covered_us > self.settings.replay_buffer_seconds * 1e6
        reason = "cursor_out_of_buffer" if old else "not_replayed"
        gap = {"from_us": self.covered_us, "to_us": first_us, "reason": reason}
        composition.tracking.stream.put_gap(self.covered_us, first_us, reason, self.settings.gap_ttl_seconds)
        self.report.gaps.append(gap)
        meter.stream_gap()
        logger.warning("jetstream did not replay: gap recorded", extra=gap)

    def accept(self, raw: str | bytes) -> StreamEvent | None:
        """The message as an event when it is well formed and its time believable; else counted and None."""
        if self.decode is not None:
            raw = self.decode(raw)
            if raw is None:
                return self._malformed("undecodable")
        event = parse(raw)
        if isinstance(event, Malformed):
            return self._malformed(event.reason)
        if not self.floor_us <= event.time_us <= time.time_ns() // 1000 + FUTURE_SLACK_US:
            return self._malformed("time_out_of_range")
        return event

    def _malformed(self, reason: str) -> None:
        self.report.kinds["malformed"] += 1
        self.report.malformed[reason] += 1
        return None

    def handle(self, event: StreamEvent) -> None:
        time_us = event.time_us
        self.report.events += 1
        self.report.kinds[event.kind] += 1
        if event.post is not None:
            post = event.post
            self.report.posts += 1
            if self.archive is not None:
                self.archive.add_post(post)
            # Jetstream carries the author's DID, not the handle: from: matches a DID on the stream.
            view = PostView(post.text, post.did, post.langs)
            keys = self.matcher.match(view) if self.matcher and post.text else set()
            if keys:
                self.report.matched += 1
                self.pending.append(
                    Matched(keys, post.did, post.rkey, time_us, post.text, list(post.langs), post.created_at)
                )
        elif event.deleted is not None:
            did, rkey = event.deleted
            self.deletes.append((post_hash(did, rkey), time_us))
            if self.archive is not None:
                self.archive.add_delete(did, rkey, time_us)
        # Never past the present: an event stamped a few seconds ahead (clock skew) is read, not trusted as a cursor.
        self.covered_us = max(self.covered_us, min(time_us, time.time_ns() // 1000))

    # ------------------------------------------------------------------ storing
    def flush(self) -> None:
        """Store what was read: buckets (exactly once), counted-post markers, deletes, then the cursor."""
        counted, touched = stream_buckets.count(self.pending, self.settings)
        self.report.counted += counted
        self.touched |= touched
        if self.deletes:  # after the markers, so a post created and deleted within one flush is found
            deltas = {}
            counted = composition.tracking.stream.counted_keys([short for short, _ in self.deletes])
            for short, time_us in self.deletes:
                for key in counted.get(short, {}):
                    deltas.setdefault((key, minute_of(time_us)), BucketDelta()).deleted.add(short)
            self.report.deletes_of_counted += sum(len(d.deleted) for d in deltas.values())
            composition.tracking.stream.merge_buckets(deltas, self.settings.bucket_ttl_seconds)
        if self.archive is not None:  # before the cursor: a run that dies here is replayed (the archive dedupes)
            self.report.archived += self.archive.flush()
        stored_at = time.time()
        self.report.counted_at.extend((m.time_us / 1e6, stored_at) for m in self.pending)
        self.pending, self.deletes = [], []
        if self.covered_us > self.stored_us:
            composition.tracking.stream.put_cursor(self.covered_us)
            self.stored_us = self.covered_us


def run(remaining_ms: int | None = None) -> dict:
    """One scheduled run (see the module docstring); returns its summary."""
    report = execute(remaining_ms)
    if isinstance(report, str):
        return {"skipped": report}
    summary = report.summary()
    logger.info("stream run", extra={k: v for k, v in summary.items() if k != "gaps"})
    return summary


def execute(remaining_ms: int | None = None) -> RunReport | str:
    """One run's full report, or why it did not connect."""
    cpu_started = time.process_time()
    settings = get_stream_settings()
    if not settings.enabled:
        return "stream_disabled"
    archiving = get_archive_settings().enabled
    tracked = composition.tracking.tracked.list_tracked()
    if not tracked and not archiving:
        return "no_tracked_keywords"
    started_us = time.time_ns() // 1000
    matcher = matcher_for(query_for_key(item.key, item.keyword) for item in tracked) if tracked else None
    stored = composition.tracking.stream.get_cursor()
    covered = stored if stored is not None else started_us - int(settings.first_lookback_seconds * 1e6)
    budget = settings.budget_seconds
    if remaining_ms is not None:  # leave time to store what was read before the function's timeout
        budget = min(budget, max(remaining_ms / 1000 - 10, 1.0))
    sink = archive_writer.for_run(covered, started_us) if archiving else None
    url = settings.jetstream_url
    decode = None
    if settings.compress:
        url, decode = compressed_url(url), frames.decompressor()
    state = StreamRun(matcher, settings, covered, started_us, resumed=stored is not None, archive=sink, decode=decode)
    asyncio.run(state.read(url, time.monotonic() + budget))
    state.flush()
    report = state.report
    report.cursor_to_us = state.stored_us
    if sink is not None:
        sink.close(state.stored_us)
    report.alerts = stream_alerts.evaluate(
        {item.key: item for item in tracked}, state.touched, covered, state.stored_us, time.time()
    )
    if sink is not None:
        # After the counts and alerts: compaction and backfills are the parts of a run that may wait for the next.
        try:
            report.compacted = archive_writer.maintain(state.stored_us, from_us=covered)
        except Exception:
            logger.exception("archive compaction failed; the next run tries again")
        try:
            report.backfilled = stream_backfill.backfill(tracked, state.stored_us, settings)
        except Exception:
            logger.exception("archive backfill failed; the next run tries again")
    report.cpu_seconds = time.process_time() - cpu_started
    meter.stream_run(report.counted)
    return report


def compressed_url(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "compress"] + [("compress", "true")]
    return urlunsplit(parts._replace(query=urlencode(query)))

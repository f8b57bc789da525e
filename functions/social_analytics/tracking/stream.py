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
import base64
import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidURI, WebSocketException

from social_analytics import composition
from social_analytics.observability import logger, meter
from social_analytics.query import PostView, query_for_key
from social_analytics.records import Alert, BucketDelta, CountedPost
from social_analytics.scoring import calibration
from social_analytics.scoring.terms import keyword_exclusions, tokenize
from social_analytics.settings import StreamSettings, get_stream_settings
from social_analytics.tracking import stream_alerts
from social_analytics.tracking.stream_matching import KeywordMatcher, matcher_for

POST_COLLECTION = "app.bsky.feed.post"
MAX_MESSAGE_BYTES = 1 << 20
TERMS_PER_POST = 40
SAMPLE_TEXT_CHARS = 300


def post_hash(did: str, rkey: str) -> str:
    """A short, stable id of a post (did + rkey): 12 characters, kept in the buckets' id sets."""
    digest = hashlib.blake2b(f"{did}/{rkey}".encode(), digest_size=9).digest()
    return base64.urlsafe_b64encode(digest).decode()


def minute_of(time_us: int) -> int:
    return int(time_us // 60_000_000) * 60


def with_cursor(url: str, cursor_us: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "cursor"] + [("cursor", str(cursor_us))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _parsed(raw: str | bytes) -> dict | None:
    """One message as an event with an integer ``time_us``, or None (not JSON, compressed, another shape)."""
    try:
        event = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    time_us = event.get("time_us")
    if not isinstance(time_us, int) or isinstance(time_us, bool) or time_us <= 0:
        return None
    if event.get("kind") == "commit" and not isinstance(event.get("commit"), dict):
        return None
    return event


@dataclass
class Matched:
    keys: set[str]
    did: str
    rkey: str
    time_us: int
    text: str
    langs: list[str]
    created_at: str | None


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
        self, matcher: KeywordMatcher, settings: StreamSettings, covered_us: int, started_us: int, resumed: bool = True
    ) -> None:
        self.matcher = matcher
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
                        event = _parsed(raw)
                        if event is None:
                            self.report.kinds["malformed"] += 1
                            continue
                        time_us = event["time_us"]
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

    def handle(self, event: dict) -> None:
        time_us = int(event.get("time_us") or 0)
        self.report.events += 1
        kind = event.get("kind")
        self.report.kinds[kind] += 1
        commit = event.get("commit") if kind == "commit" else None
        if commit and commit.get("collection") == POST_COLLECTION:
            operation = commit.get("operation")
            did, rkey = str(event.get("did") or ""), str(commit.get("rkey") or "")
            if operation == "create":
                self.report.posts += 1
                record = commit.get("record") if isinstance(commit.get("record"), dict) else {}
                text = record.get("text") or ""
                langs = record.get("langs") if isinstance(record.get("langs"), list) else []
                langs = [lang for lang in langs if isinstance(lang, str)]
                # Jetstream carries the author's DID, not the handle: from: matches a DID on the stream.
                post = PostView(text, did, tuple(langs)) if isinstance(text, str) else None
                keys = self.matcher.match(post) if post is not None and text else set()
                if keys:
                    self.report.matched += 1
                    self.pending.append(Matched(keys, did, rkey, time_us, text, langs, record.get("createdAt")))
            elif operation == "delete":
                self.deletes.append((post_hash(did, rkey), time_us))
        self.covered_us = max(self.covered_us, time_us)

    # ------------------------------------------------------------------ storing
    def flush(self) -> None:
        """Store what was read: buckets (exactly once), counted-post markers, deletes, then the cursor."""
        deltas: dict[tuple[str, int], BucketDelta] = {}
        markers: dict[str, dict[str, int]] = {}
        if self.pending:
            scores = calibration.score_texts(m.text for m in self.pending)  # the same scorer as jobs
            for match in self.pending:
                score = scores[match.text]
                minute = minute_of(match.time_us)
                short = post_hash(match.did, match.rkey)
                sample = {
                    "id": f"{match.did}/{match.rkey}",
                    "url": f"https://bsky.app/profile/{match.did}/post/{match.rkey}",
                    "text": match.text[:SAMPLE_TEXT_CHARS],
                    "time_us": match.time_us,
                    "created_at": match.created_at,
                    "langs": match.langs[:3],
                    "label": score["label"],
                    "compound": round(score["compound"], 4),
                }
                for key in match.keys:
                    tokens = tokenize(match.text, keyword_exclusions(key))
                    terms = [*tokens.words, *(f"#{tag}" for tag in tokens.hashtags)][:TERMS_PER_POST]
                    delta = deltas.setdefault((key, minute), BucketDelta())
                    delta.posts[short] = CountedPost(score["label"], score["compound"], terms, sample)
                    markers.setdefault(short, {})[key] = minute
                    self.touched.add(key)
        self.report.counted += composition.tracking.stream.merge_buckets(deltas, self.settings.bucket_ttl_seconds)
        composition.tracking.stream.mark_counted(markers, self.settings.seen_ttl_seconds)
        if self.deletes:  # after the markers, so a post created and deleted within one flush is found
            deltas = {}
            counted = composition.tracking.stream.counted_keys([short for short, _ in self.deletes])
            for short, time_us in self.deletes:
                for key in counted.get(short, {}):
                    deltas.setdefault((key, minute_of(time_us)), BucketDelta()).deleted.add(short)
            self.report.deletes_of_counted += sum(len(d.deleted) for d in deltas.values())
            composition.tracking.stream.merge_buckets(deltas, self.settings.bucket_ttl_seconds)
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
    tracked = composition.tracking.tracked.list_tracked()
    if not tracked:
        return "no_tracked_keywords"
    started_us = time.time_ns() // 1000
    matcher = matcher_for(query_for_key(item.key, item.keyword) for item in tracked)
    stored = composition.tracking.stream.get_cursor()
    covered = stored if stored is not None else started_us - int(settings.first_lookback_seconds * 1e6)
    budget = settings.budget_seconds
    if remaining_ms is not None:  # leave time to store what was read before the function's timeout
        budget = min(budget, max(remaining_ms / 1000 - 10, 1.0))
    state = StreamRun(matcher, settings, covered, started_us, resumed=stored is not None)
    asyncio.run(state.read(settings.jetstream_url, time.monotonic() + budget))
    state.flush()
    report = state.report
    report.cursor_to_us = state.stored_us
    report.alerts = stream_alerts.evaluate(
        {item.key: item for item in tracked}, state.touched, covered, state.stored_us, time.time()
    )
    report.cpu_seconds = time.process_time() - cpu_started
    meter.stream_run(report.counted)
    return report

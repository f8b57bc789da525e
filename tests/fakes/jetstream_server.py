"""A loopback WebSocket server speaking Bluesky Jetstream's subscribe protocol (PROVIDERS.md section j).

    with FakeJetstream() as jet:
        jet.add(post_event("did:plc:a", "3kabc", "hello lambda", time_us=...), ...)   # the replay buffer
        url = jet.url                       # ws://127.0.0.1:<port>/subscribe?wantedCollections=app.bsky.feed.post
        jet.drop_after = [40, 25]           # the 1st connection is cut after 40 events, the 2nd after 25
        jet.ignore_cursor = True            # like the v2 rewrite's first stage: cursor silently ignored
        jet.connections                     # what each client asked for (query) and how many events it got

Protocol: ``GET /subscribe?wantedCollections=<nsid>&...&cursor=<unix µs>``, upgraded to a WebSocket; the server
then sends one JSON text frame per event. With a cursor it replays the buffer from the first event whose
``time_us`` is at or after the cursor (from the oldest kept event when the cursor is older than the buffer), then
tails live: events added later are sent as they arrive. Without a cursor (or with ``ignore_cursor``) it tails live
only. Commit events are filtered by ``wantedCollections``; identity and account events always pass, as on the real
server. A drop closes the TCP connection without a close frame. ``buffer_from_us`` forgets older events. An event
``{"time_us": ..., "__raw__": "text"}`` is sent as that text (malformed messages).

``compress=true`` in the query: every event is sent as a binary frame, its JSON compressed with zstd and the
dictionary Jetstream publishes (as Jetstream's v1 server does); ``{"time_us": ..., "__bytes__": b"..."}`` is sent as
those bytes (a frame that does not decompress). ``jet.bytes_sent`` counts the payload bytes sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import zstandard
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

POST = "app.bsky.feed.post"
DICTIONARY = Path(__file__).resolve().parents[2] / "functions/social_analytics/tracking/data/jetstream_zstd_dictionary"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def tid(time_us: int, clock: int = 0) -> str:
    """A Bluesky record key (TID): 53 bits of microseconds and 10 clock bits, base32-sortable, 13 characters."""
    value = (time_us << 10) | (clock & 0x3FF)
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def now_us() -> int:
    return time.time_ns() // 1000


def post_event(
    did: str, rkey: str, text: str, time_us: int, langs: list[str] | None = None, operation: str = "create"
) -> dict:
    """A commit event as Jetstream sends it for a post's create (or update)."""
    created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time_us / 1e6)) + f".{(time_us // 1000) % 1000:03d}Z"
    return {
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {
            "rev": tid(time_us, 1),
            "operation": operation,
            "collection": POST,
            "rkey": rkey,
            "record": {"$type": POST, "createdAt": created, "langs": langs or ["en"], "text": text},
            "cid": "bafyrei" + rkey,
        },
    }


def delete_event(did: str, rkey: str, time_us: int, collection: str = POST) -> dict:
    return {
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {"rev": tid(time_us, 2), "operation": "delete", "collection": collection, "rkey": rkey},
    }


def like_event(did: str, time_us: int) -> dict:
    """A commit of another collection: filtered out by ``wantedCollections=app.bsky.feed.post``."""
    return {
        "did": did,
        "time_us": time_us,
        "kind": "commit",
        "commit": {
            "rev": tid(time_us, 3),
            "operation": "create",
            "collection": "app.bsky.feed.like",
            "rkey": tid(time_us, 4),
            "record": {"$type": "app.bsky.feed.like", "createdAt": "2026-01-01T00:00:00.000Z", "subject": {}},
            "cid": "bafyreilike",
        },
    }


def identity_event(did: str, time_us: int) -> dict:
    return {
        "did": did,
        "time_us": time_us,
        "kind": "identity",
        "identity": {"did": did, "handle": "someone.bsky.social", "seq": 1, "time": "2026-01-01T00:00:00.000Z"},
    }


def account_event(did: str, time_us: int, active: bool = True) -> dict:
    return {
        "did": did,
        "time_us": time_us,
        "kind": "account",
        "account": {"active": active, "did": did, "seq": 2, "time": "2026-01-01T00:00:00.000Z"},
    }


def background(count: int, start_us: int, step_us: int, seed: int = 1) -> list[dict]:
    """``count`` events that match nothing tracked: posts, likes, identity and account events, some deletes."""
    rng = random.Random(seed)
    words = ["morning", "coffee", "weather", "music", "garden", "photo", "walk", "train", "book", "movie"]
    events = []
    for index in range(count):
        at = start_us + index * step_us
        did = f"did:plc:bg{rng.randrange(10_000):05d}"
        roll = rng.random()
        if roll < 0.6:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
            events.append(post_event(did, tid(at, index), text, at, langs=[rng.choice(["en", "ja", "pt"])]))
        elif roll < 0.8:
            events.append(like_event(did, at))
        elif roll < 0.9:
            events.append(delete_event(did, tid(at - 5_000_000, index), at))
        elif roll < 0.95:
            events.append(identity_event(did, at))
        else:
            events.append(account_event(did, at, active=rng.random() < 0.9))
    return events


class FakeJetstream:
    def __init__(self, ignore_cursor: bool = False, buffer_from_us: int | None = None) -> None:
        self.events: list[dict] = []
        self.ignore_cursor = ignore_cursor
        self.buffer_from_us = buffer_from_us
        self.drop_after: list[int] = []  # per connection, in order: cut after this many events sent
        self.connections: list[dict] = []
        self.bytes_sent = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ------------------------------------------------------------------ control
    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/subscribe?wantedCollections={POST}"

    def add(self, *events: dict) -> None:
        """Append events (kept sorted by ``time_us``); connected subscribers tailing live receive them."""
        with self._lock:
            self.events.extend(events)
            self.events.sort(key=lambda e: e["time_us"])

    def __enter__(self) -> FakeJetstream:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake Jetstream did not start")
        return self

    def __exit__(self, *_exc) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(5)

    # ------------------------------------------------------------------ server
    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve(self._serve, "127.0.0.1", 0) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    def _start_index(self, cursor: int | None) -> int:
        with self._lock:
            if cursor is None or self.ignore_cursor:
                return len(self.events)  # live tail only
            floor = max(cursor, self.buffer_from_us or 0)
            return next((i for i, e in enumerate(self.events) if e["time_us"] >= floor), len(self.events))

    async def _serve(self, connection) -> None:
        with contextlib.suppress(ConnectionClosed):  # the client went away, as at the end of every run
            await self._stream(connection)

    async def _stream(self, connection) -> None:
        parts = urlsplit(connection.request.path)
        query = parse_qs(parts.query)
        if parts.path != "/subscribe":
            await connection.close(1008, "unknown path")
            return
        wanted = set(query.get("wantedCollections", []))
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        compressor = None
        if query.get("compress", ["false"])[0] == "true":
            compressor = zstandard.ZstdCompressor(dict_data=zstandard.ZstdCompressionDict(DICTIONARY.read_bytes()))
        with self._lock:
            number = len(self.connections)
            record = {"query": {k: v[0] for k, v in query.items()}, "cursor": cursor, "sent": 0}
            self.connections.append(record)
            drop = self.drop_after[number] if number < len(self.drop_after) else None
        index = self._start_index(cursor)
        while True:
            with self._lock:
                pending = self.events[index:]
            if not pending:
                await asyncio.sleep(0.01)  # tail live
                continue
            for event in pending:
                index += 1
                if self.buffer_from_us and event["time_us"] < self.buffer_from_us:
                    continue
                commit = event.get("commit")
                if isinstance(commit, dict) and wanted and commit.get("collection") not in wanted:
                    continue
                if drop is not None and record["sent"] >= drop:
                    connection.transport.abort()  # a dropped connection: no close frame
                    return
                if "__bytes__" in event:
                    raw = event["__bytes__"]
                else:
                    raw = event["__raw__"] if "__raw__" in event else json.dumps(event, separators=(",", ":"))
                if compressor is not None and "__bytes__" not in event:
                    raw = compressor.compress(raw.encode())
                self.bytes_sent += len(raw)
                await connection.send(raw)
                record["sent"] += 1

"""History from the first minute: a keyword tracked now gets its per-minute counts for the archived hours.

After a stream run, each tracked keyword whose minutes were never filled from the archive (at most
``BACKFILLS_PER_RUN`` a run) is searched in the archive (archive/search.py: the shared matcher over every archived
post of the retention, up to the stored cursor), and its matches go into the minute buckets through the stream's own
counting (``stream_buckets.count``): the same post hashes, so a post both the archive and the live stream saw is
counted once, and later deletes find it. The span filled is recorded; the live view treats minutes from its start as
covered (a minute without posts there is a real zero) and the backtest reads them like any stored minute.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from social_analytics import composition
from social_analytics.archive import search
from social_analytics.models import isoformat_z
from social_analytics.observability import logger
from social_analytics.query import query_for_key
from social_analytics.records import TrackedKeyword
from social_analytics.settings import StreamSettings, get_archive_settings
from social_analytics.tracking import stream_buckets

BACKFILLS_PER_RUN = 2


def _created_at(created_us: int | None) -> str | None:
    if created_us is None:
        return None
    try:
        return isoformat_z(datetime.fromtimestamp(created_us / 1e6, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def backfill(tracked: list[TrackedKeyword], cursor_us: int, settings: StreamSettings, now: float | None = None) -> dict:
    """Fill the archived minutes of the keywords never filled; returns ``{key: posts found}``."""
    now = time.time() if now is None else now
    store = composition.tracking.stream
    span = min(get_archive_settings().retention_seconds, settings.bucket_ttl_seconds)
    from_us = int((now - span) * 1e6)
    done: dict[str, int] = {}
    for item in tracked:
        if len(done) >= BACKFILLS_PER_RUN:
            break
        if store.get_backfill(item.key) is not None:
            continue
        answer = search.search(query_for_key(item.key, item.keyword), from_us, cursor_us, now)
        pending = [
            stream_buckets.Matched(
                {item.key}, p.did, p.rkey, p.time_us, p.text, list(p.langs), _created_at(p.created_us)
            )
            for p in answer.posts
        ]
        stream_buckets.count(pending, settings)
        covered_from = answer.covered_from_us
        store.put_backfill(item.key, covered_from or cursor_us, cursor_us, settings.bucket_ttl_seconds)
        done[item.key] = len(answer.posts)
        logger.info("keyword backfilled from the archive", extra={"keyword": item.keyword, "posts": len(pending)})
    return done

"""Matched posts into the per-minute buckets: scored once, counted exactly once, marked for later deletes.

Shared by the stream's flush (the posts it just read) and the archive's backfill (the posts of the archived hours
of a keyword tracked later): the same post hash, so a post both paths see is counted once.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from social_analytics import composition
from social_analytics.records import BucketDelta, CountedPost
from social_analytics.scoring import calibration
from social_analytics.scoring.terms import keyword_exclusions, tokenize
from social_analytics.settings import StreamSettings

TERMS_PER_POST = 40
MAX_TERM_CHARS = 64  # keeps a bucket's top terms small whatever a post holds (the item stays under 400 KB)
SAMPLE_TEXT_CHARS = 300


def post_hash(did: str, rkey: str) -> str:
    """A short, stable id of a post (did + rkey): 12 characters, kept in the buckets' id sets."""
    digest = hashlib.blake2b(f"{did}/{rkey}".encode(), digest_size=9).digest()
    return base64.urlsafe_b64encode(digest).decode()


def minute_of(time_us: int) -> int:
    return int(time_us // 60_000_000) * 60


@dataclass
class Matched:
    keys: set[str]
    did: str
    rkey: str
    time_us: int
    text: str
    langs: list[str]
    created_at: str | None


def count(pending: list[Matched], settings: StreamSettings) -> tuple[int, set[str]]:
    """Add the matched posts to their (keyword, minute) buckets exactly once and mark them counted (for deletes);
    returns (posts newly counted, the keys touched)."""
    deltas: dict[tuple[str, int], BucketDelta] = {}
    markers: dict[str, dict[str, int]] = {}
    touched: set[str] = set()
    if pending:
        scores = calibration.score_texts(m.text for m in pending)  # the same scorer as jobs
        for match in pending:
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
                terms = [*tokens.words, *(f"#{tag}" for tag in tokens.hashtags)]
                terms = [t for t in terms if len(t) <= MAX_TERM_CHARS][:TERMS_PER_POST]
                delta = deltas.setdefault((key, minute), BucketDelta())
                delta.posts[short] = CountedPost(score["label"], score["compound"], terms, sample)
                markers.setdefault(short, {})[key] = minute
                touched.add(key)
    counted = composition.tracking.stream.merge_buckets(deltas, settings.bucket_ttl_seconds)
    composition.tracking.stream.mark_counted(markers, settings.seen_ttl_seconds)
    return counted, touched

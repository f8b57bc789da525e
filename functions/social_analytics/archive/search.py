"""A query answered from the archive: which hours it holds, a SQL pre-filter, then the shared matcher.

The plan, for a window [from, to):

1. coverage: the archive's spans (``meta/coverage.json``) minus the stream's recorded gaps, within the retention,
   cut at the hours (``coverage.pieces``). Only covered pieces are read; the others are returned as uncovered with
   their reason, never counted as zero;
2. files: each covered hour's compacted file and part files, and every delete file from the window's first hour on
   (a post is deleted after it was received, so older deletes cannot concern it);
3. DuckDB, in one pass: received in the window, not deleted, each post once, and (when the query has a word cover,
   ``Query.prefilter_words``) a lowercase text holding one of the words, or a text NFKC/casefold would change;
4. ``Query.matches`` on every row left, with the post as the fan-out's check sees it (its text, its DID as the
   author, its first language): the same semantics as every other source, so the count is exact.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field

from social_analytics import composition
from social_analytics.archive import coverage, parquet
from social_analytics.archive.layout import COVERAGE_KEY, DELETES, POSTS, hour_of, parse_key
from social_analytics.query import PostView, Query
from social_analytics.settings import get_archive_settings


class ArchiveOff(Exception):
    """The archive is not configured (``ARCHIVE_DAYS`` is 0 or nowhere to keep it)."""


@dataclass(frozen=True)
class ArchivedPost:
    did: str
    rkey: str
    time_us: int
    created_us: int | None
    text: str
    langs: tuple[str, ...]
    tags: tuple[str, ...]

    @property
    def uri(self) -> str:
        return f"at://{self.did}/app.bsky.feed.post/{self.rkey}"

    @property
    def url(self) -> str:
        return f"https://bsky.app/profile/{self.did}/post/{self.rkey}"


@dataclass
class ArchiveAnswer:
    posts: list[ArchivedPost]  # every match, newest first
    pieces: list[coverage.Piece]
    candidates: int = 0  # rows the SQL pre-filter let through
    files: int = 0
    prefilter: list[str] | None = None
    seconds: float = 0.0
    uncovered: list[coverage.Piece] = field(default_factory=list)

    @property
    def covered_from_us(self) -> int | None:
        return next((p.from_us for p in self.pieces if p.covered), None)


def view(did: str, text: str, langs: tuple[str, ...]) -> PostView:
    """The post as the fan-out's check sees a Post built from it (checking.post_view): first language's base tag."""
    first = (langs[0].split("-", 1)[0].casefold(),) if langs else ()
    return PostView(text=text, author=did, langs=first)


def plan(store, from_us: int, to_us: int, now: float) -> tuple[list[coverage.Piece], list[str], list[str]]:
    """The window's pieces, and the post and delete files to read for its covered ones."""
    config = get_archive_settings()
    floor = hour_of(int((now - config.retention_seconds) * 1e6))
    spans = coverage.parse(store.get(COVERAGE_KEY))
    gaps = composition.tracking.stream.list_gaps(from_us, to_us)
    pieces = coverage.pieces(spans, gaps, floor, from_us, to_us)
    hours = {hour_of(p.from_us) for p in pieces if p.covered}
    post_keys, delete_keys = [], []
    first_hour = hour_of(from_us)
    for kind, keys in ((POSTS, post_keys), (DELETES, delete_keys)):
        for key in store.list(kind + "/"):
            parsed = parse_key(key)
            if parsed is None or parsed[1] < floor:
                continue
            if (kind == POSTS and parsed[1] in hours) or (kind == DELETES and parsed[1] >= first_hour):
                keys.append(key)
    return pieces, post_keys, delete_keys


def search(query: Query, from_us: int, to_us: int, now: float | None = None) -> ArchiveAnswer:
    """Every archived post received in [from, to) that matches ``query`` (see the module docstring)."""
    started = time.monotonic()
    now = time.time() if now is None else now
    store = composition.archive_store()
    if store is None:
        raise ArchiveOff()
    pieces, post_keys, delete_keys = plan(store, from_us, to_us, now)
    covered = [p for p in pieces if p.covered]
    words = query.prefilter_words()
    answer = ArchiveAnswer(posts=[], pieces=pieces, files=len(post_keys) + len(delete_keys))
    answer.uncovered = [p for p in pieces if not p.covered]
    answer.prefilter = sorted(words) if words else None
    if not covered or not post_keys:
        answer.seconds = time.monotonic() - started
        return answer
    low, high = min(p.from_us for p in covered), max(p.to_us for p in covered)
    with tempfile.TemporaryDirectory(prefix="archive-query-") as workdir:
        posts_dir, deletes_dir = f"{workdir}/posts", f"{workdir}/deletes"
        for folder in (posts_dir, deletes_dir):
            os.mkdir(folder)
        files = store.local_copies(post_keys, posts_dir)
        deletes = store.local_copies(delete_keys, deletes_dir)
        rows = parquet.candidates(files, deletes, low, high, words)
    answer.candidates = len(rows)
    in_covered = [(p.from_us, p.to_us) for p in covered]
    for did, rkey, time_us, created_us, text, langs, tags in rows:
        if not any(a <= time_us < b for a, b in in_covered):
            continue
        langs = tuple(langs or ())
        if query.matches(view(did, text, langs)):
            answer.posts.append(ArchivedPost(did, rkey, time_us, created_us, text, langs, tuple(tags or ())))
    answer.seconds = time.monotonic() - started
    return answer

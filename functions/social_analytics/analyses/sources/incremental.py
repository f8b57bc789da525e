"""Incremental scans: fetch only what is new since the stored cursor and merge it into the stored window.

Pure (no AWS). ``merge_window`` keeps the window correct: posts older than the window's start are dropped, ids are
deduplicated (the newly fetched copy wins: its like/repost counts are fresher), and the newest ``limit`` are kept.
Newest-first capping is what makes the merge equal to a full fetch: both keep the newest ``limit`` posts of the window.
"""

from __future__ import annotations

from collections.abc import Iterable

from social_analytics.analyses.sources.base import Cursor, FetchResult, SocialMediaAdapter, translate_of
from social_analytics.models import Post, TimeWindow


def merge_window(new: Iterable[Post], stored: Iterable[Post], window: TimeWindow, limit: int) -> list[Post]:
    merged: dict[str, Post] = {}
    for post in stored:
        merged[post.id] = post
    for post in new:
        merged[post.id] = post
    kept = [p for p in merged.values() if p.created_at >= window.start]
    kept.sort(key=lambda p: p.created_at, reverse=True)
    return kept[:limit]


class IncrementalSource:
    """Wraps the provider that produced the stored window: asks it only for posts after ``cursor`` and answers with
    the merged window, so the chain sees one provider's complete answer (and stops there even when nothing is new).
    Provider errors propagate: the chain then falls back to the next provider, which fetches in full."""

    simulated = False

    def __init__(self, inner: SocialMediaAdapter, stored: list[Post]) -> None:
        self.inner = inner
        self.name = inner.name
        self.stored = stored

    def __repr__(self) -> str:
        return f"IncrementalSource({self.inner!r}, stored={len(self.stored)})"

    def translate(self, query):
        return translate_of(self.inner, query)

    async def fetch(
        self, query, window: TimeWindow, limit: int, *, cursor: Cursor | None = None, budget=None
    ) -> FetchResult:
        fresh = await self.inner.fetch(query, window, limit, cursor=cursor, budget=budget)
        merged = merge_window(fresh.posts, self.stored, window, limit)
        kept = len({p.id for p in merged} - {p.id for p in fresh.posts})
        return FetchResult(
            posts=merged,
            cursor=fresh.cursor,
            billable_items=fresh.billable_items,
            requests=fresh.requests,
            notes=[*fresh.notes, f"incremental: {len(fresh.posts)} new, {kept} kept from the previous scan"],
            # Whether the merged window is complete follows from its size, unless the new fetch itself was cut
            # short (then the merged window is that fetch). A provider's reported total counted only the new posts.
            complete=False if fresh.complete is False else None,
            account=fresh.account,
            sent_query=fresh.sent_query,
        )

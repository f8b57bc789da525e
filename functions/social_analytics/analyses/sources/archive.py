"""``bluesky_archive``: every Bluesky post the stream archived (archive/), for any query, keyless.

The archive answers the whole query itself (archive/search.py: a SQL pre-filter on the query's required words,
then the shared matcher), so every post it returns matches and its count is exact: ``exact_total`` over the hours it
holds, ``basis: complete``. Hours it does not hold (before the archive started, past the retention, in a stream gap,
the minutes still being read) are listed in ``uncovered`` and never counted as zero. The posts returned are the
newest ``limit``; ``created_at`` is when Jetstream received the post (an author's ``createdAt`` can be anything), and
``author`` is the DID (Jetstream's commits carry no handle, so ``from:handle`` matches nothing here).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from social_analytics.analyses.sources.base import FetchResult, SourceCannotRun, SourceQuery
from social_analytics.analyses.sources.translate import as_query
from social_analytics.archive import search
from social_analytics.models import Post, TimeWindow, isoformat_z
from social_analytics.query import Query

NAME = "bluesky_archive"


def _iso(time_us: int) -> str:
    return isoformat_z(datetime.fromtimestamp(time_us / 1e6, UTC))


def to_post(found: search.ArchivedPost) -> Post:
    return Post(
        id=f"{NAME}:{found.uri}",
        text=found.text,
        created_at=datetime.fromtimestamp(found.time_us / 1e6, UTC),
        provider=NAME,
        author=found.did,
        url=found.url,
        language=found.langs[0] if found.langs else None,
        hashtags=list(found.tags),
    )


class BlueskyArchiveAdapter:
    name = NAME
    simulated = False

    def translate(self, query: Query | str) -> SourceQuery:
        query = as_query(query)
        words = query.prefilter_words()
        note = "the whole query, in the archive (SQL pre-filter on its words, then the shared matcher)"
        sent = f"archive: {query.key}" + (f" [prefilter: {', '.join(sorted(words))}]" if words else " [full scan]")
        return SourceQuery((sent,), note)

    async def fetch(
        self, query: Query | str, window: TimeWindow, limit: int, *, cursor=None, budget=None
    ) -> FetchResult:
        query = as_query(query)
        sent = self.translate(query)
        from_us, to_us = int(window.start.timestamp() * 1e6), int(window.end.timestamp() * 1e6)
        try:  # DuckDB and the file copies block: off the event loop, so the other sources run meanwhile
            answer = await asyncio.to_thread(search.search, query, from_us, to_us)
        except search.ArchiveOff:
            raise SourceCannotRun("bluesky_archive: the archive is off (ARCHIVE_DAYS)") from None
        total = len(answer.posts)
        uncovered = [{"from": _iso(p.from_us), "to": _iso(p.to_us), "reason": p.reason} for p in answer.uncovered]
        notes = [f"{total} matching posts among {answer.candidates} pre-filtered, {answer.files} files"]
        if uncovered:
            notes.append(f"{len(uncovered)} piece(s) of the window not archived ({uncovered[0]['reason']}, ...)")
        covered_from = answer.covered_from_us
        return FetchResult(
            posts=[to_post(p) for p in answer.posts[:limit]],
            requests=1,
            notes=notes,
            complete=total <= limit,
            sent_query=sent.sent,
            exact_total=total,
            uncovered=uncovered,
            covered_from=datetime.fromtimestamp(covered_from / 1e6, UTC) if covered_from is not None else None,
        )

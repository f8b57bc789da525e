"""Matching every streamed post against every tracked query at once: the query package's index, cached.

One matcher for jobs and the stream (social_analytics.query): a tracked key is read back with
``query.query_for_key``, so keys stored before the query language keep their meaning. Per post the work is one
normalisation, one tokenisation and one dictionary lookup per word, plus the full check of the few queries whose
required word the post holds: 1,000 tracked queries cost about what ten do.
"""

from __future__ import annotations

from collections.abc import Iterable

from social_analytics.query import Query, QueryIndex, query_for_key


class KeywordMatcher(QueryIndex):
    """The index of a tracked set, built from stored keys (or queries already parsed)."""

    def __init__(self, keys: Iterable[str | Query]) -> None:
        super().__init__(key if isinstance(key, Query) else query_for_key(key) for key in keys)


_cached: KeywordMatcher | None = None


def matcher_for(keys: Iterable[str | Query]) -> KeywordMatcher:
    """The matcher of this tracked set, rebuilt only when the set changed since the last call."""
    global _cached
    wanted = list(keys)
    names = frozenset(key if isinstance(key, str) else key.key for key in wanted)
    if _cached is None or _cached.keys != names:
        _cached = KeywordMatcher(wanted)
    return _cached

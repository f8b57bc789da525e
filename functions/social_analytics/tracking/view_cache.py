"""A few seconds of memory in front of the stream views: the same live or backtest answer asked again (a dashboard
polling, a caller hammering an anonymous route) is served from the container instead of DynamoDB.

One instance per container (``social_analytics.composition.view_cache``); bounded in entries and in age.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

VIEW_CACHE_SECONDS = 10.0


class ViewCache:
    def __init__(self, seconds: float = VIEW_CACHE_SECONDS, max_entries: int = 256) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any], now: float) -> Any:
        """The answer cached for ``key`` if computed less than ``seconds`` before ``now``, else a fresh one."""
        entry = self._entries.get(key)
        if entry is not None and 0 <= now - entry[0] < self.seconds:
            return entry[1]
        answer = compute()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                oldest = min(self._entries, key=lambda k: self._entries[k][0])
                self._entries.pop(oldest, None)
            self._entries[key] = (now, answer)
        return answer

    def forget(self, keyword_key: str) -> None:
        """Drop every answer about one keyword (cache keys are ``(view, keyword key, parameter)``)."""
        with self._lock:
            for cached in [k for k in self._entries if isinstance(k, tuple) and k[1:2] == (keyword_key,)]:
                del self._entries[cached]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

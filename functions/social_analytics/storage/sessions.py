"""Provider sessions shared by every worker container: one item per provider (``pk = <name>``) in the sessions
table, a table of their own that only the worker's role can read or write (the results table is readable by every
function, the tokens must not be).

``DynamoSessionStore`` implements ``analyses.sources.bluesky.SessionStore`` so all containers reuse one Bluesky login
(and its refreshes) instead of each logging in. It stores the session's ``to_dict()`` and gives back ``decode(dict)``
(the session class is the provider's; storage does not import provider code). The item holds the tokens (the table
is encrypted at rest); they are never logged, and the store's ``repr`` shows only the item key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from social_analytics.settings import get_settings
from social_analytics.storage.clients import table

SESSION_TTL_SECONDS = 60 * 86400  # Bluesky refresh JWTs live about 60-90 days; an older item is useless


class DynamoSessionStore:
    def __init__(self, provider: str, decode: Callable[[dict], Any]) -> None:
        self.provider = provider
        self._decode = decode

    def __repr__(self) -> str:
        return f"DynamoSessionStore(pk={self.provider!r})"

    def _key(self) -> dict:
        return {"pk": self.provider}

    def _load(self):
        row = table(get_settings().sessions_table_name).get_item(Key=self._key(), ConsistentRead=True).get("Item")
        if not row or int(row.get("expires_at", 0)) <= time.time() or "session" not in row:
            return None
        try:
            return self._decode(dict(row["session"]))
        except Exception:  # an unreadable item: behave as if there were none (the manager logs in)
            return None

    def _save(self, session) -> None:
        store = table(get_settings().sessions_table_name)
        if session is None:
            store.delete_item(Key=self._key())
            return
        store.put_item(
            Item={
                **self._key(),
                "session": session.to_dict(),
                "updated_at": int(time.time()),
                "expires_at": int(time.time() + SESSION_TTL_SECONDS),
            }
        )

    async def load(self):
        return await asyncio.to_thread(self._load)

    async def save(self, session) -> None:
        await asyncio.to_thread(self._save, session)

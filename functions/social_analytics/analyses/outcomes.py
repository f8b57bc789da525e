"""What fetching a job's posts produces: the posts, or a permanent failure (shared by run and gather)."""

from __future__ import annotations

from dataclasses import dataclass, field

from social_analytics.models import Post, TimeWindow


class JobFailed(Exception):
    """A permanent failure: the job is marked failed with this reason and not retried."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class FetchedPosts:
    posts: list[Post]
    source: dict
    window: TimeWindow
    extra: dict = field(default_factory=dict)  # e.g. an import's row report

"""Domain models shared by the API, the worker and the adapters."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import ConfigDict, TypeAdapter, field_validator
from pydantic.dataclasses import dataclass as pydantic_dataclass


def normalize_keyword(keyword: str) -> str:
    """The cache key for a keyword: NFKC, casefolded, inner whitespace collapsed, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", keyword).casefold().split())


@dataclass(frozen=True)
class TimeWindow:
    """A half-open time range [start, end) in UTC."""

    start: datetime
    end: datetime

    @classmethod
    def last_hours(cls, hours: int, now: datetime | None = None) -> TimeWindow:
        end = (now or datetime.now(UTC)).astimezone(UTC)
        return cls(start=end - timedelta(hours=hours), end=end)

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass
class Post:
    """One social media post, normalized across providers.

    ``id`` is namespaced ``provider:native_id`` so posts from several providers never collide.
    ``created_at`` is timezone-aware UTC. ``kind`` is ``"post"`` for social posts and ``"headline"`` for a news
    article's title (the news sources: its ``author`` is the publisher or domain, ``country`` where it was published).
    """

    id: str
    text: str
    created_at: datetime
    provider: str
    author: str = ""
    url: str | None = None
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    language: str | None = None
    hashtags: list[str] = field(default_factory=list)
    kind: str = "post"
    country: str | None = None


@pydantic_dataclass(frozen=True, config=ConfigDict(coerce_numbers_to_str=True))
class AnalysisJob:
    """The job message: what travels on the jobs queue, everything the worker needs to produce one result.

    A pydantic dataclass: :meth:`from_message` validates a queue body against these fields (a malformed one raises
    ``ValueError``, which the worker turns into a poison message) and :meth:`to_message` is its JSON form.
    """

    job_id: str
    keyword: str
    key: str
    limit: int
    window_hours: int
    submitted_at: float
    kind: str = "analysis"  # "analysis" | "scan" (scheduled refresh) | "import" | "deletion"
    paid_allowed: bool = False  # may use paid providers (API key, admin, scheduled scan; see analyses.sources.spend)
    providers: tuple[str, ...] | None = None
    import_object: str | None = None  # S3 key of an uploaded import, for kind == "import"
    languages: tuple[str, ...] | None = None  # keep only posts in these languages (codes such as "en")

    @field_validator("paid_allowed", mode="before")
    @classmethod
    def _only_true_allows(cls, value: object) -> bool:
        return value is True  # "true", 1 or anything else never opens the paid providers

    @field_validator("languages", mode="before")
    @classmethod
    def _no_empty_languages(cls, value: object) -> object:
        return value or None

    def to_message(self) -> dict:
        """The queue body: ``providers``, ``import_object`` and ``languages`` only when set."""
        return _JOB_MESSAGE.dump_python(self, mode="json", exclude_none=True)

    @classmethod
    def from_message(cls, body: dict) -> AnalysisJob:
        return _JOB_MESSAGE.validate_python(body)


_JOB_MESSAGE: TypeAdapter[AnalysisJob] = TypeAdapter(AnalysisJob)


def isoformat_z(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, seconds precision: the format of every timestamp we return."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""Domain models shared by the API, the worker and the adapters."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


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
    ``created_at`` is timezone-aware UTC.
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


@dataclass(frozen=True)
class AnalysisJob:
    """What travels on the jobs queue: everything the worker needs to produce one result."""

    job_id: str
    keyword: str
    key: str
    limit: int
    window_hours: int
    submitted_at: float
    kind: str = "analysis"  # "analysis" | "scan" (scheduled refresh) | "import"
    providers: tuple[str, ...] | None = None
    import_object: str | None = None  # S3 key of an uploaded import, for kind == "import"
    languages: tuple[str, ...] | None = None  # keep only posts in these languages (codes such as "en")
    paid_allowed: bool = False  # may use paid providers (API key, admin, scheduled scan; see service.spend)

    def to_message(self) -> dict:
        body = {
            "job_id": self.job_id,
            "keyword": self.keyword,
            "key": self.key,
            "limit": self.limit,
            "window_hours": self.window_hours,
            "submitted_at": self.submitted_at,
            "kind": self.kind,
            "paid_allowed": self.paid_allowed,
        }
        if self.providers is not None:
            body["providers"] = list(self.providers)
        if self.import_object is not None:
            body["import_object"] = self.import_object
        if self.languages:
            body["languages"] = list(self.languages)
        return body

    @classmethod
    def from_message(cls, body: dict) -> AnalysisJob:
        providers = body.get("providers")
        return cls(
            job_id=str(body["job_id"]),
            keyword=str(body["keyword"]),
            key=str(body["key"]),
            limit=int(body["limit"]),
            window_hours=int(body["window_hours"]),
            submitted_at=float(body["submitted_at"]),
            kind=str(body.get("kind", "analysis")),
            providers=tuple(providers) if providers is not None else None,
            import_object=body.get("import_object"),
            languages=tuple(body["languages"]) if body.get("languages") else None,
            paid_allowed=body.get("paid_allowed") is True,
        )


def isoformat_z(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, seconds precision: the format of every timestamp we return."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

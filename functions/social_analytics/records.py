"""The stored records: a job and a keyword's latest result; a tracked keyword, a history point, an alert (pydantic
models, no AWS); and the stored window of live posts with its sources' cursors (what an incremental scan
continues from).

Top-level (not in analyses/ or tracking/) because the storage modules build them and storage imports no feature
package. A job record and a stored result come from storage/jobs.py (or the tests' in-memory job store); a result's
content stays a dict (schemas.py validates it at the API boundary).

The storage modules (storage/tracked.py, history.py, alerts.py) turn DynamoDB items into these and back; the
tracking code reads their attributes. History points and alerts extend the API's schemas (schemas.HistoryPoint,
schemas.Alert) with what is stored besides, and keep unknown fields (``extra="allow"``). Their JSON form is
``model_dump(exclude_unset=True)``: a field is in it exactly when it was given, as in the dicts these replace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, field_validator

from social_analytics import schemas
from social_analytics.models import Post, isoformat_z

JobStatus = Literal["queued", "running", "done", "failed"]


class JobError(BaseModel):
    """Why a job failed: a stable code and a public message."""

    code: str
    message: str = ""


class JobRecord(BaseModel):
    """A job as the job store reads it (the ``JOB#<id>`` item): its message's fields, status and outcome."""

    job_id: str
    keyword: str
    key: str
    kind: str = "analysis"
    status: JobStatus
    limit: int = 0
    window_hours: int = 0
    submitted_at: float
    updated_at: float
    error: JobError | None = None  # set once failed
    result: dict[str, Any] | None = None  # set once done
    attempts: int | None = None  # claims so far (absent until the first)

    def public(self) -> dict:
        """The body of ``GET /api/jobs/{id}``: result and error only when present."""
        body: dict[str, Any] = {
            "job_id": self.job_id,
            "keyword": self.keyword,
            "status": self.status,
            "submitted_at": self.submitted_at,
            "updated_at": self.updated_at,
        }
        if self.result is not None:
            body["result"] = self.result
        if self.error is not None:
            body["error"] = self.error.model_dump()
        return body


class StoredResult(BaseModel):
    """A keyword's latest result (the ``KW#<key>`` / ``RESULT`` item) and what it was built for."""

    result: dict[str, Any]
    analyzed_epoch: float
    limit: int = 0
    window_hours: int = 0
    job_id: str | None = None


class ChannelSubscription(BaseModel):
    """What one channel gets from a tracked keyword: its alerts, a digest (daily or weekly at a local hour), or both."""

    id: str
    alerts: bool = True
    digest: Literal["daily", "weekly"] | None = None
    digest_hour: int = 8
    timezone: str = "UTC"


class Channel(BaseModel):
    """A delivery destination (``CHANNELS`` / ``CH#<id>``). Its URL or address and its signing secret are not here:
    they are an SSM SecureString (storage/channels.py); ``target`` is the masked form the API shows."""

    id: str
    type: Literal["webhook", "slack", "email"]
    name: str
    target: str
    created_at: float

    def public(self) -> dict:
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "target": self.target,
            "created_at": _iso(self.created_at),
        }


class ChannelSecret(BaseModel):
    """The part of a channel that is a secret: where it sends, and (webhooks) the key it signs with."""

    url: str | None = None
    address: str | None = None
    secret: str | None = None


class Delivery(BaseModel):
    """One delivery message's row in its channel's log (``CHANNEL#<id>`` / ``LOG#<created>#<idempotency key>``).

    The same item is the idempotency record: a message is sent only by the attempt that moved it to ``sending``.
    ``error`` is a fixed phrase of ours (``HTTP 500``, ``timed out``), never the receiver's own text.
    """

    channel_id: str
    idempotency_key: str
    created_at: float
    kind: str
    what: str = ""
    status: Literal["queued", "sending", "retrying", "delivered", "failed", "folded"] = "queued"
    attempts: int = 0
    code: int | None = None
    latency_ms: int | None = None
    error: str | None = None
    updated_at: float | None = None
    lease_until: float | None = None

    def public(self) -> dict:
        return {
            "at": _iso(self.created_at),
            "kind": self.kind,
            "what": self.what,
            "status": self.status,
            "attempts": self.attempts,
            "code": self.code,
            "latency_ms": self.latency_ms,
            "error": self.error,
            "updated_at": _iso(self.updated_at) if self.updated_at else None,
        }


def _iso(epoch: float) -> str:
    return isoformat_z(datetime.fromtimestamp(epoch, UTC))


class TrackedKeyword(BaseModel):
    """A tracked keyword: its scan settings, its schedule and its alert cooldowns (epoch seconds)."""

    keyword: str
    key: str
    interval_minutes: int
    sensitivity: str = "medium"
    min_volume: int = 10
    limit: int = 100
    window_hours: int = 24
    providers: list[str] | None = None
    languages: list[str] | None = None
    created_at: float = 0.0
    last_enqueued_at: float | None = None  # when the last scan was queued
    last_job_id: str | None = None
    last_alerts: dict[str, float] = {}  # alert type -> when it last fired (the start of its cooldown)
    channels: list[ChannelSubscription] = []  # where its alerts and digests go

    @field_validator("channels", mode="before")
    @classmethod
    def _no_channels(cls, value: Any) -> Any:
        return value or []

    @field_validator("providers", "languages", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return list(value) if value else None

    @field_validator("last_alerts", mode="before")
    @classmethod
    def _no_alerts_yet(cls, value: Any) -> Any:
        return value or {}


class HistoryPoint(schemas.HistoryPoint):
    """One completed scheduled scan: the API's history point plus when (epoch) and which job."""

    epoch: float
    job_id: str = ""
    rate_per_hour: float | None = None  # posts per hour, what a volume spike is about
    estimated_posts_in_window: int | None = None
    basis: str | None = None  # how the estimate was made
    stream: dict[str, Any] | None = None  # the stream's complete count over the same interval

    def public(self) -> dict:
        """What ``GET /api/analyses/{keyword}/history`` shows of it."""
        return self.model_dump(exclude_unset=True, exclude={"epoch", "job_id"})

    def detection_point(self) -> dict:
        """The mapping tracking.detection reads (it tests stream minutes the same way)."""
        return self.model_dump(exclude_unset=True)


class Alert(schemas.Alert):
    """A raised alert (source ``scan`` or ``stream``): the API's alert plus its epoch and its explanation."""

    epoch: float
    source: str
    volume: int
    baseline_sd: float
    k: float
    score: float
    sensitivity: str
    explanation: dict[str, Any]
    event_id: str | None = None  # the EventBridge event it was published as (not stored)

    def public(self) -> dict:
        """What ``GET /api/alerts`` shows of it."""
        return self.model_dump(exclude_unset=True, exclude={"epoch"})


@dataclass
class StoredWindow:
    """A keyword's last live fetch, kept for incremental scans (storage/posts.py)."""

    provider: str  # the comma-separated names of the sources whose posts it holds
    posts: list[Post]  # newest first
    fetched_at: float  # epoch seconds
    window_hours: int
    limit: int
    expires_at: int
    generation: str = ""
    query: str = ""  # what the provider was asked: a window (and its cursor) continues only that query


@dataclass(frozen=True)
class StoredCursor:
    """One source's incremental cursor for a keyword (storage/cursors.py): the provider's opaque dict."""

    provider: str
    cursor: dict[str, str]
    taken_at: float
    expires_at: int


@dataclass
class CountedPost:
    """One post the stream counted for a (keyword, minute): its label, score, terms and what the API shows."""

    label: str  # positive | neutral | negative
    compound: float
    terms: list[str]
    sample: dict  # what the API shows of the post


@dataclass
class BucketDelta:
    """What one run adds to one (keyword, minute): posts and deletes keyed by their short hash."""

    posts: dict[str, CountedPost] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)

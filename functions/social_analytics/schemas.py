"""Pydantic models of the HTTP API: request validation and the OpenAPI document."""

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

KEYWORD_MAX_CHARS = 99
_ALLOWED_FORMAT_CHARS = {"\u200c", "\u200d"}  # joiners inside emoji and some scripts


def validate_keyword(value: str) -> str:
    """A keyword is 1..99 characters of printable text once trimmed."""
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or (category == "Cf" and char not in _ALLOWED_FORMAT_CHARS):
            raise ValueError(f"must not contain control characters (found U+{ord(char):04X})")
    stripped = " ".join(value.split())
    if not stripped:
        raise ValueError("must not be empty")
    if len(stripped) > KEYWORD_MAX_CHARS:
        raise ValueError(f"must be at most {KEYWORD_MAX_CHARS} characters (got {len(stripped)})")
    return value


class AnalysisRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyword: Annotated[StrictStr, Field(min_length=1, max_length=1000, description="What to analyze.")]
    limit: Annotated[StrictInt, Field(ge=10, le=1000, description="How many posts to fetch.")] = 100
    refresh: Annotated[StrictBool, Field(description="Skip the cache and fetch anew.")] = False
    window_hours: Annotated[StrictInt, Field(ge=1, le=168, description="How far back to look.")] = 24

    @field_validator("keyword")
    @classmethod
    def _keyword(cls, value: str) -> str:
        return validate_keyword(value)


class ErrorField(BaseModel):
    field: str
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[ErrorField] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class Attempt(BaseModel):
    provider: str
    outcome: Literal["ok", "skipped", "failed"]
    reason: str


class Source(BaseModel):
    model_config = ConfigDict(extra="allow")
    provider: str
    simulated: bool
    attempts: list[Attempt]


class Result(BaseModel):
    """The analytics of one keyword. Fields are only ever added, never removed."""

    model_config = ConfigDict(extra="allow")
    keyword: str
    posts_analyzed: int
    sentiment: dict[str, Any]
    top_terms: list[dict[str, Any]]
    hashtags: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    posts: list[dict[str, Any]]
    source: Source
    analyzed_at: str


class CachedAnswer(BaseModel):
    status: Literal["done"]
    cached: Literal[True]
    result: Result


class AcceptedJob(BaseModel):
    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    keyword: str
    status_url: str
    cached: Literal[False]


class JobStatus(BaseModel):
    job_id: str
    keyword: str
    status: Literal["queued", "running", "done", "failed"]
    submitted_at: float
    updated_at: float
    result: Result | None = None
    error: ErrorDetail | None = None


class Percentiles(BaseModel):
    p50: float | None
    p95: float | None
    samples: int


class MetricsBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    cache_hits: int
    cache_misses: int
    tasks_enqueued: int
    batches_processed: int
    avg_batch_size: float
    latency_ms: dict[str, Percentiles]


class Health(BaseModel):
    status: Literal["ok"]


def json_response(model: type[BaseModel], description: str) -> dict:
    return {"description": description, "content": {"application/json": {"model": model}}}


ERROR_RESPONSES = {
    400: json_response(ErrorBody, "The body is not valid JSON."),
    413: json_response(ErrorBody, "The body is too large."),
    422: json_response(ErrorBody, "A field is missing or invalid; `fields` names it."),
}

"""Pydantic models of the HTTP API: request validation and the OpenAPI document."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

from social_analytics.analyses.sources.catalog import KNOWN_PROVIDERS
from social_analytics.query import parse_query


def validate_keyword(value: str) -> str:
    """A keyword is a query (``social_analytics.query``): it must parse. The :class:`QuerySyntaxError` (a
    ``ValueError``) says what is wrong and at which character; its key obeys ``keywords.key_problem``."""
    parse_query(value)
    return value


LanguageCodes = Annotated[
    list[Annotated[StrictStr, Field(pattern=r"^[a-z]{2,3}$", description="ISO 639 code, lowercase (en, de, pt).")]]
    | None,
    Field(
        min_length=1,
        max_length=20,
        description="Keep only posts in these languages (provider tag, else detected); default: every post.",
    ),
]


class AnalysisRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyword: Annotated[StrictStr, Field(min_length=1, max_length=1000, description="What to analyze.")]
    limit: Annotated[StrictInt, Field(ge=10, le=1000, description="How many posts to fetch.")] = 100
    refresh: Annotated[StrictBool, Field(description="Skip the cache and fetch anew.")] = False
    window_hours: Annotated[StrictInt, Field(ge=1, le=168, description="How far back to look.")] = 24
    languages: LanguageCodes = None
    providers: Annotated[
        list[Annotated[StrictStr, Field(min_length=1, max_length=40)]] | None,
        Field(max_length=10, description="Sources to fan out to (default: every keyless and configured source)."),
    ] = None

    @field_validator("keyword")
    @classmethod
    def _keyword(cls, value: str) -> str:
        return validate_keyword(value)

    @field_validator("providers")
    @classmethod
    def _providers(cls, value: list[str] | None) -> list[str] | None:
        return validate_providers(value)


def validate_providers(value: list[str] | None) -> list[str] | None:
    """Known source names, lowercased, without repeats; an empty list means the default."""
    if not value:
        return None
    names = list(dict.fromkeys(name.strip().lower() for name in value))
    unknown = [name for name in names if name not in KNOWN_PROVIDERS]
    if unknown:
        raise ValueError(f"unknown provider(s): {', '.join(unknown)}; known: {', '.join(KNOWN_PROVIDERS)}")
    return names


class ErrorField(BaseModel):
    field: str
    message: str
    position: int | None = Field(None, description="A query that does not parse: the 0-based character offset.")


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


Basis = Literal["complete", "rate", "reported"]


class SourceSentiment(BaseModel):
    positive: int
    neutral: int
    negative: int
    mean_compound: float


class SourceRow(BaseModel):
    """One source a job fanned out to: its outcome, posts in the result, the span they cover, its rate."""

    model_config = ConfigDict(extra="allow")
    provider: str
    outcome: Literal["ok", "skipped", "failed"]
    posts: int = Field(description="Posts of this source in the result (after removing cross-source duplicates).")
    covered_from: str | None
    covered_to: str | None
    complete: bool = Field(description="The source returned every post it has in the window (not stopped by limit).")
    posts_per_hour: float
    ms: float
    cost_estimate_usd: float
    reason: str | None = None
    sentiment: SourceSentiment | None = None


class Coverage(BaseModel):
    window_from: str
    window_to: str
    covered_from: str | None = Field(description="Oldest moment every answering source's posts are all present.")
    covered_to: str | None
    complete: bool = Field(description="Every live source answered and returned everything in the window.")


class Volume(BaseModel):
    model_config = ConfigDict(extra="allow")
    observed_posts: int
    posts_per_hour: float
    estimated_posts_in_window: int
    basis: Basis


class Source(BaseModel):
    model_config = ConfigDict(extra="allow")
    provider: str = Field(description="The source(s) whose posts are in the result, comma-separated.")
    simulated: bool
    attempts: list[Attempt]
    providers: list[SourceRow] | None = None


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
    coverage: Coverage | None = None
    volume: Volume | None = None
    query: str | None = Field(None, description="What the providers were asked: one spelling per key.")
    trimmed: dict[str, Any] | None = Field(None, description="What was left out to keep the stored result small.")


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


class ProviderSpend(BaseModel):
    spent_usd: float = Field(description="Reserved and settled spend today (UTC), USD.")
    budget_usd: float = Field(description="The provider's daily budget, USD (PAID_DAILY_BUDGET_USD).")
    exhausted: bool = Field(description="Not even a one-post call fits in what is left today.")


class Spend(BaseModel):
    day: str = Field(description="The UTC day counted, YYYY-MM-DD.")
    budget_usd_per_provider: float
    providers: dict[str, ProviderSpend] = Field(description="Per paid provider (socialdata, x).")


class MetricsBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    cache_hits: int
    cache_misses: int
    tasks_enqueued: int
    batches_processed: int
    avg_batch_size: float
    latency_ms: dict[str, Percentiles]
    spend: Spend | None = None


class Health(BaseModel):
    status: Literal["ok"]


def json_response(model: type[BaseModel], description: str) -> dict:
    return {"description": description, "content": {"application/json": {"model": model}}}


ERROR_RESPONSES = {
    400: json_response(ErrorBody, "The body is not valid JSON."),
    413: json_response(ErrorBody, "The body is too large."),
    422: json_response(ErrorBody, "A field is missing or invalid; `fields` names it."),
}


# ------------------------------------------------------------------ tracked keywords, history, alerts, compare
class TrackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyword: Annotated[StrictStr, Field(min_length=1, max_length=1000, description="The keyword to watch.")]
    interval_minutes: Annotated[StrictInt, Field(ge=5, le=7 * 24 * 60, description="Minutes between scans.")]
    providers: Annotated[
        list[Annotated[StrictStr, Field(min_length=1, max_length=40)]] | None,
        Field(max_length=10, description="Providers to ask, in order (default: the configured chain)."),
    ] = None
    sensitivity: Annotated[
        Literal["low", "medium", "high"], Field(description="Alert threshold: mean + k x sd, k = 4 / 3 / 2.")
    ] = "medium"
    min_volume: Annotated[StrictInt, Field(ge=1, le=100000, description="No alert below this many posts.")] = 10
    limit: Annotated[StrictInt, Field(ge=10, le=1000, description="Posts per scan.")] = 100
    window_hours: Annotated[StrictInt, Field(ge=1, le=168, description="How far back each scan looks.")] = 24
    languages: LanguageCodes = None

    @field_validator("keyword")
    @classmethod
    def _keyword(cls, value: str) -> str:
        return validate_keyword(value)

    @field_validator("providers")
    @classmethod
    def _providers(cls, value: list[str] | None) -> list[str] | None:
        return validate_providers(value)


class Tracked(BaseModel):
    keyword: str
    key: str
    interval_minutes: int
    providers: list[str] | None
    languages: list[str] | None = None
    sensitivity: str
    min_volume: int
    limit: int
    window_hours: int
    created_at: str
    last_scan_at: str | None
    next_scan_at: str
    last_alerts: dict[str, str]


class TrackedList(BaseModel):
    tracked: list[Tracked]


class HistoryPoint(BaseModel):
    model_config = ConfigDict(extra="allow")
    time: str
    volume: int
    positive: int
    neutral: int
    negative: int
    mean_compound: float
    top_terms: list[dict[str, Any]]


class History(BaseModel):
    keyword: str
    key: str
    since: str
    until: str
    points: list[HistoryPoint]


class Alert(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["spike", "sentiment_dip"]
    detail_type: Literal["SpikeDetected", "SentimentDip"]
    keyword: str
    key: str
    at: str
    value: float
    baseline_mean: float
    threshold: float


class AlertList(BaseModel):
    alerts: list[Alert]


class CompareRow(BaseModel):
    model_config = ConfigDict(extra="allow")
    keyword: str
    key: str
    analyzed: bool
    volume: int
    share: float
    estimated_posts_in_window: int = Field(description="What the share is computed from (see basis).")
    basis: Literal["complete", "rate", "reported"] | None


class CompareBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    total_volume: int
    basis: Literal["complete", "rate", "reported"] | None = Field(description="The weakest basis among the rows.")
    keywords: list[CompareRow]


class Deletion(BaseModel):
    keyword: str
    key: str
    deleted: dict[str, int]
    kept: dict[str, int]
    tracked: bool = Field(description="Whether the keyword is still tracked (its next scheduled scan stores new data).")
    note: str | None = Field(None, description="What the deletion did not do, when anything.")


ADMIN_RESPONSES = {401: json_response(ErrorBody, "No or a wrong admin token (`Authorization: Bearer <token>`).")}


# ------------------------------------------------------------------ imports
class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyword: Annotated[StrictStr, Field(min_length=1, max_length=1000, description="The label to analyze under.")]
    format: Annotated[Literal["csv", "jsonl"], Field(description="The upload's format.")] = "csv"

    @field_validator("keyword")
    @classmethod
    def _keyword(cls, value: str) -> str:
        return validate_keyword(value)


class ImportUpload(BaseModel):
    url: str
    method: Literal["PUT"]
    headers: dict[str, str]
    expires_in: int


class AcceptedImport(BaseModel):
    job_id: str
    status: Literal["queued"]
    keyword: str
    status_url: str
    upload: ImportUpload
    max_bytes: int

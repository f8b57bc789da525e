"""Pydantic models of the HTTP API: request validation and the OpenAPI document."""

import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator, model_validator

from social_analytics.analyses.sources.catalog import KNOWN_PROVIDERS
from social_analytics.query import parse_query


class Schema(BaseModel):
    """The API's models. Most of them only describe answers in the OpenAPI document, so their validators are built
    when first used (a request's validation, the document) rather than at cold start."""

    model_config = ConfigDict(defer_build=True)


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


class AnalysisRequest(Schema):
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


class ErrorField(Schema):
    field: str
    message: str
    position: int | None = Field(None, description="A query that does not parse: the 0-based character offset.")


class ErrorDetail(Schema):
    code: str
    message: str
    fields: list[ErrorField] | None = None


class ErrorBody(Schema):
    error: ErrorDetail


class Attempt(Schema):
    provider: str
    outcome: Literal["ok", "skipped", "failed"]
    reason: str


Basis = Literal["complete", "rate", "reported"]


class SourceSentiment(Schema):
    positive: int
    neutral: int
    negative: int
    mean_compound: float


class SourceRow(Schema):
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
    fetched: int | None = Field(None, description="Posts the source returned, before the query's check.")
    matched: int | None = Field(None, description="Of those, the posts that match the whole query (they count).")
    off_topic: int | None = Field(None, description="Returned but not matching the query: dropped, counted nowhere.")
    sent_query: str | None = Field(
        None, description="What the source was sent: its translation of the query (several searches: ' | ')."
    )
    reported_total: int | None = Field(None, description="The provider's own count (Algolia nbHits, tag uses).")
    reported_matching: int | None = Field(
        None, description="reported_total scaled by the source's matched share: what the volume estimate uses."
    )
    reported_note: str | None = None


class OffTopicExample(Schema):
    """A post a source returned that the query does not match, and why (it counts in no figure)."""

    model_config = ConfigDict(extra="allow")
    provider: str
    id: str
    url: str | None = None
    author: str | None = None
    text: str = Field(description="At most 280 characters.")
    reason: str = Field(description="Why it does not match, e.g. \"no 'java'\", \"excluded by 'coffee'\".")


class Coverage(Schema):
    window_from: str
    window_to: str
    covered_from: str | None = Field(description="Oldest moment every answering source's posts are all present.")
    covered_to: str | None
    complete: bool = Field(description="Every live source answered and returned everything in the window.")


class Volume(Schema):
    model_config = ConfigDict(extra="allow")
    observed_posts: int
    posts_per_hour: float
    estimated_posts_in_window: int
    basis: Basis


class Source(Schema):
    model_config = ConfigDict(extra="allow")
    provider: str = Field(description="The source(s) whose posts are in the result, comma-separated.")
    simulated: bool
    attempts: list[Attempt]
    providers: list[SourceRow] | None = None
    off_topic_examples: list[OffTopicExample] | None = Field(
        None, description="A few posts the sources returned that do not match the query (at most 3 per source)."
    )


class Result(Schema):
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
    news_tone: dict[str, Any] | None = Field(
        None, description="GDELT's average tone of the matching news per interval, on GDELT's scale (not ours)."
    )
    trimmed: dict[str, Any] | None = Field(None, description="What was left out to keep the stored result small.")


class CachedAnswer(Schema):
    status: Literal["done"]
    cached: Literal[True]
    result: Result


class AcceptedJob(Schema):
    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    keyword: str
    status_url: str
    cached: Literal[False]


class JobStatus(Schema):
    job_id: str
    keyword: str
    status: Literal["queued", "running", "done", "failed"]
    submitted_at: float
    updated_at: float
    result: Result | None = None
    error: ErrorDetail | None = None


class Percentiles(Schema):
    p50: float | None
    p95: float | None
    samples: int


class ProviderSpend(Schema):
    spent_usd: float = Field(description="Reserved and settled spend today (UTC), USD.")
    budget_usd: float = Field(description="The provider's daily budget, USD (PAID_DAILY_BUDGET_USD).")
    exhausted: bool = Field(description="Not even a one-post call fits in what is left today.")


class Spend(Schema):
    day: str = Field(description="The UTC day counted, YYYY-MM-DD.")
    budget_usd_per_provider: float
    providers: dict[str, ProviderSpend] = Field(description="Per paid provider (socialdata, x).")


class MetricsBody(Schema):
    model_config = ConfigDict(extra="allow")
    cache_hits: int
    cache_misses: int
    tasks_enqueued: int
    batches_processed: int
    avg_batch_size: float
    latency_ms: dict[str, Percentiles]
    spend: Spend | None = None


class SourceToday(Schema):
    day: str = Field(description="The UTC day counted, YYYY-MM-DD.")
    requests: int = Field(description="HTTP requests made to the source today (retries included).")
    posts: int = Field(description="Posts of the source that went into results today.")
    jobs: int = Field(description="Jobs that called the source today.")
    failures: int = Field(description="Jobs whose call to the source failed today.")
    cost_usd: float = Field(description="Spend today (the spend ledger; 0 for free sources), USD.")


class SourceFailure(Schema):
    at: str
    code: str | None
    reason: str = Field(description="A fixed public phrase (never the provider's own text).")


class SourceHealth(Schema):
    model_config = ConfigDict(extra="allow")
    provider: str
    channel: Literal["social", "news", "simulated"]
    configured: bool
    configured_by: str = Field(description="Whose view `configured` is: the worker's last record or this process.")
    enabled_by: list[str] | None = Field(description="The settings (names only) that enable it; null: keyless.")
    covers: Literal["complete_stream", "search_sample", "hashtags_only", "simulated", "news"]
    covers_note: str
    status: Literal["ok", "unknown", "failing", "rate_limited", "circuit_open", "not_configured"]
    last_success: str | None
    last_failure: SourceFailure | None
    rate_limited: bool
    rate_limited_until: str | None
    breaker: Literal["closed", "open", "half_open"] = Field(description="As the last worker to call it left it.")
    breaker_open_until: str | None
    today: SourceToday
    state_as_of: str | None = Field(description="When a worker last recorded this source's state.")


class SourcesBody(Schema):
    day: str
    generated_at: str
    sources: list[SourceHealth]


class Health(Schema):
    status: Literal["ok"]


def json_response(model: type[BaseModel], description: str) -> dict:
    return {"description": description, "content": {"application/json": {"model": model}}}


ERROR_RESPONSES = {
    400: json_response(ErrorBody, "The body is not valid JSON."),
    413: json_response(ErrorBody, "The body is too large."),
    422: json_response(ErrorBody, "A field is missing or invalid; `fields` names it."),
}


# ------------------------------------------------------------------ tracked keywords, history, alerts, compare
class ChannelChoice(Schema):
    """What one channel gets from a tracked keyword."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[StrictStr, Field(pattern=r"^ch_[A-Za-z0-9_-]{6,40}$", description="A channel's id.")]
    alerts: Annotated[StrictBool, Field(description="Send its alerts.")] = True
    digest: Annotated[Literal["daily", "weekly"] | None, Field(description="A digest, or none.")] = None
    digest_hour: Annotated[StrictInt, Field(ge=0, le=23, description="The digest's local hour.")] = 8
    timezone: Annotated[StrictStr, Field(min_length=1, max_length=64, description="IANA zone, e.g. Europe/Berlin.")] = (
        "UTC"
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone (e.g. Europe/Berlin)") from None
        return value


class TrackRequest(Schema):
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
    channels: Annotated[
        list[ChannelChoice] | None,
        Field(max_length=10, description="Where its alerts and digests go; absent keeps the current ones."),
    ] = None

    @field_validator("keyword")
    @classmethod
    def _keyword(cls, value: str) -> str:
        return validate_keyword(value)

    @field_validator("channels")
    @classmethod
    def _distinct_channels(cls, value: list[ChannelChoice] | None) -> list[ChannelChoice] | None:
        if value is not None and len({c.id for c in value}) != len(value):
            raise ValueError("names a channel twice")
        return value

    @field_validator("providers")
    @classmethod
    def _providers(cls, value: list[str] | None) -> list[str] | None:
        return validate_providers(value)


class Tracked(Schema):
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
    channels: list[dict] = []


class TrackedList(Schema):
    tracked: list[Tracked]


class HistoryPoint(Schema):
    model_config = ConfigDict(extra="allow")
    time: str
    volume: int
    positive: int
    neutral: int
    negative: int
    mean_compound: float
    top_terms: list[dict[str, Any]]


class History(Schema):
    keyword: str
    key: str
    since: str
    until: str
    points: list[HistoryPoint]


class Alert(Schema):
    model_config = ConfigDict(extra="allow")
    type: Literal["spike", "sentiment_dip"]
    detail_type: Literal["SpikeDetected", "SentimentDip"]
    keyword: str
    key: str
    at: str
    value: float
    baseline_mean: float
    threshold: float


class AlertList(Schema):
    alerts: list[Alert]


class CompareRow(Schema):
    model_config = ConfigDict(extra="allow")
    keyword: str
    key: str
    analyzed: bool
    volume: int
    share: float
    estimated_posts_in_window: int = Field(description="What the share is computed from (see basis).")
    basis: Literal["complete", "rate", "reported"] | None


class CompareBody(Schema):
    model_config = ConfigDict(extra="allow")
    total_volume: int
    basis: Literal["complete", "rate", "reported"] | None = Field(description="The weakest basis among the rows.")
    keywords: list[CompareRow]


class Deletion(Schema):
    keyword: str
    key: str
    deleted: dict[str, int]
    kept: dict[str, int]
    tracked: bool = Field(description="Whether the keyword is still tracked (its next scheduled scan stores new data).")
    note: str | None = Field(None, description="What the deletion did not do, when anything.")


# ------------------------------------------------------------------ delivery channels
class ChannelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Annotated[Literal["webhook", "slack", "email"], Field(description="Where it sends.")]
    url: Annotated[StrictStr | None, Field(max_length=2048, description="webhook, slack: the https URL.")] = None
    address: Annotated[StrictStr | None, Field(max_length=254, description="email: the recipient.")] = None
    name: Annotated[StrictStr | None, Field(min_length=1, max_length=80, description="A label.")] = None

    @model_validator(mode="after")
    def _target(self):
        if self.type == "email":
            if not self.address or not EMAIL_ADDRESS.fullmatch(self.address):
                raise ValueError("address: an email channel needs a valid address")
            if self.url is not None:
                raise ValueError("url: an email channel takes an address, not a url")
        else:
            if not self.url:
                raise ValueError(f"url: a {self.type} channel needs an https url")
            if self.address is not None:
                raise ValueError(f"address: a {self.type} channel takes a url, not an address")
        return self


EMAIL_ADDRESS = re.compile(r"[^@\s<>,;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}")


class ChannelView(BaseModel):
    id: str
    type: str
    name: str
    target: str = Field(description="Masked: the host and the last 4 characters, or the address's domain.")
    created_at: str
    secret: str | None = Field(None, description="webhook: the signing secret, shown only in the 201 answer.")


class ChannelList(BaseModel):
    channels: list[ChannelView]


class DeliveryRow(BaseModel):
    at: str
    kind: str
    what: str
    status: str
    attempts: int
    code: int | None
    latency_ms: int | None
    error: str | None = Field(description="Our fixed phrase (HTTP 500, timed out), never the receiver's text.")
    updated_at: str | None


class DeliveryLog(BaseModel):
    deliveries: list[DeliveryRow]


ADMIN_RESPONSES = {401: json_response(ErrorBody, "No or a wrong admin token (`Authorization: Bearer <token>`).")}


# ------------------------------------------------------------------ imports
class ImportRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    keyword: Annotated[StrictStr, Field(min_length=1, max_length=1000, description="The label to analyze under.")]
    format: Annotated[Literal["csv", "jsonl"], Field(description="The upload's format.")] = "csv"

    @field_validator("keyword")
    @classmethod
    def _keyword(cls, value: str) -> str:
        return validate_keyword(value)


class ImportUpload(Schema):
    url: str
    method: Literal["PUT"]
    headers: dict[str, str]
    expires_in: int


class AcceptedImport(Schema):
    job_id: str
    status: Literal["queued"]
    keyword: str
    status_url: str
    upload: ImportUpload
    max_bytes: int

"""Configuration from the environment, read once per container (``get_settings.cache_clear()`` in tests)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return value in ("1", "true", "yes", "on") if value else default


@dataclass(frozen=True)
class Settings:
    table_name: str
    idempotency_table_name: str
    sessions_table_name: str
    origin_secret_param: str
    jobs_queue_url: str
    cache_ttl_seconds: int
    hot_cache_seconds: float
    job_deadline_seconds: int
    job_ttl_seconds: int
    result_ttl_seconds: int
    max_receive_count: int
    job_lease_seconds: float
    fetch_budget_seconds: float
    metrics_flush_seconds: float
    default_window_hours: int
    paid_daily_budget_usd: float = 0.0
    paid_for_anonymous: bool = False
    paid_fallback: bool = False


@cache
def get_settings() -> Settings:
    return Settings(
        table_name=os.environ.get("TABLE_NAME", "social-analytics"),
        idempotency_table_name=os.environ.get("IDEMPOTENCY_TABLE_NAME", "social-analytics-idempotency"),
        # Provider session tokens, in a table only the worker's role reaches.
        sessions_table_name=os.environ.get("SESSIONS_TABLE_NAME", "social-analytics-sessions"),
        # SSM parameter holding the secret CloudFront adds as a header; "" means no check (local runs).
        origin_secret_param=os.environ.get("ORIGIN_SECRET_PARAM", ""),
        jobs_queue_url=os.environ.get("JOBS_QUEUE_URL", ""),
        # A cached result is served while younger than this.
        cache_ttl_seconds=_int("CACHE_TTL_SECONDS", 900),
        # Warm API containers keep hot results in memory this long before asking DynamoDB again.
        hot_cache_seconds=_float("HOT_CACHE_SECONDS", 5.0),
        # A job not done after this long is reported failed ("timed out"): none stays running forever.
        job_deadline_seconds=_int("JOB_DEADLINE_SECONDS", 1800),
        job_ttl_seconds=_int("JOB_TTL_SECONDS", 7 * 86400),
        result_ttl_seconds=_int("RESULT_TTL_SECONDS", 30 * 86400),
        # Mirrors the queue's RedrivePolicy: on the last delivery a failing job is marked failed.
        max_receive_count=_int("MAX_RECEIVE_COUNT", 3),
        # One attempt's claim on a job: the worker timeout (a Lambda never runs longer).
        job_lease_seconds=_float("JOB_LEASE_SECONDS", 30.0),
        fetch_budget_seconds=_float("FETCH_BUDGET_SECONDS", 20.0),
        metrics_flush_seconds=_float("METRICS_FLUSH_SECONDS", 0.25),
        default_window_hours=_int("DEFAULT_WINDOW_HOURS", 24),
        # Spend control (docs/RELIABILITY.md): what each paid provider may cost per UTC day (0 = no paid calls),
        # whether anonymous searches may use paid providers, and whether a failing paid provider may hand the
        # job to a more expensive one.
        paid_daily_budget_usd=max(0.0, _float("PAID_DAILY_BUDGET_USD", 1.0)),
        paid_for_anonymous=_bool("PAID_FOR_ANONYMOUS", False),
        paid_fallback=_bool("PAID_FALLBACK", False),
    )


@dataclass(frozen=True)
class StreamSettings:
    """The Jetstream ingestion (StreamFunction) and its stored counts."""

    enabled: bool
    jetstream_url: str
    budget_seconds: float  # a run stops reading after this long (below the function timeout)
    rewind_seconds: float  # the stored cursor is rewound this much on resume: overlap, deduplicated
    idle_seconds: float  # no event for this long: the run has caught up with a quiet stream
    gap_tolerance_seconds: float  # a first event later than cursor + this means the server did not replay
    first_lookback_seconds: float  # where the very first run starts (no stored cursor)
    replay_buffer_seconds: float  # the server's replay buffer (24 h on the public instances)
    flush_seconds: float  # counts and cursor are written at least this often during a run
    max_reconnects: int
    bucket_ttl_seconds: int
    seen_ttl_seconds: int
    gap_ttl_seconds: int


@cache
def get_stream_settings() -> StreamSettings:
    return StreamSettings(
        enabled=os.environ.get("STREAM_ENABLED", "true").strip().lower() not in ("0", "false", "no", "off"),
        jetstream_url=os.environ.get("JETSTREAM_URL", "").strip()
        or "wss://jetstream2.us-east.bsky.network/subscribe?wantedCollections=app.bsky.feed.post",
        budget_seconds=_float("STREAM_BUDGET_SECONDS", 45.0),
        rewind_seconds=_float("STREAM_REWIND_SECONDS", 5.0),
        idle_seconds=_float("STREAM_IDLE_SECONDS", 3.0),
        gap_tolerance_seconds=_float("STREAM_GAP_TOLERANCE_SECONDS", 10.0),
        first_lookback_seconds=_float("STREAM_FIRST_LOOKBACK_SECONDS", 60.0),
        replay_buffer_seconds=_float("STREAM_REPLAY_BUFFER_SECONDS", 86400.0),
        flush_seconds=_float("STREAM_FLUSH_SECONDS", 10.0),
        max_reconnects=_int("STREAM_MAX_RECONNECTS", 5),
        bucket_ttl_seconds=_int("STREAM_BUCKET_TTL_SECONDS", 8 * 86400),
        seen_ttl_seconds=_int("STREAM_SEEN_TTL_SECONDS", 3 * 86400),
        gap_ttl_seconds=_int("STREAM_GAP_TTL_SECONDS", 8 * 86400),
    )

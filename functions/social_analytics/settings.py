"""Configuration: the only module that reads the environment.

One pydantic-settings model per group, each read once per container through a cached getter
(``reset()`` clears them all; tests that change the environment call it or the getter's ``cache_clear()``).
``validate_environment()`` runs at cold start: a malformed value fails with an error naming the variable.
A blank variable means "use the default", as it always has.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from typing import Any

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JETSTREAM_URL = "wss://jetstream2.us-east.bsky.network/subscribe?wantedCollections=app.bsky.feed.post"
DEFAULT_IMPORT_MAX_BYTES = 20 * 1024 * 1024

# Read from the environment but deliberately not set in template.yaml: local runs and tests set them.
LOCAL_ONLY_VARIABLES = frozenset(
    {
        "CIRCUIT_RESET_SECONDS",  # tests shorten how long an open provider circuit stays open
        "HOT_CACHE_SECONDS",
        "JOB_TTL_SECONDS",
        "RESULT_TTL_SECONDS",
        "METRICS_FLUSH_SECONDS",
        "DEFAULT_WINDOW_HOURS",
        "MAX_TRACKED_KEYWORDS",
        "TRACK_MINUTE_SECONDS",  # `make run` shortens an interval minute for demos
        "IMPORT_MAX_BYTES",
        "ARCHIVE_DIR",  # `make run` keeps the archive in LOCAL_DATA_DIR/archive; AWS uses ARCHIVE_BUCKET
        "ARCHIVE_SETTLE_SECONDS",  # tests compact an hour as soon as it ends
        "ARCHIVE_COMPACTIONS_PER_RUN",
        "ADMIN_TOKEN",  # plain secrets: local runs; AWS uses the <NAME>_PARAM SSM parameter
        "SOCIALDATA_API_KEY",
        "X_BEARER_TOKEN",
        "BLUESKY_HANDLE",
        "BLUESKY_APP_PASSWORD",
        "MASTODON_ACCESS_TOKEN",
        "SOCIALDATA_BASE_URL",  # provider endpoints: tests point them at loopback fakes
        "X_API_BASE_URL",
        "BLUESKY_BASE_URL",
        "MASTODON_TRENDS",
        "STREAM_REWIND_SECONDS",
        "STREAM_IDLE_SECONDS",
        "STREAM_GAP_TOLERANCE_SECONDS",
        "STREAM_FIRST_LOOKBACK_SECONDS",
        "STREAM_REPLAY_BUFFER_SECONDS",
        "STREAM_FLUSH_SECONDS",
        "STREAM_MAX_RECONNECTS",
        "STREAM_BUCKET_TTL_SECONDS",
        "STREAM_SEEN_TTL_SECONDS",
        "STREAM_GAP_TTL_SECONDS",
    }
)


# Set while a group is built from an injected mapping: the environment is then not consulted at all.
_mapping_only: ContextVar[bool] = ContextVar("settings_mapping_only", default=False)


class ConfigurationError(ValueError):
    """A malformed environment variable, named in the message."""


class _Group(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                default = cls.model_fields[info.field_name].default
                if default in ("", None):
                    return default
                raise PydanticUseDefault()
        return value

    @classmethod
    def env_names(cls) -> dict[str, str]:
        """Field name -> environment variable."""
        prefix = cls.model_config.get("env_prefix", "")
        return {
            name: str(field.validation_alias) if field.validation_alias else (prefix + name).upper()
            for name, field in cls.model_fields.items()
        }

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        return (init_settings,) if _mapping_only.get() else (init_settings, env_settings)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]):
        """Build from an explicit mapping instead of the environment (tests inject one)."""
        values = {names_to_alias(cls, field): env[var] for field, var in cls.env_names().items() if var in env}
        token = _mapping_only.set(True)
        try:
            return cls(**values)
        finally:
            _mapping_only.reset(token)


def names_to_alias(group: type[_Group], field: str) -> str:
    alias = group.model_fields[field].validation_alias
    return str(alias) if alias else field


# ------------------------------------------------------------------ AWS, cache, jobs, spend
class AwsSettings(_Group):
    table_name: str = Field("social-analytics", validation_alias="TABLE_NAME")
    # Provider session tokens, in a table only the worker's role reaches.
    sessions_table_name: str = Field("social-analytics-sessions", validation_alias="SESSIONS_TABLE_NAME")
    # SSM parameter holding the secret CloudFront adds as a header; "" means no check (local runs).
    origin_secret_param: str = Field("", validation_alias="ORIGIN_SECRET_PARAM")
    jobs_queue_url: str = Field("", validation_alias="JOBS_QUEUE_URL")


class CacheSettings(_Group):
    # A cached result is served while younger than this.
    cache_ttl_seconds: int = Field(900, validation_alias="CACHE_TTL_SECONDS")
    # Warm API containers keep hot results in memory this long before asking DynamoDB again.
    hot_cache_seconds: float = Field(5.0, validation_alias="HOT_CACHE_SECONDS")
    result_ttl_seconds: int = Field(30 * 86400, validation_alias="RESULT_TTL_SECONDS")


class JobSettings(_Group):
    # A job not done after this long is reported failed ("timed out"): none stays running forever.
    job_deadline_seconds: int = Field(1800, validation_alias="JOB_DEADLINE_SECONDS")
    job_ttl_seconds: int = Field(7 * 86400, validation_alias="JOB_TTL_SECONDS")
    # Mirrors the queue's RedrivePolicy: on the last delivery a failing job is marked failed.
    max_receive_count: int = Field(3, validation_alias="MAX_RECEIVE_COUNT")
    # One attempt's claim on a job: the worker timeout (a Lambda never runs longer).
    job_lease_seconds: float = Field(30.0, validation_alias="JOB_LEASE_SECONDS")
    fetch_budget_seconds: float = Field(20.0, validation_alias="FETCH_BUDGET_SECONDS")
    metrics_flush_seconds: float = Field(0.25, validation_alias="METRICS_FLUSH_SECONDS")
    default_window_hours: int = Field(24, validation_alias="DEFAULT_WINDOW_HOURS")
    # How long an open provider circuit stays open.
    circuit_reset_seconds: float = Field(60.0, validation_alias="CIRCUIT_RESET_SECONDS")


class SpendSettings(_Group):
    # Spend control (docs/RELIABILITY.md): what each paid provider may cost per UTC day (0 = no paid calls),
    # whether anonymous searches may use paid providers, and whether a failing paid provider may hand the
    # job to a more expensive one.
    paid_daily_budget_usd: float = Field(1.0, validation_alias="PAID_DAILY_BUDGET_USD")
    paid_for_anonymous: bool = Field(False, validation_alias="PAID_FOR_ANONYMOUS")
    paid_fallback: bool = Field(False, validation_alias="PAID_FALLBACK")

    @field_validator("paid_daily_budget_usd")
    @classmethod
    def _not_negative(cls, value: float) -> float:
        return max(0.0, value)


class Settings(AwsSettings, CacheSettings, JobSettings, SpendSettings):
    """The core groups together, with flat attribute access (``get_settings().table_name``)."""


@cache
def get_settings() -> Settings:
    return _load(Settings)


# ------------------------------------------------------------------ providers
class ProviderSettings(_Group):
    """Secrets come from SSM when ``<NAME>_PARAM`` is set (analyses/sources/credentials.py), else ``<NAME>``."""

    socialdata_api_key: SecretStr | None = Field(None, validation_alias="SOCIALDATA_API_KEY")
    socialdata_api_key_param: str = Field("", validation_alias="SOCIALDATA_API_KEY_PARAM")
    x_bearer_token: SecretStr | None = Field(None, validation_alias="X_BEARER_TOKEN")
    x_bearer_token_param: str = Field("", validation_alias="X_BEARER_TOKEN_PARAM")
    bluesky_handle: SecretStr | None = Field(None, validation_alias="BLUESKY_HANDLE")
    bluesky_handle_param: str = Field("", validation_alias="BLUESKY_HANDLE_PARAM")
    bluesky_app_password: SecretStr | None = Field(None, validation_alias="BLUESKY_APP_PASSWORD")
    bluesky_app_password_param: str = Field("", validation_alias="BLUESKY_APP_PASSWORD_PARAM")
    mastodon_access_token: SecretStr | None = Field(None, validation_alias="MASTODON_ACCESS_TOKEN")
    mastodon_access_token_param: str = Field("", validation_alias="MASTODON_ACCESS_TOKEN_PARAM")
    # Comma lists; "" means the adapters' defaults.
    providers: str = Field("", validation_alias="PROVIDERS")
    mastodon_instances: str = Field("", validation_alias="MASTODON_INSTANCES")
    lemmy_instances: str = Field("", validation_alias="LEMMY_INSTANCES")
    # Endpoints; "" means the adapter's documented default.
    socialdata_base_url: str = Field("", validation_alias="SOCIALDATA_BASE_URL")
    x_api_base_url: str = Field("", validation_alias="X_API_BASE_URL")
    bluesky_base_url: str = Field("", validation_alias="BLUESKY_BASE_URL")
    hackernews_base_url: str = Field("", validation_alias="HACKERNEWS_BASE_URL")
    mastodon_trends: bool = Field(True, validation_alias="MASTODON_TRENDS")

    def secret(self, name: str) -> str | None:
        value = getattr(self, name.lower())
        return value.get_secret_value() if value is not None else None

    def secret_param(self, name: str) -> str:
        return getattr(self, f"{name.lower()}_param")


@cache
def get_provider_settings() -> ProviderSettings:
    return _load(ProviderSettings)


# ------------------------------------------------------------------ tracking
class TrackingSettings(_Group):
    history_ttl_seconds: int = Field(90 * 86400, validation_alias="HISTORY_TTL_SECONDS")
    alert_ttl_seconds: int = Field(90 * 86400, validation_alias="ALERT_TTL_SECONDS")
    max_tracked: int = Field(200, validation_alias="MAX_TRACKED_KEYWORDS")
    # The length of one "interval minute". 60 in AWS; `make run` with SCAN_INTERVAL_SECONDS set shortens it
    # (to 1 s unless TRACK_MINUTE_SECONDS says otherwise) so a demo's keyword is scanned every few seconds.
    minute_seconds: float = Field(60.0, validation_alias="TRACK_MINUTE_SECONDS")


@cache
def get_tracking_settings() -> TrackingSettings:
    return _load(TrackingSettings)


# ------------------------------------------------------------------ stream
class StreamSettings(_Group):
    """The Jetstream ingestion (StreamFunction) and its stored counts."""

    model_config = SettingsConfigDict(env_prefix="STREAM_")

    enabled: bool = True
    jetstream_url: str = Field(DEFAULT_JETSTREAM_URL, validation_alias="JETSTREAM_URL")
    budget_seconds: float = 45.0  # a run stops reading after this long (below the function timeout)
    rewind_seconds: float = 5.0  # the stored cursor is rewound this much on resume: overlap, deduplicated
    idle_seconds: float = 3.0  # no event for this long: the run has caught up with a quiet stream
    gap_tolerance_seconds: float = 10.0  # a first event later than cursor + this means the server did not replay
    first_lookback_seconds: float = 60.0  # where the very first run starts (no stored cursor)
    replay_buffer_seconds: float = 86400.0  # the server's replay buffer (24 h on the public instances)
    flush_seconds: float = 10.0  # counts and cursor are written at least this often during a run
    max_reconnects: int = 5
    bucket_ttl_seconds: int = 8 * 86400
    seen_ttl_seconds: int = 3 * 86400
    gap_ttl_seconds: int = 8 * 86400
    compress: bool = False  # ask for Jetstream's zstd frames (compress=true): about half the bytes on the wire


@cache
def get_stream_settings() -> StreamSettings:
    return _load(StreamSettings)


# ------------------------------------------------------------------ archive
class ArchiveSettings(_Group):
    """The archive of every streamed post (archive/): off unless ``ARCHIVE_DAYS`` > 0.

    Where it lives: ``ARCHIVE_BUCKET`` (S3, deployed) or ``ARCHIVE_DIR`` (a folder, ``make run``); the bucket wins.
    """

    days: int = Field(0, ge=0, le=90, validation_alias="ARCHIVE_DAYS")
    bucket: str = Field("", validation_alias="ARCHIVE_BUCKET")
    directory: str = Field("", validation_alias="ARCHIVE_DIR")
    # Compacting an hour waits this long after it ends (late and replayed events land in its part files first).
    settle_seconds: int = Field(300, ge=0, validation_alias="ARCHIVE_SETTLE_SECONDS")
    compactions_per_run: int = Field(6, ge=1, validation_alias="ARCHIVE_COMPACTIONS_PER_RUN")

    @property
    def enabled(self) -> bool:
        return self.days > 0 and bool(self.bucket or self.directory)

    @property
    def retention_seconds(self) -> int:
        return self.days * 86400


@cache
def get_archive_settings() -> ArchiveSettings:
    return _load(ArchiveSettings)


# ------------------------------------------------------------------ imports, admin
class ImportSettings(_Group):
    imports_bucket: str = Field("", validation_alias="IMPORTS_BUCKET")
    max_bytes: int = Field(DEFAULT_IMPORT_MAX_BYTES, validation_alias="IMPORT_MAX_BYTES")


@cache
def get_import_settings() -> ImportSettings:
    return _load(ImportSettings)


class AdminSettings(_Group):
    admin_token: SecretStr | None = Field(None, validation_alias="ADMIN_TOKEN")  # local runs
    admin_token_param: str = Field("", validation_alias="ADMIN_TOKEN_PARAM")  # SSM SecureString in AWS


@cache
def get_admin_settings() -> AdminSettings:
    return _load(AdminSettings)


# ------------------------------------------------------------------ loading
GROUPS: tuple[type[_Group], ...] = (
    Settings,
    ProviderSettings,
    TrackingSettings,
    StreamSettings,
    ArchiveSettings,
    ImportSettings,
    AdminSettings,
)
_GETTERS = (
    get_settings,
    get_provider_settings,
    get_tracking_settings,
    get_stream_settings,
    get_archive_settings,
    get_import_settings,
    get_admin_settings,
)


def environment_variables() -> set[str]:
    """Every environment variable the settings read."""
    return {var for group in GROUPS for var in group.env_names().values()}


def _load(group):
    try:
        return group()
    except ValidationError as error:
        names = group.env_names()
        aliases = {names_to_alias(group, f): var for f, var in names.items()}
        problems = []
        for item in error.errors():
            key = str(item["loc"][0]) if item["loc"] else ""
            var = aliases.get(key) or names.get(key) or key
            problems.append(f"{var}={item.get('input')!r}: {item['msg']}")
        raise ConfigurationError("invalid configuration: " + "; ".join(problems)) from None


def validate_environment() -> None:
    """Read every group now (cold start), so a malformed value fails loudly before the first request."""
    for getter in _GETTERS:
        getter()


def reset() -> None:
    """Forget every cached group (tests that change the environment)."""
    for getter in _GETTERS:
        getter.cache_clear()

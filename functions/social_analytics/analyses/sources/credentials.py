"""Provider credentials and endpoints.

Secrets: for each of ``SOCIALDATA_API_KEY``, ``X_BEARER_TOKEN``, ``BLUESKY_HANDLE``, ``BLUESKY_APP_PASSWORD`` the value
comes from SSM Parameter Store (SecureString, decrypted, cached 5 minutes by Powertools Parameters) when
``<NAME>_PARAM`` holds a parameter name, else from the env var ``<NAME>`` itself (local runs). Values are never
logged and ``repr`` shows only which ones are set. An unreadable parameter leaves the provider unconfigured (logged
with the parameter *name* only).

Endpoints: ``SOCIALDATA_BASE_URL``, ``X_API_BASE_URL``, ``BLUESKY_BASE_URL``, ``MASTODON_INSTANCES`` (comma list),
``HACKERNEWS_BASE_URL``, ``LEMMY_INSTANCES`` (comma list), ``GDELT_BASE_URL``, ``GOOGLENEWS_BASE_URL`` (and the
edition ``GOOGLENEWS_HL`` / ``GOOGLENEWS_GL`` / ``GOOGLENEWS_CEID``), ``MASTODON_TRENDS`` (``false`` turns the
trending-tag volume lookup off) and ``PROVIDERS`` (comma list; empty means every keyless source plus every configured
one) so tests and local runs can point at loopback fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

from social_analytics.analyses.sources import bluesky, gdelt, googlenews, hackernews, lemmy, mastodon, socialdata, x_api
from social_analytics.observability import logger
from social_analytics.settings import ProviderSettings, get_provider_settings
from social_analytics.storage import parameters as parameter_store

SECRET_NAMES = (
    "SOCIALDATA_API_KEY",
    "X_BEARER_TOKEN",
    "BLUESKY_HANDLE",
    "BLUESKY_APP_PASSWORD",
    "MASTODON_ACCESS_TOKEN",
)
SSM_MAX_AGE_SECONDS = 300


@dataclass(frozen=True, repr=False)
class Credentials:
    socialdata_api_key: str | None = None
    x_bearer_token: str | None = None
    bluesky_handle: str | None = None
    bluesky_app_password: str | None = None
    mastodon_access_token: str | None = None  # optional: adds full-text status search to the keyless hashtag feeds

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={'***' if getattr(self, f.name) else None}" for f in fields(self))
        return f"Credentials({shown})"

    __str__ = __repr__

    def configured(self) -> list[str]:
        """Providers whose credentials are present, in default chain order."""
        names = []
        if self.socialdata_api_key:
            names.append("socialdata")
        if self.x_bearer_token:
            names.append("x")
        if self.bluesky_handle and self.bluesky_app_password:
            names.append("bluesky")
        return names


@dataclass(frozen=True)
class ProviderConfig:
    """Everything ``registry.build_adapters`` needs. ``providers`` empty means the default chain."""

    credentials: Credentials
    providers: tuple[str, ...] = ()
    socialdata_base_url: str = socialdata.DEFAULT_BASE_URL
    x_api_base_url: str = x_api.DEFAULT_BASE_URL
    bluesky_base_url: str = bluesky.DEFAULT_BASE_URL
    mastodon_instances: tuple[str, ...] = mastodon.DEFAULT_INSTANCES
    mastodon_trends: bool = True
    hackernews_base_url: str = hackernews.DEFAULT_BASE_URL
    lemmy_instances: tuple[str, ...] = lemmy.DEFAULT_INSTANCES
    gdelt_base_url: str = gdelt.DEFAULT_BASE_URL
    googlenews_base_url: str = googlenews.DEFAULT_BASE_URL
    googlenews_edition: tuple[str, str, str] = (googlenews.DEFAULT_HL, googlenews.DEFAULT_GL, googlenews.DEFAULT_CEID)


def _ssm_getter() -> Callable[[str], str]:
    return lambda name: parameter_store.get_parameter(name, SSM_MAX_AGE_SECONDS)


def load_credentials(
    env: Mapping[str, str] | None = None, get_parameter: Callable[[str], str] | None = None
) -> Credentials:
    """Read the four secrets (see the module docstring). ``get_parameter`` is injectable for tests."""
    config = get_provider_settings() if env is None else ProviderSettings.from_mapping(env)
    values: dict[str, str | None] = {}
    for name in SECRET_NAMES:
        param_name = config.secret_param(name)
        value: str | None = None
        if param_name:
            getter = get_parameter or _ssm_getter()
            try:
                value = getter(param_name)
            except Exception as exc:  # any SSM/permission failure: provider stays unconfigured
                logger.warning(
                    "provider secret unavailable", extra={"parameter": param_name, "error": type(exc).__name__}
                )
        else:
            value = config.secret(name)
        values[name.lower()] = value.strip() if value and value.strip() else None
    return Credentials(**values)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def load_provider_config(
    env: Mapping[str, str] | None = None, get_parameter: Callable[[str], str] | None = None
) -> ProviderConfig:
    config = get_provider_settings() if env is None else ProviderSettings.from_mapping(env)
    return ProviderConfig(
        credentials=load_credentials(env, get_parameter),
        providers=tuple(p.lower() for p in _split(config.providers)),
        socialdata_base_url=config.socialdata_base_url or socialdata.DEFAULT_BASE_URL,
        x_api_base_url=config.x_api_base_url or x_api.DEFAULT_BASE_URL,
        bluesky_base_url=config.bluesky_base_url or bluesky.DEFAULT_BASE_URL,
        mastodon_instances=_split(config.mastodon_instances) or mastodon.DEFAULT_INSTANCES,
        mastodon_trends=config.mastodon_trends,
        hackernews_base_url=config.hackernews_base_url or hackernews.DEFAULT_BASE_URL,
        lemmy_instances=_split(config.lemmy_instances) or lemmy.DEFAULT_INSTANCES,
        gdelt_base_url=config.gdelt_base_url or gdelt.DEFAULT_BASE_URL,
        googlenews_base_url=config.googlenews_base_url or googlenews.DEFAULT_BASE_URL,
        googlenews_edition=(config.googlenews_hl, config.googlenews_gl, config.googlenews_ceid),
    )

"""Which adapters a job gets: the job's providers, else ``PROVIDERS``, else every keyless source plus every configured
one, then the labelled simulated fallback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from social_analytics import composition
from social_analytics.analyses.sources.archive import BlueskyArchiveAdapter
from social_analytics.analyses.sources.base import SocialMediaAdapter, UnconfiguredAdapter
from social_analytics.analyses.sources.bluesky import BlueskyAdapter, BlueskySessionManager
from social_analytics.analyses.sources.catalog import ARCHIVE_PROVIDER, KEYLESS_PROVIDERS, KNOWN_PROVIDERS
from social_analytics.analyses.sources.credentials import ProviderConfig
from social_analytics.analyses.sources.hackernews import HackerNewsAdapter
from social_analytics.analyses.sources.lemmy import LemmyAdapter
from social_analytics.analyses.sources.mastodon import MastodonAdapter
from social_analytics.analyses.sources.simulated import SimulatedAdapter
from social_analytics.analyses.sources.socialdata import SocialDataAdapter
from social_analytics.analyses.sources.x_api import XApiAdapter
from social_analytics.settings import get_archive_settings


def _bluesky_sessions(client: httpx.AsyncClient, config: ProviderConfig, store: Any) -> Any:
    creds = config.credentials
    key = (id(client), config.bluesky_base_url, creds.bluesky_handle, id(store) if store is not None else None)
    managers = composition.session_managers
    manager = managers.get(key)
    if manager is None:
        manager = managers[key] = BlueskySessionManager(
            client, creds.bluesky_handle or "", creds.bluesky_app_password or "", config.bluesky_base_url, store
        )
    return manager


def default_provider_names(config: ProviderConfig) -> list[str]:
    """Configured paid providers, Bluesky if configured, the archive when it is on, every keyless source, then
    simulated (the labelled fallback used only when no live source answers)."""
    archive = [ARCHIVE_PROVIDER] if get_archive_settings().enabled else []
    return [*config.credentials.configured(), *archive, *KEYLESS_PROVIDERS, "simulated"]


def build_adapters(
    provider_names: Sequence[str] | None,
    config: ProviderConfig,
    client: httpx.AsyncClient,
    *,
    session_store: Any = None,
) -> list[SocialMediaAdapter]:
    """The sources of a job: ``provider_names`` (the job's), else ``config.providers`` (``PROVIDERS``), else the
    default set. A named provider without credentials, or outside an explicit ``PROVIDERS``, becomes an
    ``UnconfiguredAdapter`` (recorded as skipped).
    The Bluesky session manager is cached per (client, base URL, handle, store), so jobs share one login.

    Raises ``ValueError`` for an unknown provider name.
    """
    names = [n.strip().lower() for n in (provider_names or config.providers or default_provider_names(config))]
    unknown = [n for n in names if n not in KNOWN_PROVIDERS]
    if unknown:
        raise ValueError(f"unknown provider(s): {', '.join(unknown)}; known: {', '.join(KNOWN_PROVIDERS)}")
    creds = config.credentials
    chain: list[SocialMediaAdapter] = []
    for name in dict.fromkeys(names):
        if provider_names and config.providers and name not in config.providers:
            # PROVIDERS set explicitly is the deployment's allow-list: a job may choose among it, never beyond.
            chain.append(UnconfiguredAdapter(name, f"{name}: not enabled here (PROVIDERS)"))
        elif name == "socialdata":
            chain.append(
                SocialDataAdapter(client, creds.socialdata_api_key, config.socialdata_base_url)
                if creds.socialdata_api_key
                else UnconfiguredAdapter(name, "socialdata: SOCIALDATA_API_KEY is not configured")
            )
        elif name == "x":
            chain.append(
                XApiAdapter(client, creds.x_bearer_token, config.x_api_base_url)
                if creds.x_bearer_token
                else UnconfiguredAdapter(name, "x: X_BEARER_TOKEN is not configured")
            )
        elif name == "bluesky":
            chain.append(
                BlueskyAdapter(client, _bluesky_sessions(client, config, session_store), config.bluesky_base_url)
                if creds.bluesky_handle and creds.bluesky_app_password
                else UnconfiguredAdapter(name, "bluesky: BLUESKY_HANDLE / BLUESKY_APP_PASSWORD are not configured")
            )
        elif name == "mastodon":
            chain.append(
                MastodonAdapter(
                    client, list(config.mastodon_instances), creds.mastodon_access_token, config.mastodon_trends
                )
            )
        elif name == "hackernews":
            chain.append(HackerNewsAdapter(client, config.hackernews_base_url))
        elif name == "lemmy":
            chain.append(LemmyAdapter(client, list(config.lemmy_instances)))
        elif name == ARCHIVE_PROVIDER:
            chain.append(
                BlueskyArchiveAdapter()
                if get_archive_settings().enabled
                else UnconfiguredAdapter(name, "bluesky_archive: the archive is off here (ARCHIVE_DAYS)")
            )
        elif name == "simulated":
            chain.append(SimulatedAdapter())
    return chain

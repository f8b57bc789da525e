"""The sources' health: what ``GET /api/sources`` answers and what the worker records after each job.

Imports no adapter (the API never loads httpx). The worker records, per job, each source's outcome through
``observability.meter.sources_used`` (today's counters and the last state, in ``storage.metrics``); this module
reads them back with the catalog (what each source covers, which setting enables it) and today's spend ledger.

``configured`` is the worker's view when a worker has recorded one (it holds the credentials; the API function
does not), else this process's own settings (names of secrets or their SSM parameters, never their values).
Reasons are the fixed phrases of ``public_errors`` the fan-out recorded; the providers' own words are never stored.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from social_analytics import composition
from social_analytics.analyses.sources import spend
from social_analytics.analyses.sources.catalog import (
    ARCHIVE_PROVIDER,
    COVERAGE,
    ENABLED_BY,
    KEYLESS_PROVIDERS,
    KNOWN_PROVIDERS,
    channel_of,
)
from social_analytics.models import isoformat_z
from social_analytics.settings import get_archive_settings, get_provider_settings

SECRET_PROVIDERS = {"socialdata": ("SOCIALDATA_API_KEY",), "x": ("X_BEARER_TOKEN",),
                    "bluesky": ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD")}  # fmt: skip


def configured_map(credentials: Any, providers: tuple[str, ...] = ()) -> dict[str, bool]:
    """Whether each live source can run here: its credentials present (``Credentials.configured()``), keyless ones
    always, and only those in ``PROVIDERS`` when it is set (the deployment's allow-list)."""
    have = set(credentials.configured()) | set(KEYLESS_PROVIDERS)
    if get_archive_settings().enabled:  # keyless, but only where the deployment keeps an archive
        have.add(ARCHIVE_PROVIDER)
    return {
        name: name in have and (not providers or name in providers) for name in KNOWN_PROVIDERS if name != "simulated"
    }


def _local_configured() -> dict[str, bool]:
    config = get_provider_settings()
    allowed = tuple(p.strip().lower() for p in config.providers.split(",") if p.strip())
    answer = {}
    for name in KNOWN_PROVIDERS:
        if name == "simulated":
            continue
        secrets = SECRET_PROVIDERS.get(name, ())
        has = all(config.secret(s) or config.secret_param(s) for s in secrets)
        if name == ARCHIVE_PROVIDER:
            has = get_archive_settings().enabled
        answer[name] = has and (not allowed or name in allowed)
    return answer


def _iso(epoch: Any) -> str | None:
    try:
        value = float(epoch)
    except (TypeError, ValueError):
        return None
    return isoformat_z(_utc(value)) if value > 0 else None


def _utc(epoch: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC)


def report(now: float | None = None) -> dict:
    """The ``GET /api/sources`` body (docs/CONTRACTS.md)."""
    now = time.time() if now is None else now
    day = time.strftime("%Y-%m-%d", time.gmtime(now))
    counts, states = composition.data.counter_readings.read_sources(day)
    costs = spend.report(now)["providers"]
    local = _local_configured()
    rows = []
    for name in KNOWN_PROVIDERS:
        state: Mapping[str, Any] = states.get(name, {})
        today = counts.get(name, {})
        covers, covers_note = COVERAGE[name]
        recorded = "configured" in state
        configured = bool(state["configured"]) if recorded else local.get(name, name == "simulated")
        limited_until = float(state.get("rate_limited_until") or 0)
        breaker_until = float(state.get("breaker_until") or 0)
        breaker = str(state.get("breaker") or "closed")
        if breaker == "open" and breaker_until <= now:
            breaker = "half_open"  # it has waited its reset time: the next job may try
        last_ok, last_fail = _iso(state.get("ok_at")), _iso(state.get("fail_at"))
        failing = bool(last_fail) and float(state.get("fail_at") or 0) > float(state.get("ok_at") or 0)
        rows.append(
            {
                "provider": name,
                "channel": channel_of(name),
                "configured": configured,
                "configured_by": "worker" if recorded else "this process's settings",
                "enabled_by": list(ENABLED_BY[name]) or None,
                "keyless": name in KEYLESS_PROVIDERS or name == "simulated",
                "covers": covers,
                "covers_note": covers_note,
                "status": _status(configured, failing, limited_until > now, breaker, bool(last_ok)),
                "last_success": last_ok,
                "last_failure": (
                    {"at": last_fail, "code": state.get("fail_code"), "reason": state.get("fail_reason") or ""}
                    if last_fail
                    else None
                ),
                "rate_limited": limited_until > now,
                "rate_limited_until": _iso(limited_until) if limited_until > now else None,
                "breaker": breaker,
                "breaker_open_until": _iso(breaker_until) if breaker == "open" else None,
                "today": {
                    "day": day,
                    "requests": int(today.get("requests", 0)),
                    "posts": int(today.get("posts", 0)),
                    "jobs": int(today.get("jobs", 0)),
                    "failures": int(today.get("failures", 0)),
                    "cost_usd": costs.get(name, {}).get("spent_usd", 0.0),
                },
                "state_as_of": _iso(state.get("as_of")),
            }
        )
    return {"day": day, "generated_at": isoformat_z(_utc(now)), "sources": rows}


def _status(configured: bool, failing: bool, limited: bool, breaker: str, ever_ok: bool) -> str:
    """One word: ``not_configured``, ``rate_limited``, ``circuit_open``, ``failing``, ``ok`` or ``unknown`` (never
    used yet)."""
    if not configured:
        return "not_configured"
    if limited:
        return "rate_limited"
    if breaker == "open":
        return "circuit_open"
    if failing:
        return "failing"
    return "ok" if ever_ok else "unknown"


def summary_lines(body: dict) -> list[str]:
    """The report as short lines (``make run``'s banner)."""
    lines = []
    for row in body["sources"]:
        enabled = ", ".join(row["enabled_by"] or []) or "keyless"
        note = row["status"]
        if row["last_failure"] and row["status"] != "ok":
            note += f" ({row['last_failure']['reason']})"
        lines.append(
            f"{row['provider']:<11} {row['channel']:<9} {'on ' if row['configured'] else 'off'}  {row['covers']:<15} "
            f"{note}  [{enabled}]"
        )
    return lines

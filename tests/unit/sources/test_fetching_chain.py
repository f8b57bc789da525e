from __future__ import annotations

import asyncio

import httpx
import pytest
from social_analytics.analyses.sources.base import (
    FetchResult,
    ProviderPaymentRequired,
    ProviderUnavailable,
)
from social_analytics.analyses.sources.breaker import CircuitBreaker
from social_analytics.analyses.sources.chain import fetch_with_fallback
from social_analytics.analyses.sources.credentials import (
    Credentials,
    ProviderConfig,
    load_credentials,
    load_provider_config,
)
from social_analytics.analyses.sources.registry import build_adapters
from social_analytics.models import Post

from tests.fakes.mock_http import NOW, Sleeps, run, window


def post(provider: str, n: int = 0) -> Post:
    return Post(id=f"{provider}:{n}", text=f"serverless post {n}", created_at=NOW, provider=provider)


class Stub:
    """A scripted adapter: each call pops the next behaviour (posts, an exception, or a coroutine to await)."""

    def __init__(self, name: str, *behaviours, simulated: bool = False, billable: int | None = None) -> None:
        self.name, self.simulated, self.behaviours, self.calls, self.billable = (
            name,
            simulated,
            list(behaviours),
            [],
            billable,
        )

    async def fetch(self, query, window, limit, *, cursor=None, budget=None):
        self.calls.append(cursor)
        behaviour = self.behaviours.pop(0) if self.behaviours else []
        if isinstance(behaviour, BaseException):
            raise behaviour
        if asyncio.iscoroutine(behaviour):
            await behaviour
            behaviour = []
        count = len(behaviour) if self.billable is None else self.billable
        return FetchResult(posts=behaviour[:limit], cursor={"since_id": "9"}, billable_items=count)


class PlainSimulated:
    name, simulated = "simulated", True

    async def fetch(self, query, window, limit, *, cursor=None, budget=None):
        return FetchResult(posts=[post("simulated", i) for i in range(limit)])


def chain(adapters, limit=10, budget_seconds=5.0, breaker=None, **kwargs):
    kwargs.setdefault("sleep", Sleeps())
    return run(
        fetch_with_fallback(
            adapters, "serverless", window(), limit, budget_seconds, breaker or CircuitBreaker(), **kwargs
        )
    )


def test_falls_back_and_records_every_attempt():
    outcome = chain(
        [
            Stub("socialdata", ProviderPaymentRequired("socialdata: HTTP 402 Insufficient balance")),
            Stub("mastodon", [post("mastodon", 1), post("mastodon", 2)]),
            PlainSimulated(),
        ]
    )
    source = outcome.source
    assert [p.id for p in outcome.posts] == ["mastodon:1", "mastodon:2"]
    assert source["provider"] == "mastodon" and source["simulated"] is False
    assert [(a["provider"], a["outcome"]) for a in source["attempts"]] == [("socialdata", "failed"), ("mastodon", "ok")]
    # a fixed public phrase: the provider's own words ("Insufficient balance") go to the logs only
    assert source["attempts"][0]["reason"] == "payment_required: the provider account needs payment or credit"
    assert source["fetched_at"].endswith("Z") and source["cost_estimate_usd"] == 0.0
    assert outcome.cursors == {"mastodon": {"since_id": "9"}}


def test_simulated_last_resort_is_labeled_simulated():
    outcome = chain([Stub("x", ProviderUnavailable("x: HTTP 503")), PlainSimulated()], limit=3)
    assert outcome.source["provider"] == "simulated" and outcome.source["simulated"] is True
    assert len(outcome.posts) == 3


def test_simulated_posts_from_a_mislabeled_adapter_still_mark_the_result_simulated():
    outcome = chain([Stub("mastodon", [post("simulated", 1)])])
    assert outcome.source["simulated"] is True


def test_live_empty_answer_does_not_fall_to_simulated_unless_asked():
    outcome = chain([Stub("mastodon", []), PlainSimulated()])
    assert outcome.posts == [] and outcome.source["provider"] == "mastodon"
    assert outcome.source["attempts"][1] == {**outcome.source["attempts"][1], "outcome": "skipped"}
    again = chain([Stub("mastodon", []), PlainSimulated()], simulate_when_empty=True)
    assert again.source["simulated"] is True


def test_cost_estimate_uses_billable_items():
    outcome = chain([Stub("socialdata", [post("socialdata", i) for i in range(10)], billable=20)])
    assert outcome.source["cost_estimate_usd"] == pytest.approx(20 * 0.0002)
    x = chain([Stub("x", [post("x", i) for i in range(100)])], limit=100)
    assert x.source["cost_estimate_usd"] == pytest.approx(0.5)


def test_cursors_are_passed_to_their_adapter():
    stub = Stub("x", [post("x")])
    chain([stub], cursors={"x": {"since_id": "5"}, "socialdata": {"since_id": "7"}})
    assert stub.calls == [{"since_id": "5"}]


def test_breaker_opens_after_consecutive_failures_and_skips_quickly():
    clock = [0.0]
    breaker = CircuitBreaker(failure_threshold=3, reset_seconds=60, clock=lambda: clock[0])
    dead = Stub("x", *[ProviderUnavailable("x: HTTP 503") for _ in range(5)])
    for _ in range(3):
        chain([dead, PlainSimulated()], breaker=breaker)
    skipped = chain([dead, PlainSimulated()], breaker=breaker)
    assert len(dead.calls) == 3
    attempt = skipped.source["attempts"][0]
    assert attempt["outcome"] == "skipped" and attempt["reason"].startswith("circuit open")
    clock[0] = 61.0  # half-open: one probe goes through, success closes the circuit
    dead.behaviours = [[post("x")]]
    assert chain([dead, PlainSimulated()], breaker=breaker).source["provider"] == "x"
    assert breaker.state("x") == "closed"


def test_payment_required_opens_the_breaker_at_once():
    breaker = CircuitBreaker(failure_threshold=3)
    chain([Stub("socialdata", ProviderPaymentRequired("402")), PlainSimulated()], breaker=breaker)
    assert breaker.state("socialdata") == "open"


def test_a_hanging_provider_is_cut_at_the_budget_and_the_chain_moves_on():
    outcome = chain([Stub("bluesky", asyncio.sleep(30)), PlainSimulated()], budget_seconds=0.2, limit=2)
    first = outcome.source["attempts"][0]
    assert first["outcome"] == "failed" and first["reason"].startswith("timeout")
    assert outcome.source["provider"] == "simulated"


def test_exhausted_budget_skips_live_providers_but_not_simulated():
    outcome = chain([Stub("x", [post("x")]), PlainSimulated()], budget_seconds=0.0, limit=1)
    assert [a["outcome"] for a in outcome.source["attempts"]] == ["skipped", "ok"]
    assert outcome.source["attempts"][0]["reason"] == "job time budget exhausted"


def test_adapter_crash_is_a_failed_attempt():
    outcome = chain([Stub("x", KeyError("bug")), PlainSimulated()], limit=1)
    assert outcome.source["attempts"][0]["reason"] == "internal_error: internal error"


def test_everything_failing_returns_provider_none():
    outcome = chain([Stub("x", ProviderUnavailable("x: HTTP 500"))])
    assert outcome.posts == [] and outcome.source["provider"] == "none"


# ------------------------------------------------------------------------ chain construction and credentials


def test_build_adapters_default_order_and_unconfigured_skip():
    config = ProviderConfig(credentials=Credentials(x_bearer_token="t"), mastodon_instances=("https://m.test",))

    async def go():
        async with httpx.AsyncClient() as c:
            default = [a.name for a in build_adapters(None, config, c)]
            named = build_adapters(["socialdata", "mastodon"], config, c)
            outcome = await fetch_with_fallback(named[:1], "q", window(), 5, 1.0, CircuitBreaker())
            return default, outcome

    default, outcome = run(go())
    assert default == ["x", "mastodon", "hackernews", "lemmy", "simulated"]  # every keyless source by default
    assert outcome.source["attempts"][0]["outcome"] == "skipped"
    assert "SOCIALDATA_API_KEY" in outcome.source["attempts"][0]["reason"]


def test_build_adapters_rejects_unknown_names():
    with pytest.raises(ValueError, match="reddit"):
        build_adapters(["reddit"], ProviderConfig(credentials=Credentials()), httpx.AsyncClient())


def test_bluesky_session_manager_is_shared_between_chains():
    config = ProviderConfig(credentials=Credentials(bluesky_handle="h", bluesky_app_password="p"))
    c = httpx.AsyncClient()
    first, second = build_adapters(["bluesky"], config, c)[0], build_adapters(["bluesky"], config, c)[0]
    assert first._sessions is second._sessions


def test_credentials_from_env_and_ssm_never_shown():
    calls = []

    def ssm(name):
        calls.append(name)
        return "from-ssm-secret"

    env = {"SOCIALDATA_API_KEY_PARAM": "/app/socialdata", "X_BEARER_TOKEN": "env-secret", "BLUESKY_HANDLE": " "}
    creds = load_credentials(env, ssm)
    assert creds.socialdata_api_key == "from-ssm-secret" and creds.x_bearer_token == "env-secret"
    assert creds.bluesky_handle is None and calls == ["/app/socialdata"]
    assert "secret" not in repr(creds) and "secret" not in str(creds)
    assert creds.configured() == ["socialdata", "x"]


def test_unreadable_ssm_parameter_leaves_the_provider_unconfigured():
    def broken(name):
        raise RuntimeError("AccessDenied")

    assert load_credentials({"X_BEARER_TOKEN_PARAM": "/x"}, broken).x_bearer_token is None


def test_provider_config_from_env():
    config = load_provider_config(
        {"PROVIDERS": "Mastodon, simulated", "MASTODON_INSTANCES": "https://a.test, https://b.test",
         "X_API_BASE_URL": "http://127.0.0.1:9"}
    )  # fmt: skip
    assert config.providers == ("mastodon", "simulated")
    assert config.mastodon_instances == ("https://a.test", "https://b.test")
    assert (
        config.x_api_base_url == "http://127.0.0.1:9" and config.socialdata_base_url == "https://api.socialdata.tools"
    )

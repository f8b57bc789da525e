"""Spend control in-process against moto: the DynamoDB budget, the gate around paid calls, who may spend,
expired jobs, and the spend report of ``GET /api/metrics``."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from botocore.exceptions import ClientError
from social_analytics.analyses.sources.base import FetchResult, ProviderPaymentRequired, ProviderUnavailable
from social_analytics.analyses.sources.breaker import CircuitBreaker
from social_analytics.analyses.sources.chain import fetch_with_fallback
from social_analytics.analyses.sources.fanout import fetch_fanout

from tests.conftest import FakeLambdaContext, apigw_event, sqs_event
from tests.fakes.mock_http import Sleeps, run, window
from tests.unit.sources.test_fetching_chain import Stub, post


@pytest.fixture
def budget(aws, monkeypatch):
    """Set the spend settings and return a helper that re-reads them."""
    from social_analytics import settings

    def configure(usd: float, **flags: str) -> None:
        monkeypatch.setenv("PAID_DAILY_BUDGET_USD", str(usd))
        for name, value in flags.items():
            monkeypatch.setenv(name, value)
        settings.reset()

    configure(1.0)
    yield configure
    settings.reset()


def gate(**kwargs):
    from social_analytics.analyses.sources.spend import SpendGate

    kwargs.setdefault("paid_allowed", True)
    return SpendGate(**kwargs)


def fetch(adapters, spend, limit=20):
    """The provider chain with the job's paid adapters behind ``spend`` (as service.live does)."""
    chain = spend.guard(adapters)
    return run(fetch_with_fallback(chain, "q", window(), limit, 5.0, CircuitBreaker(), sleep=Sleeps()))


# ------------------------------------------------------------------ the DynamoDB counter
def test_the_spend_prices_are_the_fetchers_prices():
    from social_analytics.analyses.sources import catalog, chain, fanout, spend

    # one price table, read by the spend gate and the fan-out alike (the chain runs through the fan-out)
    assert spend.PRICE_PER_POST_USD is catalog.PRICE_PER_POST_USD is fanout.PRICE_PER_POST_USD
    assert chain.fetch_source is fanout.fetch_source  # the chain prices its attempts through the fan-out


def test_reservations_stop_at_the_budget_and_settle_to_the_actual_cost(budget):
    from social_analytics.storage import spend as store

    assert [store.reserve("2026-01-01", "socialdata", 4000, 10000) for _ in range(3)] == [True, True, False]
    assert store.spent("2026-01-01") == {"socialdata": 8000}
    store.adjust("2026-01-01", "socialdata", -3000)  # a call that cost less than reserved
    assert store.reserve("2026-01-01", "socialdata", 4000, 10000) is True
    assert store.spent("2026-01-01") == {"socialdata": 9000}
    # an amount larger than the whole budget never passes, even on a fresh day
    assert store.reserve("2026-01-02", "socialdata", 20000, 10000) is False
    assert store.spent("2026-01-02") == {}


def test_the_gate_reserves_the_maximum_then_settles_what_the_provider_billed(budget):
    from social_analytics.analyses.sources import spend

    budget(0.02)
    # limit 20: reserves (20 + 20) x $0.0002 = $0.008; the call bills 20 posts = $0.004
    paid = Stub("socialdata", *[[post("socialdata", i) for i in range(20)] for _ in range(10)])
    outcomes = [fetch([paid, Stub("mastodon", [post("mastodon")])], gate()) for _ in range(6)]

    providers = [o.source["provider"] for o in outcomes]
    assert providers == ["socialdata"] * 4 + ["mastodon"] * 2  # 4 x $0.004 = $0.016; $0.008 more would pass $0.02
    refused = outcomes[-1].source["attempts"][0]
    assert refused["outcome"] == "skipped" and refused["reason"].startswith("budget_exhausted")
    assert len(paid.calls) == 4
    report = spend.report()
    # $0.004 left is less than the smallest call, (1 + a 20-tweet page) x $0.0002 = $0.0042
    assert report["providers"]["socialdata"] == {"spent_usd": 0.016, "budget_usd": 0.02, "exhausted": True}
    # X's smallest call, (1 + 10) x $0.005 = $0.055, never fits in $0.02
    assert report["providers"]["x"] == {"spent_usd": 0.0, "budget_usd": 0.02, "exhausted": True}


def test_a_storage_error_means_no_paid_call(budget, monkeypatch):
    from social_analytics.storage import spend as store

    def broken(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "Update")

    monkeypatch.setattr(store, "reserve", broken)
    paid = Stub("socialdata", [post("socialdata")])
    outcome = fetch([paid, Stub("mastodon", [post("mastodon")])], gate())

    assert paid.calls == [] and outcome.source["provider"] == "mastodon"
    assert outcome.source["attempts"][0]["reason"].startswith("budget_unavailable")


def test_a_zero_budget_allows_no_paid_call(budget):
    budget(0)
    paid = Stub("x", [post("x")])
    outcome = fetch([paid, Stub("mastodon", [post("mastodon")])], gate())
    assert paid.calls == [] and outcome.source["attempts"][0]["reason"].startswith("budget_exhausted")


# ------------------------------------------------------------------ who may spend, and the fallback rule
def test_a_job_without_paid_allowed_skips_every_paid_provider(budget):
    socialdata, x = Stub("socialdata", [post("socialdata")]), Stub("x", [post("x")])
    outcome = fetch([socialdata, x, Stub("mastodon", [post("mastodon")])], gate(paid_allowed=False))
    assert socialdata.calls == x.calls == []
    assert [a["reason"].split(":")[0] for a in outcome.source["attempts"][:2]] == ["paid_not_allowed"] * 2
    assert outcome.source["provider"] == "mastodon"


@pytest.mark.parametrize("failure", [ProviderPaymentRequired("socialdata: HTTP 402"), ProviderUnavailable("down")])
def test_a_failing_paid_provider_never_hands_the_job_to_a_dearer_one(budget, failure):
    socialdata, x = Stub("socialdata", failure), Stub("x", [post("x")])
    outcome = fetch([socialdata, x, Stub("mastodon", [post("mastodon")])], gate())
    assert x.calls == [] and outcome.source["provider"] == "mastodon"
    assert outcome.source["attempts"][1]["reason"].startswith("paid_fallback_disabled")


def test_paid_fallback_lets_the_dearer_provider_answer(budget):
    budget(1.0, PAID_FALLBACK="true")
    socialdata, x = Stub("socialdata", ProviderPaymentRequired("socialdata: HTTP 402")), Stub("x", [post("x")])
    outcome = fetch([socialdata, x], gate())
    assert len(x.calls) == 1 and outcome.source["provider"] == "x"


def test_x_alone_in_the_chain_is_used(budget):
    x = Stub("x", [post("x")])
    assert fetch([x], gate()).source["provider"] == "x"


def test_an_unconfigured_cheaper_provider_does_not_block_the_configured_one(budget):
    from social_analytics.analyses.sources.base import UnconfiguredAdapter

    x = Stub("x", [post("x")])
    outcome = fetch([UnconfiguredAdapter("socialdata", "socialdata: not configured"), x], gate())
    assert len(x.calls) == 1 and outcome.source["provider"] == "x"
    assert outcome.source["attempts"][0]["reason"] == "socialdata: not configured"


def test_a_failed_call_gives_its_reservation_back_and_a_crash_keeps_it(budget):
    from social_analytics.analyses.sources.spend import today
    from social_analytics.storage import spend as store

    fetch([Stub("socialdata", ProviderUnavailable("down")), Stub("mastodon", [post("mastodon")])], gate())
    assert store.spent(today()) == {"socialdata": 0}  # failed requests are not billed
    fetch([Stub("socialdata", KeyError("bug")), Stub("mastodon", [post("mastodon")])], gate())
    assert store.spent(today()) == {"socialdata": 8000}  # unknown outcome: (20 + 20) x $0.0002 stays counted


class Timed:
    """A paid source for the fan-out that answers (or raises) after ``delay`` seconds and records when it ran."""

    def __init__(self, name, answer, delay=0.0):
        self.name, self.simulated, self.answer, self.delay = name, False, answer, delay
        self.calls: list[float] = []
        self.finished_at: float | None = None

    async def fetch(self, query, window, limit, *, cursor=None, budget=None):
        self.calls.append(time.monotonic())
        await asyncio.sleep(self.delay)
        self.finished_at = time.monotonic()
        if isinstance(self.answer, BaseException):
            raise self.answer
        return FetchResult(posts=list(self.answer)[:limit], billable_items=len(self.answer))


def fan(adapters, spend):
    return run(fetch_fanout(spend.guard(adapters), "q", window(), 20, 5.0, CircuitBreaker()))


def test_in_the_fan_out_x_waits_for_socialdata_and_is_not_needed_when_it_answered(budget):
    socialdata = Timed("socialdata", [post("socialdata", 1)], delay=0.2)
    x = Timed("x", [post("x", 1)])
    outcome = fan([socialdata, x, Stub("mastodon", [post("mastodon")])], gate())
    rows = {row["provider"]: row for row in outcome.source["providers"]}
    assert x.calls == [] and rows["x"]["outcome"] == "skipped"
    assert rows["x"]["reason"].startswith("paid_not_needed: socialdata answered")
    assert rows["socialdata"]["outcome"] == "ok" and rows["mastodon"]["outcome"] == "ok"


def test_in_the_fan_out_a_failing_socialdata_never_hands_the_job_to_x(budget):
    socialdata = Timed("socialdata", ProviderPaymentRequired("socialdata: HTTP 402"), delay=0.2)
    x = Timed("x", [post("x", 1)])
    outcome = fan([socialdata, x, Stub("mastodon", [post("mastodon")])], gate())
    rows = {row["provider"]: row for row in outcome.source["providers"]}
    assert x.calls == [] and rows["x"]["reason"].startswith("paid_fallback_disabled")
    assert outcome.source["provider"] == "mastodon"


def test_in_the_fan_out_paid_fallback_asks_x_only_after_socialdata_failed(budget):
    budget(1.0, PAID_FALLBACK="true")
    socialdata = Timed("socialdata", ProviderUnavailable("down"), delay=0.2)
    x = Timed("x", [post("x", 1)])
    outcome = fan([socialdata, x], gate())
    assert len(x.calls) == 1 and x.calls[0] >= socialdata.finished_at
    assert outcome.source["provider"] == "x"


def _posted_message(call_api, queue_messages, keyword: str, **event_changes) -> dict:
    from social_analytics.handlers import api

    event = apigw_event("POST", "/api/analyses", {"keyword": keyword})
    for path, value in event_changes.items():
        target = event
        *parents, leaf = path.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    assert api.handler(event, FakeLambdaContext())["statusCode"] == 202
    bodies = [json.loads(m["Body"]) for m in queue_messages()]
    return next(b for b in bodies if b["keyword"] == keyword)


def test_anonymous_callers_may_not_spend_api_key_callers_and_the_admin_may(
    budget, call_api, queue_messages, monkeypatch
):
    budget(1.0, ADMIN_TOKEN="s3cret-admin-token-0123456789")
    assert _posted_message(call_api, queue_messages, "anon")["paid_allowed"] is False
    keyed = _posted_message(call_api, queue_messages, "keyed", **{"requestContext.identity.apiKeyId": "k1abc"})
    assert keyed["paid_allowed"] is True
    admin = _posted_message(
        call_api, queue_messages, "admin", **{"headers.Authorization": "Bearer s3cret-admin-token-0123456789"}
    )
    assert admin["paid_allowed"] is True
    wrong = _posted_message(call_api, queue_messages, "wrong", **{"headers.Authorization": "Bearer nope"})
    assert wrong["paid_allowed"] is False

    budget(1.0, PAID_FOR_ANONYMOUS="true")
    assert _posted_message(call_api, queue_messages, "anon opted in")["paid_allowed"] is True


def test_scheduled_scans_of_tracked_keywords_may_spend(budget, queue_messages):
    from social_analytics.tracking import scans as tracking

    tracking.track("tracked topic", 15)
    assert tracking.enqueue_due()["enqueued"] == 1
    (message,) = [json.loads(m["Body"]) for m in queue_messages()]
    assert message["kind"] == "scan" and message["paid_allowed"] is True


# ------------------------------------------------------------------ expired jobs
def test_a_job_older_than_its_deadline_is_failed_expired_and_never_fetched(
    budget, call_api, queue_messages, lambda_context, monkeypatch
):
    from social_analytics.handlers import worker

    fetched = []

    async def spy(job):
        fetched.append(job.job_id)
        raise AssertionError("an expired job must not be fetched")

    monkeypatch.setattr("social_analytics.analyses.run.fetch_posts", spy)
    status, job = call_api("POST", "/api/analyses", {"keyword": "stale backlog"})
    assert status == 202
    message = queue_messages()[0]
    body = json.loads(message["Body"])
    body["submitted_at"] = time.time() - 1801  # JOB_DEADLINE_SECONDS is 1800
    message["Body"] = json.dumps(body)

    assert worker.handler(sqs_event([message]), lambda_context) == {"batchItemFailures": []}
    assert fetched == []
    _status, failed = call_api("GET", job["status_url"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "expired"


def test_metrics_show_spend_today_against_the_budget(budget, call_api):
    from social_analytics.analyses.sources.spend import today
    from social_analytics.storage import spend as store

    budget(0.1)
    store.reserve(today(), "socialdata", 99_000, 100_000)
    status, metrics = call_api("GET", "/api/metrics")
    assert status == 200
    assert metrics["spend"]["day"] == today()
    assert metrics["spend"]["budget_usd_per_provider"] == 0.1
    # $0.001 left: less than a one-post call (1 + a 20-tweet page) x $0.0002 = $0.0042
    assert metrics["spend"]["providers"]["socialdata"] == {"spent_usd": 0.099, "budget_usd": 0.1, "exhausted": True}
    assert metrics["spend"]["providers"]["x"] == {"spent_usd": 0.0, "budget_usd": 0.1, "exhausted": False}

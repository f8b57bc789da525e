"""The spend gate around paid calls (analyses/sources/spend.py) against an in-memory ledger: each paid call
reserves its maximum cost, then settles to what the provider billed; a provider error settles to nothing; a crash
keeps the reservation; a full budget skips the call without asking the provider. No moto, no network."""

from __future__ import annotations

import pytest
from social_analytics import composition, settings
from social_analytics.analyses.sources import spend
from social_analytics.analyses.sources.base import ProviderUnavailable

from tests.fakes.mock_http import run, window
from tests.fakes.stores import InMemorySpendLedger
from tests.unit.sources.test_fetching_chain import Stub, post

PRICE = spend.PRICE_PER_POST_USD["socialdata"]  # $0.0002 a post


@pytest.fixture
def ledger(monkeypatch) -> InMemorySpendLedger:
    monkeypatch.setenv("PAID_DAILY_BUDGET_USD", "0.02")
    composition.reset()
    found = InMemorySpendLedger()
    composition.use_data(spend=found)
    yield found
    composition.reset()


def paid(adapter: Stub, **kwargs):
    kwargs.setdefault("paid_allowed", True)
    [guarded] = spend.SpendGate(**kwargs).guard([adapter])
    assert isinstance(guarded, spend.PaidAdapter)
    return guarded


def test_a_call_reserves_its_maximum_then_settles_to_the_billed_cost(ledger):
    socialdata = Stub("socialdata", [post("socialdata", i) for i in range(12)], billable=15)

    result = run(paid(socialdata).fetch("q", window(), 20))

    assert len(result.posts) == 12
    # reserved (20 + a 20-post page) x $0.0002 = 8000 micro-USD, settled to 15 billed posts = 3000
    assert ledger.spent(spend.today()) == {"socialdata": round(15 * PRICE * 1_000_000)}
    assert ledger.calls[(spend.today(), "socialdata")] == 1


def test_a_provider_error_settles_to_nothing_and_a_crash_keeps_the_reservation(ledger):
    with pytest.raises(ProviderUnavailable):
        run(paid(Stub("socialdata", ProviderUnavailable("down"))).fetch("q", window(), 20))
    assert ledger.spent(spend.today()) == {"socialdata": 0}

    with pytest.raises(RuntimeError):
        run(paid(Stub("socialdata", RuntimeError("bug"))).fetch("q", window(), 20))
    assert ledger.spent(spend.today()) == {"socialdata": round(spend.max_cost_usd("socialdata", 20) * 1_000_000)}


def test_a_spent_budget_skips_the_call_and_the_report_says_so(ledger):
    ledger.micros[(spend.today(), "socialdata")] = 15_000  # $0.015 of $0.02: a 20-post call ($0.008) no longer fits
    socialdata = Stub("socialdata", [post("socialdata")])

    with pytest.raises(spend.SpendSkipped) as skipped:
        run(paid(socialdata).fetch("q", window(), 20))

    assert skipped.value.reason.startswith("budget_exhausted")
    assert socialdata.calls == []  # the provider was never asked
    assert ledger.spent(spend.today()) == {"socialdata": 15_000}
    report = spend.report()
    # $0.005 left still fits one post and a page ($0.0042)
    assert report["providers"]["socialdata"] == {"spent_usd": 0.015, "budget_usd": 0.02, "exhausted": False}


def test_anonymous_jobs_never_reserve(ledger):
    socialdata = Stub("socialdata", [post("socialdata")])

    with pytest.raises(spend.SpendSkipped) as skipped:
        run(paid(socialdata, paid_allowed=False).fetch("q", window(), 20))

    assert skipped.value.reason.startswith("paid_not_allowed")
    assert socialdata.calls == [] and ledger.spent(spend.today()) == {}


def test_a_ledger_that_cannot_be_read_means_no_paid_call(ledger, monkeypatch):
    def broken(*args):
        raise ConnectionError("storage is down")

    monkeypatch.setattr(ledger, "reserve", broken)
    socialdata = Stub("socialdata", [post("socialdata")])

    with pytest.raises(spend.SpendSkipped) as skipped:
        run(paid(socialdata).fetch("q", window(), 20))

    assert skipped.value.reason.startswith("budget_unavailable") and socialdata.calls == []
    assert settings.get_settings().paid_daily_budget_usd == 0.02

"""The daily budget is a cap, as the provider counts it: real adapters over real HTTP against a loopback SocialData
and X that serve what a hostile or unlucky search gets (tweets outside the window, the same page again and again),
behind the spend gate and the DynamoDB ledger (moto), one call at a time and many at once."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import httpx
import pytest
from social_analytics.analyses.sources.catalog import PRICE_PER_POST_USD, max_billable_items
from social_analytics.models import TimeWindow

from tests.fakes.provider_server import SOCIALDATA_KEY, X_TOKEN, FakeProviderServer, Reply

LIMIT = 20


@pytest.fixture
def budget(aws, monkeypatch):
    from social_analytics import settings

    def configure(usd: float) -> None:
        monkeypatch.setenv("PAID_DAILY_BUDGET_USD", str(usd))
        settings.reset()

    configure(1.0)
    yield configure
    settings.reset()


def out_of_window(fake: FakeProviderServer) -> TimeWindow:
    """A day that ends long before the fake's oldest tweet: every tweet it serves is dropped, and billed."""
    end = fake.now - timedelta(days=30)
    return TimeWindow(start=end - timedelta(days=1), end=end)


def served(fake: FakeProviderServer, route: str, per_page) -> int:
    """Items the provider served (what it bills), from its own request log."""
    return sum(per_page(query) for r, _path, query in fake.request_log if r == route)


def socialdata_served(fake: FakeProviderServer) -> int:
    def page(query) -> int:
        offset = int(query.get("cursor", ["0"])[0])
        return max(0, min(20, fake.count - offset))

    return served(fake, "socialdata", page)


async def _gated_fetch(provider: str, fake: FakeProviderServer, window: TimeWindow, limit: int = LIMIT):
    from social_analytics.analyses.sources.socialdata import SocialDataAdapter
    from social_analytics.analyses.sources.spend import SpendGate
    from social_analytics.analyses.sources.x_api import XApiAdapter

    async with httpx.AsyncClient(timeout=10) as client:
        if provider == "socialdata":
            adapter = SocialDataAdapter(client, SOCIALDATA_KEY, fake.base_url)
        else:
            adapter = XApiAdapter(client, X_TOKEN, fake.base_url)
        (paid,) = SpendGate(paid_allowed=True).guard([adapter])
        return await paid.fetch("serverless", window, limit)


def test_out_of_window_tweets_stop_paging_at_the_reserved_ceiling(budget):
    from social_analytics.analyses.sources.spend import today
    from social_analytics.storage import spend as store

    with FakeProviderServer(posts=4000) as fake:  # 200 pages of tweets, none inside the window
        result = asyncio.run(_gated_fetch("socialdata", fake, out_of_window(fake)))
        billed = socialdata_served(fake)

    ceiling = max_billable_items("socialdata", LIMIT)  # 40 tweets, what the gate reserved
    assert result.posts == [] and result.complete is False
    assert result.billable_items == billed == ceiling  # before: all 200 pages, 4,000 tweets ($0.80)
    assert any("billing ceiling" in note for note in result.notes)
    assert store.spent(today()) == {"socialdata": round(ceiling * PRICE_PER_POST_USD["socialdata"] * 1e6)}


def test_duplicate_pages_count_as_billed(budget):
    with FakeProviderServer(posts=40) as fake:
        page = fake._socialdata({"cursor": ["0"]}, f"Bearer {SOCIALDATA_KEY}").body
        # The same 20 tweets on every page, each with a fresh cursor: only 20 distinct posts, each page billed.
        fake.script("socialdata", *[Reply(200, {**page, "next_cursor": f"c{i}"}) for i in range(50)])
        window = TimeWindow(start=fake.now - timedelta(days=7), end=fake.now + timedelta(minutes=1))
        result = asyncio.run(_gated_fetch("socialdata", fake, window, limit=100))
        pages = fake.requests["socialdata"]

    assert len(result.posts) == 20
    assert result.billable_items == pages * 20 <= max_billable_items("socialdata", 100)  # 6 pages, not 50


def test_x_sizes_its_last_page_to_the_ceiling(budget):
    with FakeProviderServer(posts=500) as fake:
        result = asyncio.run(_gated_fetch("x", fake, out_of_window(fake)))
        asked = [int(q["max_results"][0]) for r, _p, q in fake.request_log if r == "x"]

    assert asked == [20, 10]  # 30 = the ceiling (20 + a minimum page of 10), never a page more
    assert result.billable_items == sum(asked) == max_billable_items("x", LIMIT)


def test_a_settlement_never_raises_the_count_nor_takes_it_below_zero(budget):
    from social_analytics.storage import spend as store

    assert store.reserve("2026-01-01", "socialdata", 8000, 10000)
    with pytest.raises(ValueError):
        store.adjust("2026-01-01", "socialdata", 500)  # settling above the reservation is refused outright
    assert store.adjust("2026-01-01", "socialdata", -9000) is False  # more than was counted: refused
    assert store.adjust("2026-01-01", "socialdata", -3000) is True
    assert store.spent("2026-01-01") == {"socialdata": 5000}


def test_a_provider_serving_bigger_pages_than_documented_settles_at_the_reservation(budget):
    from social_analytics.analyses.sources.spend import today
    from social_analytics.storage import spend as store

    with FakeProviderServer(posts=10) as fake:
        page = fake._socialdata({"cursor": ["0"]}, f"Bearer {SOCIALDATA_KEY}").body
        huge = [dict(t, id_str=str(int(t["id_str"]) - k * 7), id=0) for k in range(10) for t in page["tweets"]]
        fake.script("socialdata", Reply(200, {"tweets": huge, "next_cursor": None}))  # 100 tweets in one page
        result = asyncio.run(_gated_fetch("socialdata", fake, out_of_window(fake)))

    assert result.billable_items == 100
    reserved = round(max_billable_items("socialdata", LIMIT) * PRICE_PER_POST_USD["socialdata"] * 1e6)
    assert store.spent(today()) == {"socialdata": reserved}  # the day's count never passes what was let through


def test_concurrent_jobs_against_an_overbilling_provider_spend_at_most_the_budget(budget):
    from social_analytics.analyses.sources.spend import today
    from social_analytics.storage import spend as store

    budget_usd = 0.03  # each call reserves (20 + 20) x $0.0002 = $0.008: three fit, the fourth does not
    budget(budget_usd)
    outcomes: list[object] = []
    with FakeProviderServer(posts=4000, page_delay=0.05) as fake:
        window = out_of_window(fake)
        start = threading.Barrier(12)

        def job() -> None:
            start.wait()
            try:
                outcomes.append(asyncio.run(_gated_fetch("socialdata", fake, window)))
            except Exception as exc:
                outcomes.append(exc)

        threads = [threading.Thread(target=job) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        billed = socialdata_served(fake)

    answered = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(outcomes) == 12 and len(answered) == 3
    assert all(str(exc).startswith("budget_exhausted") for exc in refused)
    # What the provider served, and what the ledger counts, both stay within the budget.
    assert billed * PRICE_PER_POST_USD["socialdata"] <= budget_usd
    assert store.spent(today())["socialdata"] <= budget_usd * 1e6

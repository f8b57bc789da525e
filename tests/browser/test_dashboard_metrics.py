"""The metrics panel: paid-provider spend today against the daily budget (GET /api/metrics ``spend``)."""

from __future__ import annotations

import httpx
import pytest
from dashboard_helpers import run_axe

pytestmark = pytest.mark.browser


def check_spend_rows(page, spend: dict) -> None:
    rows = page.locator("#spend-list li.spend-row")
    assert rows.count() == len(spend["providers"])
    for name, item in spend["providers"].items():
        row = page.locator(f"#spend-list li[data-provider='{name}']")
        text = row.inner_text()
        assert f"${item['spent_usd']:.2f} of ${item['budget_usd']:.2f} today (UTC day {spend['day']})" in text
        meter = row.locator("meter")
        assert float(meter.get_attribute("max")) == pytest.approx(item["budget_usd"])
        assert float(meter.get_attribute("value")) == pytest.approx(min(item["spent_usd"], item["budget_usd"]))
        assert meter.get_attribute("aria-labelledby")  # the meter is named by its provider
        assert ("Budget spent: paid calls skipped" in text) is item["exhausted"]


def test_spend_from_the_api(page, dashboard_url):
    """What the stack's GET /api/metrics says about spend is what the panel shows."""
    metrics = httpx.get(f"{dashboard_url}/api/metrics", timeout=10).json()
    if "spend" not in metrics:
        pytest.skip("this backend's GET /api/metrics has no spend yet (the spend-control branch is not merged)")
    page.goto(dashboard_url + "/")
    page.wait_for_selector("#metrics[data-state=ready]")
    assert page.locator("#spend").is_visible()
    check_spend_rows(page, httpx.get(f"{dashboard_url}/api/metrics", timeout=10).json()["spend"])


def test_spend_exhausted_and_absent(page, dashboard_url):
    """An exhausted budget is flagged; a backend without ``spend`` shows no spend block (older APIs)."""
    spend = {
        "day": "2026-12-01",
        "budget_usd_per_provider": 5.0,
        "providers": {
            "socialdata": {"spent_usd": 5.0, "budget_usd": 5.0, "exhausted": True},
            "x": {"spent_usd": 0.375, "budget_usd": 5.0, "exhausted": False},
        },
    }

    def with_spend(route):
        response = route.fetch()
        route.fulfill(response=response, json={**response.json(), "spend": spend})

    page.route("**/api/metrics", with_spend)
    page.goto(dashboard_url + "/")
    page.wait_for_selector("#metrics[data-state=ready]")
    check_spend_rows(page, spend)
    assert page.locator("#spend-list li[data-provider=x]").inner_text().endswith("8%")
    assert run_axe(page, dashboard_url) == []

    page.unroute("**/api/metrics")

    def without_spend(route):
        response = route.fetch()
        body = response.json()
        body.pop("spend", None)
        route.fulfill(response=response, json=body)

    page.route("**/api/metrics", without_spend)
    page.click("#metrics-refresh")
    page.wait_for_timeout(500)
    assert page.locator("#spend").is_hidden()
    assert page.locator("#metric-grid .metric").count() == 7

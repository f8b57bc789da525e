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
        if item["budget_usd"] > 0:
            assert float(meter.get_attribute("max")) == pytest.approx(item["budget_usd"])
            assert float(meter.get_attribute("value")) == pytest.approx(min(item["spent_usd"], item["budget_usd"]))
        else:  # a zero budget is drawn full
            assert meter.get_attribute("value") == meter.get_attribute("max") == "1"
            assert "no budget: paid calls are off" in text
        assert meter.get_attribute("aria-labelledby")  # the meter is named by its provider
        assert ("Budget spent: paid calls skipped" in text) is item["exhausted"]


def test_spend_from_the_api(page, dashboard_url):
    """What the stack's GET /api/metrics says about spend is what the panel shows (no paid call yet: $0.00)."""
    page.goto(dashboard_url + "/")
    page.wait_for_selector("#metrics[data-state=ready]")
    spend = httpx.get(f"{dashboard_url}/api/metrics", timeout=10).json()["spend"]
    assert set(spend["providers"]) == {"socialdata", "x"}
    assert page.locator("#spend").is_visible()
    check_spend_rows(page, spend)
    assert run_axe(page, dashboard_url) == []


def test_no_spend_block_on_an_older_api(page, dashboard_url):
    def without_spend(route):
        response = route.fetch()
        body = response.json()
        body.pop("spend", None)
        route.fulfill(response=response, json=body)

    page.route("**/api/metrics", without_spend)
    page.goto(dashboard_url + "/")
    page.wait_for_selector("#metrics[data-state=ready]")
    assert page.locator("#spend").is_hidden()
    assert page.locator("#metric-grid .metric").count() == 7

"""The per-source breakdown, the coverage sentence, uncovered time and compare by estimate, in Chromium, against a
local stack whose live sources are loopback fakes: Mastodon (two instances) and Bluesky answer with 200 posts each,
one a minute back from now, so a 60-post limit covers about the last hour of 24; Hacker News points at a closed
port and fails with its reason."""

from __future__ import annotations

import re
import socket
import uuid
from datetime import datetime
from urllib.parse import quote

import httpx
import pytest
from dashboard_helpers import PageWatch, new_page, poll, run_axe
from test_dashboard_metrics import check_spend_rows

from local_stack.stack import LocalStack
from tests.conftest import ARTIFACTS
from tests.fakes.provider_server import FakeProviderServer

pytestmark = pytest.mark.browser

LIMIT = 50  # a select option of the dashboard


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture(scope="module")
def fake():
    with FakeProviderServer(posts=200) as server:
        yield server


@pytest.fixture(scope="module")
def sources_url(fake):
    ARTIFACTS.mkdir(exist_ok=True)
    environment = {
        **fake.env(),
        "PROVIDERS": "mastodon,bluesky,hackernews",
        "HACKERNEWS_BASE_URL": closed_port_url(),
        "FETCH_BUDGET_SECONDS": "8",
        "PAID_DAILY_BUDGET_USD": "0",  # no paid call fits: the metrics panel flags every paid provider
    }
    log_path = ARTIFACTS / "sources-browser-stack.log"
    with log_path.open("w") as log, LocalStack(port=0, environment=environment, log=log, worker_processes=1) as stack:
        yield stack.base_url.rstrip("/")


def keyword() -> str:
    # Unique per test (no cache), and still matching the fake's posts, which all say "serverless": every post is
    # checked against the query.
    return f"serverless -nope{uuid.uuid4().hex[:6]}"


def open_result(page, base: str, kw: str) -> dict:
    page.goto(f"{base}/?q={quote(kw)}&limit={LIMIT}")
    page.wait_for_selector("body[data-state=ready]", timeout=90_000)
    poll(page, "k => document.getElementById('result-keyword').textContent === k", kw)
    result = httpx.get(f"{base}/api/analyses/{quote(kw, safe='')}", timeout=10).json()
    assert result["source"]["simulated"] is False
    return result


def parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_sources_coverage_and_uncovered_time(browser, sources_url, artifacts_dir):
    for width, height in ((1280, 800), (375, 812)):
        watch = PageWatch()
        context, page = new_page(browser, watch, width=width, height=height)
        try:
            kw = keyword()
            result = open_result(page, sources_url, kw)
            providers = result["source"]["providers"]
            by_name = {row["provider"]: row for row in providers}
            assert by_name["mastodon"]["outcome"] == by_name["bluesky"]["outcome"] == "ok"
            assert by_name["hackernews"]["outcome"] == "failed"

            # One row per source, in the API's order: posts, share of the result's posts, outcome and reason.
            rows = page.locator("#sources-body tr")
            assert rows.count() == len(providers)
            total = sum(row["posts"] for row in providers)
            for i, api_row in enumerate(providers):
                row = rows.nth(i)
                assert row.get_attribute("data-provider") == api_row["provider"]
                assert row.get_attribute("data-outcome") == api_row["outcome"]
                assert row.locator("[data-col=posts]").inner_text().split(" ")[0] == str(api_row["posts"])
                share = float(row.locator("[data-col=share]").inner_text().rstrip("%"))
                assert abs(share - api_row["posts"] / total * 100) <= 0.051
                if api_row["outcome"] == "ok":
                    s = api_row["sentiment"]
                    scored = s["positive"] + s["neutral"] + s["negative"]
                    assert row.locator("td").nth(7).inner_text() == f"{round(s['positive'] / scored * 100)}%"
            failed = rows.filter(has=page.locator("th", has_text="hackernews"))
            assert by_name["hackernews"]["reason"] in failed.locator(".reason").inner_text()
            assert "2 of 3 sources answered" in page.locator("#sources-note").inner_text()

            # One coverage sentence from coverage + volume, with its basis.
            coverage, volume = result["coverage"], result["volume"]
            assert coverage["complete"] is False and volume["basis"] in ("rate", "reported")
            line = page.locator("#coverage-line")
            text = line.inner_text()
            assert line.get_attribute("data-basis") == volume["basis"]
            assert line.get_attribute("data-complete") == "false"
            assert text.startswith(f"{volume['observed_posts']} posts cover the last "), text
            assert volume["sources_missing"] == ["hackernews"]
            assert text.endswith("Not counted: hackernews (failed or skipped, see Sources).")
            span_minutes = (parse(coverage["covered_to"]) - parse(coverage["covered_from"])).total_seconds() / 60
            shown = re.search(r"cover the last (\d+(?:\.\d+)?) (minutes|hours) of 24 hours", text)
            assert shown, text
            minutes = float(shown.group(1)) * (60 if shown.group(2) == "hours" else 1)
            assert abs(minutes - span_minutes) <= max(1, span_minutes * 0.03), (text, span_minutes)
            about = int(re.search(r"about ([\d,]+) posts a day", text).group(1).replace(",", ""))
            estimate = volume["estimated_posts_in_window"]
            assert abs(about - estimate) <= estimate * 0.05, (about, estimate)  # two significant figures
            assert {"rate": "estimated from the rate", "reported": "reported by the provider"}[volume["basis"]] in text

            # Buckets before the covered span are drawn as not covered (no data), never as zero posts.
            timeline = result["timeline"]
            uncovered = [i for i, bucket in enumerate(timeline) if bucket["covered"] is False]
            assert uncovered and len(uncovered) < len(timeline)
            legend = page.locator("#timeline-uncovered")
            assert legend.is_visible() and legend.get_attribute("data-uncovered") == str(len(uncovered))
            assert f"{len(uncovered)} of {len(timeline)} hourly buckets not covered" in legend.inner_text()
            drawn = poll(
                page,
                """() => { const c = window.Chart && Chart.getChart('chart-timeline');
                          return c && c.data.datasets.map((d) => d.data); }""",
            )
            for series in drawn:
                assert all(series[i] is None for i in uncovered)
            covered_posts = [drawn[0][i] for i in range(len(timeline)) if i not in uncovered]
            assert all(value is not None for value in covered_posts)
            assert "not covered by the fetched posts" in page.locator("#alt-timeline").inner_text()

            page.wait_for_timeout(400)
            assert run_axe(page, sources_url) == []
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(artifacts_dir / f"dashboard-sources-{width}x{height}.png"), full_page=True)
            assert not watch.page_errors and not watch.dialogs
        finally:
            context.close()


def test_compare_ranks_by_estimated_volume_with_its_basis(page, watch, sources_url):
    first, second = keyword(), keyword()
    open_result(page, sources_url, first)
    page.fill("#compare-input", second)
    page.click("#compare-btn")
    page.wait_for_selector("#compare[data-state=ready]", timeout=90_000)

    body = httpx.get(f"{sources_url}/api/compare", params={"keywords": f"{first},{second}"}, timeout=10).json()
    assert len(watch.api_requests("GET", "/api/compare?keywords=")) == 1
    rows = page.locator("#compare-tbody tr")
    assert rows.count() == 2
    for i, api_row in enumerate(body["keywords"]):
        row = rows.nth(i)
        assert row.get_attribute("data-keyword") == api_row["keyword"]
        assert row.get_attribute("data-basis") == api_row["basis"]
        assert row.locator("[data-col=volume]").inner_text() == str(api_row["volume"])
        estimate = row.locator("[data-col=estimate]").inner_text().replace("≈", "").replace(",", "").strip()
        assert int(estimate) == api_row["estimated_posts_in_window"]
        assert api_row["estimated_posts_in_window"] > api_row["volume"]  # capped: the estimate goes past the limit
        share = float(row.locator(".share").inner_text().rstrip("%"))
        assert abs(share - api_row["share"] * 100) <= 0.051
    basis = page.locator("#compare-basis")
    assert basis.get_attribute("data-basis") == body["basis"]
    assert f"basis: {body['basis']}" in basis.inner_text()
    assert "estimated posts in the window" in basis.inner_text()


def test_an_exhausted_budget_is_flagged(page, sources_url):
    page.goto(sources_url + "/")
    page.wait_for_selector("#metrics[data-state=ready]")
    spend = httpx.get(f"{sources_url}/api/metrics", timeout=10).json()["spend"]
    assert spend["budget_usd_per_provider"] == 0
    assert all(item["exhausted"] for item in spend["providers"].values())
    check_spend_rows(page, spend)
    assert page.locator("#spend-list li.spend-exhausted").count() == len(spend["providers"])

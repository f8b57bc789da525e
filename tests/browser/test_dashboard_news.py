"""News beside social in Chromium, against a local stack whose sources are loopback fakes of GDELT, Google News and
Hacker News: the news sources are their own channel in the sources panel and the sample list, GDELT's tone is drawn
on its own chart (never on the sentiment timeline), and after one job in which the GDELT fake answers 429 the Source
health view shows it rate limited with the public reason."""

from __future__ import annotations

import uuid

import httpx
import pytest
from dashboard_helpers import PageWatch, new_page, poll, run_axe

from local_stack.stack import LocalStack
from tests.conftest import ARTIFACTS
from tests.fakes.provider_server import FakeProviderServer, Reply

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fake():
    with FakeProviderServer(posts=40) as server:
        server.news_count = 30
        yield server


@pytest.fixture(scope="module")
def news_url(fake):
    ARTIFACTS.mkdir(exist_ok=True)
    environment = {**fake.env(), "PROVIDERS": "gdelt,googlenews,hackernews", "FETCH_BUDGET_SECONDS": "8"}
    log_path = ARTIFACTS / "news-browser-stack.log"
    with log_path.open("w") as log, LocalStack(port=0, environment=environment, log=log, worker_processes=1) as stack:
        yield stack.base_url.rstrip("/")


def open_result(page, base: str, kw: str) -> dict:
    page.goto(f"{base}/?q={kw}&limit=50")
    page.wait_for_selector("body[data-state=ready]", timeout=90_000)
    poll(page, "k => document.getElementById('result-keyword').textContent === k", kw)
    return httpx.get(f"{base}/api/analyses/{kw}", timeout=10).json()


def test_news_channel_tone_chart_and_source_health(browser, fake, news_url, artifacts_dir):
    watch = PageWatch()
    context, page = new_page(browser, watch)
    try:
        kw = f"serverless{uuid.uuid4().hex[:6]}"
        fake.keyword = kw
        result = open_result(page, news_url, kw)

        # The sources panel: one row per source, the news ones marked as the news channel.
        rows = {r["provider"]: r for r in result["source"]["providers"]}
        assert rows["gdelt"]["outcome"] == rows["googlenews"]["outcome"] == "ok"
        for name in ("gdelt", "googlenews"):
            row = page.locator(f"#sources-body tr[data-provider={name}]")
            assert row.get_attribute("data-channel") == "news"
            assert "news" in row.locator("th").inner_text().lower()
        assert page.locator("#sources-body tr[data-provider=hackernews]").get_attribute("data-channel") == "social"
        headlines = rows["gdelt"]["posts"] + rows["googlenews"]["posts"]
        assert f"news channel: gdelt, googlenews ({headlines} headlines)" in page.locator("#sources-note").inner_text()

        # The sample list: headlines say so and every post names its source.
        items = page.locator("#posts li.post")
        assert items.count() == len(result["posts"])
        kinds = items.evaluate_all("els => els.map((el) => [el.dataset.kind, el.dataset.provider])")
        assert kinds == [[p["kind"], p["provider"]] for p in result["posts"]]
        first_headline = page.locator("#posts li.post[data-kind=headline]").first
        assert "News headline" in first_headline.inner_text() and "via " in first_headline.inner_text()

        # GDELT's tone on its own chart and scale; the sentiment timeline has no tone series.
        assert page.locator("#news-tone-panel").is_visible()
        drawn = poll(
            page,
            """() => { const c = window.Chart && Chart.getChart('chart-news-tone');
                      return c && { data: c.data.datasets[0].data, min: c.options.scales.y.min }; }""",
        )
        assert drawn["data"] == [p["value"] for p in result["news_tone"]["points"]]
        labels = poll(
            page,
            "() => { const c = Chart.getChart('chart-timeline'); return c && c.data.datasets.map((d) => d.label); }",
        )
        assert not any("tone" in label.lower() for label in labels)
        assert "not comparable with the sentiment scores" in page.locator("#news-tone-scale").inner_text()
        assert "GDELT's scale" in page.locator("#alt-news-tone").inner_text()

        # One job with GDELT answering 429: the Source health view says rate limited, with the public reason.
        fake.script("gdelt", Reply(429, "Too Many Requests", headers={"Content-Type": "text/plain"}))
        second = f"serverless{uuid.uuid4().hex[:6]}"
        fake.keyword = second
        failed = open_result(page, news_url, second)
        gdelt_row = {r["provider"]: r for r in failed["source"]["providers"]}["gdelt"]
        assert gdelt_row["outcome"] == "failed" and gdelt_row["error_code"] == "rate_limited"
        assert failed["posts_analyzed"] > 0 and page.locator("#news-tone-panel").is_hidden()
        health = page.locator("#source-health-body tr[data-provider=gdelt]")
        status = "sel => document.querySelector(sel)?.dataset.status === 'rate_limited'"
        poll(page, status, "#source-health-body tr[data-provider=gdelt]")
        api = {r["provider"]: r for r in httpx.get(f"{news_url}/api/sources", timeout=10).json()["sources"]}
        assert api["gdelt"]["status"] == "rate_limited"
        assert gdelt_row["reason"] in health.locator("[data-col=failure]").inner_text()
        assert "Too Many" not in health.inner_text()
        assert "needing attention: gdelt" in page.locator("#source-health-note").inner_text()
        ok_row = page.locator("#source-health-body tr[data-provider=googlenews]")
        assert ok_row.get_attribute("data-status") == "ok"

        page.wait_for_timeout(300)
        assert run_axe(page, news_url) == []
        page.screenshot(path=str(artifacts_dir / "dashboard-news.png"), full_page=True)
        assert not watch.page_errors and not watch.dialogs
    finally:
        context.close()

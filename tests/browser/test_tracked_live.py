"""The Tracked view's live hour in Chromium: a local stack whose StreamFunction reads a loopback Jetstream every 2 s.

Twelve quiet minutes of a keyword, then a burst about "outage": the card shows the stream's per-minute counts
(and keeps updating as new posts arrive), and the stream alert with its explanation (the injected term).
"""

from __future__ import annotations

import secrets

import httpx
import pytest
from dashboard_helpers import PageWatch, new_page

from local_stack.stack import LocalStack, wait_until
from tests.conftest import ARTIFACTS
from tests.fakes.jetstream_server import FakeJetstream, background, now_us, post_event, tid

KEYWORD = "Lambda"


def history(minutes: int = 12) -> list[dict]:
    now = now_us()
    minute0 = (now // 60_000_000 - minutes) * 60_000_000
    quiet = [
        post_event(f"did:plc:q{m}x{i}", tid(at, i), text, at)
        for m in range(minutes)
        for i, text in enumerate(["lambda is fine", "using lambda at work", "lambda docs"])
        if (at := minute0 + m * 60_000_000 + i * 9_000_000)
    ]
    return [*quiet, *background(300, minute0, 2_000_000)]


def burst(count: int, word: str) -> list[dict]:
    at = now_us()
    return [
        post_event(f"did:plc:s{i:03d}", tid(at + i, 9), f"lambda {word} again, so angry #{i}", at + i)
        for i in range(count)
    ]


@pytest.fixture(scope="module")
def live_stack():
    ARTIFACTS.mkdir(exist_ok=True)
    token = secrets.token_urlsafe(24)
    with FakeJetstream() as jet, (ARTIFACTS / "tracked-live-browser-stack.log").open("w") as log:
        jet.add(*history())
        environment = {
            "ADMIN_TOKEN": token,
            "STREAM_ENABLED": "true",
            "JETSTREAM_URL": jet.url,
            "STREAM_INTERVAL_SECONDS": "2",
            "STREAM_IDLE_SECONDS": "0.5",
            "STREAM_FIRST_LOOKBACK_SECONDS": "900",
        }
        stack = LocalStack(port=0, environment=environment, log=log, worker_processes=1).start()
        try:
            yield stack.base_url, token, jet
        finally:
            stack.stop()


def test_live_hour_updates_itself_and_alerts_explain_themselves(browser, live_stack):
    base, token, jet = live_stack
    watch = PageWatch()
    context, page = new_page(browser, watch)
    try:
        response = httpx.post(
            base + "/api/tracked",
            json={"keyword": KEYWORD, "interval_minutes": 60, "min_volume": 10},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201, response.text
        page.goto(base + "/?view=tracked")
        page.wait_for_selector("#view-tracked[data-loaded='true']")
        summary = page.locator(".tracked-live-summary")
        summary.wait_for()

        def total() -> int:
            return int(page.get_attribute(".tracked-live-summary", "data-total") or 0)

        # the quiet minutes are counted and drawn (the view refreshes itself: no reload, no click)
        assert wait_until(lambda: total() >= 36, timeout=60, interval=0.5), summary.text_content()
        assert page.get_attribute(".tracked-live-summary", "data-minutes") == "60"
        # a burst arrives: the same page shows it without any user action
        jet.add(*burst(40, "outage"))
        assert wait_until(lambda: total() >= 76, timeout=60, interval=0.5), summary.text_content()
        assert "every Bluesky post" in summary.text_content()
        assert page.get_attribute(".tracked-live-summary", "data-gaps") == "0"

        alert = page.locator(".tracked-alerts .alert[data-source='stream']").first
        alert.wait_for(timeout=30_000)
        assert alert.locator(".alert-source").text_content() == "stream"
        terms = alert.locator(".alert-term").all_text_contents()
        assert any(t.startswith("outage") for t in terms[:3]), terms
        assert "outage" in alert.locator(".alert-samples").text_content()
        assert alert.locator(".alert-samples a").first.get_attribute("href").startswith("https://bsky.app/profile/")

        painted = page.evaluate(
            """() => { const c = document.querySelector('.tracked-item .live-box canvas');
                       const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
        )
        assert painted > 500
        page.screenshot(path=str(ARTIFACTS / "tracked-live-view.png"), full_page=True)
        assert watch.page_errors == [] and watch.console_errors == []
        assert page.evaluate("window.__cspViolations") == []
    finally:
        context.close()

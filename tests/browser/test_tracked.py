"""The Tracked view in Chromium against a local stack whose schedule fires every 2 s and which has an admin token."""

from __future__ import annotations

import secrets
from urllib.parse import quote

import httpx
import pytest
from dashboard_helpers import PageWatch, new_page

from local_stack.stack import LocalStack, wait_until
from tests.conftest import ARTIFACTS

HOSTILE = "<img src=x onerror=window.__pwned=1> brand"  # no '"': path routes do not match it


@pytest.fixture(scope="module")
def tracked_stack():
    ARTIFACTS.mkdir(exist_ok=True)
    token = secrets.token_urlsafe(24)
    environment = {"SCAN_INTERVAL_SECONDS": "2", "TRACK_MINUTE_SECONDS": "0.4", "ADMIN_TOKEN": token}
    with (ARTIFACTS / "tracked-browser-stack.log").open("w") as log:
        stack = LocalStack(port=0, environment=environment, log=log, worker_processes=1).start()
        try:
            yield stack.base_url, token
        finally:
            stack.stop()


def test_track_watch_history_and_untrack(browser, tracked_stack):
    base, token = tracked_stack
    watch = PageWatch()
    context, page = new_page(browser, watch)
    try:
        page.goto(base + "/?view=tracked")
        page.wait_for_selector("#view-tracked[data-loaded='true']")
        assert page.locator("#tracked-empty").is_visible()

        # a wrong token is refused and forgotten; nothing is tracked
        page.fill("#track-keyword", HOSTILE)
        page.fill("#admin-token", "wrong")
        page.click("#track-btn")
        page.wait_for_selector("#tracked-message[data-kind='error']")
        assert "refused" in page.text_content("#tracked-message")
        assert page.evaluate("sessionStorage.getItem('asa.adminToken')") is None
        assert httpx.get(base + "/api/tracked").json() == {"tracked": []}

        # the right token tracks it, and is kept in sessionStorage only
        page.fill("#admin-token", token)
        page.click("#track-btn")
        item = page.locator(".tracked-item")
        item.wait_for()
        assert page.evaluate("sessionStorage.getItem('asa.adminToken')") == token
        assert page.evaluate("localStorage.getItem('asa.adminToken')") is None
        assert item.locator(".tracked-keyword").text_content() == HOSTILE  # shown literally
        assert page.evaluate("window.__pwned") is None

        # the schedule scans it without any search; the view refreshes and draws the history
        def scanned_twice():
            points = page.get_attribute(".tracked-summary", "data-points")
            return int(points or 0) >= 2

        assert wait_until(scanned_twice, timeout=60, interval=0.5), "the view never showed two scans"
        # The latest point is told as the estimate of posts in the window, with its basis, and the posts analyzed.
        count, shown = page.evaluate(
            "() => { const e = document.querySelector('.tracked-summary');"
            " return [Number(e.dataset.points), e.textContent]; }"
        )
        last = httpx.get(f"{base}/api/analyses/{quote(HOSTILE, safe='')}/history").json()["points"][count - 1]
        assert f"about {last['estimated_posts_in_window']:,} posts in the window ({last['basis']})" in shown
        assert f"{last['volume']} analyzed" in shown
        assert watch.api_requests("POST", "/api/analyses") == []
        painted = page.evaluate(
            """() => { const c = document.querySelector('.tracked-item canvas');
                       const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
        )
        assert painted > 500
        page.screenshot(path=str(ARTIFACTS / "tracked-view.png"), full_page=True)

        # untrack with the stored token (no re-typing)
        page.fill("#admin-token", "")
        page.click(".tracked-item button")
        page.wait_for_selector("#tracked-empty:not([hidden])")
        assert httpx.get(base + "/api/tracked").json() == {"tracked": []}
        # the only console error is Chromium's own line about the refused (401) request
        assert watch.page_errors == [] and all("401" in m for m in watch.console_errors)
        assert page.evaluate("window.__cspViolations") == []
    finally:
        context.close()

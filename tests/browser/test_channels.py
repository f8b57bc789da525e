"""Delivery channels in the dashboard (Chromium): add a webhook channel (its secret shown once), send a test and see
it delivered in the log, send a tracked keyword's alerts and daily digest to it, delete it."""

from __future__ import annotations

import secrets

import httpx
import pytest
from dashboard_helpers import PageWatch, new_page

from local_stack.stack import LocalStack, wait_until
from tests.conftest import ARTIFACTS
from tests.fakes.receiver import Receiver


@pytest.fixture(scope="module")
def channels_stack():
    ARTIFACTS.mkdir(exist_ok=True)
    token = secrets.token_urlsafe(24)
    environment = {"ADMIN_TOKEN": token, "DELIVERY_ALLOW_LOOPBACK": "true"}
    with (ARTIFACTS / "channels-browser-stack.log").open("w") as log:
        stack = LocalStack(port=0, environment=environment, log=log, worker_processes=1).start()
        try:
            yield stack.base_url, token
        finally:
            stack.stop()


def test_manage_a_channel_send_a_test_and_attach_it_to_a_tracked_keyword(browser, channels_stack):
    base, token = channels_stack
    admin = {"Authorization": f"Bearer {token}"}
    watch = PageWatch()
    context, page = new_page(browser, watch)
    with Receiver() as receiver:
        try:
            httpx.post(base + "/api/tracked", json={"keyword": "brand", "interval_minutes": 60}, headers=admin)
            page.goto(base + "/?view=tracked")
            page.wait_for_selector("#view-tracked[data-loaded='true']")
            assert "admin token" in page.text_content("#channel-list")

            page.fill("#admin-token", token)
            page.select_option("#channel-type", "webhook")
            page.fill("#channel-target", receiver.url)
            page.fill("#channel-name", "ops <b>hook</b>")
            page.click("#channel-add")
            page.wait_for_selector("#channel-secret-value")
            shown = page.text_content("#channel-secret-value")
            assert shown.startswith("whsec_")
            row = page.locator(".channel")
            row.wait_for()
            assert row.locator(".channel-name").text_content() == "ops <b>hook</b>"  # literal, not markup
            assert receiver.url not in page.content().replace(shown, "")  # the list shows the masked target only

            row.get_by_role("button", name="Send test").click()
            assert wait_until(lambda: receiver.received, timeout=30, interval=0.3), "the test message never arrived"
            page.wait_for_selector(".channel .delivery[data-status='delivered']", timeout=30_000)
            assert page.get_attribute(".channel .delivery", "data-kind") == "test"

            # send the tracked keyword's alerts and a daily digest to it
            card = page.locator(".tracked-item")
            card.locator(".attach-digest").select_option("daily")
            card.locator(".attach-hour").fill("7")
            card.locator(".attach-zone").fill("Europe/Berlin")
            card.get_by_role("button", name="Send to this channel").click()
            page.wait_for_selector(".tracked-channels li")
            assert "alerts + daily digest at 07:00 Europe/Berlin" in page.text_content(".tracked-channels li")
            tracked = httpx.get(base + "/api/tracked").json()["tracked"][0]
            assert tracked["channels"][0]["digest"] == "daily" and tracked["channels"][0]["timezone"] == "Europe/Berlin"
            page.screenshot(path=str(ARTIFACTS / "tracked-channels.png"), full_page=True)

            row.get_by_role("button", name="Delete channel ops <b>hook</b>").click()
            page.wait_for_selector("#channel-list[data-count='0']")
            assert httpx.get(base + "/api/channels", headers=admin).json() == {"channels": []}
            assert watch.page_errors == [] and watch.console_errors == []
            assert page.evaluate("window.__cspViolations") == []
        finally:
            context.close()

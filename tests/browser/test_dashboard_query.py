"""The query box, the source picker and the per-source check in Chromium, against a local stack whose sources are
engine-like loopback fakes (tests.fakes.engines): Hacker News matches the Algolia way (prefixes, typos, authors),
Lemmy by substring, so `java` brings back JavaScript posts that the query's check drops and the dashboard lists."""

from __future__ import annotations

import httpx
import pytest
from dashboard_helpers import PageWatch, new_page, poll

from local_stack.stack import LocalStack
from tests.conftest import ARTIFACTS
from tests.fakes.engines import Doc
from tests.fakes.provider_server import FakeProviderServer

pytestmark = pytest.mark.browser

CORPUS = [
    Doc("Java 21 virtual threads are great #java", author="duke"),
    Doc("I love JavaScript frameworks", author="webdev"),
    Doc("Java and coffee in the morning", author="barista"),
    Doc("nothing relevant here", author="javaguy"),
]


@pytest.fixture(scope="module")
def stack_url():
    ARTIFACTS.mkdir(exist_ok=True)
    with FakeProviderServer(corpus=CORPUS, mastodon_instances=("alpha",)) as fake:
        environment = {**fake.env(), "PROVIDERS": "hackernews,lemmy,mastodon", "FETCH_BUDGET_SECONDS": "8"}
        log_path = ARTIFACTS / "query-browser-stack.log"
        with log_path.open("w") as log, LocalStack(port=0, environment=environment, log=log, worker_processes=1) as s:
            yield s.base_url.rstrip("/")


def test_query_help_inline_error_source_picker_and_dropped_posts(browser, stack_url):
    watch = PageWatch()
    context, page = new_page(browser, watch)
    try:
        page.goto(f"{stack_url}/")
        # The syntax help comes from the API (one source of truth for the language).
        help_rows = httpx.get(f"{stack_url}/api/query/syntax", timeout=10).json()["syntax"]
        poll(page, "n => document.querySelectorAll('#query-help-body tr').length === n", len(help_rows))

        # An error points at its character: the API's own check answers 422 with the position.
        page.fill("#keyword", "java NOT")
        poll(page, "() => !document.getElementById('keyword-error').hidden")
        caret = page.locator("#keyword-caret")
        poll(page, "() => !document.getElementById('keyword-caret').hidden")
        expected = httpx.get(f"{stack_url}/api/query/check", params={"q": "java NOT"}, timeout=10).json()
        position = expected["error"]["fields"][0]["position"]
        assert caret.get_attribute("data-position") == str(position)
        assert caret.inner_text().splitlines()[1] == " " * position + "^"
        assert page.get_attribute("#keyword", "aria-invalid") == "true"
        page.fill("#keyword", "java")
        poll(page, "() => document.getElementById('keyword-error').hidden")

        # The source picker: only the ticked sources are asked.
        page.check('#source-picker input[value="hackernews"]')
        page.check('#source-picker input[value="lemmy"]')
        page.click("#search-btn")
        page.wait_for_selector("body[data-state=ready]", timeout=90_000)
        providers = page.eval_on_selector_all("#sources-body tr", "rows => rows.map(r => r.dataset.provider)")
        assert providers == ["hackernews", "lemmy"]

        hn = page.locator('#sources-body tr[data-provider="hackernews"]')
        assert hn.locator("[data-col=fetched]").inner_text() == "4"  # java21, JavaScript, coffee, author javaguy
        assert hn.locator("[data-col=matched]").inner_text() == "2"
        assert hn.locator("[data-col=off_topic]").inner_text() == "2"
        assert hn.locator("[data-col=sent_query]").inner_text() == "java"
        lemmy = page.locator('#sources-body tr[data-provider="lemmy"]')
        assert lemmy.locator("[data-col=off_topic]").inner_text() == "1"  # the substring finds JavaScript

        # The dropped posts can be seen, with the reason.
        assert page.is_visible("#dropped")
        page.click("#dropped-summary")
        dropped = page.locator("#dropped-list li")
        texts = [dropped.nth(i).inner_text() for i in range(dropped.count())]
        assert any("JavaScript" in t and "no 'java'" in t for t in texts), texts
        assert "3 off-topic" in page.inner_text("#dropped-summary")
        assert not watch.page_errors  # (the 422 of the check is a console "failed to load": expected)
    finally:
        context.close()

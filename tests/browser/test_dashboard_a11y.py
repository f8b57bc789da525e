"""Accessibility (axe-core's WCAG 2.x A/AA rules in Chromium) and the compare panel's limits and keyword spelling."""

from __future__ import annotations

import unicodedata
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from dashboard_helpers import PageWatch, new_page, poll, run_axe
from social_analytics.models import normalize_keyword
from social_analytics.service.compare import MAX_KEYWORDS

pytestmark = pytest.mark.browser


def unique(word: str) -> str:
    return f"{word} {uuid.uuid4().hex[:6]}"


def wait_ready(page, keyword: str) -> None:
    page.wait_for_selector("body[data-state=ready]", timeout=60_000)
    poll(page, "k => document.getElementById('result-keyword').textContent === k", keyword)


@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize(("width", "height"), [(1280, 800), (375, 812)])
def test_no_wcag_violations(browser, dashboard_url, theme, width, height):
    """Every panel filled (result, sources, compare, metrics, the open 'Sources tried' table), in both themes."""
    watch = PageWatch()
    context, page = new_page(browser, watch, width=width, height=height)
    try:
        page.add_init_script(f"localStorage.setItem('asa.theme', '{theme}')")
        page.goto(f"{dashboard_url}/?q=serverless&compare=kubernetes,docker")
        page.wait_for_selector("body[data-state=ready]", timeout=60_000)
        page.wait_for_selector("#compare[data-state=ready]", timeout=60_000)
        page.wait_for_selector("#metrics[data-state=ready]")
        assert page.get_attribute("html", "data-theme") == theme
        page.click("#attempts summary")
        page.wait_for_timeout(400)  # chart entry animations
        violations = run_axe(page, dashboard_url)
        assert violations == [], violations

        # The theme toggle keeps an accessible name when its text is visually hidden (narrow screens).
        name = page.evaluate("document.getElementById('theme-toggle').textContent.trim()")
        assert name in ("Light theme", "Dark theme")
        # The scrolling regions are reachable from the keyboard.
        for selector in ("#posts", "#terms-table", "#sources-table", "#compare-table"):
            scroller = page.locator(selector) if selector == "#posts" else page.locator(selector).locator("xpath=..")
            assert scroller.get_attribute("tabindex") == "0", selector
        assert not watch.page_errors
    finally:
        context.close()


def test_keyword_normalization_matches_the_backend(page, dashboard_url):
    """state.normalizeKeyword against models.normalize_keyword for every code point, and mixed strings."""
    page.goto(dashboard_url + "/")
    page.wait_for_selector("body[data-state=idle]")
    browser_changed = page.evaluate(
        """async () => {
            const m = await import(new URL("js/state.js", location.href).href);
            const out = {};
            for (let cp = 0; cp < 0x110000; cp++) {
                if (cp >= 0xd800 && cp <= 0xdfff) continue;
                const c = String.fromCodePoint(cp);
                const n = m.normalizeKeyword(c);
                if (n !== c) out[cp] = n;
            }
            return out;
        }"""
    )
    mismatches = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        char = chr(cp)
        if unicodedata.category(char) == "Cn":
            continue  # unassigned in this Python's Unicode database (the browser may know a newer version)
        if browser_changed.get(str(cp), char) != normalize_keyword(char):
            mismatches.append(f"U+{cp:04X}")
    assert mismatches == []

    samples = [
        "  Kubernetes  ",
        "ΑΣ ΟΔΟΣ",
        "Straße ẞ",
        "ﬁle\u3000x",
        "a\x1cb\x1fc\x85d",
        "a\ufeffb",
        "İstanbul ǅemal",
        "ＳＥＲＶＥＲＬＥＳＳ\t\n café",
        "Ꭰꭰ ᾳ ΐ",
    ]
    browser = page.evaluate(
        """async (samples) => {
            const m = await import(new URL("js/state.js", location.href).href);
            return samples.map((s) => m.normalizeKeyword(s));
        }""",
        samples,
    )
    assert browser == [normalize_keyword(s) for s in samples]


def test_compare_limit_and_spelling_match_the_api(page, watch, dashboard_url):
    main = unique("lang")
    page.goto(dashboard_url + "/")
    page.fill("#keyword", main)
    page.click("#search-btn")
    wait_ready(page, main)

    # Spellings that normalize alike count once, and the main keyword's own spellings are dropped.
    other = unique("rust")
    page.fill("#compare-input", f"{other}, {other.upper()}, {other.replace(' ', '   ')}, {main.upper()}")
    page.click("#compare-btn")
    page.wait_for_selector("#compare[data-state=ready]", timeout=60_000)
    assert page.locator("#compare-tbody tr").count() == 2
    assert parse_qs(urlsplit(page.url).query)["compare"] == [other]

    # The API's limit (MAX_KEYWORDS, the main keyword included) is the panel's: one more is refused inline...
    assert MAX_KEYWORDS == 10
    others = [f"k{i} {uuid.uuid4().hex[:4]}" for i in range(MAX_KEYWORDS)]
    before = len(watch.requests)
    page.fill("#compare-input", ", ".join(others))
    page.click("#compare-btn")
    assert page.locator("#compare-error").is_visible()
    assert f"up to {MAX_KEYWORDS} keywords" in page.locator("#compare-error").inner_text()
    assert len(watch.requests) == before

    # ... and exactly the limit is compared by the API in one request.
    page.fill("#compare-input", ", ".join(others[: MAX_KEYWORDS - 1]))
    page.click("#compare-btn")
    assert page.locator("#compare-error").is_hidden()
    page.wait_for_selector("#compare[data-state=ready]", timeout=120_000)
    assert page.locator("#compare-tbody tr").count() == MAX_KEYWORDS
    compare_calls = watch.api_requests("GET", "/api/compare?keywords=")
    assert len(parse_qs(urlsplit(compare_calls[-1]).query)["keywords"][0].split(",")) == MAX_KEYWORDS

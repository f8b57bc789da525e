"""The dashboard in a real browser (Debian's Chromium via Playwright) against the local stack."""

from __future__ import annotations

import csv
import io
import json
import uuid
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from dashboard_helpers import PageWatch, new_page, poll

pytestmark = pytest.mark.browser

XSS_TEXT = "<img src=x onerror=alert(1)>"
XSS_AUTHOR = "<b>mallory</b>"
CHART_IDS = ["chart-sentiment", "chart-timeline", "chart-terms"]


def unique(word: str) -> str:
    """A keyword no other test has analyzed yet (so the first POST really queues a job)."""
    return f"{word} {uuid.uuid4().hex[:6]}"


def search(page, keyword: str) -> None:
    page.fill("#keyword", keyword)
    page.click("#search-btn")
    wait_ready(page, keyword)


def wait_ready(page, keyword: str | None = None) -> None:
    page.wait_for_selector("body[data-state=ready]", timeout=60_000)
    if keyword is not None:
        poll(
            page,
            "k => document.getElementById('result-keyword').textContent.trim().toLowerCase()"
            " === k.trim().toLowerCase()",
            keyword,
        )


def api_result(page, base: str, keyword: str) -> dict:
    response = page.request.get(f"{base}/api/analyses/{quote(keyword, safe='')}")
    assert response.ok, response.text()
    return response.json()


def painted_pixels(page, canvas_id: str) -> int:
    """Non-transparent pixels on a chart canvas (Chart.js draws on a 2d context)."""
    return page.evaluate(
        """id => {
            const c = document.getElementById(id);
            if (!c || !c.width || !c.height) return 0;
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
            return n;
        }""",
        canvas_id,
    )


def wait_charts(page, ids=CHART_IDS) -> None:
    page.wait_for_timeout(600)  # let the 350 ms entry animation finish
    for cid in ids:
        assert painted_pixels(page, cid) > 500, f"{cid} is blank"


def kpi(page, name: str) -> tuple[str, float]:
    el = page.locator(f"[data-value={name}]")
    return el.inner_text().strip(), float(el.get_attribute("data-raw"))


def test_search_polls_then_draws_charts_and_kpis_equal_the_api(page, watch, dashboard_url):
    keyword = unique("serverless")
    page.goto(dashboard_url + "/")
    assert page.locator("#empty-state").is_visible()  # a designed empty state, not a blank page

    search(page, keyword)
    wait_charts(page)

    # One POST, then GETs of status_url: the app never re-POSTs to poll.
    assert len(watch.api_requests("POST", "/api/analyses")) == 1
    assert watch.api_requests("GET", "/api/jobs/"), "a fresh keyword is queued (202) and its job polled"
    assert page.locator("#status").get_attribute("data-status") == "done"

    result = api_result(page, dashboard_url, keyword)
    total = result["posts_analyzed"]
    s = result["sentiment"]
    scored = s["positive"] + s["neutral"] + s["negative"]  # shares are of the scored posts
    text, raw = kpi(page, "posts")
    assert raw == total and text.replace(",", "") == str(total)
    for name in ("positive", "neutral", "negative"):
        text, raw = kpi(page, name)
        assert raw == s[name]
        assert abs(float(text.rstrip("%")) - s[name] / scored * 100) <= 0.051, (name, text)
        assert page.locator(f"[data-kpi={name}] .kpi-sub").inner_text() == f"{s[name]} of {scored} scored posts"
    text, raw = kpi(page, "mean")
    assert raw == pytest.approx(s["mean_compound"])
    assert abs(float(text.replace("−", "-").replace("+", "")) - s["mean_compound"]) <= 0.0051

    # Panels hold the result's data.
    assert page.locator("#terms-body tr").count() == min(15, len(result["top_terms"]))
    first_term = result["top_terms"][0]["term"]
    assert page.locator("#terms-body tr").first.locator("th").inner_text() == first_term
    assert page.locator("#posts > li.post").count() == len(result["posts"])
    assert page.locator("#hashtags li").count() >= 1

    # Every chart has a text alternative.
    for cid in CHART_IDS:
        alt_id = page.locator(f"#{cid}").get_attribute("aria-describedby")
        assert page.locator(f"#{alt_id}").inner_text().strip()

    # Recent searches survive a reload (localStorage).
    page.reload()
    wait_ready(page, keyword)
    assert keyword in page.locator("#recent-list").inner_text()


def test_simulated_label_and_attempts_one_click_away(page, dashboard_url):
    keyword = unique("coffee")
    page.goto(dashboard_url + "/")
    search(page, keyword)
    result = api_result(page, dashboard_url, keyword)
    assert result["source"]["simulated"] is True
    assert page.locator("#simulated-badge").is_visible()
    assert page.locator("#simulated-badge").inner_text().strip() == "Simulated data"
    assert result["source"]["provider"] in page.locator("#provider-badge").inner_text()

    assert not page.locator("#attempts-body").is_visible()
    page.click("#attempts summary")
    assert page.locator("#attempts-body").is_visible()
    rows = page.locator("#attempts-body tr")
    attempts = result["source"].get("attempts") or []
    assert rows.count() == max(1, len(attempts))
    for i, attempt in enumerate(attempts):
        assert attempt["provider"] in rows.nth(i).inner_text()


def test_validation_message_inline_and_nothing_queued(page, watch, dashboard_url):
    page.goto(dashboard_url + "/")
    page.fill("#keyword", "   ")
    page.click("#search-btn")
    error = page.locator("#keyword-error")
    error.wait_for(state="visible")
    api = page.request.post(f"{dashboard_url}/api/analyses", data={"keyword": "   "})
    assert api.status in (400, 422)
    messages = [f["message"] for f in api.json()["error"].get("fields", [])] or [api.json()["error"]["message"]]
    assert messages[0] in error.inner_text()
    assert page.locator("#keyword").get_attribute("aria-invalid") == "true"
    assert "q=" not in page.url
    assert not watch.api_requests("GET", "/api/jobs/")


def _inject_xss(route):
    """Add a hostile post to whatever Result the real API returns (until the stack can import posts)."""
    response = route.fetch()
    body = response.json()
    result = body.get("result")
    if isinstance(result, dict):
        hostile = {
            "id": "import:xss",
            "text": XSS_TEXT,
            "author": XSS_AUTHOR,
            "created_at": result.get("analyzed_at"),
            "url": "javascript:alert(2)",
            "compound": 0.0,
            "label": "neutral",
            "likes": 0,
            "reposts": 0,
        }
        result["posts"] = [hostile, *result.get("posts", [])]
        result["top_negative"] = [{**hostile, "compound": -0.9, "label": "negative"}]
        result["top_terms"] = [{"term": XSS_TEXT, "count": 1}, *result.get("top_terms", [])]
        result["source"]["attempts"] = [{"provider": "x", "outcome": "failed", "reason": XSS_TEXT}]
    route.fulfill(response=response, json=body)


def test_hostile_post_text_is_shown_literally(page, watch, dashboard_url):
    page.route("**/api/jobs/*", _inject_xss)
    page.route("**/api/analyses", _inject_xss)
    page.goto(dashboard_url + "/")
    search(page, unique("xss"))
    page.click("#attempts summary")
    page.wait_for_timeout(500)

    first = page.locator("#posts > li.post").first
    assert first.locator(".post-text").inner_text() == XSS_TEXT
    assert first.locator(".post-author").inner_text() == XSS_AUTHOR
    assert first.locator("a").count() == 0, "a javascript: URL is never linked"
    assert page.locator("#top-negative .post-text").first.inner_text() == XSS_TEXT
    assert page.locator("#terms-body th").first.inner_text() == XSS_TEXT
    assert XSS_TEXT in page.locator("#attempts-body").inner_text()
    assert page.locator("main img").count() == 0
    assert page.locator("main b").count() == 0
    assert watch.dialogs == []


def test_an_imported_hostile_post_is_shown_literally(page, watch, dashboard_url):
    """Real data end to end: the post is uploaded through the import route, analyzed, and opened by job id."""
    import httpx

    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["text", "author", "url", "likes"])
    writer.writerow([XSS_TEXT, XSS_AUTHOR, "javascript:alert(2)", 3])
    for i in range(11):
        writer.writerow([f"An ordinary happy post number {i}", f"user{i}", f"https://example.com/{i}", i])
    created = httpx.post(f"{dashboard_url}/api/imports", json={"keyword": "onerror OR ordinary", "format": "csv"})
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]
    put = httpx.request(upload["method"], upload["url"], headers=upload.get("headers"), content=rows.getvalue())
    assert put.status_code in (200, 204), put.text

    page.goto(f"{dashboard_url}/?job={created.json()['job_id']}")
    wait_ready(page, "onerror OR ordinary")

    posts = page.locator("#posts > li.post")
    hostile = posts.filter(has_text="<img")
    assert hostile.count() == 1
    assert hostile.locator(".post-text").inner_text() == XSS_TEXT
    assert hostile.locator(".post-author").inner_text() == XSS_AUTHOR
    assert hostile.locator("a").count() == 0, "a javascript: URL is never linked"
    assert page.locator("main img").count() == 0 and page.locator("main b").count() == 0
    assert page.locator("[data-value=posts]").get_attribute("data-raw") == "12"
    assert watch.dialogs == []


def test_shared_url_restores_the_same_view(page, browser, dashboard_url):
    keyword = unique("python")
    page.goto(dashboard_url + "/")
    page.select_option("#window", "72")
    search(page, keyword)
    shared = page.url
    query = parse_qs(urlsplit(shared).query)
    assert query["q"] == [keyword] and query["window"] == ["72"]
    expected = {name: kpi(page, name) for name in ("posts", "positive", "neutral", "negative", "mean")}

    other_watch = PageWatch()
    context, other = new_page(browser, other_watch)
    try:
        other.goto(shared)
        wait_ready(other, keyword)
        wait_charts(other)
        assert other.input_value("#keyword") == keyword
        assert other.input_value("#window") == "72"
        assert {name: kpi(other, name) for name in expected} == expected
        assert not other_watch.page_errors
    finally:
        context.close()


def test_back_returns_to_the_previous_keyword(page, dashboard_url):
    first, second = unique("alpha"), unique("beta")
    page.goto(dashboard_url + "/")
    search(page, first)
    first_posts = kpi(page, "posts")
    search(page, second)
    assert parse_qs(urlsplit(page.url).query)["q"] == [second]

    page.go_back()
    wait_ready(page, first)
    assert parse_qs(urlsplit(page.url).query)["q"] == [first]
    assert page.input_value("#keyword") == first
    assert kpi(page, "posts") == first_posts
    wait_charts(page)

    page.go_forward()
    wait_ready(page, second)
    assert page.input_value("#keyword") == second


def test_compare_share_of_voice(page, watch, dashboard_url):
    keywords = [unique("rust"), unique("go"), unique("zig")]
    page.goto(dashboard_url + "/")
    search(page, keywords[0])
    page.fill("#compare-input", ", ".join(keywords[1:]))
    page.click("#compare-btn")
    page.wait_for_selector("#compare[data-state=ready]", timeout=60_000)
    rows = page.locator("#compare-tbody tr")
    assert rows.count() == 3
    assert parse_qs(urlsplit(page.url).query)["compare"] == [",".join(keywords[1:])]

    # The shares are GET /api/compare's (the browser computes none itself), with their basis.
    assert len(watch.api_requests("GET", "/api/compare?keywords=")) == 1
    body = page.request.get(f"{dashboard_url}/api/compare", params={"keywords": ",".join(keywords)}).json()
    shares = []
    for i, (k, api_row) in enumerate(zip(keywords, body["keywords"], strict=True)):
        row = rows.nth(i)
        assert row.get_attribute("data-keyword") == k == api_row["keyword"]
        share = float(row.locator(".share").inner_text().rstrip("%"))
        assert abs(share - api_row["share"] * 100) <= 0.051
        assert row.locator("[data-col=volume]").inner_text() == str(api_row["volume"])
        shares.append(share)
    assert abs(sum(shares) - 100) < 0.2
    basis_line = page.locator("#compare-basis").inner_text()
    if "basis" in body:
        assert page.locator("#compare-basis").get_attribute("data-basis") == body["basis"]
        assert f"basis: {body['basis']}" in basis_line
    else:
        assert "capped at the limit" in basis_line
    wait_charts(page, ["chart-share", "chart-compare"])
    assert page.locator("#alt-share").inner_text().startswith("Share of voice")
    # Each keyword was POSTed once and its job polled with GETs.
    assert len(watch.api_requests("POST", "/api/analyses")) <= 1 + len(keywords)

    # Too many keywords (the API's limit is 10, the main one included): an inline message, nothing sent.
    before = len(watch.requests)
    page.fill("#compare-input", ", ".join(f"k{i}" for i in range(10)))
    page.click("#compare-btn")
    assert page.locator("#compare-error").is_visible()
    assert len(watch.requests) == before


def test_export_csv_and_json(page, dashboard_url):
    keyword = unique("export")
    page.goto(dashboard_url + "/")
    search(page, keyword)
    result = api_result(page, dashboard_url, keyword)

    with page.expect_download() as info:
        page.click("#export-csv")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))  # noqa: SIM115
    assert len(rows) == len(result["posts"])
    assert [r["id"] for r in rows] == [p["id"] for p in result["posts"]]
    for row, post in zip(rows, result["posts"], strict=True):
        assert float(row["compound"]) == pytest.approx(post["compound"])
        assert row["label"] == post["label"]
        assert row["provider"] == post["id"].split(":")[0]  # each post's own source (results merge sources)
        assert row["lang"] == post.get("lang", "")

    with page.expect_download() as info:
        page.click("#export-json")
    exported = json.loads(open(info.value.path(), encoding="utf-8").read())  # noqa: SIM115
    assert exported["keyword"] == result["keyword"]
    assert exported["posts_analyzed"] == result["posts_analyzed"]
    assert len(exported["posts"]) == len(result["posts"])


def test_failed_job_shows_error_with_retry(page, watch, dashboard_url):
    def failing(route):
        response = route.fetch()
        body = response.json()
        body.pop("result", None)
        body["status"] = "failed"
        body["error"] = {"code": "provider_error", "message": "Every provider failed"}
        route.fulfill(response=response, json=body)

    page.route("**/api/jobs/*", failing)
    page.goto(dashboard_url + "/")
    keyword = unique("flaky")
    page.fill("#keyword", keyword)
    page.click("#search-btn")
    page.wait_for_selector("body[data-state=error]")
    assert "Every provider failed" in page.locator("#error-text").inner_text()
    assert page.locator("#status").get_attribute("data-status") == "failed"
    assert page.locator("#retry-btn").is_visible()

    page.unroute("**/api/jobs/*")
    page.click("#error-retry")
    wait_ready(page, keyword)
    wait_charts(page)


def test_theme_toggle_is_remembered_and_controls_are_labelled(page, dashboard_url):
    page.goto(dashboard_url + "/")
    assert page.get_attribute("html", "data-theme") == "dark"
    page.click("#theme-toggle")
    assert page.get_attribute("html", "data-theme") == "light"
    page.reload()
    assert page.get_attribute("html", "data-theme") == "light"

    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, button, textarea')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
            .map(el => el.outerHTML)"""
    )
    assert unlabelled == []
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement && (document.activeElement.id || document.activeElement.className)")
    assert focused  # the page is keyboard reachable from the top


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (375, 812)])
def test_screenshots_every_panel_filled(browser, dashboard_url, artifacts_dir, width, height):
    watch = PageWatch()
    context, page = new_page(browser, watch, width=width, height=height)
    try:
        page.goto(f"{dashboard_url}/?q=serverless&compare=kubernetes,docker")
        wait_ready(page, "serverless")
        page.wait_for_selector("#compare[data-state=ready]", timeout=60_000)
        page.wait_for_selector("#metrics[data-state=ready]")
        page.click("#metrics-refresh")
        wait_charts(page, [*CHART_IDS, "chart-share", "chart-compare"])

        assert page.locator("#kpis .kpi").count() == 5
        assert page.locator("#terms-body tr").count() > 0
        assert page.locator("#hashtags li.tag").count() > 0
        assert page.locator("#top-positive li.post").count() > 0
        assert page.locator("#top-negative li.post").count() > 0
        assert page.locator("#posts li.post").count() > 0
        assert page.locator("#compare-tbody tr").count() == 3
        assert page.locator("#metric-grid .metric").count() == 7
        assert page.locator("#simulated-badge").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "no horizontal page scroll"

        page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar belongs at the top of a full-page shot
        page.wait_for_timeout(200)
        page.screenshot(path=str(artifacts_dir / f"dashboard-{width}x{height}.png"), full_page=True)
        assert not watch.page_errors and not watch.dialogs
        assert not page.evaluate("window.__cspViolations")
    finally:
        context.close()

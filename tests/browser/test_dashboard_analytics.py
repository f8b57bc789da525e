"""Unscored languages, 95 % intervals on the sentiment shares and tested trends, in Chromium, from posts imported
through the real import route (presigned upload -> S3 event -> worker), so the expected answer is known."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from dashboard_helpers import poll, run_axe

pytestmark = pytest.mark.browser

ENGLISH = [
    "I love this new phone, the camera is great and the battery is amazing",
    "Terrible support, they ignored my ticket for a week and I am angry",
    "The update is fine, nothing special but it works",
    "Wonderful service and friendly people, very happy today",
    "This is the worst purchase I have made, awful quality",
    "The delivery arrived on time and the box was intact",
    "Great value for the price, I would recommend it to friends",
    "Horrible experience, the app crashes every single time",
]
GERMAN = [
    "Der Kundendienst war heute wirklich schlecht und niemand hat mir geholfen",
    "Ich bin sehr enttäuscht von der Qualität dieses Produkts und der Lieferung",
    "Das neue Telefon gefällt mir überhaupt nicht, die Kamera ist furchtbar",
    "Wir haben gestern lange gewartet, aber die Bestellung ist immer noch nicht da",
]
JAPANESE = [
    "この新しいカメラはとても素晴らしいです。毎日使っています。",
    "サポートの対応がひどくて、とても残念でした。",
]


def import_posts(base: str, keyword: str, rows: list[dict]) -> str:
    """Uploads ``rows`` as a CSV through POST /api/imports and the presigned PUT; returns the job id."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["text", "author", "created_at", "likes"])
    writer.writeheader()
    writer.writerows(rows)
    created = httpx.post(f"{base}/api/imports", json={"keyword": keyword, "format": "csv"}, timeout=10)
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]
    put = httpx.request(upload["method"], upload["url"], headers=upload.get("headers"), content=buffer.getvalue())
    assert put.status_code in (200, 204), put.text
    return created.json()["job_id"]


def open_job(page, base: str, job_id: str, keyword: str) -> dict:
    page.goto(f"{base}/?job={job_id}")
    page.wait_for_selector("body[data-state=ready]", timeout=90_000)
    poll(page, "k => document.getElementById('result-keyword').textContent === k", keyword)
    return httpx.get(f"{base}/api/jobs/{job_id}", timeout=10).json()["result"]


def rows_of(texts: list[str], start: datetime, step: timedelta = timedelta(minutes=1), tag: str = "") -> list[dict]:
    """Rows of an upload; ``tag`` (the import's keyword, a hashtag) is added to every text: imported posts are
    checked against the import's query like any source's."""
    return [
        {
            "text": f"{t} {tag}".strip(),
            "author": f"user{i}",
            "created_at": (start + i * step).isoformat(),
            "likes": i % 4,
        }
        for i, t in enumerate(texts)
    ]


def test_unscored_languages_and_intervals(page, dashboard_url):
    keyword = f"#mixed{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC).replace(microsecond=0)
    job_id = import_posts(
        dashboard_url, keyword, rows_of(ENGLISH + GERMAN + JAPANESE, now - timedelta(hours=2), tag=keyword)
    )
    result = open_job(page, dashboard_url, job_id, keyword)

    s = result["sentiment"]
    by_lang = {item["lang"]: item for item in result["languages"]}
    assert by_lang["de"] == {"lang": "de", "posts": len(GERMAN), "scored": 0}
    assert by_lang["ja"] == {"lang": "ja", "posts": len(JAPANESE), "scored": 0}
    assert s["unscored"] == len(GERMAN) + len(JAPANESE)
    scored = s["positive"] + s["neutral"] + s["negative"]
    assert scored == len(ENGLISH)

    # How many posts were not scored, and why, per language.
    note = page.locator("#unscored-note")
    assert note.get_attribute("data-unscored") == str(s["unscored"])
    text = note.inner_text()
    assert text.startswith(f"{s['unscored']} of {result['posts_analyzed']} posts not scored")
    assert "German (4)" in text and "Japanese (2)" in text
    items = page.locator("#languages li")
    assert items.count() == len(result["languages"])
    for item in result["languages"]:
        li = page.locator(f"#languages li[data-lang='{item['lang']}']")
        assert li.get_attribute("data-posts") == str(item["posts"])
        assert li.get_attribute("data-scored") == str(item["scored"])
    assert f"{scored} scored, {s['unscored']} not scored" in page.locator("[data-kpi=posts] .kpi-sub").inner_text()

    # Unscored posts stay in the sample, marked as not scored (not neutral).
    unscored = page.locator("#posts > li.post[data-label=unscored]")
    assert unscored.count() == len(GERMAN) + len(JAPANESE) == sum(p.get("scored") is False for p in result["posts"])
    assert unscored.first.locator(".score").inner_text().startswith("n/s")
    page.click(".filter .seg[data-filter=neutral]")
    assert page.locator("#posts > li.post[data-label=unscored]").count() == 0
    page.click(".filter .seg[data-filter=all]")
    assert run_axe(page, dashboard_url) == []  # language list, interval ranges, unscored badges

    # Shares are of the scored posts, each with its 95 % interval as text and as a range.
    intervals = s["intervals"]
    assert intervals["n"] == scored
    for name in ("positive", "neutral", "negative"):
        value = float(page.locator(f"[data-value={name}]").inner_text().rstrip("%"))
        assert abs(value - s[name] / scored * 100) <= 0.051
        low, high = intervals[name]
        ci = page.locator(f"[data-ci={name}]").inner_text()
        assert f"{low * 100:.1f}% to {high * 100:.1f}%" in ci and "95% interval" in ci and f"n = {scored}" in ci
        band = page.locator(f"[data-kpi={name}] .ci-band")
        assert float(band.get_attribute("width")) == pytest.approx(max(0.6, (high - low) * 100), abs=0.01)
        assert float(band.get_attribute("x")) == pytest.approx(low * 100, abs=0.01)
    small_band = page.locator("[data-kpi=positive] .ci-band").bounding_box()["width"]

    # A share from 1,000 posts looks more certain (a narrower range) than one from 8.
    page.goto(f"{dashboard_url}/?q=certainty {uuid.uuid4().hex[:6]}&limit=1000")
    page.wait_for_selector("body[data-state=ready]", timeout=90_000)
    # about 1,000 posts (the simulated source may repeat a text that the analysis collapses)
    assert poll(page, "() => Number(document.querySelector('[data-value=posts]')?.dataset.raw) >= 900 && 1")
    big_band = page.locator("[data-kpi=positive] .ci-band").bounding_box()["width"]
    assert small_band > 4 * big_band, (small_band, big_band)


def test_terms_sort_and_flag_only_significant_movers(page, dashboard_url):
    """Earlier half of the window: bread; later half: launch rises and rocket appears (emerging)."""
    keyword = f"#trend{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC).replace(microsecond=0)
    early = ["banana bread recipe tonight"] * 14 + ["banana bread and a launch party"] * 2
    late = ["rocket launch tonight was great"] * 12 + ["banana bread after the launch"] * 4
    rows = rows_of(early, now - timedelta(hours=20), tag=keyword) + rows_of(late, now - timedelta(hours=1), tag=keyword)
    result = open_job(page, dashboard_url, import_posts(dashboard_url, keyword, rows), keyword)

    assert result["trend_baseline"] == "window"
    terms = {t["term"]: t for t in result["top_terms"]}
    assert terms["launch"]["significant"] and terms["launch"]["trend_direction"] == "up"
    assert any(t["term"] == "rocket" for t in result["emerging_terms"])
    significant = {t["term"] for t in result["top_terms"][:15] if t["significant"]}
    assert significant and len(significant) < len(result["top_terms"][:15])

    # Only significant movers are flagged; the others show their G-squared without an arrow.
    assert {r.get_attribute("data-term") for r in page.locator("#terms-body tr[data-significant=true]").all()} == (
        significant
    )
    flagged = page.locator("#terms-body .trend-significant")
    assert flagged.count() == len(significant)
    launch_row = page.locator("#terms-body tr[data-term=launch]")
    assert "rising" in launch_row.inner_text()
    assert f"G² {terms['launch']['trend_score']:.1f}" in launch_row.inner_text()
    for row in page.locator("#terms-body tr[data-significant=false]").all():
        assert "not significant" in row.inner_text() and "▲" not in row.inner_text()
    assert "earlier part of this window" in page.locator("#trend-note").inner_text()

    # Sorting by trend puts the significant movers first, largest G-squared first.
    page.click("#terms-table .sort-btn[data-sort=trend]")
    assert page.locator("#terms-sort-trend-th").get_attribute("aria-sort") == "descending"
    assert page.locator("#terms-sort-count-th").get_attribute("aria-sort") == "none"
    order = [r.get_attribute("data-term") for r in page.locator("#terms-body tr").all()]
    assert set(order[: len(significant)]) == significant
    scores = [terms[t]["trend_score"] for t in order[: len(significant)]]
    assert scores == sorted(scores, reverse=True)  # terms with equal scores may come in either order
    page.click("#terms-table .sort-btn[data-sort=count]")
    assert page.locator("#terms-body tr").first.get_attribute("data-term") == result["top_terms"][0]["term"]

    # Emerging terms are shown apart.
    emerging = page.locator("#emerging li")
    assert page.locator("#emerging-wrap").is_visible()
    assert [e.get_attribute("data-term") for e in emerging.all()] == [e["term"] for e in result["emerging_terms"]]
    assert run_axe(page, dashboard_url) == []  # sort buttons, flags, emerging list

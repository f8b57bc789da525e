"""Wilson intervals, G-squared trending and language handling, on constructed data where the answer is known."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from social_analytics.models import Post, TimeWindow
from social_analytics.service import analysis, intervals, languages, trending

NOW = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
WINDOW = TimeWindow.last_hours(24, NOW)


def post(i: int, text: str, minutes_ago: int, **kw) -> Post:
    return Post(id=f"t:{i}", text=text, created_at=NOW - timedelta(minutes=minutes_ago), provider="test", **kw)


def test_wilson_matches_the_textbook_value_and_narrows_with_more_posts():
    # 5 of 10: the Wilson 95 % interval is [0.2366, 0.7634] (Brown, Cai & DasGupta 2001)
    assert intervals.wilson(5, 10) == pytest.approx([0.2366, 0.7634], abs=1e-4)
    small = intervals.share_intervals(6, 4, 2)  # 12 posts, half positive
    large = intervals.share_intervals(500, 333, 167)  # 1,000 posts, half positive
    width = lambda block: block["positive"][1] - block["positive"][0]  # noqa: E731
    assert width(small) > 3 * width(large)
    assert small["n"] == 12 and large["method"] == "wilson" and large["confidence"] == 0.95
    assert intervals.wilson(0, 12)[0] == 0.0 and intervals.wilson(0, 12)[1] > 0.2  # never zero wide at 0 %


def test_result_intervals_are_over_scored_posts():
    posts = [post(i, "I love it", 10 + i) for i in range(12)]
    result = analysis.analyze(posts, "it", WINDOW)
    block = result["sentiment"]["intervals"]
    assert block["n"] == 12 and block["positive"][1] == 1.0 and block["positive"][0] < 0.8


def test_g_squared_matches_rayson_and_garside():
    # a = 10 in 1,000 tokens vs b = 2 in 1,000: E = 6 each, G2 = 2 (10 ln(10/6) + 2 ln(2/6)) = 5.822
    assert trending.g_squared(10, 2, 1000, 1000) == pytest.approx(5.822, abs=1e-3)
    assert trending.g_squared(5, 5, 1000, 1000) == 0.0
    assert trending.direction(10, 2, 1000, 1000) == "up" and trending.direction(2, 10, 1000, 1000) == "down"


def test_a_term_that_rose_against_history_is_significant_and_a_wobble_is_not():
    # GIVEN a previous result where "outage" was rare and "battery" common, with its term counts
    previous = {
        "posts_analyzed": 100,
        "term_tokens": 560,
        "term_counts": [
            {"term": "battery", "count": 56},
            {"term": "plain", "count": 110},
            {"term": "words", "count": 100},
            {"term": "outage", "count": 2},
            {"term": "screen", "count": 20},
        ],
        "top_terms": [],
    }
    # WHEN now "outage" is in 30 of 100 posts, "battery" about as common as before, "recall" new
    texts = [f"outage battery screen note{i}" for i in range(30)] + [
        f"battery screen recall plain{i}" for i in range(8)
    ]
    texts += [f"plain words only{i}" for i in range(62)]
    posts = [post(i, t, 5 + i) for i, t in enumerate(texts)]
    result = analysis.analyze(posts, "phone", WINDOW, previous_result=previous)

    # THEN outage trends up significantly, battery is not significant, recall is emerging
    terms = {t["term"]: t for t in result["top_terms"]}
    assert result["trend_baseline"] == "history"
    assert terms["outage"]["significant"] and terms["outage"]["trend_direction"] == "up"
    assert terms["outage"]["trend_score"] > 10.83
    assert not terms["battery"]["significant"]  # 38 of 338 tokens now, 56 of 560 before: a wobble
    assert [e["term"] for e in result["emerging_terms"]] == ["recall"]
    assert result["emerging_terms"][0]["count"] == 8


def test_without_history_the_later_half_of_the_window_is_compared_with_the_earlier_half():
    early = [post(i, f"launch event keynote item{i}", 600 + i) for i in range(40)]
    late = [
        post(100 + i, f"launch crash bug item{i}" if i < 20 else f"launch event keynote item{i}", 10 + i)
        for i in range(40)
    ]
    result = analysis.analyze(early + late, "phone", WINDOW)

    terms = {t["term"]: t for t in result["top_terms"]}
    assert result["trend_baseline"] == "window"
    assert terms["launch"]["trend_direction"] == "flat" and not terms["launch"]["significant"]
    assert terms["keynote"]["trend_direction"] == "down" and terms["keynote"]["significant"]
    assert {e["term"] for e in result["emerging_terms"]} == {"crash", "bug"}


def test_rare_terms_are_never_significant():
    top, emerging = trending.annotate([{"term": "x", "count": 3}], Counter({"x": 3}), 100, Counter({"y": 50}), 10_000)
    assert top[0]["trend_score"] > trending.SIGNIFICANT_G2 and not top[0]["significant"]
    assert emerging == []


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Bad santa BAD", "en"),
        ("fun!!", "en"),
        ("Das ist wirklich nicht gut, ich bin enttäuscht", "de"),
        ("No me gusta nada este producto", "es"),
        ("O atendimento foi péssimo", "pt"),
        ("今日はとても良い天気です", "ja"),
        ("👍👍 https://example.com", "und"),
    ],
)
def test_detect(text, lang):
    assert languages.detect(text) == lang


def test_provider_tags_win_and_are_normalized():
    assert languages.normalize_tag("en-US") == "en" and languages.normalize_tag(["pt-BR", "en"]) == "pt"
    assert languages.normalize_tag("") is None and languages.normalize_tag(7) is None
    posts = [post(1, "Great stuff", 5, language="de")]
    assert languages.languages_of(posts) == {"Great stuff": "de"}


def test_short_english_ground_truth_posts_are_not_taken_for_another_language(groundtruth):
    for name in ("tweets_dev.tsv", "movie_reviews.tsv"):
        texts = [t for _, _, t in groundtruth[name]]
        unscored = [t for t in texts if not languages.is_scored(languages.detect(t))]
        assert len(unscored) / len(texts) < 0.005, unscored[:5]


def test_language_filter_keeps_only_the_requested_languages():
    posts = [post(1, "I love it", 5), post(2, "No me gusta nada este producto", 6)]
    result = analysis.analyze(posts, "it", WINDOW, languages=["es"])
    assert result["posts_analyzed"] == 1 and result["languages"] == [{"lang": "es", "posts": 1, "scored": 0}]
    assert result["language_filter"] == {"languages": ["es"], "posts_left_out": 1}
    assert result["sentiment"]["unscored"] == 1 and result["sentiment"]["mean_compound"] == 0.0

"""analyze(): the result shape of CONTRACTS.md plus the new fields, dedupe, trends and the timeline."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from social_analytics.models import Post, TimeWindow
from social_analytics.service import analysis, calibration, sentiment

NOW = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
WINDOW = TimeWindow.last_hours(6, NOW)


def post(i: int, text: str, minutes_ago: int = 10, likes: int = 0, reposts: int = 0, **kw) -> Post:
    return Post(
        id=f"t:{i}",
        text=text,
        created_at=NOW - timedelta(minutes=minutes_ago),
        provider="test",
        likes=likes,
        reposts=reposts,
        **kw,
    )


POSTS = [
    post(1, "I love serverless, deploys are great ❤️ #aws", 5, likes=100),
    post(2, "I love serverless, deploys are great ❤️ #aws", 70),  # a copy
    post(3, "Serverless cold starts are terrible", 130, reposts=2),
    post(4, "serverless docs today", 190),
    post(5, "Serverless cold starts are awful 👎 @aws $AMZN", 250),
]


def test_keeps_every_contract_key_and_adds_the_new_ones():
    result = analysis.analyze(POSTS, "Serverless", WINDOW)

    assert {"posts_analyzed", "sentiment", "top_terms", "hashtags", "timeline", "posts"} <= set(result)
    assert {"positive", "neutral", "negative", "mean_compound", "weighted_mean_compound"} <= set(result["sentiment"])
    assert {"term", "count", "share", "sentiment", "trend", "trend_score", "trend_direction", "significant"} == set(
        result["top_terms"][0]
    )
    assert {"languages", "emerging_terms", "trend_baseline"} <= set(result)
    assert {"unscored", "intervals"} <= set(result["sentiment"])
    assert {"bigrams", "mentions", "cashtags", "top_positive", "top_negative", "duplicates_collapsed"} <= set(result)
    sample = result["posts"][0]
    assert {"id", "text", "author", "created_at", "url", "compound", "label", "likes", "reposts"} <= set(sample)
    assert [p["id"] for p in result["posts"]] == ["t:1", "t:2", "t:3", "t:4", "t:5"]  # newest first


def test_copies_are_scored_once_but_every_post_counts(monkeypatch):
    calls = []
    original = sentiment.analyzer().scored_parts
    monkeypatch.setattr(sentiment.analyzer(), "scored_parts", lambda t: calls.append(t) or original(t))

    result = analysis.analyze(POSTS, "serverless", WINDOW)

    assert len(calls) == 4
    assert result["posts_analyzed"] == 5
    assert result["duplicates_collapsed"] == 1
    assert result["sentiment"]["positive"] == 2  # the copy counts
    assert result["sentiment"]["negative"] == 2
    assert result["sentiment"]["neutral"] == 1
    assert {"term": "aws", "count": 2} in result["hashtags"]
    assert result["mentions"] == [{"term": "aws", "count": 1}]
    assert result["cashtags"] == [{"term": "AMZN", "count": 1}]


def test_mean_and_engagement_weighted_mean():
    result = analysis.analyze(POSTS, "serverless", WINDOW)
    compounds = [calibration.score_text(p.text)["compound"] for p in POSTS]
    weights = [1 + math.log1p(p.likes + p.reposts) for p in POSTS]

    assert result["sentiment"]["mean_compound"] == pytest.approx(sum(compounds) / 5, abs=1e-4)
    expected = sum(w * c for w, c in zip(weights, compounds, strict=True)) / sum(weights)
    assert result["sentiment"]["weighted_mean_compound"] == pytest.approx(expected, abs=1e-4)
    assert result["sentiment"]["weighted_mean_compound"] > result["sentiment"]["mean_compound"]  # the liked post


def test_terms_carry_share_sentiment_and_no_keyword():
    result = analysis.analyze(POSTS, "serverless", WINDOW)
    terms = {t["term"]: t for t in result["top_terms"]}

    assert "serverless" not in terms
    assert terms["cold"]["count"] == 2
    assert terms["cold"]["share"] == pytest.approx(0.4)
    negative = [calibration.score_text(POSTS[i].text)["compound"] for i in (2, 4)]
    assert terms["cold"]["sentiment"] == pytest.approx(sum(negative) / 2, abs=1e-4)
    assert terms["love"]["sentiment"] > 0.5
    assert terms["cold"]["trend"] is None  # no previous result
    assert {"term": "cold starts", "count": 2} in result["bigrams"]


def test_trend_is_the_change_in_share_against_the_previous_result():
    previous = {"posts_analyzed": 10, "top_terms": [{"term": "cold", "count": 1}, {"term": "love", "count": 8}]}

    terms = {t["term"]: t for t in analysis.analyze(POSTS, "serverless", WINDOW, previous_result=previous)["top_terms"]}

    assert terms["cold"]["trend"] == pytest.approx(0.4 - 0.1)
    assert terms["love"]["trend"] == pytest.approx(0.4 - 0.8)
    assert terms["docs"]["trend"] is None  # not among the previous top terms


def test_top_positive_and_negative_posts_are_distinct_texts():
    result = analysis.analyze(POSTS, "serverless", WINDOW)

    assert [p["id"] for p in result["top_positive"]] == ["t:1"]  # one of the two copies, the most liked
    assert [p["id"] for p in result["top_negative"]] == ["t:5", "t:3"] or [p["id"] for p in result["top_negative"]] == [
        "t:3",
        "t:5",
    ]
    compounds = [p["compound"] for p in result["top_negative"]]
    assert compounds == sorted(compounds)
    assert {"pos", "neu", "neg"} <= set(result["top_negative"][0])


def test_timeline_is_hourly_over_the_whole_window_with_label_counts():
    timeline = analysis.analyze(POSTS, "serverless", WINDOW)["timeline"]

    assert [b["start"] for b in timeline][:2] == ["2026-11-24T08:00:00Z", "2026-11-24T09:00:00Z"]
    assert timeline[-1]["start"] == "2026-11-24T14:00:00Z"
    assert len(timeline) == 7
    assert sum(b["posts"] for b in timeline) == 5
    last = timeline[-1]
    assert (last["posts"], last["positive"], last["neutral"], last["negative"]) == (1, 1, 0, 0)
    assert timeline[0]["posts"] == 0 and timeline[0]["mean_compound"] == 0.0


def test_timeline_is_daily_for_windows_over_three_days():
    window = TimeWindow.last_hours(24 * 7, NOW)
    posts = [post(1, "good", 60), post(2, "bad", 60 * 24 * 3)]

    timeline = analysis.analyze(posts, "x", window)["timeline"]

    assert timeline[0]["start"] == "2026-11-17T00:00:00Z"
    assert timeline[-1]["start"] == "2026-11-24T00:00:00Z"
    assert all(b["start"].endswith("T00:00:00Z") for b in timeline)
    assert sum(b["posts"] for b in timeline) == 2


def test_provider_hashtags_win_over_hashtags_in_the_text():
    posts = [post(1, "nice #foo", hashtags=["Bar"]), post(2, "nice #foo")]
    hashtags = analysis.analyze(posts, "x", WINDOW)["hashtags"]
    assert hashtags == [{"term": "bar", "count": 1}, {"term": "foo", "count": 1}]


def test_no_posts():
    result = analysis.analyze([], "serverless", WINDOW)

    assert result["posts_analyzed"] == 0
    assert result["sentiment"]["mean_compound"] == 0.0 == result["sentiment"]["weighted_mean_compound"]
    assert result["top_terms"] == [] and result["posts"] == [] and result["top_positive"] == []
    assert len(result["timeline"]) == 7  # 08:00 .. 14:00 for 08:30 .. 14:30


def test_score_text_stays_public():
    assert analysis.score_text("I love it")["label"] == "positive"

from __future__ import annotations

import time

import httpx
import pytest
from social_analytics.analyses.sources.base import ProviderAuthError, ProviderBadResponse, ProviderRateLimited
from social_analytics.analyses.sources.x_api import XApiAdapter

from tests.fakes.mock_http import NOW, Script, budget, client, fixture, run, window

BASE = "https://x.test"


def fetch(script: Script, limit: int = 100, now=NOW, **kwargs):
    async def go():
        async with client(script) as c:
            adapter = XApiAdapter(c, "x-token", BASE, now=lambda: now)
            return await adapter.fetch("serverless", window(), limit, **kwargs)

    kwargs.setdefault("budget", budget())
    return run(go())


def test_follows_next_token_and_joins_includes_users():
    script = Script(
        httpx.Response(200, json=fixture("x_search_page1.json")),
        httpx.Response(200, json=fixture("x_search_page2.json")),
    )
    result = fetch(script)
    first, second = script.requests
    assert first.url.path == "/2/tweets/search/recent" and first.headers["Authorization"] == "Bearer x-token"
    params = first.url.params
    assert params["tweet.fields"] == "created_at,public_metrics,lang,entities,author_id,referenced_tweets"
    assert params["expansions"] == "author_id,referenced_tweets.id" and params["max_results"] == "100"
    assert params["start_time"] == "2026-11-23T13:00:00Z" and "end_time" not in params and "next_token" not in params
    assert second.url.params["next_token"] == "b26v89c19zqg8o3fpzbkk3d3ye6k9"
    top, other, orphan = result.posts
    assert (top.id, top.author, top.likes, top.reposts, top.replies) == (
        "x:1861234567890123456",
        "XDevelopers",
        42,
        7,
        4,
    )
    assert top.hashtags == ["aws"] and top.url == "https://x.com/XDevelopers/status/1861234567890123456"
    assert other.author == "X" and other.hashtags == []
    assert (orphan.author, orphan.likes, orphan.language) == ("", 0, None)  # no includes, no metrics, no lang
    assert result.cursor == {"since_id": "1861234567890123456"} and result.billable_items == 3


@pytest.mark.parametrize(("limit", "expected"), [(5, "10"), (15, "15"), (1000, "100")])
def test_max_results_stays_within_10_to_100(limit, expected):
    script = Script(httpx.Response(200, json=fixture("x_search_empty.json")))
    fetch(script, limit=limit)
    assert script.requests[0].url.params["max_results"] == expected


def test_empty_result_has_only_meta():
    result = fetch(Script(httpx.Response(200, json=fixture("x_search_empty.json"))))
    assert result.posts == [] and result.cursor is None


def test_since_id_cursor_replaces_start_time():
    script = Script(httpx.Response(200, json=fixture("x_search_empty.json")))
    result = fetch(script, cursor={"since_id": "1861234567890000001"})
    params = script.requests[0].url.params
    assert params["since_id"] == "1861234567890000001" and "start_time" not in params
    assert result.cursor == {"since_id": "1861234567890000001"}


def test_429_waits_until_x_rate_limit_reset():
    b = budget(seconds=30)
    reset = str(int(time.time()) + 3)
    script = Script(
        httpx.Response(429, headers={"x-rate-limit-reset": reset}, json=fixture("x_error_429.json")),
        httpx.Response(200, json=fixture("x_search_page2.json")),
    )
    result = fetch(script, budget=b)
    assert len(result.posts) == 1 and len(b.sleep) == 1 and 1.5 < b.sleep[0] <= 3.0


def test_429_with_a_reset_15_minutes_away_gives_up_at_once():
    b = budget(seconds=20)
    script = Script(httpx.Response(429, headers={"x-rate-limit-reset": str(int(time.time()) + 900)}))
    with pytest.raises(ProviderRateLimited) as info:
        fetch(script, budget=b)
    assert b.sleep == [] and info.value.retry_after_seconds > 800


def test_401_is_auth():
    with pytest.raises(ProviderAuthError):
        fetch(Script(httpx.Response(401, json=fixture("x_error_401.json"))))


def test_200_with_only_errors_is_a_bad_response():
    body = {"errors": [{"detail": "Could not find tweet", "title": "Not Found Error"}]}
    with pytest.raises(ProviderBadResponse):
        fetch(Script(httpx.Response(200, json=body)))


def test_malformed_json():
    with pytest.raises(ProviderBadResponse):
        fetch(Script(httpx.Response(200, text="<html>oops</html>")))

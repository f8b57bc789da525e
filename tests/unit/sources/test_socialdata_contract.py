from __future__ import annotations

import httpx
import pytest
from social_analytics.analyses.sources.base import (
    ProviderAuthError,
    ProviderBadResponse,
    ProviderForbidden,
    ProviderPaymentRequired,
    ProviderRateLimited,
    ProviderUnavailable,
)
from social_analytics.analyses.sources.socialdata import SocialDataAdapter

from tests.fakes.mock_http import NOW, Script, budget, client, fixture, run, window

BASE = "https://sd.test"


def fetch(script: Script, limit: int = 100, **kwargs):
    async def go():
        async with client(script) as c:
            return await SocialDataAdapter(c, "sd-key", BASE).fetch("serverless", window(), limit, **kwargs)

    kwargs.setdefault("budget", budget())
    return run(go())


def test_follows_next_cursor_and_maps_documented_fields():
    script = Script(
        httpx.Response(200, json=fixture("socialdata_search_page1.json")),
        httpx.Response(200, json=fixture("socialdata_search_page2.json")),
    )
    result = fetch(script)
    first, second = script.requests
    assert first.url.path == "/twitter/search" and first.headers["Authorization"] == "Bearer sd-key"
    assert first.url.params["type"] == "Latest" and "cursor" not in first.url.params
    assert first.url.params["query"].startswith('"serverless" since_time:')
    assert second.url.params["cursor"] == "DAADDAABCgABGRfNQ8UXwBoKAAIX"
    assert [p.id for p in result.posts] == [
        "socialdata:1861234567890123456",
        "socialdata:1861234567890000000",
        "socialdata:1861230000000000000",
    ]  # the tweet from 2026-11-20 is outside the window
    top = result.posts[0]
    assert top.text == "Serverless is amazing, shipped in a day #AWS #Lambda"  # full_text, text was null
    assert top.created_at.isoformat() == "2026-11-24T12:39:09+00:00" and top.created_at.tzinfo is not None
    assert (top.author, top.likes, top.reposts, top.replies) == ("devone", 42, 7, 4)
    assert top.hashtags == ["aws", "lambda"] and top.language == "en"
    assert top.url == "https://x.com/devone/status/1861234567890123456"
    missing = result.posts[1]  # no counts, no entities in the payload
    assert (missing.likes, missing.reposts, missing.replies, missing.hashtags) == (0, 0, 0, [])
    assert result.billable_items == 4 and result.cursor == {"since_id": "1861234567890123456"}


def test_limit_stops_pagination():
    script = Script(httpx.Response(200, json=fixture("socialdata_search_page1.json")))
    result = fetch(script, limit=2)
    assert len(result.posts) == 2 and len(script.requests) == 1


def test_incremental_cursor_goes_into_the_query_and_never_moves_back():
    script = Script(httpx.Response(200, json={"next_cursor": None, "tweets": []}))
    result = fetch(script, cursor={"since_id": "1861234567890999999"})
    assert "since_id:1861234567890999999" in script.requests[0].url.params["query"]
    assert result.posts == [] and result.cursor == {"since_id": "1861234567890999999"}


def test_empty_page_is_an_empty_answer():
    assert fetch(Script(httpx.Response(200, json={"next_cursor": None, "tweets": []}))).posts == []


def test_402_is_payment_required_and_not_retried():
    script = Script(httpx.Response(402, json=fixture("socialdata_error_402.json")))
    with pytest.raises(ProviderPaymentRequired) as info:
        fetch(script)
    assert len(script.requests) == 1 and info.value.reason == "socialdata: HTTP 402"
    assert "Insufficient balance" in info.value.detail  # for the logs, never in the public reason
    assert "sd-key" not in info.value.reason


@pytest.mark.parametrize(
    ("status", "error"), [(401, ProviderAuthError), (403, ProviderForbidden), (422, ProviderBadResponse)]
)
def test_client_errors_are_typed_and_not_retried(status, error):
    script = Script(httpx.Response(status, json=fixture("socialdata_error_401.json")))
    with pytest.raises(error):
        fetch(script)
    assert len(script.requests) == 1


def test_429_backs_off_per_retry_after_then_succeeds():
    b = budget()
    script = Script(
        httpx.Response(429, headers={"Retry-After": "2"}, json={"status": "error", "message": "Too many requests"}),
        httpx.Response(200, json=fixture("socialdata_search_page2.json")),
    )
    result = fetch(script, budget=b)
    assert len(result.posts) == 1 and b.retries == 1 and b.sleep == [2.0]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_retried_then_raised_as_unavailable(status):
    b = budget(max_retries=2)
    script = Script(*[httpx.Response(status, text="upstream error") for _ in range(3)])
    with pytest.raises(ProviderUnavailable):
        fetch(script, budget=b)
    assert len(script.requests) == 3 and b.retries == 2


def test_rate_limit_wait_beyond_budget_is_raised_without_sleeping():
    b = budget(seconds=5)
    script = Script(httpx.Response(429, headers={"Retry-After": "60"}))
    with pytest.raises(ProviderRateLimited) as info:
        fetch(script, budget=b)
    assert b.sleep == [] and "exceeds the remaining budget" in info.value.reason


@pytest.mark.parametrize("body", ["{not json", "", "[1, 2]", '{"tweets": "nope"}'])
def test_malformed_or_misshapen_json_is_a_bad_response(body):
    with pytest.raises(ProviderBadResponse):
        fetch(Script(httpx.Response(200, text=body)))


def test_failure_after_a_good_page_keeps_the_posts_with_a_note():
    script = Script(
        httpx.Response(200, json=fixture("socialdata_search_page1.json")),
        httpx.Response(402, json=fixture("socialdata_error_402.json")),
    )
    result = fetch(script)
    assert len(result.posts) == 2 and "stopped after 1 pages" in result.notes[0]


def test_connection_errors_are_unavailable():
    def boom(request):
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ProviderUnavailable):
        fetch(Script(boom, boom, boom, boom))


def test_repr_hides_the_key():
    assert "sd-key" not in repr(SocialDataAdapter(httpx.AsyncClient(), "sd-key", BASE))
    assert NOW.tzinfo is not None

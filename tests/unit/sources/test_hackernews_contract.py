"""Hacker News (Algolia search_by_date) against its documented response shape (PROVIDERS.md g)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import httpx
import pytest
from social_analytics.analyses.sources.base import ProviderBadResponse, ProviderUnavailable
from social_analytics.analyses.sources.hackernews import HackerNewsAdapter

from tests.fakes.mock_http import Script, budget, client, fixture, run, window

BASE = "https://hn.test"


def fetch(script: Script, limit: int = 100, **kwargs):
    async def go():
        async with client(script) as c:
            return await HackerNewsAdapter(c, BASE + "/").fetch("serverless", window(), limit, **kwargs)

    kwargs.setdefault("budget", budget())
    return run(go())


def test_maps_stories_and_comments_strips_html_and_reports_nbhits():
    page = fixture("hackernews_search_by_date.json")
    script = Script(httpx.Response(200, json=page), httpx.Response(200, json={**page, "hits": [], "page": 1}))
    result = fetch(script)
    first = script.requests[0]
    assert first.url.path == "/api/v1/search_by_date"
    assert first.url.params["tags"] == "(story,comment)" and first.url.params["page"] == "0"
    start, end = int(window().start.timestamp()), int(window().end.timestamp())
    assert first.url.params["numericFilters"] == f"created_at_i>={start},created_at_i<{end}"
    assert script.requests[1].url.params["page"] == "1"

    comment, ask, show = result.posts
    assert comment.id == "hackernews:41000002" and comment.provider == "hackernews"
    assert (
        comment.text == "Serverless is great for bursty loads & cheap.\nCold starts hurt though: https://example.com/x"
    )
    assert (comment.author, comment.likes, comment.replies) == ("pg", 0, 0)  # null points on comments
    assert comment.url == "https://news.ycombinator.com/item?id=41000002"
    assert comment.created_at == datetime(2026, 11, 24, 12, 30, tzinfo=UTC)
    assert ask.text == "Ask HN: Serverless in 2026?\nWhat are you running on Lambda today?"
    assert (ask.likes, ask.replies) == (42, 17)
    assert show.text == "Show HN: A tiny serverless framework"
    assert show.url == "https://news.ycombinator.com/item?id=40999990"  # the permalink, not the linked page
    assert result.reported_total == 1234 and "nbHits" in result.reported_note
    assert result.cursor == {"created_at_i": "1795523400"}
    assert result.complete is True and result.billable_items == 3


def test_stops_at_the_limit_and_says_it_is_not_complete():
    page = fixture("hackernews_search_by_date.json")
    result = fetch(Script(httpx.Response(200, json=page)), limit=2)
    assert len(result.posts) == 2 and result.complete is False


def test_incremental_scan_filters_after_the_cursor_and_reports_no_total():
    page = fixture("hackernews_search_by_date.json")
    script = Script(httpx.Response(200, json={**page, "hits": page["hits"][:1], "nbHits": 1, "nbPages": 1}))
    result = fetch(script, cursor={"created_at_i": "1795518000"})
    assert script.requests[0].url.params["numericFilters"].startswith("created_at_i>1795518000,")
    assert [p.id for p in result.posts] == ["hackernews:41000002"]
    assert result.reported_total is None  # nbHits counted only the new posts


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(200, json={"message": "no hits key"}), ProviderBadResponse),
        (httpx.Response(200, content=b"<html>"), ProviderBadResponse),
        (httpx.Response(503, json={"message": "busy"}), ProviderUnavailable),
    ],
)
def test_malformed_or_failing_answers_raise_typed_errors(response, error):
    with pytest.raises(error):
        fetch(Script(*[response] * 4), budget=budget(max_retries=3))


def test_a_host_that_does_not_resolve_fails_at_once_without_retries():
    from social_analytics.analyses.sources.base import ProviderUnreachable

    def no_dns(request: httpx.Request) -> httpx.Response:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError("[Errno -2] Name or service not known", request=request) from exc

    calls = Script(no_dns, no_dns, no_dns, no_dns)
    with pytest.raises(ProviderUnreachable):
        fetch(calls)
    assert len(calls.requests) == 1

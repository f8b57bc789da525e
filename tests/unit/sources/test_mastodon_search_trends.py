"""Mastodon beyond hashtag timelines (PROVIDERS.md i): full-text status search with a user token, and the public
trending tags' per-day ``uses`` as a reported volume."""

from __future__ import annotations

from datetime import timedelta

import httpx
from social_analytics.analyses.sources.mastodon import MastodonAdapter, uses_in_window

from tests.fakes.mock_http import NOW, budget, client, fixture, run, window

A = "https://a.test"
MIDNIGHT = NOW.replace(hour=0, minute=0)


def day(offset: int) -> str:
    return str(int((MIDNIGHT - timedelta(days=offset)).timestamp()))


def fetch(handler, **kwargs):
    async def go():
        async with client(handler) as c:
            return await MastodonAdapter(c, [A], **kwargs).fetch("Serverless", window(), 100, budget=budget())

    return run(go())


def by_path(answers: dict[str, httpx.Response], seen: list[httpx.Request]):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.get(request.url.path, httpx.Response(200, json=[]))

    return handler


def test_status_search_with_a_token_adds_posts_without_the_hashtag():
    statuses = fixture("mastodon_tag_timeline.json")
    extra = dict(statuses[0], id="5", uri="https://a.test/users/x/statuses/5", url="https://a.test/@x/5", tags=[])
    seen: list[httpx.Request] = []
    answers = {
        "/api/v1/timelines/tag/serverless": httpx.Response(200, json=statuses),
        "/api/v2/search": httpx.Response(200, json={"accounts": [], "statuses": [extra, statuses[0]], "hashtags": []}),
    }
    result = fetch(by_path(answers, seen), access_token="user-token")
    search = next(r for r in seen if r.url.path == "/api/v2/search")
    assert search.url.params["type"] == "statuses" and search.url.params["q"] == "serverless"
    assert search.headers["Authorization"] == "Bearer user-token"
    timeline = next(r for r in seen if r.url.path.startswith("/api/v1/timelines"))
    assert "Authorization" not in timeline.headers  # the token is only sent where it is needed
    assert len(result.posts) == 3  # two from the timeline, one only found by search; the duplicate dropped
    assert any(note == "status search: 2 posts" for note in result.notes)


def test_without_a_token_there_is_no_status_search():
    seen: list[httpx.Request] = []
    fetch(by_path({}, seen))
    assert all(r.url.path != "/api/v2/search" for r in seen)


def test_a_trending_tag_reports_its_uses_in_the_window():
    trends = [
        {"name": "other", "history": [{"day": day(0), "uses": "999", "accounts": "5"}]},
        {"name": "Serverless", "url": "https://a.test/tags/serverless",
         "history": [{"day": day(0), "uses": "130", "accounts": "40"},
                     {"day": day(1), "uses": "240", "accounts": "80"}]},
    ]  # fmt: skip
    seen: list[httpx.Request] = []
    result = fetch(by_path({"/api/v1/trends/tags": httpx.Response(200, json=trends)}, seen), trends=True)
    # The window is 13:00 yesterday -> 13:00 today: all of today's 130 uses and 11/24 of yesterday's 240.
    assert result.reported_total == 130 + 110
    assert "trending tag #serverless" in result.reported_note


def test_a_tag_that_does_not_trend_reports_nothing_and_trends_failing_is_harmless():
    seen: list[httpx.Request] = []
    quiet = fetch(by_path({"/api/v1/trends/tags": httpx.Response(200, json=[])}, seen), trends=True)
    broken = fetch(by_path({"/api/v1/trends/tags": httpx.Response(500, json={})}, seen), trends=True)
    assert quiet.reported_total is None and broken.reported_total is None


def test_uses_in_window_prorates_partial_days():
    span = window()
    assert uses_in_window([{"day": day(0), "uses": "26"}], span) == 26
    assert uses_in_window([{"day": day(2), "uses": "48"}], span) == 0
    assert uses_in_window("nope", span) is None

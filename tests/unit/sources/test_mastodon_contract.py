from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from social_analytics.analyses.sources._http import retry_after_seconds
from social_analytics.analyses.sources.base import ProviderAuthError, ProviderUnsupportedQuery
from social_analytics.analyses.sources.mastodon import MastodonAdapter, hashtag_for, html_to_text

from tests.fakes.mock_http import budget, client, fixture, run, window

A, B = "https://a.test", "https://b.test"


def routed(routes: dict[str, list[httpx.Response]], seen: list[httpx.Request]):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        queue = routes[f"{request.url.scheme}://{request.url.host}"]
        return queue.pop(0) if queue else httpx.Response(200, json=[])

    return handler


def fetch(routes, instances=(A, B), query="#Serverless", limit=100, **kwargs):
    seen: list[httpx.Request] = []

    async def go():
        async with client(routed(routes, seen)) as c:
            return await MastodonAdapter(c, list(instances)).fetch(
                query, window(), limit, budget=kwargs.pop("budget", budget()), **kwargs
            )

    return run(go()), seen


def test_strips_html_and_maps_statuses():
    result, seen = fetch({A: [httpx.Response(200, json=fixture("mastodon_tag_timeline.json"))]}, instances=(A,))
    assert seen[0].url.path == "/api/v1/timelines/tag/serverless" and seen[0].url.params["limit"] == "40"
    assert "Authorization" not in seen[0].headers
    first, second = result.posts
    assert first.text == "Moved our API to #serverless & it's great!\nCold starts < 200ms.\nSecond paragraph"
    assert first.id == "mastodon:https://hachyderm.io/users/carol/statuses/113531234567890123"
    assert (first.author, first.likes, first.reposts, first.replies) == ("carol", 12, 3, 1)
    assert first.url == "https://hachyderm.io/@carol/113531234567890123" and first.hashtags == ["serverless"]
    assert second.text == "rant\nvendor lock-in is terrible"  # spoiler kept, missing counts are 0
    assert (second.likes, second.language) == (0, None)
    assert result.cursor == {"since_id:a.test": "113531234567890123"}


def test_dedupes_by_uri_across_instances():
    statuses = fixture("mastodon_tag_timeline.json")
    other = [dict(statuses[0], id="999", favourites_count=50)]  # same uri, another instance, more likes known
    result, _ = fetch({A: [httpx.Response(200, json=statuses)], B: [httpx.Response(200, json=other)]})
    assert len(result.posts) == 2 and result.posts[0].likes == 50
    assert result.cursor == {"since_id:a.test": "113531234567890123", "since_id:b.test": "999"}


def test_401_instance_is_skipped_with_its_reason():
    result, _ = fetch(
        {
            A: [httpx.Response(401, json={"error": "The access token is invalid"})],
            B: [httpx.Response(200, json=fixture("mastodon_tag_timeline.json"))],
        }
    )
    assert len(result.posts) == 2
    # the instance's own message stays out of the notes (they are public): only the status
    assert result.notes == ["a.test skipped: mastodon a.test: HTTP 401"]


def test_every_instance_401_raises_auth():
    login = {"error": "The access token is invalid"}
    with pytest.raises(ProviderAuthError) as info:
        fetch({A: [httpx.Response(401, json=login)], B: [httpx.Response(401, json=login)]})
    assert "a.test" in info.value.reason and "b.test" in info.value.reason


def test_unknown_hashtag_404_and_empty_page_are_empty():
    result, _ = fetch({A: [httpx.Response(404, json={"error": "Record not found"})], B: []})
    assert result.posts == [] and result.notes == []


def test_malformed_json_on_one_instance_is_a_note():
    result, _ = fetch(
        {A: [httpx.Response(200, text="<html>")], B: [httpx.Response(200, json=fixture("mastodon_tag_timeline.json"))]}
    )
    assert len(result.posts) == 2 and "malformed JSON" in result.notes[0]


def test_pages_with_max_id_until_the_window_start():
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def status(i: int, age_hours: float) -> dict:
        created = (now - timedelta(hours=age_hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return {"id": str(1000 - i), "uri": f"https://o.test/s/{i}", "created_at": created, "content": f"<p>p{i}</p>"}

    page1 = [status(i, i * 0.5) for i in range(40)]  # 0 .. 19.5 h old
    page2 = [status(i, i * 0.5) for i in range(40, 60)]  # 20 .. 29.5 h old: crosses the 24 h window start
    result, seen = fetch({A: [httpx.Response(200, json=page1), httpx.Response(200, json=page2)]}, instances=(A,))
    assert [r.url.params.get("max_id") for r in seen] == [None, "961"]
    assert len(result.posts) == 47  # window is [11-23 13:00, 11-24 13:00): ages 0 .. 23 h


def test_incremental_since_id_is_sent_per_instance():
    result, seen = fetch({A: [], B: []}, cursor={"since_id:a.test": "500"})
    by_host = {r.url.host: r.url.params.get("since_id") for r in seen}
    assert by_host == {"a.test": "500", "b.test": None} and result.cursor == {"since_id:a.test": "500"}


def test_keyword_without_word_characters_is_unsupported():
    with pytest.raises(ProviderUnsupportedQuery):
        fetch({A: []}, query="c++")
    assert hashtag_for("#AWS Lambda") == "awslambda"


def test_html_to_text_handles_entities_and_broken_markup():
    assert html_to_text("<p>a &lt;b&gt; <em>c</em></p><p>d</p>") == "a <b> c\nd"
    assert html_to_text("<p>unclosed <a href='x'>link") == "unclosed link"
    assert html_to_text("plain") == "plain"


def test_mastodon_iso_rate_limit_reset_header():
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC).timestamp()
    assert retry_after_seconds({"x-ratelimit-reset": "2026-11-24T12:00:30.000Z"}, now=now) == 30.0
    assert retry_after_seconds({"retry-after": "Tue, 24 Nov 2026 12:00:10 GMT"}, now=now) == 10.0
    assert retry_after_seconds({"x-rate-limit-reset": str(int(now) + 5)}, now=now) == 5.0
    assert retry_after_seconds({}, now=now) is None

"""Lemmy /api/v3/search against its documented response shape (PROVIDERS.md h)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from social_analytics.analyses.sources.base import ProviderBadResponse
from social_analytics.analyses.sources.lemmy import LemmyAdapter

from tests.fakes.mock_http import budget, client, fixture, run, window

A, B = "https://a.test", "https://b.test"


def fetch(routes: dict[str, list[httpx.Response]], instances=(A, B), limit=100, **kwargs):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        queue = routes[f"{request.url.scheme}://{request.url.host}"]
        return queue.pop(0) if queue else httpx.Response(200, json={"posts": [], "comments": []})

    async def go():
        async with client(handler) as c:
            return await LemmyAdapter(c, list(instances)).fetch(
                "serverless", window(), limit, budget=kwargs.pop("budget", budget()), **kwargs
            )

    return run(go()), seen


def test_maps_posts_and_comments_and_stops_at_the_window_start():
    result, seen = fetch({A: [httpx.Response(200, json=fixture("lemmy_search.json"))]}, instances=(A,))
    assert len(seen) == 1  # the page's oldest item is older than the window: no second page
    params = seen[0].url.params
    assert seen[0].url.path == "/api/v3/search"
    assert (params["type_"], params["sort"], params["listing_type"], params["page"]) == ("All", "New", "All", "1")
    comment, post = result.posts  # the 2026-11-20 post is outside the window
    assert comment.id == "lemmy:https://lemmy.world/comment/9001" and comment.provider == "lemmy"
    assert comment.text.startswith("Serverless saved us") and (comment.author, comment.likes) == ("ops_person", 12)
    assert post.text == "Serverless experiences?\nLooking for war stories about serverless in production."
    assert post.created_at == datetime(2026, 11, 24, 11, 15, tzinfo=UTC)  # no zone: UTC
    assert (post.likes, post.replies, post.url) == (30, 9, "https://lemmy.ml/post/700")
    assert result.complete is True and result.cursor == {"since": "2026-11-24T12:40:00Z"}


def test_dedupes_by_ap_id_across_instances_and_skips_a_failing_one():
    page = fixture("lemmy_search.json")
    more = fixture("lemmy_search.json")
    more["posts"][0]["counts"]["score"] = 99  # the same post, federated, known with more votes
    result, _ = fetch({A: [httpx.Response(200, json=page)], B: [httpx.Response(200, json=more)]})
    assert len(result.posts) == 2 and result.posts[1].likes == 99

    c = "https://c.test"
    routes = {A: [httpx.Response(200, json=fixture("lemmy_search.json"))], c: [httpx.Response(404, json={})]}
    partial, _ = fetch(routes, instances=(A, c))
    assert len(partial.posts) == 2 and partial.complete is False
    assert any(note.startswith("c.test skipped") for note in partial.notes)


def test_incremental_scan_keeps_only_posts_after_the_cursor():
    result, _ = fetch(
        {A: [httpx.Response(200, json=fixture("lemmy_search.json"))]}, instances=(A,),
        cursor={"since": "2026-11-24T12:00:00Z"},
    )  # fmt: skip
    assert [p.id for p in result.posts] == ["lemmy:https://lemmy.world/comment/9001"]


def test_every_instance_failing_raises_and_a_malformed_body_is_a_bad_response():
    with pytest.raises(ProviderBadResponse):
        fetch({A: [httpx.Response(200, json={"posts": "nope"})]}, instances=(A,))
    with pytest.raises(ProviderBadResponse):
        fetch({A: [httpx.Response(200, json=[1, 2])]}, instances=(A,))

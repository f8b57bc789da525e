"""The news sources against the loopback fake speaking GDELT DOC 2.0 and Google News RSS (tests/fakes/provider_server):
articles and headlines as posts of kind "headline", GDELT's reported volume and tone series, its load shedding (429
and the "Please limit requests" text) as a rate limit that is not retried and cools the gate off, the per-query
cache, the query translators, and defusedxml refusing hostile feeds."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from social_analytics.analyses.sources import gdelt, googlenews
from social_analytics.analyses.sources._http import RequestBudget
from social_analytics.analyses.sources.base import ProviderBadResponse, ProviderRateLimited, ProviderUnsupportedQuery
from social_analytics.analyses.sources.gdelt import GdeltAdapter, GdeltGate
from social_analytics.analyses.sources.googlenews import GoogleNewsAdapter
from social_analytics.models import TimeWindow

from tests.fakes.provider_server import FakeProviderServer, Reply


@pytest.fixture(scope="module")
def fake():
    with FakeProviderServer(keyword="serverless") as server:
        server.news_count = 40  # one article every 3 minutes: two hours of news
        yield server


def run(coro):
    return asyncio.run(coro)


class NoSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def budget(**kwargs) -> RequestBudget:
    return RequestBudget.of(30, sleep=NoSleep(), **kwargs)


async def gdelt_fetch(fake, gate, query="serverless", limit=100, hours=24, **kwargs):
    async with httpx.AsyncClient() as client:
        adapter = GdeltAdapter(client, fake.base_url, gate)
        return await adapter.fetch(query, TimeWindow.last_hours(hours), limit, budget=kwargs.pop("b", None) or budget())


def gdelt_requests(fake) -> list[dict]:
    return [q for route, _, q in fake.request_log if route == "gdelt"]


# ------------------------------------------------------------------ GDELT
def test_gdelt_articles_are_headlines_with_domain_language_country_volume_and_tone(fake):
    before = len(gdelt_requests(fake))
    result = run(gdelt_fetch(fake, GdeltGate(interval=0)))

    sent = gdelt_requests(fake)[before:]
    assert [q["mode"][0] for q in sent] == ["ArtList", "timelinevolraw", "timelinetone"]
    assert all(q["format"] == ["json"] and q["query"] == ["serverless"] for q in sent)
    assert sent[0]["sort"] == ["DateDesc"] and sent[0]["maxrecords"] == ["100"]
    assert len(sent[0]["startdatetime"][0]) == 14 and sent[0]["startdatetime"][0].endswith(("00", "1500"))

    assert len(result.posts) == 40 and result.complete is True
    newest = result.posts[0]
    assert newest.kind == "headline" and newest.provider == "gdelt"
    assert newest.id == "gdelt:https://news0.example/story/0" and newest.url == "https://news0.example/story/0"
    assert newest.text == "Serverless great report & outlook 0"  # the title, as GDELT sent it
    assert newest.author == "news0.example" and newest.language == "de" and newest.country == "Germany"
    assert {p.language for p in result.posts} == {"en", "de"}
    assert [p.created_at for p in result.posts] == sorted((p.created_at for p in result.posts), reverse=True)

    # timelinevolraw: GDELT's own count of the matching articles in the window
    assert result.reported_total == 40 and "timelinevolraw" in result.reported_note
    # timelinetone: a series on GDELT's scale, apart from the posts
    tone = result.series["news_tone"]
    assert tone["provider"] == "gdelt" and tone["basis"] == "reported" and "GDELT" in tone["scale"]
    assert len(tone["points"]) >= 96 and {"start", "value"} == set(tone["points"][0])
    assert any(p["value"] < 0 for p in tone["points"]) and any(p["value"] > 0 for p in tone["points"])
    assert result.requests == 3


def test_gdelt_answers_are_cached_per_query_and_window(fake):
    gate = GdeltGate(interval=0)
    first = run(gdelt_fetch(fake, gate))
    before = len(gdelt_requests(fake))
    again = run(gdelt_fetch(fake, gate))
    assert len(gdelt_requests(fake)) == before  # nothing sent: the same query and 15-minute window
    assert [p.id for p in again.posts] == [p.id for p in first.posts]
    assert again.series["news_tone"] == first.series["news_tone"] and again.requests == 0
    assert any("cache" in note for note in again.notes)
    run(gdelt_fetch(fake, gate, query="serverless lambda"))  # another query is asked for
    assert len(gdelt_requests(fake)) == before + 3


def test_gdelt_limit_caps_maxrecords_and_marks_incomplete(fake):
    result = run(gdelt_fetch(fake, GdeltGate(interval=0), limit=10))
    assert len(result.posts) == 10 and result.complete is False
    assert result.reported_total == 40  # the reported volume still counts everything matching


def test_gdelt_429_is_rate_limited_not_retried_and_cools_the_gate_off(fake):
    gate = GdeltGate(interval=0, cool_off=120)
    fake.script("gdelt", Reply(429, "Too Many Requests", headers={"Content-Type": "text/plain"}))
    before = len(gdelt_requests(fake))
    with pytest.raises(ProviderRateLimited) as raised:
        run(gdelt_fetch(fake, gate))
    assert raised.value.code == "rate_limited" and raised.value.retryable is False
    assert len(gdelt_requests(fake)) == before + 1  # not retried: GDELT asked us to slow down
    assert gate.cooling_for() > 100
    with pytest.raises(ProviderRateLimited, match="cooling off"):
        run(gdelt_fetch(fake, gate, query="another query"))
    assert len(gdelt_requests(fake)) == before + 1  # nothing sent while cooling off


def test_gdelt_limit_requests_text_is_a_rate_limit(fake):
    fake.script(
        "gdelt",
        Reply(200, "Please limit requests to one every 5 seconds or contact kalev.leetaru5@gmail.com for larger "
                   "queries.", headers={"Content-Type": "text/html"}),
    )  # fmt: skip
    with pytest.raises(ProviderRateLimited) as raised:
        run(gdelt_fetch(fake, GdeltGate(interval=0)))
    assert "kalev" not in raised.value.reason  # the provider's words are never the public reason


def test_gdelt_timeline_shed_keeps_the_articles_with_a_note(fake):
    gate = GdeltGate(interval=0)
    articles = fake._gdelt({"query": ["serverless"], "mode": ["ArtList"], "format": ["json"]}).body
    fake.script("gdelt", Reply(200, articles), Reply(429, "slow down", headers={"Content-Type": "text/plain"}))
    result = run(gdelt_fetch(fake, gate))
    assert len(result.posts) == 40
    assert result.reported_total is None and "news_tone" not in result.series
    assert any(note.startswith("timelinevolraw skipped: rate_limited") for note in result.notes)
    assert gate.cached(next(iter(gate._cache), ("none",))) is None  # a partial answer is not cached


def test_gdelt_paces_requests_inside_the_jobs_time(fake):
    now = [1000.0]

    class ClockSleep(NoSleep):
        async def __call__(self, seconds: float) -> None:
            self.waits.append(seconds)
            now[0] += seconds

    gate = GdeltGate(interval=5.0, clock=lambda: now[0])
    sleeper = ClockSleep()
    run(gdelt_fetch(fake, gate, b=RequestBudget.of(30, sleep=sleeper, clock=lambda: now[0])))
    assert sleeper.waits == [5.0, 5.0]  # ArtList at once, each timeline 5 s after the previous request
    # A slot beyond the job's time is not waited for: the source fails as rate limited at once, and books nothing.
    assert gate.reserve_slot() == 5.0  # another job took the next slot
    before = len(gdelt_requests(fake))
    with pytest.raises(ProviderRateLimited, match="past the job's time"):
        run(gdelt_fetch(fake, gate, query="other words", b=RequestBudget.of(3, sleep=sleeper, clock=lambda: now[0])))
    assert sleeper.waits == [5.0, 5.0] and len(gdelt_requests(fake)) == before
    assert gate.reserve_slot() == 10.0  # the refused request took no one's turn


def test_gdelt_short_words_are_skipped_and_refusals_are_bad_responses(fake):
    with pytest.raises(ProviderUnsupportedQuery):
        gdelt.translate(["ai"])
    with pytest.raises(ProviderBadResponse) as raised:  # the fake refuses it as GDELT does, in plain text
        run(_send_as_is(fake, "ai"))
    assert raised.value.detail == "The specified phrase is too short."  # for the logs only
    assert "too short" not in raised.value.reason


async def _send_as_is(fake, sent_query: str):
    async with httpx.AsyncClient() as client:
        adapter = GdeltAdapter(client, fake.base_url, GdeltGate(interval=0))
        return await adapter.fetch("x", TimeWindow.last_hours(24), 10, budget=budget(), sent_query=sent_query)


def test_gdelt_translator_quotes_operators_groups_or_and_maps_languages():
    assert gdelt.translate(["climate", "policy"]) == "climate policy"
    assert gdelt.translate(["c++", "sourcelang:french"]) == '"c++" "sourcelang:french"'
    assert gdelt.translate(["#aws"]) == "aws"
    assert gdelt.translate([], phrases=("machine learning",)) == '"machine learning"'
    assert gdelt.translate(["rust"], any_of=(("tokio", "async"),)) == "rust (tokio OR async)"
    assert gdelt.translate(["rust"], exclude=("game", "-x")) == 'rust -game -"-x"'
    assert gdelt.translate(["rust"], languages=("de",)) == "rust sourcelang:german"
    assert gdelt.translate(["rust"], languages=("de", "fr")) == "rust (sourcelang:german OR sourcelang:french)"
    assert gdelt.translate(['say "hi" there']) == '"say  hi  there"'


# ------------------------------------------------------------------ Google News
async def news_fetch(fake, limit=100, hours=24, **edition):
    async with httpx.AsyncClient() as client:
        adapter = GoogleNewsAdapter(client, fake.base_url, **edition)
        return await adapter.fetch("serverless", TimeWindow.last_hours(hours), limit, budget=budget())


def test_googlenews_headlines_publishers_and_edition(fake):
    before = len([r for r in fake.request_log if r[0] == "googlenews"])
    result = run(news_fetch(fake, hl="de", gl="DE", ceid="DE:de"))
    sent = [q for route, _, q in fake.request_log if route == "googlenews"][before:]
    assert len(sent) == 1
    assert sent[0]["q"] == ["serverless when:1d"]
    assert sent[0]["hl"] == ["de"] and sent[0]["gl"] == ["DE"] and sent[0]["ceid"] == ["DE:de"]

    assert len(result.posts) == 40 and result.complete is True and result.requests == 1
    newest = result.posts[0]
    assert newest.kind == "headline" and newest.provider == "googlenews"
    assert newest.text == "Serverless great report & outlook 0"  # " - Publisher 0" removed, "&amp;" decoded once
    assert newest.author == "Publisher 0" and newest.language == "de"
    assert newest.url == "https://news.google.com/rss/articles/CBMi0?oc=5" and newest.id == "googlenews:CBMi0"
    assert newest.created_at > result.posts[-1].created_at


def test_googlenews_when_days_follow_the_window(fake):
    run(news_fetch(fake, hours=72))
    last = [q for route, _, q in fake.request_log if route == "googlenews"][-1]
    assert last["q"] == ["serverless when:3d"]


def test_googlenews_limit_and_feed_cap(fake):
    result = run(news_fetch(fake, limit=5))
    assert len(result.posts) == 5 and result.complete is False


@pytest.mark.parametrize(
    "body",
    [
        # entity expansion ("billion laughs"): defusedxml refuses the DTD's entities
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        "<rss><channel><item><title>&b;</title></item></channel></rss>",
        # an external entity
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<rss><channel><item><title>&x;</title></item></channel></rss>",
        "<html><body>unusual traffic from your computer network</body></html>",
        "not xml at all",
    ],
)
def test_googlenews_refuses_hostile_or_foreign_bodies(fake, body):
    fake.script("googlenews", Reply(200, body, headers={"Content-Type": "application/xml"}))
    with pytest.raises(ProviderBadResponse):
        run(news_fetch(fake))


def test_googlenews_translator_quotes_operators():
    assert googlenews.translate(["climate", "policy"]) == "climate policy"
    assert googlenews.translate(["when:7d", "site:evil.example"]) == '"when:7d" "site:evil.example"'
    assert googlenews.translate(["rust"], phrases=("game engine",)) == 'rust "game engine"'
    assert googlenews.translate(["rust"], any_of=(("tokio", "async"),)) == "rust (tokio OR async)"
    assert googlenews.translate(["rust"], exclude=("game",)) == "rust -game"
    assert googlenews.headline_of("A - B - Reuters", "Reuters") == "A - B"
    assert googlenews.headline_of("No suffix", "Reuters") == "No suffix"


def test_the_gdelt_window_is_on_its_15_minute_grid():
    window = TimeWindow.last_hours(1)
    start = gdelt._grid(window.start)
    end = gdelt._grid(window.end, up=True)
    assert start <= window.start < start + timedelta(minutes=15)
    assert end - timedelta(minutes=15) < window.end <= end
    assert start.minute % 15 == 0 and end.minute % 15 == 0 and start.second == 0


# ------------------------------------------------------------------ parsed queries (the fan-out's translate step)
@pytest.mark.parametrize(
    ("typed", "gdelt_sent", "news_sent"),
    [
        ("serverless", "serverless", "serverless"),
        ('"machine learning" -crypto', '"machine learning" -crypto', '"machine learning" -crypto'),
        ("rust (tokio OR async) lang:de", "rust (async OR tokio) sourcelang:german", "rust (async OR tokio)"),
        ("#aws OR lambda", "(aws OR lambda)", "(aws OR lambda)"),
        ("java* spring", "spring", "spring"),
        ("since_time:1 OR lambda", '(lambda OR "since_time:1")', '(lambda OR "since_time:1")'),  # canonical order
        ("serverless NOT (aws azure)", "serverless", "serverless"),
        ("from:bob rust", "rust", "rust"),
        ("ai regulation", '"ai regulation"', '"ai regulation"'),
        ("ai OR regulation", None, "(ai OR regulation)"),  # GDELT: a short word in an OR constrains nothing
    ],
)
def test_parsed_queries_become_news_searches(typed, gdelt_sent, news_sent):
    from social_analytics.analyses.sources.base import SourceCannotRun
    from social_analytics.query import parse_query

    query = parse_query(typed)
    if gdelt_sent is None:
        with pytest.raises(SourceCannotRun):
            gdelt.translate_query(query)
    else:
        assert gdelt.translate_query(query).requests == (gdelt_sent,)
    assert googlenews.translate_query(query).requests == (news_sent,)


def test_what_news_searches_cannot_say_is_noted_for_the_post_check():
    from social_analytics.query import parse_query

    assert "java*" in gdelt.translate_query(parse_query("java* spring")).note
    assert "lang:de" in googlenews.translate_query(parse_query("rust lang:de")).note
    assert "from:bob" in gdelt.translate_query(parse_query("from:bob rust")).note


def test_the_adapters_send_their_translation_and_record_it(fake):
    from social_analytics.query import parse_query

    query = parse_query('"great report" -awful')
    result = run(gdelt_fetch(fake, GdeltGate(interval=0), query=query))
    assert result.sent_query == '"great report" -awful'
    assert gdelt_requests(fake)[-1]["query"] == ['"great report" -awful']

    async def news():
        async with httpx.AsyncClient() as client:
            return await GoogleNewsAdapter(client, fake.base_url).fetch(query, TimeWindow.last_hours(24), 10)

    answer = run(news())
    assert answer.sent_query == '"great report" -awful when:1d'

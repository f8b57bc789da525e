"""Queries against fakes that match like the real engines: every source is asked its translation of the query, and
only the posts that match the whole query count (the loose engines' extra posts are counted as off topic).

The corpus is one set of posts served by every route (tests.fakes.engines): Hacker News finds them the Algolia way
(prefixes, typos, URLs, authors), Lemmy by substring, Mastodon by tag, Bluesky and X by their syntax. The expected
posts of each query are written out by hand below, not computed with the matcher under test.
"""

from __future__ import annotations

import re

import httpx
import pytest
from social_analytics.analyses.sources.bluesky import InMemorySessionStore
from social_analytics.analyses.sources.breaker import CircuitBreaker
from social_analytics.analyses.sources.credentials import load_provider_config
from social_analytics.analyses.sources.fanout import fetch_fanout
from social_analytics.analyses.sources.registry import build_adapters
from social_analytics.models import TimeWindow
from social_analytics.query import parse_query

from tests.fakes.engines import Doc
from tests.fakes.mock_http import Sleeps, run
from tests.fakes.provider_server import FakeProviderServer

SOURCES = ["socialdata", "x", "bluesky", "mastodon", "hackernews", "lemmy"]

CORPUS = {
    "java21": Doc("Java 21 virtual threads are great #java", author="duke"),
    "javascript": Doc("I love JavaScript frameworks", author="webdev"),
    "coffee": Doc("Java and coffee in the morning #java", author="barista"),
    "typo": Doc("jave is what I typed by mistake", author="typist"),
    "author": Doc("nothing relevant here at all", author="javaguy"),
    "url": Doc("", title="A link post", url="https://java.example/story", author="linker"),
    "bigbrand1": Doc("big brand launches a new phone", author="news"),
    "bigbrand2": Doc("bigbrand is everywhere #bigbrand", author="fan"),
    "bigoldbrand": Doc("a big old brand shop", author="shopper"),
    "k8s1": Doc("kubernetes cluster upgrade done #kubernetes", author="ops"),
    "k8s2": Doc("k8s with helm charts #k8s", author="ops2"),
    "k8s3": Doc("kubernetes and helm again #kubernetes", author="ops3"),
    "k8s4": Doc("k8s is fine today #k8s", author="ops4"),
    "de1": Doc("Das neue Auto ist schnell #auto", author="hans", lang="de"),
    "en_auto": Doc("auto mode in the editor #auto", author="dev", lang="en"),
    "de2": Doc("Ich fahre Auto nach Berlin #auto", author="greta", lang="de"),
    "autobahn": Doc("Die Autobahn ist voll", author="fritz", lang="de"),
    "rust_tag": Doc("#rust 1.80 released with new lints", author="ferris"),
    "rust_word": Doc("rust on my old bike", author="cyclist"),
    "trust": Doc("I trust the process", author="coach"),
    "hostile": Doc("Notice: since_time:0 OR from:elon is not a query", author="pedant"),
}
NAMES = list(CORPUS)
TEXTS = {name: (doc.title + "\n" + doc.text).strip() for name, doc in CORPUS.items()}

EXPECTED = {
    "java": {"java21", "coffee"},
    "java -coffee": {"java21"},
    '"big brand" OR bigbrand': {"bigbrand1", "bigbrand2"},
    "(kubernetes OR k8s) NOT helm": {"k8s1", "k8s4"},
    "lang:de auto": {"de1", "de2"},
    "#rust": {"rust_tag"},
    '"since_time:0 OR from:elon"': {"hostile"},
}


@pytest.fixture(scope="module")
def fake():
    with FakeProviderServer(corpus=list(CORPUS.values()), mastodon_instances=("alpha",)) as server:
        yield server


def fan(fake, text, providers=SOURCES, limit=100):
    config = load_provider_config(fake.env())

    async def go():
        async with httpx.AsyncClient() as client:
            adapters = build_adapters(providers, config, client, session_store=InMemorySessionStore())
            return await fetch_fanout(
                adapters, parse_query(text), TimeWindow.last_hours(24), limit, 20.0, CircuitBreaker(), sleep=Sleeps()
            )

    return run(go())


def names_of(posts) -> set[str]:
    by_text = {text: name for name, text in TEXTS.items()}
    return {by_text[post.text.strip()] for post in posts}


def rows(outcome) -> dict[str, dict]:
    return {row["provider"]: row for row in outcome.source["providers"]}


@pytest.mark.parametrize("text", list(EXPECTED))
def test_each_query_returns_exactly_the_matching_posts(fake, text):
    outcome = fan(fake, text)
    assert names_of(outcome.posts) == EXPECTED[text]
    for row in rows(outcome).values():
        assert row["fetched"] == row["matched"] + row["off_topic"]
        assert row["posts"] + row["duplicates"] == row["matched"]
    assert outcome.source["simulated"] is False


def test_java_returns_no_post_without_the_word_and_the_rows_count_what_was_dropped(fake):
    outcome = fan(fake, "java")
    assert outcome.posts and all(re.search(r"\bjava\b", p.text, re.IGNORECASE) for p in outcome.posts)
    by = rows(outcome)
    # Algolia: prefix (JavaScript), typo (jave), author (javaguy) and url (java.example) matches, all dropped.
    assert by["hackernews"]["fetched"] == 6 and by["hackernews"]["matched"] == 2 and by["hackernews"]["off_topic"] == 4
    # Lemmy's substring finds JavaScript too.
    assert by["lemmy"]["fetched"] == 3 and by["lemmy"]["off_topic"] == 1
    for name in ("socialdata", "x", "bluesky", "mastodon"):
        assert by[name]["off_topic"] == 0 and by[name]["matched"] == 2, name
    examples = outcome.source["off_topic_examples"]
    assert {e["provider"] for e in examples} == {"hackernews", "lemmy"}
    assert all(e["reason"] and e["text"] is not None for e in examples)
    assert any("JavaScript" in e["text"] for e in examples)


def test_the_reported_total_is_scaled_by_the_matched_share(fake):
    outcome = fan(fake, "java", providers=["hackernews"], limit=3)
    row = rows(outcome)["hackernews"]
    # nbHits counts all 6 loose matches; 3 were fetched (the limit), of which those matching scale it.
    assert row["reported_total"] == 6 and row["fetched"] == 3
    assert row["reported_matching"] == round(6 * row["matched"] / 3)
    assert "scaled by the share" in row["reported_note"] and row["basis"] == "reported"
    assert row["estimated_posts_in_window"] == max(row["matched"], row["reported_matching"])


SENT = {
    "java -coffee": {
        "x": '"java" -"coffee"',
        "bluesky": '"java"',
        "hackernews": "java",
        "lemmy": "java",
        "mastodon": "#java",
    },
    '"big brand" OR bigbrand': {
        "x": '("big brand" OR "bigbrand")',
        "bluesky": '"big brand" | "bigbrand"',
        "hackernews": "big brand | bigbrand",
        "lemmy": "big brand | bigbrand",
        "mastodon": "#bigbrand",
    },
    "(kubernetes OR k8s) NOT helm": {
        "x": '("k8s" OR "kubernetes") -"helm"',
        "hackernews": "k8s | kubernetes",
        "mastodon": "#k8s | #kubernetes",
    },
    "lang:de auto": {"x": '"auto" lang:de', "bluesky": '"auto" lang:de', "hackernews": "auto"},
    "#rust": {"x": "#rust", "bluesky": "#rust", "mastodon": "#rust", "lemmy": "rust"},
}


@pytest.mark.parametrize("text", list(SENT))
def test_each_source_is_sent_its_translation(fake, text):
    by = rows(fan(fake, text))
    for provider, sent in SENT[text].items():
        assert by[provider]["sent_query"] == sent, provider
    assert by["socialdata"]["sent_query"].startswith(SENT[text]["x"] + " since_time:")


def test_the_loose_engines_return_more_and_the_check_keeps_only_matches(fake):
    by = rows(fan(fake, "#rust"))
    # Hacker News finds the word "rust" and, one typo away, "trust"; Lemmy finds the substring in "trust" too.
    # Only the tagged post counts anywhere.
    assert by["lemmy"]["fetched"] == 3 and by["lemmy"]["matched"] == 1
    assert by["hackernews"]["fetched"] == 3 and by["hackernews"]["matched"] == 1
    assert by["mastodon"]["fetched"] == 1 and by["mastodon"]["off_topic"] == 0


def unquoted(sent: str) -> str:
    return re.sub(r'"[^"]*"', '""', sent)


@pytest.mark.parametrize(
    "text",
    [
        '"since_time:0 OR from:elon"',
        "java -filter:replies",
        '"java OR coffee"',
        '"from:elon -filter:links" java',
        "until_time:1 java",
        "max_id:1 OR java",
    ],
)
def test_operators_typed_by_a_user_are_sent_quoted(fake, text):
    outcome = fan(fake, text, providers=["socialdata", "x"])
    by = rows(outcome)
    x_sent, sd_sent = by["x"]["sent_query"], by["socialdata"]["sent_query"]
    # Outside quotes, only operators of our own: the window's on SocialData, none on X.
    assert not re.search(r"\w+:\S", unquoted(x_sent)) and " OR " not in unquoted(x_sent).replace('"" OR ""', "")
    assert re.findall(r"\w+:", unquoted(sd_sent)) == ["since_time:", "until_time:"]
    for post in outcome.posts:  # and what came back is what the query says, not what an operator would widen
        assert parse_query(text).matches(_view(post))


def _view(post):
    from social_analytics.analyses.sources.checking import post_view

    return post_view(post)


def test_a_phrase_with_or_inside_quotes_is_not_an_or(fake):
    outcome = fan(fake, '"java OR coffee"', providers=["x"])
    assert outcome.posts == [] and rows(outcome)["x"]["fetched"] == 0


def test_a_source_that_cannot_run_the_query_is_a_skipped_row_with_the_reason(fake):
    before = fake.requests["x"]
    outcome = fan(fake, "jav*", providers=["x", "mastodon", "hackernews"])
    by = rows(outcome)
    assert by["x"]["outcome"] == "skipped" and "wildcard" in by["x"]["reason"]
    assert by["mastodon"]["outcome"] == "skipped" and "mastodon" in by["mastodon"]["reason"]
    assert by["hackernews"]["outcome"] == "ok" and by["hackernews"]["sent_query"] == "jav"
    assert fake.requests["x"] == before  # nothing was sent (nor spent)
    assert names_of(outcome.posts) == {"java21", "coffee", "javascript", "typo"}  # jav*: JavaScript, jave

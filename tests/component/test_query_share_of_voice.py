"""Share of voice of `java` against `javascript` through the API and the worker, against engine-like fakes: Hacker
News (Algolia prefixes) and Lemmy (substrings) return JavaScript posts for `java`; only matching posts count, so
each side's volume is its own posts."""

from __future__ import annotations

import pytest

from tests.conftest import sqs_event
from tests.fakes.engines import Doc
from tests.fakes.provider_server import FakeProviderServer

CORPUS = [
    Doc("Java 21 virtual threads are great", author="duke"),
    Doc("Java and coffee in the morning", author="barista"),
    Doc("I love JavaScript frameworks", author="webdev"),
    Doc("JavaScript bundlers are slow", author="builder"),
    Doc("javascript everywhere", author="fan"),
]


@pytest.fixture
def corpus_fake(monkeypatch):
    with FakeProviderServer(corpus=CORPUS) as fake:
        for name, value in {**fake.env(), "PROVIDERS": "hackernews,lemmy", "MASTODON_TRENDS": "false"}.items():
            monkeypatch.setenv(name, value)
        from social_analytics import settings

        settings.reset()
        yield fake


def run_job(call_api, queue_messages, lambda_context, keyword: str) -> dict:
    from social_analytics.handlers import worker

    status, body = call_api("POST", "/api/analyses", {"keyword": keyword})
    assert status == 202, body
    worker.handler(sqs_event(queue_messages(visibility=30)), lambda_context)
    status, job = call_api("GET", body["status_url"])
    assert job["status"] == "done", job
    return job["result"]


def test_share_of_voice_of_java_and_javascript_counts_matched_posts(
    corpus_fake, call_api, queue_messages, lambda_context
):
    java = run_job(call_api, queue_messages, lambda_context, "java")
    javascript = run_job(call_api, queue_messages, lambda_context, "javascript")

    assert java["posts_analyzed"] == 2 and javascript["posts_analyzed"] == 3
    rows = {row["provider"]: row for row in java["source"]["providers"]}
    assert rows["hackernews"]["fetched"] == 5 and rows["hackernews"]["off_topic"] == 3  # JavaScript, by prefix
    assert rows["lemmy"]["fetched"] == 5 and rows["lemmy"]["off_topic"] == 3  # and by substring

    status, body = call_api("GET", "/api/compare", query={"keywords": "java,javascript"})
    assert status == 200, body
    shares = {row["key"]: row for row in body["keywords"]}
    assert shares["java"]["volume"] == 2 and shares["javascript"]["volume"] == 3
    assert shares["java"]["estimated_posts_in_window"] == 2 and shares["javascript"]["estimated_posts_in_window"] == 3
    assert shares["java"]["share"] == pytest.approx(0.4) and shares["javascript"]["share"] == pytest.approx(0.6)
    assert body["basis"] == "complete"

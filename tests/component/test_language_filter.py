"""Language filters on requests and tracked keywords: validated, carried by the job, honoured by the cache."""

from __future__ import annotations

import json

import pytest

from tests.component.test_api import run_worker
from tests.component.test_tracking import ADMIN, TOKEN, scheduled, track


@pytest.fixture
def admin_token(aws, monkeypatch):
    from social_analytics import settings

    monkeypatch.setenv("ADMIN_TOKEN", TOKEN)
    settings.reset()  # the handler's cold start may have read the admin settings before the token was set


def test_a_language_filter_travels_with_the_job_and_is_not_served_an_unfiltered_result(
    call_api, queue_messages, lambda_context
):
    # GIVEN an unfiltered result for "tea"
    call_api("POST", "/api/analyses", {"keyword": "tea"})
    run_worker(queue_messages(), lambda_context)
    assert call_api("POST", "/api/analyses", {"keyword": "tea"})[0] == 200

    # WHEN the same keyword is asked for English posts only
    status, body = call_api("POST", "/api/analyses", {"keyword": "tea", "languages": ["en", "en"]})

    # THEN it is a new job whose message carries the filter, and its result says what was filtered
    assert status == 202
    (message,) = [m for m in queue_messages() if json.loads(m["Body"])["job_id"] == body["job_id"]]
    assert json.loads(message["Body"])["languages"] == ["en"]
    run_worker([message], lambda_context)
    _, job = call_api("GET", body["status_url"])
    result = job["result"]
    assert result["language_filter"]["languages"] == ["en"]
    assert {row["lang"] for row in result["languages"]} <= {"en"}
    # and the filtered result now answers filtered requests, not unfiltered ones
    assert call_api("POST", "/api/analyses", {"keyword": "tea", "languages": ["en"]})[0] == 200
    assert call_api("POST", "/api/analyses", {"keyword": "tea"})[0] == 202


@pytest.mark.parametrize("languages", [[], ["EN"], ["english"], ["e"], "en", [1], ["en"] * 21])
def test_bad_language_lists_are_422_naming_the_field(call_api, queue_messages, languages):
    status, body = call_api("POST", "/api/analyses", {"keyword": "ok", "languages": languages})
    assert status == 422 and "languages" in body["error"]["message"]
    assert queue_messages() == []


def test_tracked_keywords_keep_their_language_filter_and_scans_carry_it(
    call_api, admin_token, queue_messages, lambda_context
):
    status, body = track(call_api, "brand", languages=["pt", "en"])
    assert status == 201 and body["languages"] == ["en", "pt"]
    (listed,) = call_api("GET", "/api/tracked")[1]["tracked"]
    assert listed["languages"] == ["en", "pt"]

    scheduled(lambda_context)
    (message,) = queue_messages()
    assert json.loads(message["Body"])["languages"] == ["en", "pt"]

    assert track(call_api, "brand", interval=30)[0] == 200  # updated without a filter: the filter is dropped
    assert call_api("GET", "/api/tracked")[1]["tracked"][0]["languages"] is None
    assert track(call_api, "other", languages=["EN"], headers=ADMIN)[0] == 422

"""The job message (models.AnalysisJob): its JSON form on the queue, and what the worker refuses as not a job."""

from __future__ import annotations

import json

import pytest
from social_analytics.analyses.run import PoisonMessage, parse_job
from social_analytics.models import AnalysisJob

BODY = {"job_id": "j1", "keyword": "Coffee", "key": "coffee", "limit": 100, "window_hours": 24, "submitted_at": 1.5}


def test_the_message_holds_the_optional_fields_only_when_set():
    plain = AnalysisJob("j1", "Coffee", "coffee", 100, 24, 1.5)
    assert plain.to_message() == BODY | {"kind": "analysis", "paid_allowed": False}
    full = AnalysisJob(
        "j2", "Tea", "tea", 50, 6, 2.0, kind="import", paid_allowed=True, providers=[], import_object="up/1.csv"
    )
    assert full.providers == () and full.to_message()["providers"] == []  # an empty chain is said, not dropped
    assert full.to_message()["import_object"] == "up/1.csv" and "languages" not in full.to_message()
    languages = AnalysisJob("j3", "Tea", "tea", 50, 6, 2.0, languages=["en", "fr"])
    assert languages.to_message()["languages"] == ["en", "fr"]
    for job in (plain, full, languages):
        assert parse_job(json.dumps(job.to_message())) == job


def test_only_a_literal_true_allows_paid_providers_and_no_languages_is_none():
    for value in (True, "true", 1, "yes", None):
        assert AnalysisJob.from_message(BODY | {"paid_allowed": value}).paid_allowed is (value is True)
    assert AnalysisJob.from_message(BODY | {"languages": []}).languages is None


def test_numbers_in_text_are_read_and_unknown_fields_ignored():
    job = AnalysisJob.from_message(BODY | {"limit": "100", "submitted_at": "1.5", "job_id": 7, "extra": {"x": 1}})
    assert (job.job_id, job.limit, job.submitted_at) == ("7", 100, 1.5)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("not json", "not a job message"),
        ("[1, 2]", "not a job message"),
        (json.dumps({k: v for k, v in BODY.items() if k != "key"}), "key"),
        (json.dumps(BODY | {"limit": "many"}), "limit"),
        (json.dumps(BODY | {"window_hours": 1.5}), "window_hours"),
        (json.dumps(BODY | {"providers": "mastodon, bluesky"}), "providers"),
        (json.dumps(BODY | {"submitted_at": None}), "submitted_at"),
    ],
)
def test_a_body_that_is_not_a_job_is_a_poison_message_naming_what_is_wrong(body, named):
    with pytest.raises(PoisonMessage, match=named):
        parse_job(body)

"""The job record's public body (GET /api/jobs/{id}) has the fields it always had, with result and error only when
present; a status outside the four is refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from social_analytics.records import JobRecord

QUEUED = {
    "job_id": "abc",
    "keyword": "Serverless",
    "key": "serverless",
    "kind": "analysis",
    "status": "queued",
    "limit": 50,
    "window_hours": 24,
    "submitted_at": 100.5,
    "updated_at": 101.0,
}


def test_a_queued_job_shows_no_result_error_key_or_attempts():
    assert JobRecord(**QUEUED, attempts=None).public() == {
        "job_id": "abc",
        "keyword": "Serverless",
        "status": "queued",
        "submitted_at": 100.5,
        "updated_at": 101.0,
    }


def test_a_finished_job_shows_its_result_or_its_error():
    done = JobRecord(**{**QUEUED, "status": "done"}, result={}, attempts=1).public()
    assert done["result"] == {} and "error" not in done and "attempts" not in done
    failed = JobRecord(**{**QUEUED, "status": "failed"}, error={"code": "no_data", "message": "none"}).public()
    assert failed["error"] == {"code": "no_data", "message": "none"} and "result" not in failed


def test_an_unknown_status_is_refused():
    with pytest.raises(ValidationError):
        JobRecord(**{**QUEUED, "status": "lost"})

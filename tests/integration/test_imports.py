"""Imports end to end on the local stack: POST /api/imports -> presigned PUT -> S3 event -> SQS -> import function
-> jobs queue -> worker. One stack for the module."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from local_stack.stack import LocalStack, wait_until
from tests.conftest import ARTIFACTS

ROWS = 5000
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def api():
    ARTIFACTS.mkdir(exist_ok=True)
    with (
        (ARTIFACTS / "local-stack-imports.log").open("w") as log,
        LocalStack(port=0, log=log, visibility_timeout=60) as stack,
        httpx.Client(base_url=stack.base_url, timeout=30) as client,
    ):
        yield client


def make_csv() -> tuple[bytes, int]:
    """5,000 good rows (one every 5 minutes back from now) and 3 bad ones; returns the bytes and the bad rows' lines."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "created_at", "author", "likes", "reposts", "url"])
    moods = ["love this launch", "awful outage again", "the release is fine", "great support, thanks"]
    for n in range(ROWS):
        created = (NOW - timedelta(minutes=5 * n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        writer.writerow([f"{moods[n % 4]} in my export #{n % 7}", created, f"user{n % 50}", n % 13, n % 3, ""])
    writer.writerow(["", NOW.isoformat(), "nobody", 0, 0, ""])  # no text
    writer.writerow(["bad likes", NOW.isoformat(), "x", "lots", 0, ""])
    writer.writerow(["bad date", "yesterday-ish", "x", 1, 0, ""])
    return out.getvalue().encode(), 3


def wait_done(api: httpx.Client, status_url: str) -> dict:
    def finished():
        body = api.get(status_url).json()
        return body if body["status"] in ("done", "failed") else None

    body = wait_until(finished, timeout=90, interval=0.2)
    assert body, "the import did not finish"
    return body


def test_a_5000_row_csv_is_analyzed_as_one_job_with_a_row_report(api):
    created = api.post("/api/imports", json={"keyword": "My export", "format": "csv"})
    assert created.status_code == 201, created.text
    body = created.json()
    upload = body["upload"]
    assert (
        body["status"] == "queued" and upload["method"] == "PUT" and upload["headers"] == {"Content-Type": "text/csv"}
    )
    assert api.get(body["status_url"]).json()["status"] == "queued"  # pollable before the upload

    data, bad = make_csv()
    put = httpx.put(upload["url"], content=data, headers=upload["headers"], timeout=30)
    assert put.status_code == 200, put.text

    job = wait_done(api, body["status_url"])
    assert job["status"] == "done", job
    result = job["result"]
    assert result["keyword"] == "My export"
    assert result["posts_analyzed"] == ROWS
    assert sum(bucket["posts"] for bucket in result["timeline"]) == ROWS
    assert result["source"]["provider"] == "import" and result["source"]["simulated"] is False
    report = result["import"]
    assert (report["rows"], report["imported"], report["rejected"]) == (ROWS + bad, ROWS, bad)
    assert [e["line"] for e in report["errors"]] == [ROWS + 2, ROWS + 3, ROWS + 4]
    assert report["errors"][0]["reason"] == "text is required"
    assert result["posts"][0]["created_at"] == NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    # an import is not the keyword's cached live result
    assert api.get("/api/analyses/My export").status_code == 404


def test_a_bad_file_fails_the_job_with_the_reason(api):
    created = api.post("/api/imports", json={"keyword": "broken", "format": "csv"}).json()
    put = httpx.put(created["upload"]["url"], content=b"title,body\nx,y\n", headers=created["upload"]["headers"])
    assert put.status_code == 200

    job = wait_done(api, created["status_url"])
    assert job["status"] == "failed"
    assert job["error"]["code"] == "bad_import" and "text" in job["error"]["message"]


def test_an_import_request_is_validated(api):
    assert api.post("/api/imports", json={"keyword": "x", "format": "xlsx"}).status_code == 422
    assert api.post("/api/imports", json={"format": "csv"}).status_code == 422

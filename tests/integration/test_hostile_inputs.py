"""Hostile inputs over real HTTP on the local stack (its tables created from template.yaml, the ByKey index
included): expanding Unicode, calendar extremes, a compatibility spelling, poison import cells through the presigned
upload, and a deletion large enough to run as a job. A 4xx naming the problem or a job that ends with its reason;
never a 5xx. One stack for the module, with an admin token."""

from __future__ import annotations

import json
import secrets
import uuid
from urllib.parse import quote

import httpx
import pytest

from local_stack.stack import LocalStack, wait_until
from tests.conftest import ARTIFACTS


@pytest.fixture(scope="module")
def hostile():
    ARTIFACTS.mkdir(exist_ok=True)
    token = secrets.token_urlsafe(24)
    with (
        (ARTIFACTS / "local-stack-hostile.log").open("w") as log,
        LocalStack(port=0, log=log, environment={"ADMIN_TOKEN": token}, worker_processes=1) as stack,
        httpx.Client(base_url=stack.base_url, timeout=30) as client,
    ):
        yield stack, client, {"Authorization": f"Bearer {token}"}


def finished(client: httpx.Client, status_url: str) -> dict:
    def poll():
        body = client.get(status_url).json()
        return body if body["status"] in ("done", "failed") else None

    body = wait_until(poll, timeout=60, interval=0.2)
    assert body, f"{status_url} did not finish"
    return body


def test_expanding_and_empty_keywords_are_422_on_every_route(hostile):
    _, client, admin = hostile
    for keyword in ("\ufdfa" * 16, "\u0301\u0302", "!!!"):
        path = quote(keyword, safe="")
        answers = [
            client.post("/api/analyses", json={"keyword": keyword}),
            client.post("/api/imports", json={"keyword": keyword}),
            client.post("/api/tracked", json={"keyword": keyword, "interval_minutes": 15}, headers=admin),
            client.get(f"/api/analyses/{path}"),
            client.get(f"/api/analyses/{path}/history"),
            client.delete(f"/api/analyses/{path}", headers=admin),
            client.get("/api/compare", params={"keywords": keyword}),
            client.get("/api/alerts", params={"keyword": keyword}),
        ]
        assert [a.status_code for a in answers] == [422] * len(answers), [(a.url, a.text) for a in answers]


@pytest.mark.parametrize(
    "params",
    [
        {"since": "0001-01-01T00:00:00+05:00"},
        {"until": "9999-12-31T23:59:59-05:00", "since": "2026-01-01T00:00:00Z"},
        {"until": "0001-01-02T00:00:00Z"},
    ],
)
def test_calendar_extremes_are_clamped(hostile, params):
    _, client, _ = hostile
    answer = client.get("/api/analyses/anything/history", params=params)
    assert answer.status_code == 200, answer.text
    assert "1970-01-01T00:00:00Z" <= answer.json()["since"] <= answer.json()["until"] <= "2100-01-01T00:00:00Z"
    assert client.get("/api/alerts", params={"since": "9999-12-31T23:59:59-14:00"}).status_code == 200


def test_a_compatibility_spelling_shares_the_plain_key_and_query(hostile):
    _, client, _ = hostile
    word = f"hostile{uuid.uuid4().hex[:6]}"
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in word.upper())  # ＨＯＳＴＩＬＥ...
    accepted = client.post("/api/analyses", json={"keyword": full_width})
    assert accepted.status_code == 202, accepted.text
    job = finished(client, accepted.json()["status_url"])
    assert job["status"] == "done" and job["result"]["keyword"] == full_width and job["result"]["query"] == word
    cached = client.post("/api/analyses", json={"keyword": word})
    assert cached.status_code == 200 and cached.json()["result"]["query"] == word


def test_poison_cells_through_the_presigned_upload_are_bad_rows(hostile):
    _, client, _ = hostile
    created = client.post("/api/imports", json={"keyword": "poison", "format": "jsonl"}).json()
    rows = [
        {"text": "fine poison row, lovely", "created_at": "2026-11-20T10:00:00Z"},
        {"text": "inf", "likes": "inf"},
        {"text": "year 9999", "created_at": "9999-12-31T23:59:59Z"},
        {"text": "year 1", "created_at": "0001-01-01T00:00:00Z"},
        {"text": ["wrong", "type"]},
        {"text": "poison " + "x" * 50_000},  # an oversized post: analyzed, stored truncated
    ]
    data = "\n".join(json.dumps(row) for row in rows).encode()
    put = httpx.put(created["upload"]["url"], content=data, headers=created["upload"]["headers"], timeout=30)
    assert put.status_code == 200

    job = finished(client, created["status_url"])
    assert job["status"] == "done", job
    assert (job["result"]["import"]["imported"], job["result"]["import"]["rejected"]) == (2, 4)
    longest = max(job["result"]["posts"], key=lambda post: len(post["text"]))
    assert longest["truncated"] is True and len(longest["text"]) == 1000


def test_a_large_deletion_runs_as_a_job(hostile):
    stack, client, admin = hostile
    keyword = f"sprawling {uuid.uuid4().hex[:6]}"
    accepted = client.post("/api/analyses", json={"keyword": keyword, "limit": 10})
    assert finished(client, accepted.json()["status_url"])["status"] == "done"
    dynamodb = stack.boto3_client("dynamodb")
    table = stack.resource("ResultsTable")
    for start in range(0, 250, 25):
        dynamodb.batch_write_item(
            RequestItems={
                table: [
                    {"PutRequest": {"Item": {"pk": {"S": f"KW#{keyword}"}, "sk": {"S": f"HIST#{n:05d}"}}}}
                    for n in range(start, start + 25)
                ]
            }
        )

    answer = client.delete(f"/api/analyses/{quote(keyword)}", headers=admin)

    assert answer.status_code == 202, answer.text
    job = finished(client, answer.json()["status_url"])
    assert job["status"] == "done" and job["result"]["deleted"]["history"] == 250
    assert job["result"]["deleted"]["jobs"] == 1  # found through the ByKey index
    assert client.get(f"/api/analyses/{quote(keyword)}").status_code == 404

"""Hostile inputs in-process against moto: expanding Unicode, calendar extremes, poison import cells, oversized posts,
one keyword in compatibility spellings, large deletions. Each is a 4xx naming the problem or a job that ends done or
failed with its reason: never a 5xx, never a keyword that cannot be analyzed again, never one spelling's posts served
under another's."""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import quote

import boto3
import pytest

from tests.conftest import sqs_event
from tests.fakes.provider_server import FakeProviderServer

TOKEN = "hostile-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
EXPANDING = "\ufdfa"  # ARABIC LIGATURE SALLALLAHOU ALAYHE WASALLAM: NFKC makes it 18 characters, 33 bytes
DDB_ITEM_LIMIT = 400 * 1024


@pytest.fixture
def admin(aws, monkeypatch):
    from social_analytics import settings

    monkeypatch.setenv("ADMIN_TOKEN", TOKEN)
    settings.reset()  # the handler's cold start may have read the admin settings before the token was set


def run_worker(queue_messages, lambda_context) -> dict:
    from social_analytics.handlers import worker

    messages = queue_messages(visibility=30)
    assert messages, "nothing was queued"
    return worker.handler(sqs_event(messages), lambda_context)


def analyze(call_api, queue_messages, lambda_context, keyword: str, **extra) -> dict:
    """Submit, run the worker, return the finished job."""
    status, body = call_api("POST", "/api/analyses", {"keyword": keyword, **extra})
    assert status == 202, body
    assert run_worker(queue_messages, lambda_context) == {"batchItemFailures": []}
    status, job = call_api("GET", body["status_url"])
    assert status == 200 and job["status"] in ("done", "failed"), job
    return job


def nfkc_bytes(keyword: str) -> int:
    return len(" ".join(unicodedata.normalize("NFKC", keyword).casefold().split()).encode())


def item_sizes(aws) -> list[int]:
    """Rough stored size of every item of the results table (attribute names + values), largest first."""
    table = boto3.resource("dynamodb").Table(aws.physical_names["ResultsTable"])
    sizes, scan = [], {}
    while True:
        page = table.scan(**scan)
        for item in page["Items"]:
            size = 0
            for name, value in item.items():
                raw = value.value if hasattr(value, "value") else value
                size += len(name.encode()) + len(raw if isinstance(raw, bytes) else str(raw).encode())
            sizes.append(size)
        if "LastEvaluatedKey" not in page:
            return sorted(sizes, reverse=True)
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# ------------------------------------------------------------------ keywords that NFKC expands or empties
TOO_LONG_ONCE_NORMALIZED = EXPANDING * 16  # 16 characters typed, 528 bytes once normalized
BAD_KEYWORDS = {
    "expands past the key limit": (TOO_LONG_ONCE_NORMALIZED, "bytes"),
    "99 expanding characters": (EXPANDING * 99, "bytes"),
    "only combining marks": ("\u0301\u0302\u0303", "letter, digit or symbol"),
    "only punctuation": ("!!! ... ???", "letter, digit or symbol"),
    "a lone hash": ("#", "letter, digit or symbol"),
    "only a joiner": ("\u200d", "letter, digit or symbol"),
}


@pytest.mark.parametrize("case", list(BAD_KEYWORDS))
def test_every_route_taking_a_keyword_rejects_an_unstorable_key_with_a_422(call_api, admin, queue_messages, case):
    keyword, reason = BAD_KEYWORDS[case]
    path = quote(keyword, safe="")
    answers = {
        "POST /api/analyses": call_api("POST", "/api/analyses", {"keyword": keyword}),
        "POST /api/tracked": call_api(
            "POST", "/api/tracked", {"keyword": keyword, "interval_minutes": 15}, headers=ADMIN
        ),
        "POST /api/imports": call_api("POST", "/api/imports", {"keyword": keyword}),
        "GET /api/analyses/{kw}": call_api("GET", f"/api/analyses/{path}"),
        "GET history": call_api("GET", f"/api/analyses/{path}/history"),
        "DELETE /api/analyses/{kw}": call_api("DELETE", f"/api/analyses/{path}", headers=ADMIN),
        "DELETE /api/tracked/{kw}": call_api("DELETE", f"/api/tracked/{path}", headers=ADMIN),
        "GET /api/compare": call_api("GET", "/api/compare", query={"keywords": f"plain,{path}"}),
        "GET /api/alerts": call_api("GET", "/api/alerts", query={"keyword": path}),
    }
    for route, (status, body) in answers.items():
        assert status == 422, (route, status, body)
        assert reason in body["error"]["message"], (route, body)
    assert queue_messages() == []


def test_a_key_just_under_the_byte_limit_works_everywhere(call_api, admin, queue_messages, lambda_context):
    keyword = EXPANDING * 15  # 495 bytes once normalized: every composed key (KW#, TRACKED, ALERTS) still fits
    assert nfkc_bytes(keyword) == 495
    path = quote(keyword, safe="")

    job = analyze(call_api, queue_messages, lambda_context, keyword)
    assert job["status"] == "done" and job["result"]["keyword"] == keyword
    assert call_api("GET", f"/api/analyses/{path}")[0] == 200
    assert call_api("POST", "/api/tracked", {"keyword": keyword, "interval_minutes": 15}, headers=ADMIN)[0] == 201
    assert call_api("GET", f"/api/analyses/{path}/history")[0] == 200
    assert call_api("GET", "/api/compare", query={"keywords": path})[1]["keywords"][0]["analyzed"] is True
    status, deleted = call_api("DELETE", f"/api/analyses/{path}", headers=ADMIN)
    assert status == 200 and deleted["deleted"]["result"] == 1 and deleted["deleted"]["jobs"] == 1
    # and it can be analyzed again
    assert analyze(call_api, queue_messages, lambda_context, keyword)["status"] == "done"


def test_a_ligature_keyword_is_analyzed_under_its_expanded_key(call_api, queue_messages, lambda_context):
    job = analyze(call_api, queue_messages, lambda_context, "\ufb03ce")  # "ﬃce"
    assert job["status"] == "done"
    assert job["result"]["keyword"] == "\ufb03ce" and job["result"]["query"] == "ffice"
    status, cached = call_api("POST", "/api/analyses", {"keyword": "FFICE"})
    assert status == 200 and cached["result"]["query"] == "ffice"


# ------------------------------------------------------------------ calendar extremes
EXTREMES = [
    {"since": "0001-01-01T00:00:00Z"},
    {"since": "0001-01-01T00:00:00+05:00"},
    {"until": "9999-12-31T23:59:59Z", "since": "2026-01-01T00:00:00Z"},
    {"until": "9999-12-31T23:59:59-05:00", "since": "2026-01-01T00:00:00Z"},
    {"until": "0001-01-02T00:00:00Z"},  # the default `since` (a week earlier) is before year 1
    {"since": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59-14:00"},
]


@pytest.mark.parametrize("bounds", EXTREMES)
def test_history_bounds_at_the_ends_of_the_calendar_are_clamped(call_api, bounds):
    query = {name: quote(value, safe="") for name, value in bounds.items()}
    status, body = call_api("GET", "/api/analyses/calendar/history", query=query)
    assert status == 200, body
    assert "1970-01-01T00:00:00Z" <= body["since"] <= body["until"] <= "2100-01-01T00:00:00Z"
    assert body["points"] == []


def test_history_bounds_that_cross_after_clamping_are_a_422(call_api):
    status, body = call_api("GET", "/api/analyses/calendar/history", query={"since": "9999-12-31T23:59:59Z"})
    assert status == 422 and body["error"]["fields"][0]["field"] == "query.since"


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01"])
def test_alert_since_at_the_ends_of_the_calendar_is_clamped(call_api, since):
    status, body = call_api("GET", "/api/alerts", query={"since": quote(since, safe="")})
    assert status == 200 and body == {"alerts": []}


# ------------------------------------------------------------------ poison import cells
POISON_ROWS = {
    2: ({"text": "inf likes", "likes": "inf"}, "likes is not a finite number"),
    3: ({"text": "huge likes", "likes": 1e308}, "likes must be at most"),
    4: ({"text": "nan reposts", "reposts": "nan"}, "reposts is not a finite number"),
    5: ({"text": "year 9999", "created_at": "9999-12-31T23:59:59Z"}, "created_at is outside"),
    6: ({"text": "year 1", "created_at": "0001-01-01T00:00:00Z"}, "created_at is outside"),
    7: ({"text": "epoch overflow", "created_at": 1e30}, "created_at is not ISO 8601"),
    8: ({"text": {"nested": "object"}}, "text must be a string"),
    9: ({"text": "list likes", "likes": [1, 2]}, "likes is not a number"),
    10: ({"text": "object author", "author": {"a": 1}}, "author must be a string"),
    11: ({"text": "bool date", "created_at": True}, "created_at is not ISO 8601"),
    12: ({"text": "long id", "id": "i" * 5000}, "id is longer than"),
}


def upload(aws, call_api, data: bytes, fmt: str = "jsonl") -> dict:
    status, body = call_api("POST", "/api/imports", {"keyword": "mine", "format": fmt})
    assert status == 201
    key = f"imports/{body['job_id']}.{fmt}"
    boto3.client("s3").put_object(Bucket=aws.physical_names["ImportsBucket"], Key=key, Body=data)
    return {**body, "key": key}


def run_import(aws, call_api, queue_messages, lambda_context, data: bytes, fmt: str = "jsonl") -> dict:
    from social_analytics.imports import uploads as import_service

    created = upload(aws, call_api, data, fmt)
    assert import_service.object_created(created["key"], len(data)) == "queued"
    assert run_worker(queue_messages, lambda_context) == {"batchItemFailures": []}
    status, job = call_api("GET", created["status_url"])
    assert status == 200
    return job


def test_poison_import_cells_are_bad_rows_not_a_failed_import(aws, call_api, queue_messages, lambda_context):
    lines = [json.dumps({"text": "a good row of mine, great day", "created_at": "2026-11-20T10:00:00Z"})]
    lines += [json.dumps(row) for row, _ in POISON_ROWS.values()]
    lines.append('{"text": "NaN in raw JSON", "likes": NaN}')  # Python's json reads NaN: still a bad cell
    lines.append("[" * 50_000 + "]" * 50_000)  # deeper than the parser goes

    job = run_import(aws, call_api, queue_messages, lambda_context, "\n".join(lines).encode())

    assert job["status"] == "done", job
    report = job["result"]["import"]
    assert (report["rows"], report["imported"], report["rejected"]) == (len(lines), 1, len(lines) - 1)
    reasons = {error["line"]: error["reason"] for error in report["errors"]}
    for line, (_, reason) in POISON_ROWS.items():
        assert reason in reasons[line], (line, reasons[line])
    assert reasons[len(lines) - 1] == "likes is not a finite number"
    assert reasons[len(lines)] == "malformed JSON"
    assert job["result"]["posts_analyzed"] == 1


def test_an_import_of_only_poison_cells_fails_with_the_reason(aws, call_api, queue_messages, lambda_context):
    data = b"text,created_at,likes\ninf row,,inf\nyear one,0001-01-01,\nfuture,9999-12-31T00:00:00Z,\n"
    job = run_import(aws, call_api, queue_messages, lambda_context, data, fmt="csv")
    assert job["status"] == "failed"
    assert job["error"]["code"] == "no_data" and "3 rejected of 3" in job["error"]["message"]


# ------------------------------------------------------------------ oversized posts
def test_oversized_posts_are_truncated_and_every_item_stays_under_400_kb(aws, call_api, queue_messages, lambda_context):
    import random

    rng = random.Random(5)
    alphabet = "abcdefghijklmnopqrstuvwxyz\u4e00\u4e8c\u4e09\U0001f680"
    rows = []
    for n in range(80):  # hardly compressible multi-byte text, 6,000 characters a post, and a 3,000-letter "word"
        text = "mine " + "".join(rng.choice(alphabet) for _ in range(6_000)) + " " + "w" * 3000 + f" {n}"
        rows.append({"text": text, "created_at": f"2026-11-2{n % 5}T10:00:00Z", "author": "a" * 500})
    job = run_import(aws, call_api, queue_messages, lambda_context, "\n".join(map(json.dumps, rows)).encode())

    assert job["status"] == "done", job
    result = job["result"]
    assert result["posts_analyzed"] == 80
    assert all(post["truncated"] is True and len(post["text"]) == 1000 for post in result["posts"])
    assert all(len(term["term"]) <= 1000 for term in result["top_terms"])
    assert max(item_sizes(aws)) < DDB_ITEM_LIMIT


def test_posts_of_escaped_characters_are_trimmed_to_fit_and_say_so(aws, call_api, queue_messages, lambda_context):
    # A control character is 6 bytes of JSON (\u0001): 60 views x 1,000 of them are 360 kB, over the 300 kB budget.
    rows = [{"text": f"mine {n} " + "\u0001" * 5000, "created_at": "2026-11-20T10:00:00Z"} for n in range(80)]
    job = run_import(aws, call_api, queue_messages, lambda_context, "\n".join(map(json.dumps, rows)).encode())

    assert job["status"] == "done", job
    trimmed = job["result"]["trimmed"]
    assert trimmed["posts_dropped"] > 0 and trimmed["posts_kept"] == len(job["result"]["posts"])
    assert max(item_sizes(aws)) < DDB_ITEM_LIMIT


def test_a_result_the_database_rejects_fails_the_job_once_and_the_keyword_recovers(
    call_api, queue_messages, lambda_context, monkeypatch
):
    import os

    from boto3.dynamodb.types import Binary
    from social_analytics.storage import jobs as job_store

    # An item over DynamoDB's 400 KB (moto enforces it): a permanent ValidationException, not a retry into the DLQ.
    encode = job_store.encode_result
    monkeypatch.setattr(job_store, "encode_result", lambda result: Binary(os.urandom(450 * 1024)))

    job = analyze(call_api, queue_messages, lambda_context, "bloated")

    assert job["status"] == "failed" and job["error"]["code"] == "storage_rejected"
    assert "could not be stored" in job["error"]["message"]
    assert queue_messages() == []  # not retried
    monkeypatch.setattr(job_store, "encode_result", encode)
    assert analyze(call_api, queue_messages, lambda_context, "bloated")["status"] == "done"


def test_a_result_that_cannot_be_trimmed_enough_fails_with_the_reason(call_api, queue_messages, lambda_context):
    from social_analytics.scoring import limits

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(limits, "MAX_RESULT_BYTES", 1000)
        job = analyze(call_api, queue_messages, lambda_context, "tiny budget")
    assert job["status"] == "failed" and job["error"]["code"] == "result_too_large"
    assert analyze(call_api, queue_messages, lambda_context, "tiny budget")["status"] == "done"


# ------------------------------------------------------------------ one spelling per key
class EchoingProvider(FakeProviderServer):
    """SocialData-shaped fake whose posts quote the query they were found for."""

    def _socialdata(self, query: dict, auth: str):
        reply = super()._socialdata(query, auth)
        asked = query.get("query", [""])[0].split(" since_time:")[0]
        if isinstance(reply.body, dict):
            for tweet in reply.body.get("tweets") or []:
                tweet["full_text"] = tweet["text"] = f"found for <{asked}> " + tweet.get("full_text", "")
        return reply


@pytest.fixture
def echoing_provider(aws, monkeypatch):
    with EchoingProvider(posts=40) as fake:
        # anonymous searches may use the paid fake here (spend control keeps them on free sources by default)
        paid = {"PAID_FOR_ANONYMOUS": "true", "PAID_DAILY_BUDGET_USD": "1000"}
        for name, value in {**fake.env(), "PROVIDERS": "socialdata", **paid}.items():
            monkeypatch.setenv(name, value)
        from social_analytics import settings

        settings.reset()  # every group: PROVIDERS is read by the provider settings
        yield fake


def sent_queries(fake) -> list[str]:
    return [q["query"][0] for route, _, q in fake.request_log if route == "socialdata"]


@pytest.mark.parametrize("spelling", ["ＳＥＲＶＥＲＬＥＳＳ", "Serverless", "  SERVERLESS ", "𝐬𝐞𝐫𝐯𝐞𝐫𝐥𝐞𝐬𝐬"])
def test_a_compatibility_spelling_with_refresh_fetches_the_plain_query(
    call_api, queue_messages, lambda_context, echoing_provider, spelling
):
    plain = analyze(call_api, queue_messages, lambda_context, "serverless")
    assert plain["status"] == "done" and plain["result"]["query"] == "serverless"

    other = analyze(call_api, queue_messages, lambda_context, spelling, refresh=True)

    assert other["status"] == "done"
    assert other["result"]["keyword"] == " ".join(spelling.split())  # the display spelling the user typed
    assert other["result"]["query"] == "serverless"  # what was sent
    queries = sent_queries(echoing_provider)
    assert queries and all(re.match(r'"serverless" since_time:\d+ until_time:\d+', q) for q in queries), queries
    assert "since_id:" in queries[-1]  # the plain spelling's cursor continued: the same query
    status, cached = call_api("POST", "/api/analyses", {"keyword": "serverless"})
    assert status == 200
    texts = [post["text"] for post in cached["result"]["posts"]]
    assert texts and all(text.startswith('found for <"serverless">') for text in texts)


def test_a_stored_window_of_another_query_is_not_continued(call_api, queue_messages, lambda_context, echoing_provider):
    from social_analytics.storage import posts as post_store

    assert analyze(call_api, queue_messages, lambda_context, "serverless")["status"] == "done"
    stored = post_store.load_window("serverless")
    assert stored is not None and stored.query == "serverless"
    # a window written by an older version for the submitter's spelling (no query, or another one)
    stored.query = "ＳＥＲＶＥＲＬＥＳＳ"
    stored.generation = "legacy"
    post_store.save_window("serverless", stored, {"since_id": "1"})

    again = analyze(call_api, queue_messages, lambda_context, "serverless", refresh=True)

    assert again["status"] == "done" and again["result"]["source"]["incremental"] is False
    assert "since_id:" not in sent_queries(echoing_provider)[-1]  # a full fetch of the canonical query


# ------------------------------------------------------------------ deletion by key
def test_deleting_finds_jobs_and_alerts_by_key_without_a_scan(call_api, admin, queue_messages, lambda_context):
    from boto3.dynamodb.conditions import Key
    from social_analytics.storage import jobs as job_store

    analyze(call_api, queue_messages, lambda_context, "kept")
    analyze(call_api, queue_messages, lambda_context, "doomed")
    table = job_store._table()
    table.put_item(
        Item={"pk": "ALERTS", "sk": "2026-11-24T10:00:00Z#doomed#spike", "key": "doomed", "alert_json": "{}"}
    )
    table.put_item(Item={"pk": "ALERTS", "sk": "2026-11-24T10:00:00Z#kept#spike", "key": "kept", "alert_json": "{}"})

    scans = []
    client = table.meta.client
    client.meta.events.register("before-call.dynamodb.Scan", lambda **kw: scans.append(kw))
    try:
        status, body = call_api("DELETE", "/api/analyses/Doomed", headers=ADMIN)
    finally:
        client.meta.events.unregister("before-call.dynamodb.Scan")

    assert status == 200 and body["deleted"]["jobs"] == 1 and body["deleted"]["alerts"] == 1
    assert scans == []
    assert call_api("GET", "/api/analyses/kept")[0] == 200
    alerts = table.query(KeyConditionExpression=Key("pk").eq("ALERTS"))["Items"]
    assert [alert["key"] for alert in alerts] == ["kept"]


def test_a_large_deletion_runs_as_a_job_and_answers_202(call_api, admin, queue_messages, lambda_context):
    from social_analytics.analyses import deletion
    from social_analytics.storage import jobs as job_store

    analyze(call_api, queue_messages, lambda_context, "big")
    with job_store._table().batch_writer() as batch:
        for n in range(deletion.SMALL_DELETION_ITEMS + 50):
            batch.put_item(Item={"pk": "KW#big", "sk": f"HIST#2026-11-24T10:{n:04d}#j", "point_json": "{}"})

    status, accepted = call_api("DELETE", "/api/analyses/BIG", headers=ADMIN)
    assert status == 202 and accepted["status"] == "queued" and accepted["key"] == "big"
    again_status, again = call_api("DELETE", "/api/analyses/big", headers=ADMIN)
    assert again_status == 202 and again["job_id"] == accepted["job_id"]  # one deletion job per keyword
    assert call_api("GET", "/api/analyses/big")[0] == 200  # nothing deleted before the job runs

    assert run_worker(queue_messages, lambda_context) == {"batchItemFailures": []}

    status, job = call_api("GET", accepted["status_url"])
    assert status == 200 and job["status"] == "done"
    assert job["result"]["deleted"]["history"] == deletion.SMALL_DELETION_ITEMS + 50
    assert job["result"]["deleted"]["result"] == 1 and job["result"]["deleted"]["jobs"] == 1
    assert call_api("GET", "/api/analyses/big")[0] == 404
    assert analyze(call_api, queue_messages, lambda_context, "big")["status"] == "done"  # analyzable again

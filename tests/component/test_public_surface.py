"""What the API shows the world: fixed error phrases, the OpenAPI document and its docs page, provider names on
tracked keywords, the admin token lookup, and a timed-out job that stays failed."""

from __future__ import annotations

import re
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import apigw_event, sqs_event

ADMIN = {"Authorization": "Bearer test-admin-token-0123456789"}


@pytest.fixture
def admin_token(aws, monkeypatch):
    from social_analytics import settings

    monkeypatch.setenv("ADMIN_TOKEN", "test-admin-token-0123456789")
    settings.reset()  # the handler's cold start may have read the admin settings before the token was set


# ------------------------------------------------------------------ public errors
def test_an_unexpected_storage_error_is_a_fixed_phrase_with_the_request_id(call_api, monkeypatch):
    from social_analytics.storage import jobs as job_store

    def broken(job_id):
        message = "User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: dynamodb:GetItem"
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": message}}, "GetItem")

    monkeypatch.setattr(job_store, "get_job", broken)
    status, body = call_api("GET", "/api/jobs/abc123")

    assert status == 500
    assert body["error"]["code"] == "internal_error"
    assert re.fullmatch(r"internal error \(request id [0-9a-f-]+\)", body["error"]["message"]), body
    assert "arn:aws" not in str(body) and "AccessDenied" not in str(body)


# ------------------------------------------------------------------ OpenAPI and /api/docs
def test_the_openapi_document_has_the_api_title_and_names_the_admin_scheme(call_api):
    status, spec = call_api("GET", "/api/openapi.json")
    assert status == 200
    assert spec["info"]["title"] == "Async Social Analytics API"
    assert spec["components"]["securitySchemes"]["adminBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The admin token: `Authorization: Bearer <token>`.",
    }
    admin_operations = [
        spec["paths"]["/api/tracked"]["post"],
        spec["paths"]["/api/tracked/{keyword}"]["delete"],
        spec["paths"]["/api/analyses/{keyword}"]["delete"],
    ]
    assert all(op["security"] == [{"adminBearer": []}] for op in admin_operations)
    assert "security" not in spec["paths"]["/api/analyses"]["post"]  # searching stays open
    assert "spend" in spec["components"]["schemas"]["MetricsBody"]["properties"]


def test_the_docs_page_links_only_same_origin_files(aws, lambda_context):
    from social_analytics.handlers import api

    page = api.handler(apigw_event("GET", "/api/docs"), lambda_context)
    assert page["statusCode"] == 200 and page["multiValueHeaders"]["Content-Type"][0].startswith("text/html")
    html = page["body"]
    # nothing inline for a CSP without 'unsafe-inline' to block: every script and stylesheet is a same-origin file
    assert re.findall(r"<script[^>]*>", html) == ['<script src="docs/swagger-ui.js">', '<script src="docs/init.js">']
    assert "<style" not in html and "style=" not in html and "http" not in html.replace("http-equiv", "")
    for name, kind in (("swagger-ui.js", "javascript"), ("swagger-ui.css", "css"), ("init.js", "javascript")):
        asset = api.handler(apigw_event("GET", f"/api/docs/{name}"), lambda_context)
        assert asset["statusCode"] == 200 and kind in asset["multiValueHeaders"]["Content-Type"][0], name
        assert len(asset["body"]) > 100
    assert api.handler(apigw_event("GET", "/api/docs/other.js"), lambda_context)["statusCode"] == 404


# ------------------------------------------------------------------ tracked keywords name unknown providers
def test_tracking_with_unknown_providers_is_a_422_naming_them(call_api, admin_token):
    body = {"keyword": "brand", "interval_minutes": 15, "providers": ["mastodon", "facebook", "tiktok"]}
    status, answer = call_api("POST", "/api/tracked", body, headers=ADMIN)
    assert status == 422
    assert answer["error"]["fields"][0]["field"] == "providers"
    assert "unknown provider(s): facebook, tiktok" in answer["error"]["message"]
    assert call_api("GET", "/api/tracked")[1] == {"tracked": []}
    ok = {**body, "providers": ["Mastodon", "simulated"]}
    assert call_api("POST", "/api/tracked", ok, headers=ADMIN)[0] == 201


# ------------------------------------------------------------------ the admin token lookup
def test_no_authorization_header_means_no_ssm_call_and_a_missing_parameter_is_cached(call_api, monkeypatch):
    from aws_lambda_powertools.utilities import parameters
    from social_analytics.api import admin

    monkeypatch.delenv("ADMIN_TOKEN", raising=False)
    monkeypatch.setenv("ADMIN_TOKEN_PARAM", "/test/missing-admin-token")
    calls = []
    real = parameters.get_parameter
    monkeypatch.setattr(parameters, "get_parameter", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    body = {"keyword": "brand", "interval_minutes": 15}

    for _ in range(3):
        assert call_api("POST", "/api/tracked", body)[0] == 401
    assert calls == []  # no header: refused before SSM is asked

    for _ in range(3):
        assert call_api("POST", "/api/tracked", body, headers=ADMIN)[0] == 401
    assert calls == ["/test/missing-admin-token"]  # the missing parameter is remembered

    # once created, it is read after the short negative cache
    boto3.client("ssm").put_parameter(
        Name="/test/missing-admin-token", Value="test-admin-token-0123456789", Type="SecureString"
    )
    monkeypatch.setattr(admin, "_missing_until", {"/test/missing-admin-token": time.monotonic() - 1})
    parameters.clear_caches()
    try:
        assert call_api("POST", "/api/tracked", body, headers=ADMIN)[0] == 201
    finally:
        parameters.clear_caches()


# ------------------------------------------------------------------ a timed-out job stays failed
def test_a_job_marked_timed_out_does_not_flip_to_done(call_api, aws, queue_messages, lambda_context, monkeypatch):
    from social_analytics.analyses import run as job_service
    from social_analytics.handlers import worker

    status, job = call_api("POST", "/api/analyses", {"keyword": "slow one"})
    assert status == 202
    message = queue_messages()[0]
    table = boto3.resource("dynamodb").Table(aws.physical_names["ResultsTable"])
    key = {"pk": f"JOB#{job['job_id']}", "sk": "JOB"}

    # The worker claims the job; meanwhile a poll finds it past its deadline and reports it timed out.
    real_start = job_service.start

    def start_then_time_out(claimed):
        started = real_start(claimed)
        table.update_item(
            Key=key,
            UpdateExpression="SET submitted_at = :old",
            ExpressionAttributeValues={":old": int(time.time()) - 7200},
        )
        assert call_api("GET", job["status_url"])[1]["error"]["code"] == "timed_out"
        return started

    monkeypatch.setattr(job_service, "start", start_then_time_out)
    assert worker.handler(sqs_event([message]), lambda_context) == {"batchItemFailures": []}

    item = table.get_item(Key=key, ConsistentRead=True)["Item"]
    assert item["status"] == "failed" and item["error_code"] == "timed_out" and "result_json" not in item
    _, metrics = call_api("GET", "/api/metrics")
    assert metrics["jobs_done"] == 0


def test_an_admin_token_shorter_than_24_characters_is_refused(call_api, monkeypatch, caplog):
    from social_analytics import settings
    from social_analytics.api import admin

    body = {"keyword": "brand", "interval_minutes": 15}
    monkeypatch.setenv("ADMIN_TOKEN", "x")
    settings.reset()
    assert call_api("POST", "/api/tracked", body, headers={"Authorization": "Bearer x"})[0] == 401
    assert any(r.getMessage() == "admin token refused: too short" for r in caplog.records)
    short = "y" * (admin.MIN_TOKEN_CHARS - 1)
    monkeypatch.setenv("ADMIN_TOKEN", short)
    settings.reset()
    assert call_api("POST", "/api/tracked", body, headers={"Authorization": f"Bearer {short}"})[0] == 401
    enough = "z" * admin.MIN_TOKEN_CHARS
    monkeypatch.setenv("ADMIN_TOKEN", enough)
    settings.reset()
    assert call_api("POST", "/api/tracked", body, headers={"Authorization": f"Bearer {enough}"})[0] == 201

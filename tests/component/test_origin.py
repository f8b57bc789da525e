"""The regional API answers only requests CloudFront forwarded (X-Origin-Verify) or that carry a validated API key."""

from __future__ import annotations

import boto3
import pytest

from tests.conftest import apigw_event

SECRET = "origin-secret-7f3a9c0e5b1d4e8a"
PARAM = "/test/origin-secret"


@pytest.fixture
def origin_secret(aws, monkeypatch):
    from aws_lambda_powertools.utilities import parameters
    from social_analytics.settings import get_settings

    boto3.client("ssm").put_parameter(Name=PARAM, Value=SECRET, Type="String")
    monkeypatch.setenv("ORIGIN_SECRET_PARAM", PARAM)
    get_settings.cache_clear()
    parameters.clear_caches()
    yield
    parameters.clear_caches()
    get_settings.cache_clear()


def _call(lambda_context, method: str, path: str, body=None, headers=None, api_key_id: str | None = None):
    import json

    from social_analytics.handlers import api

    event = apigw_event(method, path, body, headers=headers)
    if api_key_id:
        event["requestContext"]["identity"]["apiKeyId"] = api_key_id
    response = api.handler(event, lambda_context)
    return response["statusCode"], json.loads(response.get("body") or "null")


def test_without_the_header_nothing_is_done(origin_secret, lambda_context, queue_messages, caplog):
    status, body = _call(lambda_context, "POST", "/api/analyses", {"keyword": "bypass"})
    assert status == 403
    assert body == {"error": {"code": "forbidden", "message": "use the dashboard's address for this API"}}
    assert queue_messages() == []  # refused before any work: no job was queued
    status, body = _call(lambda_context, "GET", "/api/health", headers={"X-Origin-Verify": SECRET[:-1] + "x"})
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert SECRET not in caplog.text


def test_cloudfronts_header_or_a_validated_api_key_passes(origin_secret, lambda_context, queue_messages, caplog):
    assert _call(lambda_context, "GET", "/api/health", headers={"X-Origin-Verify": SECRET}) == (200, {"status": "ok"})
    status, body = _call(lambda_context, "POST", "/api/analyses", {"keyword": "keyed"}, api_key_id="k1a2b3")
    assert status == 202 and body["keyword"] == "keyed"
    assert len(queue_messages()) == 1
    assert SECRET not in caplog.text


def test_a_configured_but_missing_parameter_refuses_everything(aws, lambda_context, monkeypatch, caplog):
    from aws_lambda_powertools.utilities import parameters
    from social_analytics.settings import get_settings

    monkeypatch.setenv("ORIGIN_SECRET_PARAM", "/test/never-created")
    get_settings.cache_clear()
    parameters.clear_caches()
    try:
        assert _call(lambda_context, "GET", "/api/health", headers={"X-Origin-Verify": "anything"})[0] == 403
        (record,) = [r for r in caplog.records if r.getMessage() == "origin secret parameter unreadable"]
        assert record.parameter == "/test/never-created"  # the operator learns which parameter
    finally:
        get_settings.cache_clear()


def test_without_configuration_there_is_no_check(call_api) -> None:
    assert call_api("GET", "/api/health") == (200, {"status": "ok"})


def test_a_missing_origin_secret_costs_one_ssm_call_not_one_per_request(aws, lambda_context, monkeypatch):
    from aws_lambda_powertools.utilities import parameters
    from social_analytics.settings import get_settings
    from social_analytics.storage import parameters as parameter_store

    monkeypatch.setenv("ORIGIN_SECRET_PARAM", "/test/never-created-either")
    get_settings.cache_clear()
    parameters.clear_caches()
    calls = []
    real = parameters.get_parameter
    monkeypatch.setattr(parameters, "get_parameter", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    try:
        for _ in range(20):
            assert _call(lambda_context, "GET", "/api/health", headers={"X-Origin-Verify": "anything"})[0] == 403
        assert calls == ["/test/never-created-either"]  # remembered as unreadable: still closed, SSM asked once
        # Once created (and the short memory has passed), it is read and requests pass.
        boto3.client("ssm").put_parameter(Name="/test/never-created-either", Value=SECRET, Type="String")
        parameter_store.forget_missing()
        assert _call(lambda_context, "GET", "/api/health", headers={"X-Origin-Verify": SECRET})[0] == 200
    finally:
        parameter_store.forget_missing()
        get_settings.cache_clear()

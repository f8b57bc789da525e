"""The sample events in tests/events/ stay valid: each parses with Powertools' model of its event source."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventModel,
    EventBridgeModel,
    S3Model,
    S3SqsEventNotificationModel,
    SqsModel,
)

from tests import events

MODELS = {
    "apigw_get": APIGatewayProxyEventModel,
    "apigw_post_json": APIGatewayProxyEventModel,
    "apigw_get_encoded_keyword": APIGatewayProxyEventModel,
    "sqs_job_batch": SqsModel,
    "sqs_s3_object_created": S3SqsEventNotificationModel,
    "eventbridge_scheduled": EventBridgeModel,
}


def test_every_sample_has_a_model():
    assert set(events.SAMPLES) == set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_sample_parses_with_its_powertools_model(name):
    MODELS[name].model_validate(events.load(name))


def test_the_rest_samples_are_proxy_events_of_the_api_resource():
    for name in ("apigw_get", "apigw_post_json", "apigw_get_encoded_keyword"):
        event = APIGatewayProxyEventModel.model_validate(events.load(name))
        assert event.resource == event.requestContext.resourcePath == "/api/{proxy+}"
        assert event.httpMethod == event.requestContext.httpMethod
        assert event.pathParameters == {"proxy": unquote(event.path.removeprefix("/api/"))}
        assert event.multiValueHeaders == {key: [value] for key, value in event.headers.items()}
    post = events.load("apigw_post_json")
    assert post["headers"]["Content-Type"] == "application/json" and json.loads(post["body"])["keyword"]
    encoded = events.load("apigw_get_encoded_keyword")
    assert encoded["path"] == "/api/analyses/caf%C3%A9%20au%20lait"  # REST APIs pass the path still encoded
    assert encoded["pathParameters"]["proxy"] == "analyses/café au lait"


def test_the_job_sample_carries_a_job_message_and_the_s3_sample_an_import_object():
    from social_analytics.models import AnalysisJob

    (record,) = SqsModel.model_validate(events.load("sqs_job_batch")).Records
    job = AnalysisJob.from_message(json.loads(record.body))
    assert record.messageAttributes["job_id"].stringValue == job.job_id
    (notification,) = S3SqsEventNotificationModel.model_validate(events.load("sqs_s3_object_created")).Records
    (created,) = notification.body.Records
    assert created.eventName.startswith("ObjectCreated") and created.s3.object.key.startswith("imports/")


def test_the_helpers_vary_a_sample_and_keep_it_valid():
    batch = events.sqs_batch('{"job_id": "a1"}', '{"job_id": "b2"}')
    parsed = SqsModel.model_validate(batch).Records
    assert [record.messageAttributes["job_id"].stringValue for record in parsed] == ["a1", "b2"]
    assert len({record.messageId for record in parsed}) == 2
    body = events.s3_object_created("imports/abc.csv", 12)
    S3Model.model_validate_json(body)
    imports = S3SqsEventNotificationModel.model_validate(events.sqs_batch(body, sample="sqs_s3_object_created"))
    assert imports.Records[0].body.Records[0].s3.object.key == "imports/abc.csv"
    assert EventBridgeModel.model_validate(events.scheduled("2026-12-01T20:00:00Z")).time.hour == 20

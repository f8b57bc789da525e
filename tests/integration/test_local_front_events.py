"""The event the local front builds for a request is an API Gateway REST proxy event: it parses with Powertools'
model and has the keys of the real-shaped sample in tests/events/ (over real HTTP to the front on loopback)."""

from __future__ import annotations

import threading

import httpx
import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel

from local_stack.api_front import make_server
from local_stack.stack import FRONTEND_DIR
from tests import events


@pytest.fixture(scope="module")
def front():
    seen: list[dict] = []

    def handler(event, _context):
        seen.append(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

    server = make_server(handler, 0, FRONTEND_DIR)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def keys(event: dict) -> dict:
    """The key sets that make the shape: the event's, its request context's and the caller identity's."""
    context = event["requestContext"]
    return {"event": set(event), "requestContext": set(context), "identity": set(context["identity"])}


@pytest.mark.parametrize(
    ("sample", "method", "path", "body"),
    [
        ("apigw_get", "GET", "/api/metrics", None),
        ("apigw_post_json", "POST", "/api/analyses", '{"keyword": "Serverless", "limit": 50}'),
        ("apigw_get_encoded_keyword", "GET", "/api/analyses/caf%C3%A9%20au%20lait", None),
    ],
)
def test_the_front_builds_the_event_api_gateway_sends(front, sample, method, path, body):
    url, seen = front
    seen.clear()
    headers = {"Content-Type": "application/json"} if body else {}
    assert httpx.request(method, url + path, content=body, headers=headers).status_code == 200

    (event,) = seen
    parsed = APIGatewayProxyEventModel.model_validate(event)
    expected = events.load(sample)
    assert keys(event) == keys(expected)
    assert (parsed.resource, parsed.httpMethod, parsed.path) == (expected["resource"], method, expected["path"])
    assert event["pathParameters"] == expected["pathParameters"]
    assert (event["body"] is None) == (expected["body"] is None)
    if body is not None:
        assert event["headers"]["Content-Type"] == "application/json" and event["body"] == expected["body"]

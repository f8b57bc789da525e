"""HTTP-only pieces of the API: error bodies, the keyword path parameter, body checks before routing."""

import base64
import json
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

MAX_BODY_BYTES = 64 * 1024
# API Gateway (REST) hands over the path still percent-encoded, so "#AWS", "AC/DC" or "a b" arrive as one
# encoded segment: the routes decode it.
KeywordInPath = Annotated[str, Path(min_length=1, max_length=3000, description="The keyword, URL-encoded")]

# OpenAPI: the admin routes need the bearer token (the scheme is declared in api.app).
ADMIN_SECURITY = [{"adminBearer": []}]

BODY_TOO_LARGE = {
    "statusCode": HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    "headers": {"Content-Type": "application/json"},
    "body": '{"error":{"code":"body_too_large","message":"the request body exceeds 65536 bytes"}}',
}


def error_response(status: int, code: str, message: str, fields: list | None = None) -> Response[dict]:
    error: dict = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return Response(status_code=status, content_type="application/json", body={"error": error})


def json_answer(status: int, body: dict) -> Response[dict]:
    return Response(status_code=status, content_type="application/json", body=body)


def invalid_json(problem: str) -> dict:
    return {
        "statusCode": HTTPStatus.BAD_REQUEST,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"error": {"code": "invalid_json", "message": problem}}),
    }


def body_too_large(event: dict) -> bool:
    body = event.get("body") or ""
    return len(body) > MAX_BODY_BYTES


def unreadable_body(event: dict) -> str | None:
    """Why the body cannot be read as JSON at all (binary, not UTF-8, nested past the parser's depth)."""
    body = event.get("body")
    if not body:
        return None
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return "the request body is not UTF-8 text"
        event["body"], event["isBase64Encoded"] = body, False
    try:
        json.loads(body)
    except RecursionError:
        return "the request body is nested too deeply"
    except ValueError:
        return None  # ordinary malformed JSON: the resolver reports it with the same code
    return None


def as_json_request(event: dict) -> dict:
    """Every body this API accepts is JSON: read it as JSON whatever Content-Type the client sent
    (``curl -d`` says form-urlencoded), so a bad body is reported as bad JSON, not as missing fields."""
    if not event.get("body"):
        return event
    headers = {key: value for key, value in (event.get("headers") or {}).items() if key.lower() != "content-type"}
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    return {
        **event,
        "headers": {**headers, "Content-Type": "application/json"},
        "multiValueHeaders": {**multi, "Content-Type": ["application/json"]},
    }

"""Only CloudFront reaches the API: it adds ``X-Origin-Verify: <secret>`` to every request it forwards, and the API
function refuses any request without it before doing anything else, so the regional execute-api URL alone is useless.

The secret is an SSM parameter named by ``ORIGIN_SECRET_PARAM`` (read through settings, cached 5 minutes, never
logged); no parameter configured means no check (local runs). A configured but unreadable parameter refuses every
request (closed), and is remembered as unreadable for 30 s, so a flood of requests is not a flood of SSM calls.
Requests of the key-only client API carry ``requestContext.identity.apiKeyId``, which API Gateway sets only after
validating an ``x-api-key`` on a key-required method: those are let through without the header.
"""

from __future__ import annotations

import hmac
import json

from social_analytics.observability import logger
from social_analytics.settings import get_settings
from social_analytics.storage import parameters as parameter_store

HEADER = "x-origin-verify"
SECRET_MAX_AGE_SECONDS = 300
FORBIDDEN_ORIGIN = {
    "statusCode": 403,
    "headers": {"Content-Type": "application/json"},
    "body": json.dumps({"error": {"code": "forbidden", "message": "use the dashboard's address for this API"}}),
}


def _secret(name: str) -> str | None:
    try:
        return parameter_store.get_parameter(name, SECRET_MAX_AGE_SECONDS, remember_missing=True) or None
    except parameter_store.ParameterUnreadable:  # failed recently: still closed, SSM not asked again yet
        return None
    except Exception as error:  # missing parameter or no permission: closed, and say which (never the value)
        logger.error("origin secret parameter unreadable", extra={"parameter": name, "error": type(error).__name__})
        return None


def api_key_id(event: dict) -> str | None:
    """The id of the API key API Gateway validated for this request (key-only client API), else None."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    value = identity.get("apiKeyId")
    return value if isinstance(value, str) and value else None


def _presented(event: dict) -> str | None:
    for name, value in (event.get("headers") or {}).items():
        if name.lower() == HEADER and isinstance(value, str):
            return value
    return None


def from_cloudfront(event: dict) -> bool:
    """Whether CloudFront forwarded the request (or API Gateway validated an API key); True when unconfigured."""
    name = get_settings().origin_secret_param
    if not name or api_key_id(event):
        return True
    presented = _presented(event)
    if presented is None:
        return False
    expected = _secret(name)
    return expected is not None and hmac.compare_digest(presented.encode(), expected.encode())

"""The admin token: ``Authorization: Bearer <token>`` compared in constant time.

The token comes from ``ADMIN_TOKEN`` (local) or an SSM SecureString named by ``ADMIN_TOKEN_PARAM`` (AWS),
cached 5 minutes. No token configured means every admin call is refused (closed by default). Never logged.
"""

from __future__ import annotations

import hmac
import os

from social_analytics.observability import logger


class Unauthorized(Exception):
    pass


def configured_token() -> str | None:
    token = os.environ.get("ADMIN_TOKEN", "")
    if token:
        return token
    name = os.environ.get("ADMIN_TOKEN_PARAM", "")
    if not name:
        return None
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_parameter(name, decrypt=True, max_age=300)
    except Exception as error:  # a missing parameter or no permission: closed, and say why (not the value)
        logger.error("admin token parameter unreadable", extra={"parameter": name, "error": type(error).__name__})
        return None
    return value or None


def bearer(headers: dict | None) -> str | None:
    for name, value in (headers or {}).items():
        if name.lower() == "authorization" and isinstance(value, str):
            scheme, _, credentials = value.strip().partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
    return None


def is_authorized(headers: dict | None) -> bool:
    expected = configured_token()
    presented = bearer(headers)
    if not expected or presented is None:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


def require(headers: dict | None) -> None:
    if not is_authorized(headers):
        raise Unauthorized()

"""The admin token: ``Authorization: Bearer <token>`` compared in constant time.

The token comes from ``ADMIN_TOKEN`` (local) or an SSM SecureString named by ``ADMIN_TOKEN_PARAM`` (AWS),
cached 5 minutes. No token configured means every admin call is refused (closed by default). Never logged.
A request without an ``Authorization`` header is refused before SSM is asked, and a parameter that cannot be read
is remembered for ``MISSING_RETRY_SECONDS``, so a flood of bad calls does not become a flood of SSM calls.
A configured token shorter than ``MIN_TOKEN_CHARS`` is refused (every admin call answers 401, and the log says why):
a short token can be guessed.
"""

from __future__ import annotations

import hmac
import threading
import time

from social_analytics.observability import logger
from social_analytics.settings import get_admin_settings
from social_analytics.storage import parameters as parameter_store

MISSING_RETRY_SECONDS = 30.0
MIN_TOKEN_CHARS = 24
_missing_until: dict[str, float] = {}
_missing_lock = threading.Lock()


class Unauthorized(Exception):
    pass


def configured_token() -> str | None:
    """The admin token, or None when none is configured or it is too short to be safe."""
    token = _configured()
    if token and len(token) < MIN_TOKEN_CHARS:
        logger.error("admin token refused: too short", extra={"min_chars": MIN_TOKEN_CHARS})
        return None
    return token


def _configured() -> str | None:
    config = get_admin_settings()
    if config.admin_token is not None:
        return config.admin_token.get_secret_value()
    name = config.admin_token_param
    if not name:
        return None
    if _missing_until.get(name, 0.0) > time.monotonic():
        return None
    try:
        value = parameter_store.get_parameter(name, 300)
    except Exception as error:  # a missing parameter or no permission: closed, and say why (not the value)
        logger.error("admin token parameter unreadable", extra={"parameter": name, "error": type(error).__name__})
        with _missing_lock:
            _missing_until[name] = time.monotonic() + MISSING_RETRY_SECONDS
        return None
    return value or None


def forget_missing() -> None:
    """Ask SSM again on the next call (tests, or after creating the parameter)."""
    with _missing_lock:
        _missing_until.clear()
    parameter_store.forget_missing()


def bearer(headers: dict | None) -> str | None:
    for name, value in (headers or {}).items():
        if name.lower() == "authorization" and isinstance(value, str):
            scheme, _, credentials = value.strip().partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
    return None


def is_authorized(headers: dict | None) -> bool:
    presented = bearer(headers)
    if presented is None:  # no credentials: nothing to compare, so no SSM call
        return False
    expected = configured_token()
    if not expected:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


def require(headers: dict | None) -> None:
    if not is_authorized(headers):
        raise Unauthorized()

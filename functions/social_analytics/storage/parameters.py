"""SSM parameters (secrets and the admin token), read through Powertools' parameters utility with its cache.

The only module that reads SSM: callers say how long a value may be cached; Powertools (and boto3) load on the
first read, so a container that never reads a parameter never imports them.

A parameter that could not be read (missing, no permission) is remembered as unreadable for ``MISSING_RETRY_SECONDS``
when the caller asks (``remember_missing=True``): a flood of requests then costs one SSM call, not one each.
"""

from __future__ import annotations

import threading
import time

MISSING_RETRY_SECONDS = 30.0
_missing_until: dict[str, float] = {}
_missing_lock = threading.Lock()


class ParameterUnreadable(Exception):
    """The parameter could not be read recently; not asked again until its retry time."""


def get_parameter(name: str, max_age_seconds: int, *, remember_missing: bool = False) -> str:
    """The decrypted value of ``name``, cached ``max_age_seconds``. Raises on a missing parameter or no permission
    (``ParameterUnreadable`` without asking SSM while a remembered failure is recent)."""
    if remember_missing and _missing_until.get(name, 0.0) > time.monotonic():
        raise ParameterUnreadable(name)
    # Imported on first use: the API's cold start skips boto3's SSM client when no parameter is configured.
    from aws_lambda_powertools.utilities import parameters

    try:
        return str(parameters.get_parameter(name, decrypt=True, max_age=max_age_seconds))
    except Exception:
        if remember_missing:
            with _missing_lock:
                _missing_until[name] = time.monotonic() + MISSING_RETRY_SECONDS
        raise


def forget_missing() -> None:
    """Ask SSM again on the next read of every remembered-unreadable parameter (tests, or after creating it)."""
    with _missing_lock:
        _missing_until.clear()

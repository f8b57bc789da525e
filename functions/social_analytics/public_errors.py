"""The fixed phrases the API shows for provider and storage failures.

Providers' own error text (response bodies) and raw AWS exception messages go to the logs only, next to the job or
request id; what callers see is a code from this table and its phrase, so nothing a provider or AWS says is
republished.
"""

from __future__ import annotations

PROVIDER_PHRASES: dict[str, str] = {
    "payment_required": "the provider account needs payment or credit",
    "rate_limited": "the provider is rate limiting us",
    "unavailable": "the provider is unavailable",
    "timeout": "the provider did not answer in time",
    "auth": "the provider rejected our credentials",
    "forbidden": "the provider does not allow this request",
    "bad_response": "the provider sent a response we could not use",
    "internal_error": "internal error",
}


def provider_reason(code: str, status: int | None = None) -> str:
    """``"<code>: <fixed phrase>[ (HTTP <status>)]"`` for a provider failure code (``ProviderError.code``)."""
    return f"{code}: {PROVIDER_PHRASES.get(code, 'the provider failed')}" + (f" (HTTP {status})" if status else "")


def internal_error(request_id: str = "") -> str:
    return "internal error" + (f" (request id {request_id})" if request_id else "")


def retries_exhausted(attempts: int, request_id: str = "") -> str:
    return f"internal_error: the job failed after {attempts} attempts; {internal_error(request_id)}"

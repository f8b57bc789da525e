"""One attempt to send one message over HTTP, through the SSRF guard, and what its answer means.

httpx with: the guard's connection backend (the checked address is the one connected to), no redirects, no proxy
from the environment (a proxy would connect on our behalf, past the guard), one timeout for connect, write and read
each (``DELIVERY_TIMEOUT_SECONDS``, 5 s), and at most ``DELIVERY_MAX_RESPONSE_BYTES`` of the answer read. Nothing
of the receiver's answer is kept but its status code and its ``Retry-After``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import cache

import httpcore
import httpx
from httpcore._backends.sync import SyncBackend

from social_analytics.delivery.guard import Refused, Resolver, address_problem, resolve

USER_AGENT = "async-social-analytics-delivery/1"


@dataclass(frozen=True)
class Outcome:
    """``delivered``, ``retry`` (5xx, 429, timeouts, connection errors) or ``failed`` (other answers, refusals)."""

    verdict: str
    code: int | None
    error: str | None
    latency_ms: int
    retry_after: float | None = None


class GuardedBackend(SyncBackend):
    """httpcore's socket backend, connecting only to an address that passed :func:`address_problem` just now."""

    def __init__(self, allow_loopback: bool = False, resolver: Resolver = resolve) -> None:
        self.allow_loopback = allow_loopback
        self.resolver = resolver
        self.connected_to: str | None = None

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = self.resolver(host, port)
        if not addresses:
            raise Refused("the host name does not resolve")
        for address in addresses:
            problem = address_problem(address, self.allow_loopback)
            if problem:
                raise Refused(f"resolves to {problem}")
        self.connected_to = addresses[0]
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


@cache
def _ssl_context():
    """Loading the CA bundle takes tens of milliseconds: once per container."""
    return httpx.create_ssl_context()


def build_client(timeout: float, allow_loopback: bool, resolver=resolve) -> httpx.Client:
    transport = httpx.HTTPTransport(verify=_ssl_context(), retries=0)
    # httpx takes no network backend; its pool is httpcore's, which does. Same settings, our backend.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=_ssl_context(),
        max_connections=10,
        max_keepalive_connections=0,
        network_backend=GuardedBackend(allow_loopback, resolver),
    )
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    max_response_bytes: int,
    allow_loopback: bool,
    resolver=resolve,
) -> Outcome:
    started = time.perf_counter()

    def outcome(verdict: str, code: int | None, error: str | None, retry_after: float | None = None) -> Outcome:
        return Outcome(verdict, code, error, int((time.perf_counter() - started) * 1000), retry_after)

    try:
        with (
            build_client(timeout, allow_loopback, resolver) as client,
            client.stream(
                "POST", url, content=body, headers={"Content-Type": "application/json", **headers}
            ) as response,
        ):
            read, deadline = 0, started + timeout
            for chunk in response.iter_raw():  # read (at most 64 KB) so the connection ends cleanly
                read += len(chunk)
                if read >= max_response_bytes or time.perf_counter() > deadline:
                    break
            code = response.status_code
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
    except Refused as refused:
        return outcome("failed", None, f"refused: {refused}")
    except httpx.TimeoutException:
        return outcome("retry", None, "timed out")
    except httpx.TransportError as error:
        return outcome("retry", None, _transport_phrase(error))
    except Exception as error:  # an unusable URL and the like: its text may hold the URL, so only its kind is said
        return outcome("failed", None, f"could not send ({type(error).__name__})")
    return classify(code, retry_after, outcome)


def classify(code: int, retry_after: float | None, outcome) -> Outcome:
    if 200 <= code < 300:
        return outcome("delivered", code, None)
    if code == 429 or code >= 500:
        return outcome("retry", code, f"HTTP {code}", retry_after)
    if 300 <= code < 400:
        return outcome("failed", code, f"HTTP {code} (redirects are not followed)")
    return outcome("failed", code, f"HTTP {code}")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def _transport_phrase(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.ConnectError):
        return "could not connect"
    if isinstance(error, httpx.RemoteProtocolError):
        return "the receiver broke the protocol"
    return "network error"

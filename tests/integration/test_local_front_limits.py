"""The local front holds its ground: a request must arrive whole within its deadline however slowly it trickles,
open connections are capped (each holds a thread), only loopback Host names are served (DNS rebinding), nothing is
framed, HEAD is GET without the body, and Content-Length is digits only. Raw sockets, as in test_local_front.py."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

from local_stack.api_front import loopback_host, make_server
from local_stack.stack import FRONTEND_DIR

REQUEST_SECONDS = 1.5
IDLE_SECONDS = 3.0  # longer than the trickle's gaps: only the whole-request deadline can cut it
CAP = 6


@pytest.fixture(scope="module")
def front():
    calls = []

    def handler(event, _context):
        calls.append(event)
        if event["path"] == "/api/docs":  # a function answer with its own policy (as the API docs page has)
            headers = {"Content-Type": "text/html", "Content-Security-Policy": "default-src 'self'"}
            return {"statusCode": 200, "headers": headers, "body": "<html></html>"}
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": true}'}

    server = make_server(
        handler, 0, FRONTEND_DIR, idle_seconds=IDLE_SECONDS, request_seconds=REQUEST_SECONDS, max_connections=CAP
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", calls
    server.shutdown()
    server.server_close()


def connect(base_url: str, timeout: float = 10.0) -> socket.socket:
    address = urlsplit(base_url)
    return socket.create_connection((address.hostname, address.port), timeout=timeout)


def read_all(connection: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = connection.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def exchange(base_url: str, data: bytes) -> bytes:
    with connect(base_url, timeout=5.0) as connection:
        connection.sendall(data)
        return read_all(connection)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def head_of(answer: bytes) -> dict[str, str]:
    lines = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    return {key.strip().lower(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


def until_served(base_url: str, seconds: float = 10.0) -> int:
    """A request's status once the front takes connections again (the held ones cut, or closed)."""
    deadline = time.monotonic() + seconds
    status = 0
    while time.monotonic() < deadline:
        status = status_of(exchange(base_url, b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        if status == 200:
            return status
        time.sleep(0.2)
    return status


def test_a_request_trickling_in_one_header_line_at_a_time_is_cut(front):
    base_url, calls = front
    before = len(calls)
    sent = 0
    with connect(base_url) as connection:
        connection.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            for sent in range(1, 40):  # a line every IDLE_SECONDS / 3: each read succeeds, the request never ends
                time.sleep(IDLE_SECONDS / 3)
                connection.sendall(b"X-Slow-%d: y\r\n" % sent)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_all(connection)
    assert sent < 39, "the connection stayed open for the whole trickle"
    assert status_of(answer) == 408
    assert b"request_timeout" in answer
    assert len(calls) == before  # never invoked
    assert until_served(base_url) == 200


def test_a_body_trickling_in_is_cut_and_never_reaches_the_api(front):
    base_url, calls = front
    before = len(calls)
    with connect(base_url) as connection:
        connection.sendall(
            b"POST /api/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 400\r\n\r\n{"
        )
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for _ in range(40):
                time.sleep(IDLE_SECONDS / 3)
                connection.sendall(b" ")
        answer = read_all(connection)
    assert status_of(answer) == 408
    assert len(calls) == before


def test_connections_past_the_cap_are_refused_and_hold_no_thread(front):
    base_url, _calls = front
    threads_before = threading.active_count()
    held = []
    try:
        for _ in range(40):  # slow clients: a head that never ends
            connection = connect(base_url)
            connection.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            held.append(connection)
        time.sleep(0.3)
        assert threading.active_count() <= threads_before + CAP
        with connect(base_url) as extra:
            extra.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = read_all(extra)
        assert status_of(answer) == 503
        assert b"too_many_connections" in answer
        assert head_of(answer)["retry-after"] == "1"
        # the held ones are cut by their deadline: the front serves again without anyone closing them
        assert until_served(base_url) == 200
    finally:
        for connection in held:
            connection.close()


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.0.0.1:8000", "localhost", "LocalHost:1", "[::1]", "[::1]:8080"],
)
def test_loopback_hosts_are_served(front, host):
    base_url, _calls = front
    answer = exchange(base_url, b"GET /api/health HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode())
    assert status_of(answer) == 200


@pytest.mark.parametrize(
    "head",
    [
        b"Host: evil.example\r\n",
        b"Host: evil.example:8000\r\n",
        b"Host: 127.0.0.1.evil.example\r\n",
        b"Host: localhost.evil.example:80\r\n",
        b"Host: localhost:80abc\r\n",
        b"Host: [::1]x\r\n",
        b"Host: \r\n",
        b"",
        b"Host: 127.0.0.1\r\nHost: evil.example\r\n",
    ],
    ids=["name", "name-port", "suffix", "suffix-port", "bad-port", "bad-ipv6", "empty", "missing", "two"],
)
def test_other_hosts_are_refused_before_the_api(front, head):
    """A page on evil.example whose name now resolves to 127.0.0.1 (DNS rebinding) sends its own Host."""
    base_url, calls = front
    before = len(calls)
    answer = exchange(base_url, b"GET /api/health HTTP/1.1\r\n" + head + b"\r\n")
    assert status_of(answer) == 421
    assert b"wrong_host" in answer
    assert len(calls) == before
    assert status_of(exchange(base_url, b"GET / HTTP/1.1\r\n" + head + b"\r\n")) == 421  # the dashboard too


def test_the_host_check_itself():
    assert loopback_host("127.0.0.1:65535")
    assert not loopback_host(None)
    assert not loopback_host("127.0.0.1:")  # an empty port is not digits
    assert not loopback_host("0.0.0.0")


@pytest.mark.parametrize("path", ["/", "/api/health", "/api/docs", "/no-such-file"])
def test_nothing_is_framed(front, path):
    base_url, _calls = front
    answer = httpx.get(f"{base_url}{path}")
    assert answer.headers["X-Frame-Options"] == "DENY"
    policy = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    if path == "/api/docs":
        assert policy.startswith("default-src 'self'")  # the function's own policy is kept


@pytest.mark.parametrize("path", ["/api/health", "/", "/js/app.js"])
def test_head_is_get_without_the_body(front, path):
    base_url, calls = front
    got = httpx.get(f"{base_url}{path}")
    before = len(calls)
    answer = exchange(base_url, b"HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path.encode())
    assert status_of(answer) == 200
    assert head_of(answer)["content-length"] == str(len(got.content))
    assert answer.endswith(b"\r\n\r\n")  # headers only
    if path.startswith("/api"):
        assert calls[before]["httpMethod"] == "GET"


@pytest.mark.parametrize("length", [b"1_9", b"+2", b"-2", b"0x2", b"2.0", "\u0662".encode(), b"2 2", b""])
def test_content_length_must_be_digits(front, length):
    base_url, calls = front
    before = len(calls)
    answer = exchange(
        base_url,
        b"POST /api/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + length + b"\r\n\r\n" + b"{}" * 10,
    )
    assert status_of(answer) == 400
    assert b"bad_content_length" in answer
    assert len(calls) == before


def test_a_digits_content_length_still_works(front):
    base_url, calls = front
    before = len(calls)
    answer = exchange(
        base_url,
        b"POST /api/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 19\r\nConnection: close\r\n\r\n" + b'{"keyword": "ok"}  ',
    )
    assert status_of(answer) == 200
    assert calls[before]["body"] == '{"keyword": "ok"}  '

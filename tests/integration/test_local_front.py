"""The local HTTP front at its edges: malformed requests get a 4xx and the front keeps serving; only the dashboard's
published files are served; POST bodies must be JSON. Raw sockets, so nothing in a client library tidies the bytes."""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

import httpx
import pytest

from local_stack.api_front import make_server
from local_stack.stack import FRONTEND_DIR


@pytest.fixture(scope="module")
def front():
    calls = []

    def handler(event, _context):
        calls.append(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": true}'}

    server = make_server(handler, 0, FRONTEND_DIR, idle_seconds=2)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", calls
    server.shutdown()
    server.server_close()


def raw(base_url: str, data: bytes, timeout: float = 5.0) -> bytes:
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as connection:
        connection.sendall(data)
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


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def still_serving(base_url: str) -> None:
    assert httpx.get(f"{base_url}/api/health").status_code == 200


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        (b"GET /\x00secret HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        (b"GET /" + b"a" * 300 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
        (b"GET /" + b"a/" * 150 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
        (b"GET /\r\n", 400),  # HTTP/0.9
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Big: " + b"a" * 60000 + b"\r\n" * 2, 431),
        (
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + b"".join(b"X-%d: %s\r\n" % (i, b"b" * 900) for i in range(99))
            + b"\r\n",
            431,
        ),
        (b"GET /" + b"c" * 70000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
        (
            b"POST /api/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
            400,
        ),
        (
            b"POST /api/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
            400,
        ),
        (b"POST /api/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n", 400),
        (b"GARBAGE\r\n\r\n", 400),
    ],
    ids=[
        "nul-byte",
        "300-char-name",
        "300-char-path",
        "http-0.9",
        "60k-header",
        "90k-of-headers",
        "70k-target",
        "two-content-lengths",
        "length-and-chunked",
        "bad-length",
        "garbage",
    ],
)
def test_a_malformed_request_gets_a_4xx_and_the_front_keeps_serving(front, request_bytes, expected):
    base_url, _calls = front
    assert status_of(raw(base_url, request_bytes)) == expected
    still_serving(base_url)


def test_megabytes_of_headers_are_not_read(front):
    base_url, calls = front
    before = len(calls)
    headers = b"".join(b"X-%d: %s\r\n" % (i, b"h" * 60000) for i in range(40))  # 2.4 MB
    answer = raw(base_url, b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n")
    assert status_of(answer) == 431
    assert len(calls) == before  # never passed into an event
    still_serving(base_url)


def test_an_idle_connection_is_closed(front):
    base_url, _calls = front
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # an unfinished head, then nothing
        assert connection.recv(100) == b""  # the server hung up
    still_serving(base_url)


@pytest.mark.parametrize(
    "path",
    [
        "/package.json",
        "/package-lock.json",
        "/node_modules/chart.js/package.json",
        "/scripts/build.mjs",
        "/../template.yaml",
        "/%2e%2e/template.yaml",
        "/.gitignore",
    ],
)
def test_only_published_files_are_served(front, path):
    base_url, _calls = front
    assert httpx.get(f"{base_url}{path}").status_code == 404


def test_the_dashboard_files_are_served(front):
    base_url, _calls = front
    for path in ("/", "/js/app.js", "/css/app.css", "/config.json"):
        if path == "/config.json" and not (FRONTEND_DIR / "config.json").exists():
            continue
        assert httpx.get(f"{base_url}{path}").status_code == 200, path


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
def test_a_post_body_that_is_not_json_is_refused_before_the_api(front, content_type):
    base_url, calls = front
    before = len(calls)
    # what a page on another site can send without a CORS preflight (an untyped Blob body has no Content-Type)
    headers = {"Origin": "http://evil.example"}
    if content_type:
        headers["Content-Type"] = content_type
    answer = httpx.post(f"{base_url}/api/analyses", content=b'{"keyword": "csrf"}', headers=headers)
    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == "unsupported_media_type"
    if content_type:  # a typed non-JSON body is refused from curl too (curl -d sends a form type)
        assert (
            httpx.post(f"{base_url}/api/analyses", content=b"{}", headers={"Content-Type": content_type}).status_code
            == 415
        )
    assert len(calls) == before


def test_an_untyped_body_from_a_script_reaches_the_api(front):
    base_url, calls = front
    before = len(calls)
    assert httpx.post(f"{base_url}/api/analyses", content=b'{"keyword": "ok"}').status_code == 200
    assert len(calls) == before + 1


def test_a_json_post_reaches_the_api(front):
    base_url, calls = front
    before = len(calls)
    for content_type in ("application/json", "application/json; charset=utf-8"):
        answer = httpx.post(
            f"{base_url}/api/analyses", content=b'{"keyword": "ok"}', headers={"Content-Type": content_type}
        )
        assert answer.status_code == 200
    assert len(calls) == before + 2

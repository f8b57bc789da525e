"""The local HTTP front: API Gateway REST proxy events for the API function, and the dashboard's files.

The stdlib's ``http.server`` with the edges a public front would hold (docs/decisions.md says why not waitress, h11 or
uvicorn): a whole-request deadline (head and body must arrive within ``REQUEST_SECONDS``, however slowly they
trickle), a cap on open connections (one thread each), a ``Host`` check (loopback names only: a DNS-rebinding page
cannot reach the API), frame-blocking headers, ``HEAD`` as ``GET`` without the body, and strict framing (one
Content-Length, digits only).

Run as a child process by the stack: ``python -m local_stack.api_front HANDLER PORT FRONTEND_DIR``.
Prints ``READY <port>`` once listening.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import mimetypes
import socket
import sys
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from local_stack.runtime import LambdaContext, load_handler

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's own payload limit
MAX_REQUEST_LINE = 65536  # the stdlib's own limit (a long keyword in the path gets the API's 422, not a 414)
MAX_HEAD_BYTES = 16 * 1024  # the headers together (API Gateway allows 10 KiB)
IDLE_SECONDS = 30  # a keep-alive connection (or a slow client) idle this long is closed
REQUEST_SECONDS = 10.0  # from a request's first byte to the end of its body, however slowly it trickles in
MAX_CONNECTIONS = 64  # open connections (a thread each); more are answered 503 at once and closed
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
JSON_TYPES = ("application/json",)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # the dashboard and the API are never framed (clickjacking)
    "Content-Security-Policy": "frame-ancestors 'none'",  # a <meta> CSP cannot say this; the header can
}


def canned(status: str, code: str, message: str, **headers: str) -> bytes:
    """A whole response written straight to a socket, where no request handler runs (busy, timed out)."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\n"
    head += "".join(f"{key}: {value}\r\n" for key, value in {**SECURITY_HEADERS, **headers}.items())
    return head.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body


BUSY = canned(
    "503 Service Unavailable", "too_many_connections", "too many open connections; try again", **{"Retry-After": "1"}
)
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")


# requestContext.identity as API Gateway sends it to an unauthenticated caller: every key present, most of them null
IDENTITY_KEYS = (
    "cognitoIdentityPoolId",
    "accountId",
    "cognitoIdentityId",
    "caller",
    "principalOrgId",
    "accessKey",
    "cognitoAuthenticationType",
    "cognitoAuthenticationProvider",
    "userArn",
    "user",
)


def _is_json(media_type: str) -> bool:
    return media_type in JSON_TYPES or (media_type.startswith("application/") and media_type.endswith("+json"))


def proxy_event(method: str, raw_path: str, headers: dict[str, list[str]], body: bytes, source_ip: str) -> dict:
    """The REST API proxy event API Gateway sends for ``ANY /api/{proxy+}``."""
    split = urlsplit(raw_path)
    path = split.path  # REST APIs keep the path percent-encoded (an encoded "/" stays inside its segment)
    query = parse_qsl(split.query, keep_blank_values=True)
    multi_query: dict[str, list[str]] = {}
    for key, value in query:
        multi_query.setdefault(key, []).append(value)
    try:
        text_body = body.decode("utf-8") if body else None
        is_base64 = False
    except UnicodeDecodeError:
        import base64

        text_body, is_base64 = base64.b64encode(body).decode(), True
    request_id, now = str(uuid.uuid4()), time.time()
    return {
        "resource": "/api/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {key: values[-1] for key, values in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": {key: values[-1] for key, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": unquote(path.removeprefix("/api/"))},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": "/api/{proxy+}",
            "httpMethod": method,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/local{path}",
            "stage": "local",
            "domainPrefix": "localhost",
            "requestId": request_id,
            "requestTimeEpoch": int(now * 1000),
            "identity": {
                **dict.fromkeys(IDENTITY_KEYS),
                "sourceIp": source_ip,
                "userAgent": headers.get("User-Agent", [""])[-1],
            },
            "domainName": "localhost",
            "accountId": "123456789012",
            "apiId": "local",
            "protocol": "HTTP/1.1",
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


class _HeadBudget:
    """The connection's reader, counting the bytes of each request's head so a client cannot send megabytes of
    headers: past the budget it ends the head early and flags it (the request is then answered 431)."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.left: int | None = None
        self.exceeded = False

    def begin(self, budget: int) -> None:
        self.left, self.exceeded = budget, False

    def end(self) -> None:
        self.left = None

    def readline(self, limit: int = -1) -> bytes:
        if self.left is None:
            return self.raw.readline(limit)
        if self.left <= 0:
            self.exceeded = True
            return b"\r\n"
        cap = self.left + 1 if limit is None or limit < 0 else min(limit, self.left + 1)
        line = self.raw.readline(cap)
        self.left -= len(line)
        if self.left < 0:
            self.exceeded = True
            return b"\r\n"
        return line

    def __getattr__(self, name: str):
        return getattr(self.raw, name)


def published(relative: str) -> bool:
    """Only what ``scripts/publish_frontend.py`` would publish (and the local config.json): no package.json,
    node_modules or build scripts."""
    from scripts.publish_frontend import EXCLUDED_DIRS, EXCLUDED_FILES

    parts = relative.split("/")
    if not parts or parts[0] in EXCLUDED_DIRS or any(part.startswith(".") or not part for part in parts):
        return False
    return parts[-1] == "config.json" or parts[-1] not in EXCLUDED_FILES


def loopback_host(value: str | None) -> bool:
    """A ``Host`` header naming this machine by a loopback name (any port): a page on another site whose name was
    re-pointed at 127.0.0.1 (DNS rebinding) still sends its own name and is refused."""
    if not value:
        return False
    host = value.strip().lower()
    if host.startswith("["):
        name, _, rest = host.partition("]")
        name, port = name + "]", rest.removeprefix(":") if rest.startswith(":") else None
        if rest and port is None:
            return False
    else:
        name, _, port = host.partition(":")
        port = port if ":" in host else None
    if port is not None and not (port.isascii() and port.isdigit()):
        return False
    return name in LOOPBACK_HOSTS


def digits(value: str) -> bool:
    """Content-Length as RFC 9110 has it: ASCII digits only (``int()`` also takes ``1_9``, ``+5``, `` 7``, ``٣``)."""
    return value.isascii() and value.isdigit()


class Deadlines:
    """Every connection's whole-request deadline, enforced by one thread: a request whose head and body have not all
    arrived in time is answered 408 and its connection shut (a blocked read only ends when the socket does, and a
    per-read timeout alone lets a client send a byte every few seconds forever)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._reading: dict[socket.socket, float] = {}
        self._stopped = threading.Event()
        threading.Thread(target=self._run, name="front-deadlines", daemon=True).start()

    def start(self, connection: socket.socket) -> None:
        with self._lock:
            self._reading[connection] = time.monotonic() + self.seconds

    def done(self, connection: socket.socket) -> bool:
        """The request has arrived; False when the deadline cut it first (then nothing more may be written)."""
        with self._lock:
            return self._reading.pop(connection, None) is not None

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        tick = min(0.25, self.seconds / 4)
        while not self._stopped.wait(tick):
            now = time.monotonic()
            with self._lock:
                late = [connection for connection, deadline in self._reading.items() if deadline <= now]
                for connection in late:
                    del self._reading[connection]
            for connection in late:
                with contextlib.suppress(OSError):
                    connection.settimeout(1.0)
                    connection.sendall(TIMED_OUT)
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)  # the handler's blocked read returns at once


TIMED_OUT = canned("408 Request Timeout", "request_timeout", "the request did not arrive within the deadline")


_date: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header of every response: formatted once per second, not once per response."""
    global _date
    second = int(time.time())
    if _date[0] != second:
        _date = (second, email.utils.formatdate(second, usegmt=True))
    return _date[1]


def make_server(
    handler,
    port: int,
    frontend_dir: Path,
    function_name: str = "ApiFunction",
    idle_seconds: float = IDLE_SECONDS,
    request_seconds: float = REQUEST_SECONDS,
    max_connections: int = MAX_CONNECTIONS,
) -> ThreadingHTTPServer:
    # One invocation at a time, like one Lambda container: the resolver keeps per-request state on itself.
    invoke_lock = threading.Lock()
    frontend_root = frontend_dir.resolve()
    deadlines = Deadlines(request_seconds)

    class Front(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # TCP_NODELAY, as API Gateway and any production front set
        server_version = "local-api-gateway"
        timeout = idle_seconds  # socket timeout: idle keep-alive connections and slow heads are dropped
        default_request_version = "HTTP/1.0"  # the stdlib's own 400s then have a status line (HTTP/0.9 has none)
        refused = False
        _pending = _cut = False

        def setup(self) -> None:
            super().setup()
            self.rfile = _HeadBudget(self.rfile)

        def handle_one_request(self) -> None:
            self.rfile.begin(MAX_REQUEST_LINE + 2)
            try:
                # Wait (up to the idle timeout) for the next request's first byte; its deadline runs from there.
                if self.rfile.raw.peek(1):
                    deadlines.start(self.connection)
                    self._pending, self._cut = True, False
                super().handle_one_request()
            except (TimeoutError, ConnectionError):
                self.close_connection = True
            finally:
                self.rfile.end()
                if not self._arrived():
                    self.close_connection = True
            if self.refused and not self._cut:
                self._linger()

        def _arrived(self) -> bool:
            """The request is all in: stop its deadline. False once the deadline has cut it (its 408 is written and
            the socket shut: nothing more may be written or invoked)."""
            if self._pending:
                self._pending = False
                self._cut = not deadlines.done(self.connection)
            return not self._cut

        def send_response(self, code: int, message: str | None = None) -> None:
            if not self._arrived():
                raise ConnectionAbortedError("the request's deadline passed")
            super().send_response(code, message)

        def _linger(self) -> None:
            """Half-close, then read and drop what the client is still sending: closing with unread input would
            reset the connection and the client might never read the refusal."""
            with contextlib.suppress(OSError):
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)
                self.connection.settimeout(1.0)
                drained = 0
                while drained < 8 * 1024 * 1024:
                    chunk = self.connection.recv(65536)
                    if not chunk:
                        break
                    drained += len(chunk)

        def parse_request(self) -> bool:
            if self.rfile.exceeded:
                return self._refuse(HTTPStatus.REQUEST_URI_TOO_LONG, "target_too_long", "the request line is too long")
            if len(self.raw_requestline.split()) == 2:  # "GET /": HTTP/0.9, which has no headers to wait for
                return self._refuse(HTTPStatus.BAD_REQUEST, "bad_request", "HTTP/0.9 is not served")
            self.rfile.begin(MAX_HEAD_BYTES)  # the headers' own budget
            if not super().parse_request():
                return False
            self.rfile.end()  # the body is read by length, not by lines
            if self.rfile.exceeded:
                return self._refuse(
                    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", "the headers exceed 16 KiB"
                )
            if any(ord(char) < 0x20 or ord(char) == 0x7F for char in self.path):
                return self._refuse(HTTPStatus.BAD_REQUEST, "bad_request", "the request target has control characters")
            lengths = self.headers.get_all("Content-Length") or []
            if len(lengths) > 1 or (lengths and self.headers.get("Transfer-Encoding")):
                # two framings of one body: answering either would desync the connection
                return self._refuse(HTTPStatus.BAD_REQUEST, "bad_content_length", "send one Content-Length")
            if lengths and not digits(lengths[0].strip(" \t")):
                return self._refuse(HTTPStatus.BAD_REQUEST, "bad_content_length", "Content-Length must be digits")
            hosts = self.headers.get_all("Host") or []
            if len(hosts) != 1 or not loopback_host(hosts[0]):
                return self._refuse(
                    HTTPStatus.MISDIRECTED_REQUEST,
                    "wrong_host",
                    "this server answers only for the Host 127.0.0.1 or localhost (with any port)",
                )
            return True

        def _refuse(self, status: int, code: str, message: str) -> bool:
            self.close_connection = self.refused = True
            self.command = getattr(self, "command", None) or "GET"
            self.requestline = getattr(self, "requestline", "")
            if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
                self.request_version = "HTTP/1.0"  # so the refusal has a status line and headers
            self._error(status, code, message, close=True)
            return False

        def log_message(self, format: str, *args) -> None:
            return  # access logs off: the handlers log what matters

        def date_time_string(self, timestamp: float | None = None) -> str:
            if timestamp is not None:
                return super().date_time_string(timestamp)
            return _http_date()

        def _send(self, status: int, headers: dict[str, str], body: bytes, close: bool = False) -> None:
            self.send_response(status)
            merged = {**SECURITY_HEADERS, **headers}
            policy = merged["Content-Security-Policy"]
            if "frame-ancestors" not in policy:  # the function's own policy (the API docs page) keeps the frame rule
                merged["Content-Security-Policy"] = f"{policy.rstrip('; ')}; frame-ancestors 'none'"
            for key, value in merged.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            if close:
                self.send_header("Connection", "close")
            # Status line, headers and body in one write: two small writes on a keep-alive connection meet
            # Nagle's algorithm and the client's delayed ACK, and every response waits ~40 ms for nothing.
            self._headers_buffer.append(b"\r\n")
            if self.command != "HEAD":
                self._headers_buffer.append(body)
            self.flush_headers()

        def _error(self, status: int, code: str, message: str, close: bool = False) -> None:
            body = json.dumps({"error": {"code": code, "message": message}}).encode()
            self._send(status, {"Content-Type": "application/json"}, body, close)

        def _read_body(self) -> bytes | None:
            length_header = self.headers.get("Content-Length")
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                self._error(HTTPStatus.LENGTH_REQUIRED, "length_required", "send a Content-Length")
                self.close_connection = True
                return None
            try:
                length = int(length_header or 0)
                if length < 0:
                    raise ValueError
            except ValueError:
                self._error(HTTPStatus.BAD_REQUEST, "bad_content_length", "Content-Length is not a number")
                self.close_connection = True
                return None
            if length > MAX_BODY_BYTES:
                self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body_too_large", "the body exceeds 10 MiB")
                self.close_connection = True
                return None
            data = self.rfile.read(length) if length else b""
            if len(data) != length:  # the client hung up (or its deadline cut it) before the whole body came
                raise ConnectionAbortedError("the body ended early")
            return data

        def _api(self) -> None:
            body = self._read_body()
            if body is None:
                return
            media_type = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
            browser = self.headers.get("Origin") is not None  # browsers send it on every cross-origin POST
            if (
                body
                and self.command in ("POST", "PUT", "PATCH")
                and not _is_json(media_type)
                and (media_type or browser)
            ):
                # a cross-site form, text/plain or untyped Blob POST must not create jobs (JSON needs a CORS
                # preflight, which this front never grants); scripts sending an untyped body still work
                self._error(
                    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the body as JSON with Content-Type: application/json",
                )
                return
            if not self._arrived():
                self.close_connection = True
                return
            headers: dict[str, list[str]] = {}
            for key, value in self.headers.items():
                headers.setdefault(key, []).append(value)
            # HEAD is GET without the body (``_send`` leaves it out); the API's routes are GET routes
            method = "GET" if self.command == "HEAD" else self.command
            event = proxy_event(method, self.path, headers, body, self.client_address[0])
            with invoke_lock:
                try:
                    response = handler(event, LambdaContext(function_name=function_name))
                except Exception as error:  # what API Gateway shows when the function crashes
                    print(f"api handler crashed: {error!r}", file=sys.stderr, flush=True)
                    self._error(HTTPStatus.BAD_GATEWAY, "internal_error", "the API function failed")
                    return
            out_headers = dict(response.get("headers") or {})
            for key, values in (response.get("multiValueHeaders") or {}).items():
                out_headers[key] = ", ".join(values)
            payload = response.get("body") or ""
            if response.get("isBase64Encoded"):
                import base64

                data = base64.b64decode(payload)
            else:
                data = payload.encode()
            self._send(int(response.get("statusCode", 200)), out_headers, data)

        def _static(self) -> None:
            path = unquote(urlsplit(self.path).path)
            relative = "index.html" if path in ("", "/") else path.lstrip("/")
            try:
                target = (frontend_root / relative).resolve()
                found = target.is_relative_to(frontend_root) and published(relative) and target.is_file()
            except (OSError, ValueError):  # a name too long for the file system, a NUL byte
                found = False
            if not found:
                self._error(HTTPStatus.NOT_FOUND, "not_found", "no such file")
                return
            content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type in ("application/json",):
                content_type += "; charset=utf-8"
            self._send(HTTPStatus.OK, {"Content-Type": content_type, "Cache-Control": "no-cache"}, target.read_bytes())

        def _dispatch(self) -> None:
            try:
                if urlsplit(self.path).path.startswith("/api"):
                    self._api()
                elif self.command in ("GET", "HEAD"):
                    self._static()
                else:
                    self._read_body()
                    self._error(HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "static files are read-only")
            except (TimeoutError, ConnectionError):
                self.close_connection = True
            except Exception as error:  # the front must keep serving whatever one request does
                print(f"front: {type(error).__name__} on {self.command} {self.path[:80]!r}", file=sys.stderr)
                self.close_connection = True
                with contextlib.suppress(Exception):
                    self._error(HTTPStatus.BAD_REQUEST, "bad_request", "the request could not be read", close=True)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    class FrontServer(ThreadingHTTPServer):
        request_queue_size = 128  # the listen backlog; the default 5 drops bursts of new connections
        daemon_threads = True
        slots = threading.BoundedSemaphore(max_connections)  # one per open connection (each holds a thread)

        def process_request(self, request, client_address) -> None:
            if not self.slots.acquire(blocking=False):
                with contextlib.suppress(OSError):
                    request.settimeout(1.0)
                    request.sendall(BUSY)
                self.shutdown_request(request)
                return
            try:
                super().process_request(request, client_address)
            except BaseException:
                self.slots.release()
                raise

        def process_request_thread(self, request, client_address) -> None:
            try:
                super().process_request_thread(request, client_address)
            finally:
                self.slots.release()

        def server_close(self) -> None:
            deadlines.stop()
            super().server_close()

    return FrontServer(("127.0.0.1", port), Front)


def main() -> None:
    handler_path, port, frontend_dir = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    from local_stack.quiet import quiet

    quiet()
    handler = load_handler(handler_path)
    server = make_server(handler, port, frontend_dir)
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

"""The local HTTP front: API Gateway REST proxy events for the API function, and the dashboard's files.

Run as a child process by the stack: ``python -m local_stack.api_front HANDLER PORT FRONTEND_DIR``.
Prints ``READY <port>`` once listening.
"""

from __future__ import annotations

import json
import mimetypes
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
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")


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
    request_id = str(uuid.uuid4())
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
            "resourcePath": "/api/{proxy+}",
            "httpMethod": method,
            "path": f"/local{path}",
            "stage": "local",
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", [""])[-1]},
            "accountId": "123456789012",
            "apiId": "local",
            "protocol": "HTTP/1.1",
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


def make_server(handler, port: int, frontend_dir: Path, function_name: str = "ApiFunction") -> ThreadingHTTPServer:
    # One invocation at a time, like one Lambda container: the resolver keeps per-request state on itself.
    invoke_lock = threading.Lock()
    frontend_root = frontend_dir.resolve()

    class Front(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # TCP_NODELAY, as API Gateway and any production front set
        server_version = "local-api-gateway"

        def log_message(self, format: str, *args) -> None:
            return  # access logs off: the handlers log what matters

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in {**SECURITY_HEADERS, **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            # Status line, headers and body in one write: two small writes on a keep-alive connection meet
            # Nagle's algorithm and the client's delayed ACK, and every response waits ~40 ms for nothing.
            self._headers_buffer.append(b"\r\n")
            if self.command != "HEAD":
                self._headers_buffer.append(body)
            self.flush_headers()

        def _error(self, status: int, code: str, message: str) -> None:
            body = json.dumps({"error": {"code": code, "message": message}}).encode()
            self._send(status, {"Content-Type": "application/json"}, body)

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
            return self.rfile.read(length) if length else b""

        def _api(self) -> None:
            body = self._read_body()
            if body is None:
                return
            headers: dict[str, list[str]] = {}
            for key, value in self.headers.items():
                headers.setdefault(key, []).append(value)
            event = proxy_event(self.command, self.path, headers, body, self.client_address[0])
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
            target = (frontend_root / relative).resolve()
            if not target.is_relative_to(frontend_root) or not target.is_file():
                self._error(HTTPStatus.NOT_FOUND, "not_found", f"no file at {path}")
                return
            content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type in ("application/json",):
                content_type += "; charset=utf-8"
            self._send(HTTPStatus.OK, {"Content-Type": content_type, "Cache-Control": "no-cache"}, target.read_bytes())

        def _dispatch(self) -> None:
            if urlsplit(self.path).path.startswith("/api"):
                self._api()
            elif self.command in ("GET", "HEAD"):
                self._static()
            else:
                self._read_body()
                self._error(HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "static files are read-only")

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    class FrontServer(ThreadingHTTPServer):
        request_queue_size = 128  # the listen backlog; the default 5 drops bursts of new connections

    server = FrontServer(("127.0.0.1", port), Front)
    server.daemon_threads = True
    return server


def main() -> None:
    handler_path, port, frontend_dir = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
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

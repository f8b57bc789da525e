"""The local AWS endpoint, locked down: moto's server app behind a per-run secret, loopback only, no CORS.

moto answers anything, from anyone, with CORS for every origin. Here every request must carry the run's secret, either
as the first path segment (``AWS_ENDPOINT_URL=http://127.0.0.1:PORT/<secret>``: boto3 keeps an endpoint's path, so the
stack's processes need nothing but that environment variable) or in the ``X-Local-Aws-Secret`` header. The one
exception is an S3 presigned URL (import uploads), accepted when its SigV4 query signature verifies with the run's
secret access key, and only for what such a URL is for: one ``PUT`` of an object under ``imports/`` of the uploads
bucket, with a ``Content-Length`` of digits at most the import size limit, once (a used signature is refused), so
the signing key opens no other route of the endpoint. CORS preflights are refused and moto's CORS headers are
dropped: the dashboard never calls AWS. Connections idle for ``SOCKET_TIMEOUT_SECONDS`` are closed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

SECRET_HEADER = "X-Local-Aws-Secret"  # noqa: S105 - a header name
_HEADER_KEY = "HTTP_" + SECRET_HEADER.upper().replace("-", "_")
UPLOAD_PREFIX = "imports/"
SOCKET_TIMEOUT_SECONDS = 30.0  # a connection that sends nothing for this long is closed (no thread held forever)


def new_secret() -> str:
    return secrets.token_hex(16)  # hex: safe as a path segment and in a header


def endpoint_with_secret(endpoint: str, secret: str) -> str:
    return f"{endpoint.rstrip('/')}/{secret}"


class Guard:
    """WSGI middleware in front of moto's ``DomainDispatcherApplication``."""

    def __init__(
        self,
        app,
        secret: str,
        secret_access_key: str | None = None,
        *,
        upload_bucket: str | None = None,
        max_upload_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.secret = secret
        self.prefix = f"/{secret}"
        self.secret_access_key = secret_access_key
        self.upload_bucket = upload_bucket  # None: any bucket (set once the template's names are known)
        self.max_upload_bytes = max_upload_bytes
        self._used: dict[str, float] = {}  # signature -> when it expires (then it is forgotten)
        self._used_lock = threading.Lock()

    def __call__(self, environ: dict, start_response):
        if environ.get("HTTP_ORIGIN") or environ.get("REQUEST_METHOD") == "OPTIONS":
            # No browser page may talk to local AWS: no preflight grant, no CORS header.
            return _deny(start_response, "403 Forbidden", "cross-origin requests are not served")
        path = environ.get("PATH_INFO", "")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            environ["PATH_INFO"] = path[len(self.prefix) :] or "/"
            raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
            if raw and raw.startswith(self.prefix):
                environ["RAW_URI"] = environ["REQUEST_URI"] = raw[len(self.prefix) :] or "/"
        elif hmac.compare_digest(environ.get(_HEADER_KEY, ""), self.secret):
            pass
        elif not self._presigned_ok(environ):
            return _deny(start_response, "403 Forbidden", "this endpoint serves the local stack's own processes only")
        elif (refused := self._upload_refusal(environ)) is not None:
            return _deny(start_response, *refused)

        def start_without_cors(status, headers, exc_info=None):
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            return start_response(status, kept, exc_info)

        return self.app(environ, start_without_cors)

    def _upload_refusal(self, environ: dict) -> tuple[str, str] | None:
        """Why a validly signed presigned request is still refused, or None: it must be one import upload."""
        path = environ.get("PATH_INFO", "")
        bucket, _, key = path.lstrip("/").partition("/")
        if environ.get("REQUEST_METHOD") != "PUT" or not key.startswith(UPLOAD_PREFIX) or key == UPLOAD_PREFIX:
            return "403 Forbidden", "a presigned URL is only good for an import upload"
        if self.upload_bucket is not None and bucket != self.upload_bucket:
            return "403 Forbidden", "a presigned URL is only good for an import upload"
        length = environ.get("CONTENT_LENGTH", "")
        if not length.isascii() or not length.isdigit():
            return "411 Length Required", "an upload needs a Content-Length of digits"
        if self.max_upload_bytes is not None and int(length) > self.max_upload_bytes:
            return "413 Content Too Large", f"the upload is {int(length)} bytes; the limit is {self.max_upload_bytes}"
        signature = dict(parse_qsl(environ.get("QUERY_STRING", ""))).get("X-Amz-Signature", "")
        now = time.time()
        with self._used_lock:
            for old, until in list(self._used.items()):
                if until < now:
                    del self._used[old]
            if signature in self._used:
                return "403 Forbidden", "this upload URL was used already; create a new import"
            self._used[signature] = now + 7 * 86400  # longer than any presigned URL lives
        return None

    def _presigned_ok(self, environ: dict) -> bool:
        """A SigV4 presigned URL signed with the run's secret access key, not expired."""
        if not self.secret_access_key:
            return False
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        params = dict(query)
        if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or "X-Amz-Signature" not in params:
            return False
        try:
            signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            if time.time() > signed_at.timestamp() + int(params["X-Amz-Expires"]):
                return False
            _key_id, scope = params["X-Amz-Credential"].split("/", 1)
            day, region, service, _terminator = scope.split("/")
            signed_headers = params["X-Amz-SignedHeaders"].split(";")
        except (KeyError, ValueError):
            return False
        canonical_query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(query) if k != "X-Amz-Signature")
        headers = []
        for name in signed_headers:
            value = environ.get("HTTP_HOST", "") if name == "host" else _header(environ, name)
            headers.append(f"{name}:{' '.join(value.split())}\n")
        raw_path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or "").split("?", 1)[0]
        path = raw_path or quote(environ.get("PATH_INFO", "/"), safe="/~")
        canonical = "\n".join(
            [
                environ.get("REQUEST_METHOD", ""),
                path,
                canonical_query,
                "".join(headers),
                ";".join(signed_headers),
                "UNSIGNED-PAYLOAD",
            ]
        )
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        key = ("AWS4" + self.secret_access_key).encode()
        for part in (day, region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, params["X-Amz-Signature"])


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def _header(environ: dict, name: str) -> str:
    if name == "content-type":
        return environ.get("CONTENT_TYPE", "")
    if name == "content-length":
        return environ.get("CONTENT_LENGTH", "")
    return environ.get("HTTP_" + name.upper().replace("-", "_"), "")


def _deny(start_response, status: str, message: str):
    body = f'{{"error": "{message}"}}'.encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def moto_app():
    """moto's whole server app (every service), without its global CORS."""
    import moto.settings

    moto.settings.DISABLE_GLOBAL_CORS = True  # read when moto's server app module is first imported
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


def serve(app, port: int):
    """A threaded werkzeug server on 127.0.0.1 (started with ``serve_forever`` by the caller)."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        timeout = SOCKET_TIMEOUT_SECONDS  # socketserver applies it to every read of the connection

        def log_request(self, *_args, **_kwargs) -> None:
            return

    return make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietHandler)

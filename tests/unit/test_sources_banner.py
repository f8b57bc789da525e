"""``make run``'s banner shows the report of GET /api/sources, read from the running stack (a loopback server here)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from local_stack.embedded import sources_summary

BODY = {
    "day": "2026-12-07",
    "generated_at": "2026-12-07T12:00:00Z",
    "sources": [
        {"provider": "gdelt", "channel": "news", "configured": True, "enabled_by": None, "covers": "news",
         "status": "rate_limited",
         "last_failure": {"at": "2026-12-07T11:59:00Z", "code": "rate_limited",
                          "reason": "rate_limited: the provider is rate limiting us (HTTP 429)"}},
        {"provider": "x", "channel": "social", "configured": False, "enabled_by": ["X_BEARER_TOKEN"],
         "covers": "search_sample", "status": "not_configured", "last_failure": None},
    ],
}  # fmt: skip


def serve(status: int, body: bytes):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(status if self.path == "/api/sources" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_banner_lists_every_source_with_its_state_and_public_reason():
    server = serve(200, json.dumps(BODY).encode())
    try:
        text = sources_summary(f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
    lines = text.splitlines()
    assert lines[0] == "  source health (GET /api/sources, 2026-12-07 UTC):"
    gdelt, x = lines[1], lines[2]
    assert gdelt.split()[:5] == ["gdelt", "news", "on", "news", "rate_limited"]
    assert "(rate_limited: the provider is rate limiting us (HTTP 429))" in gdelt and gdelt.endswith("[keyless]")
    assert x.split()[:5] == ["x", "social", "off", "search_sample", "not_configured"]
    assert x.endswith("[X_BEARER_TOKEN]")


def test_an_unreachable_route_does_not_stop_the_banner():
    server = serve(500, b"oops")
    try:
        text = sources_summary(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
    assert text.startswith("  source health: unavailable (")

"""A loopback HTTP receiver for delivery tests: answers each POST from a script (status, headers, delay) and
records what it received (method, path, headers, body), as a webhook, Slack or any endpoint would see it."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0  # wait this long before answering (a hanging receiver)
    body: bytes = b"ok"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class Receiver:
    """``with Receiver([Answer(500), Answer(200)]) as r: r.url`` - answers in order, the last one from then on."""

    def __init__(self, answers: list[Answer] | None = None) -> None:
        self.answers = list(answers or [Answer()])
        self.received: list[Received] = []
        self.attempts = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with outer._lock:
                    index = min(outer.attempts, len(outer.answers) - 1)
                    outer.attempts += 1
                    answer = outer.answers[index]
                if answer.hang_seconds:
                    time.sleep(answer.hang_seconds)
                if 200 <= answer.status < 300:
                    with outer._lock:
                        outer.received.append(Received(self.path, dict(self.headers.items()), body))
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client stopped reading (the 64 KB cap)
                    self.wfile.write(answer.body)

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()

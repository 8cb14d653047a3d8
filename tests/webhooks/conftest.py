"""A real HTTP receiver on 127.0.0.1 (allow-listed in the tests that use it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    port: int
    requests: list[Received] = field(default_factory=list)
    # path -> (status, headers, body); unknown paths answer 200 "ok".
    answers: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)  # path -> seconds before answering

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    state = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            state.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            time.sleep(state.delays.get(self.path, 0))
            status, headers, content = state.answers.get(self.path, (200, {}, b"ok"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()

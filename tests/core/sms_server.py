"""A local HTTP server standing in for an SMS provider's API (the real ones cannot be
reached from here): it records each request and answers with the JSON it is given."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        """Query and form parameters, one value each."""
        values = {**self.query, **parse_qs(self.body.decode())}
        return {k: v[0] for k, v in values.items()}


@dataclass
class FakeProvider:
    status: int = 200
    reply: dict = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""
    delay: float = 0.0  # seconds before each answer: a slow gateway
    # Answers ``failure`` to the first ``failures`` requests (a provider hiccup).
    failures: int = 0
    failure: dict = field(default_factory=dict)


def serve(provider: FakeProvider):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            provider.requests.append(
                Recorded(
                    method="POST",
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
            )
            if provider.delay:
                time.sleep(provider.delay)
            failing = len(provider.requests) <= provider.failures
            body = json.dumps(provider.failure if failing else provider.reply).encode()
            self.send_response(provider.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server

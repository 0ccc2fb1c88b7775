"""The urllib3 session Ultravox's client sends by, against real sockets on this machine."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from ceilingwatch.adapters.transport import (
    BadUrlError,
    TransportError,
    TransportTimeoutError,
    Urllib3Session,
)

KEY = "uvx-transport-key-0001"
HEADERS = {"X-API-Key": KEY, "Accept": "application/json"}


class Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        self.seen.append({"method": self.command, "path": self.path, "body": body, **self.headers})
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    do_GET = do_POST = _answer


@pytest.fixture
def server() -> Iterator[str]:
    Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_get_sends_its_query_and_headers_and_streams_the_body(server: str) -> None:
    with Urllib3Session().get(
        server + "/api/x", params={"start": "2026-11-24T13:35:00Z"}, headers=HEADERS, timeout=(1, 1)
    ) as answer:
        assert answer.ok and answer.status_code == 200
        assert json.loads(b"".join(answer.iter_content(4))) == {"ok": True}
    (seen,) = Recorder.seen
    assert seen["path"] == "/api/x?start=2026-11-24T13%3A35%3A00Z"
    assert seen["X-API-Key"] == KEY


def test_a_post_sends_json(server: str) -> None:
    Urllib3Session().post(server + "/hooks", json={"a": 1}, headers=HEADERS, timeout=(1, 1))
    (seen,) = Recorder.seen
    assert json.loads(seen["body"]) == {"a": 1} and seen["Content-Type"] == "application/json"


def test_a_redirect_is_not_followed_so_the_key_goes_nowhere_else(server: str) -> None:
    answer = Urllib3Session().get(server + "/moved", headers=HEADERS, timeout=(1, 1))
    assert answer.status_code == 302 and len(Recorder.seen) == 1


def test_a_refused_connection_is_no_timeout() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(TransportError) as caught:
        Urllib3Session().get(f"http://127.0.0.1:{port}/", headers=HEADERS, timeout=(1, 1))
    assert type(caught.value) is TransportError and "Connection refused" in str(caught.value)


def test_a_server_that_never_answers_times_out_on_the_read_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with pytest.raises(TransportTimeoutError):
            Urllib3Session().get(
                f"http://127.0.0.1:{silent.getsockname()[1]}/", headers=HEADERS, timeout=(1, 0.3)
            )


@pytest.mark.parametrize(
    ("url", "why"),
    [("api.ultravox.ai", "is not a URL"), ("http://", "no host"), ("ftp://uv.test", "http://")],
)
def test_what_cannot_be_sent_says_why(url: str, why: str) -> None:
    with pytest.raises(BadUrlError, match=why):
        Urllib3Session().get(url, headers=HEADERS, timeout=(1, 1))

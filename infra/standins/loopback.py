"""What the local stand-ins share: a quiet loopback HTTP server, `with`, recording and faults."""

from __future__ import annotations

import contextlib
import json
import math
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (timeouts, our own resets) are part of the game, not a traceback.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def serve_in_background(server: ThreadingHTTPServer) -> None:
    # A short poll interval keeps stop() quick: test fixtures start a server per test.
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()


def refused_url(path: str = "/") -> str:
    """A loopback URL whose port nobody listens on: the client gets "connection refused"."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port was just free and the kernel hands out ephemeral ports in turn: nobody takes it.
    return f"http://127.0.0.1:{port}{path}"


class LoopbackService:
    """A stand-in that starts and stops, usable as `with Service() as service:`."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ServerService(LoopbackService):
    """A LoopbackService around one threaded HTTP server that `make_server` builds."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._stopping = threading.Event()  # set by stop(): wakes delayed and hung answers
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    def make_server(self, address: tuple[str, int]) -> ThreadingHTTPServer:
        raise NotImplementedError

    def start(self) -> Self:
        self._stopping.clear()
        self._server = self.make_server(self._address)
        # A restart comes back on the same port, as a service that was down comes back.
        self._address = (self._address[0], self._server.server_port)
        self.base_url = f"http://{self._address[0]}:{self._server.server_port}"
        serve_in_background(self._server)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._stopping.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def serve_until_interrupted(service: LoopbackService, describe: Callable[[], str]) -> None:
    """For a stand-in's own command line: run it, say where it is (once up), stop on Ctrl-C."""
    with service:
        print(f"{describe()}; Ctrl-C stops", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


@dataclass(frozen=True)
class Verdict:
    """What the real service would answer a request, before any scripted fault."""

    status: int
    body: str = ""
    content_type: str = "application/json"


@dataclass(frozen=True)
class Delivery:
    """One POST as the service would have seen it, and what it was answered (None: nothing)."""

    path: str
    payload: Any  # the parsed JSON, or None when the body was not JSON
    status: int | None
    response: str
    received_at: datetime

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class _Scripted:
    status: int
    retry_after: str | None
    body: str | None
    delay: float  # math.inf: never answers


class _Server(QuietServer):
    def __init__(self, address: tuple[str, int], standin: RecordingStandin) -> None:
        self.standin = standin
        super().__init__(address, StandinHandler)


class StandinHandler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server: _Server

    def version_string(self) -> str:
        return self.server.standin.server_name

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.standin.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        listing = self.server.standin.listings().get(self.path.split("?")[0])
        if listing is None:
            self.send(self.server.standin.not_found())
            return
        self.send(Verdict(200, json.dumps(listing())))

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.server.standin.serves(self.path):
            self.send(self.server.standin.not_found())  # what a mistyped URL gets
            return
        self.server.standin._receive(self, raw)

    def send(self, verdict: Verdict, headers: Mapping[str, str] | None = None) -> None:
        data = verdict.body.encode()
        self.send_response(verdict.status)
        self.send_header("Content-Type", verdict.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class RecordingStandin(ServerService):
    """A webhook-like service on loopback: judges each POST as the real one would, records it,
    and plays scripted faults (an error status, Retry-After, a slow answer, no answer at all).

    Subclasses say what the service accepts (`judge`) and how it words its errors.
    """

    server_name: ClassVar[str] = "standin"
    delivery_type: ClassVar[type[Delivery]] = Delivery

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False) -> None:
        super().__init__(host, port)
        self.verbose = verbose
        self._lock = threading.Lock()
        self._deliveries: list[Delivery] = []
        self._script: list[_Scripted] = []

    def make_server(self, address: tuple[str, int]) -> ThreadingHTTPServer:
        return _Server(address, self)

    # what a subclass says about its service

    def judge(self, path: str, raw: bytes, payload: Any) -> Verdict:
        raise NotImplementedError

    def judge_request(
        self, path: str, raw: bytes, payload: Any, headers: Mapping[str, str]
    ) -> Verdict:
        """`judge`, for a service that also reads the request's headers (a signature, a key)."""
        return self.judge(path, raw, payload)

    def error_body(self, status: int) -> Verdict:
        """The service's own answer for a scripted error status."""
        return Verdict(status, json.dumps({"error": f"HTTP {status}"}))

    def serves(self, path: str) -> bool:
        """Whether a POST to this path reaches the service (else: not found, not recorded)."""
        return True

    def not_found(self) -> Verdict:
        return Verdict(404, json.dumps({"error": "not found"}))

    def listings(self) -> dict[str, Callable[[], Any]]:
        """GET paths that list what the stand-in took, for a person poking at it with curl."""
        return {}

    def accepted(self, delivery: Delivery, verdict: Verdict) -> None:
        """Called once for each request the service took (2xx), before it answers."""

    # controls

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    @property
    def attempts(self) -> int:
        with self._lock:
            return len(self._deliveries)

    @property
    def payloads(self) -> list[Any]:
        """The payloads the service took, in order."""
        return [d.payload for d in self.deliveries if d.accepted]

    def respond_with(
        self,
        status: int,
        times: int = 1,
        retry_after: str | None = None,
        body: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` POSTs like this. A 2xx still validates: it only adds delay."""
        with self._lock:
            self._script.extend([_Scripted(status, retry_after, body, delay)] * times)

    def hang(self, times: int = 1) -> None:
        """Take the next `times` requests and never answer them (until the stand-in stops).

        A hung request is recorded as an attempt, never as taken: nothing was processed.
        """
        with self._lock:
            self._script.extend([_Scripted(0, None, None, math.inf)] * times)

    def heal(self) -> None:
        """Answer as the service does again: scripted faults dropped, up again if stopped.

        Requests already hung stay hung until stop(): a service that recovers does not answer
        what it dropped."""
        with self._lock:
            self._script.clear()
        if self._server is None:
            self.start()

    def clear(self) -> None:
        """Forget deliveries and scripted answers."""
        with self._lock:
            self._deliveries.clear()
            self._script.clear()

    def _receive(self, handler: StandinHandler, raw: bytes) -> None:
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        with self._lock:
            scripted = self._script.pop(0) if self._script else None
        if scripted is not None and scripted.delay == math.inf:
            self._record(self.delivery_type(handler.path, payload, None, "", datetime.now(UTC)))
            self._stopping.wait()
            return
        verdict = self.judge_request(handler.path, raw, payload, handler.headers)
        headers: dict[str, str] = {}
        if scripted is not None and not 200 <= scripted.status < 300:
            verdict = self.error_body(scripted.status)
            if scripted.body is not None:
                verdict = Verdict(scripted.status, scripted.body, verdict.content_type)
            if scripted.retry_after is not None:
                headers["Retry-After"] = scripted.retry_after
        delivery = self.delivery_type(
            handler.path, payload, verdict.status, verdict.body, datetime.now(UTC)
        )
        # Recorded before any delay: the service acts on it even if the client stops waiting.
        self._record(delivery)
        if delivery.accepted:
            self.accepted(delivery, verdict)
        if scripted is not None and scripted.delay:
            self._stopping.wait(scripted.delay)
        with contextlib.suppress(OSError):
            handler.send(verdict, headers)

    def _record(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)

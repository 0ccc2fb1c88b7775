"""The simulator's HTTP side: a threaded loopback server, its handler, what it records."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from infra.simulator.clock import BUCKETS, floor_to, parse_time
from infra.simulator.faults import Fault
from infra.standins.loopback import QuietServer

MAX_REQUEST_BYTES = 64 * 1024
DEFAULT_RANGE = timedelta(hours=24)
# The real API's largest range is undocumented; a cap keeps a runaway client from hanging the sim.
MAX_BUCKETS = 10_000

if TYPE_CHECKING:
    from infra.simulator.ultravox import UltravoxSimulator


@dataclass(frozen=True)
class RecordedRequest:
    """What the simulator saw; the key itself is never kept."""

    method: str
    path: str
    query: dict[str, str]
    api_key_present: bool
    api_key_valid: bool
    received_at: datetime  # wall clock, UTC
    simulated_at: datetime  # the simulator's clock


class QueryError(ValueError):
    """A query the real API would refuse with 400."""


def detail(message: str) -> bytes:
    return json.dumps({"detail": message}).encode()


class Server(QuietServer):
    def __init__(self, address: tuple[str, int], simulator: UltravoxSimulator) -> None:
        self.simulator = simulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server_version = "ultravox-sim"
    server: Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.simulator.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self.server.simulator._handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def refuse_method(self, allow: str = "GET") -> None:
        self.close_connection = True  # the body, if any, is left unread
        message = f'Method "{self.command}" not allowed.'
        self.send(HTTPStatus.METHOD_NOT_ALLOWED, detail(message), headers={"Allow": allow})

    def json_body(self) -> Any:
        """The request's JSON body (None when it has none or it is not JSON), read in full."""
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_REQUEST_BYTES:
            self.close_connection = length > 0  # left unread: the connection cannot go on
            return None
        try:
            return json.loads(self.rfile.read(length))
        except ValueError:
            return None

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_chunked(self, head: bytes, size: int, tail: bytes) -> None:
        """`size` bytes of padding between head and tail, with no Content-Length ahead."""
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pad = b" " * (256 * 1024)
        with contextlib.suppress(OSError):  # a client that stops reading hangs up mid-way
            self._chunk(head)
            for sent in range(0, size, len(pad)):
                self._chunk(pad[: size - sent])
            self._chunk(tail)
            self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def reset(self) -> None:
        # SO_LINGER 0 turns close() into a TCP RST: the client sees "connection reset by peer".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


def content_type_of(body: str) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "text/plain; charset=utf-8"
    return "application/json"


def parse_query(query: Mapping[str, str], now: datetime) -> tuple[str, datetime, datetime]:
    """The window actually served: [start, min(end, now)), since the future has no data."""
    bucket = query.get("bucket", "minute")
    if bucket not in BUCKETS:
        raise QueryError(f'"{bucket}" is not a valid choice for bucket.')
    try:
        end = parse_time(query["end"]) if "end" in query else now
        start = parse_time(query["start"]) if "start" in query else end - DEFAULT_RANGE
    except ValueError as error:
        raise QueryError(f"Datetime has wrong format: {error}.") from None
    if start > end:
        raise QueryError("start must be before end.")
    if (end - floor_to(start, BUCKETS[bucket])) / BUCKETS[bucket] > MAX_BUCKETS:
        raise QueryError(f"Time range too large: at most {MAX_BUCKETS} buckets.")
    return bucket, start, min(end, now)


def misbehave(handler: Handler, fault: Fault, key: str, stopping: threading.Event) -> bool:
    """Play a transport or status fault; False when the normal answer should follow."""
    match fault.kind:
        case "delay":
            stopping.wait(fault.seconds)
            return False
        case "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            body = fault.body
            if body is None:
                phrase = HTTPStatus(fault.status).phrase if fault.status in HTTPStatus else ""
                handler.send(fault.status, detail(phrase or "Error."), headers=headers)
            else:
                handler.send(fault.status, body.encode(), content_type_of(body), headers)
        case "reset":
            handler.reset()
        case "truncated":
            handler.close_connection = True
            partial = b'{"timeSeries": [{"timestamp": "'
            handler.send(HTTPStatus.OK, partial, length=len(partial) + 4096)
        case "html":
            page = b"<!DOCTYPE html><html><body><h1>Please sign in</h1></body></html>"
            handler.send(HTTPStatus.OK, page, "text/html; charset=utf-8")
        case "non_json":
            handler.send(HTTPStatus.OK, b"OK", "text/plain; charset=utf-8")
        case "oversized":
            handler.send_chunked(b'{"timeSeries": [', fault.size, b"]}")
        case "echo_key":
            # A badly behaved proxy or gateway that reflects the request into its answer.
            body = f"upstream refused the request with X-API-Key: {key} (try again)"
            echo = {"X-Echo-Api-Key": key}
            handler.send(fault.status, body.encode(), f"text/x-echo-{key}", echo)
    return True

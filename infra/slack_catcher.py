"""A loopback stand-in for a Slack incoming webhook that validates and records what it is sent."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Self

from infra.loopback import LoopbackService, QuietServer, serve_in_background

DEFAULT_WEBHOOK_PATH = "/services/T0CEILING/B0WATCH/localcatcher"
MESSAGES_PATH = "/_catcher/messages"

# Slack's own answer bodies for a webhook, by status.
SLACK_BODIES = {
    200: "ok",
    400: "invalid_payload",
    403: "action_prohibited",
    404: "no_service",
    410: "channel_is_archived",
    429: "rate_limited",
    500: "internal_error",
}
# Block kinds Slack accepts in a message.
BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
    }
)

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BLOCK_ID = 255


@dataclass(frozen=True)
class Delivery:
    """One POST as Slack would have seen it, and what it was answered."""

    path: str
    payload: Any  # the parsed JSON, or None when the body was not JSON
    status: int
    response: str
    blocks_without_text: bool  # phones and notifications show only `text`
    received_at: datetime


@dataclass(frozen=True)
class _Scripted:
    status: int
    retry_after: str | None
    body: str | None
    delay: float


def _text_problem(obj: Any, where: str, limit: int, plain_only: bool = False) -> str | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return f"{where} must be a text object"
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in kinds:
        return f"{where} type must be one of {kinds}"
    if not 1 <= len(obj["text"]) <= limit:
        return f"{where} must be 1 to {limit} characters"
    return None


def _block_problem(block: Any, index: int) -> str | None:
    """Why Slack would refuse this block, or None."""
    where = f"blocks[{index}]"
    if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
        return f"{where}: unknown block type"
    if len(str(block.get("block_id", ""))) > MAX_BLOCK_ID:
        return f"{where}: block_id too long"
    match block["type"]:
        case "header":
            return _text_problem(block.get("text"), f"{where}.text", MAX_HEADER_TEXT, True)
        case "section":
            if "text" not in block and "fields" not in block:
                return f"{where}: a section needs text or fields"
            if "text" in block:
                return _text_problem(block["text"], f"{where}.text", MAX_SECTION_TEXT)
            fields = block["fields"]
            if not isinstance(fields, list) or not 1 <= len(fields) <= MAX_SECTION_FIELDS:
                return f"{where}.fields must hold 1 to {MAX_SECTION_FIELDS} items"
            problems = (_text_problem(f, f"{where}.fields", MAX_FIELD_TEXT) for f in fields)
            return next((p for p in problems if p), None)
        case "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
                return f"{where}.elements must hold 1 to {MAX_CONTEXT_ELEMENTS} items"
    return None


def block_problems(payload: Any) -> list[str]:
    """Every reason Slack would refuse the blocks of a payload (readable in test failures)."""
    blocks = payload.get("blocks") if isinstance(payload, dict) else None
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    found = [p for i, b in enumerate(blocks) if (p := _block_problem(b, i))]
    return found + ([f"more than {MAX_BLOCKS} blocks"] if len(blocks) > MAX_BLOCKS else [])


def judge(payload: Any) -> tuple[int, str]:
    """Slack's verdict on a parsed webhook body: (status, body)."""
    if not isinstance(payload, dict):
        return 400, "invalid_payload"
    text = payload.get("text")
    if not (text or payload.get("blocks")) or not isinstance(text, str | None):
        return 400, "invalid_payload"
    if block_problems(payload):
        return 400, "invalid_blocks"
    return 200, "ok"


class _Server(QuietServer):
    def __init__(self, address: tuple[str, int], catcher: SlackCatcher) -> None:
        self.catcher = catcher
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server_version = "slack-catcher"
    server: _Server

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.catcher.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        if self.path.split("?")[0] != MESSAGES_PATH:
            self.send(404, "no_service")
            return
        self.send(200, json.dumps(self.server.catcher.messages), "application/json")

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.path.startswith("/services/"):
            self.send(404, "no_service")  # what a mistyped webhook URL gets
            return
        self.server.catcher._receive(self, raw)

    def send(
        self,
        status: int,
        body: str,
        content_type: str = "text/html",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)  # Slack answers text/html
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class SlackCatcher(LoopbackService):
    """Records webhook posts, refuses what Slack would refuse, and plays scripted failures."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False) -> None:
        self.verbose = verbose
        self._address = (host, port)
        self._lock = threading.Lock()
        self._deliveries: list[Delivery] = []
        self._script: list[_Scripted] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self.base_url = ""

    def start(self) -> Self:
        self._stopping.clear()
        self._server = _Server(self._address, self)
        self.base_url = f"http://{self._address[0]}:{self._server.server_port}"
        serve_in_background(self._server)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._stopping.set()  # wakes any delayed answer
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def webhook_url(self, path: str = DEFAULT_WEBHOOK_PATH) -> str:
        return f"{self.base_url}{path}"

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    @property
    def messages(self) -> list[Any]:
        """The payloads Slack accepted, in order."""
        return [d.payload for d in self.deliveries if d.status == 200]

    @property
    def attempts(self) -> int:
        with self._lock:
            return len(self._deliveries)

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

    def clear(self) -> None:
        """Forget deliveries and scripted answers."""
        with self._lock:
            self._deliveries.clear()
            self._script.clear()

    def _receive(self, handler: _Handler, raw: bytes) -> None:
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        status, body = judge(payload)
        text = payload.get("text") if isinstance(payload, dict) else None
        with self._lock:
            scripted = self._script.pop(0) if self._script else None
        headers: dict[str, str] = {}
        if scripted is not None and not 200 <= scripted.status < 300:
            status = scripted.status
            body = SLACK_BODIES.get(status, "error") if scripted.body is None else scripted.body
            if scripted.retry_after is not None:
                headers["Retry-After"] = scripted.retry_after
        blocks_only = isinstance(payload, dict) and bool(payload.get("blocks")) and not text
        delivery = Delivery(handler.path, payload, status, body, blocks_only, datetime.now(UTC))
        # Recorded before any delay: Slack posts the message even if the client stops waiting.
        with self._lock:
            self._deliveries.append(delivery)
        if scripted is not None and scripted.delay:
            self._stopping.wait(scripted.delay)
        with contextlib.suppress(OSError):
            handler.send(status, body, headers=headers)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args(argv)
    with SlackCatcher(args.host, args.port, verbose=True) as catcher:
        print(f"webhook {catcher.webhook_url()}; Ctrl-C stops", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()

"""A loopback stand-in for Slack's Web API (chat.postMessage, chat.update) and its button clicks."""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import urlencode

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from infra.standins.loopback import LoopbackService, QuietServer, serve_in_background
from infra.standins.slack_catcher import MAX_BLOCKS, block_problems

DEFAULT_CHANNEL = "C0CEILING1"
TEXT_LIMIT = 40_000  # Slack truncates longer text; we refuse it so a test sees it


@dataclass
class Posted:
    """One message as the channel shows it, with every version chat.update gave it."""

    ts: str
    channel: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str = ""
    reply_broadcast: bool = False
    versions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def header(self) -> str:
        heads = [b["text"]["text"] for b in self.blocks if b.get("type") == "header"]
        return heads[0] if heads else self.text

    def buttons(self) -> dict[str, str]:
        """action_id -> value of the message's buttons."""
        return {
            element["action_id"]: element.get("value", "")
            for block in self.blocks
            if block.get("type") == "actions"
            for element in block.get("elements", [])
        }

    def context_lines(self) -> list[str]:
        return [
            element.get("text", "")
            for block in self.blocks
            if block.get("type") == "context"
            for element in block.get("elements", [])
        ]


@dataclass(frozen=True)
class _Scripted:
    method: str
    error: str
    retry_after: str | None


def slack_problems(payload: Mapping[str, Any]) -> list[str]:
    """Why Slack would refuse a message: its documented limits, and slack_sdk's block models."""
    problems = block_problems(dict(payload))
    text = payload.get("text")
    if not isinstance(text, str) or not text:
        problems.append("text is missing: phones and notifications show only text")
    elif len(text) > TEXT_LIMIT:
        problems.append(f"text is over {TEXT_LIMIT} characters")
    blocks = payload.get("blocks") or []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"more than {MAX_BLOCKS} blocks")
    for index, raw in enumerate(blocks):
        block = Block.parse(raw) if isinstance(raw, dict) else None
        if block is None:
            problems.append(f"blocks[{index}]: slack_sdk knows no such block")
            continue
        try:
            block.validate_json()
        except SlackObjectFormationError as error:
            problems.append(f"blocks[{index}]: {error}")
    return problems


def signature(secret: str, timestamp: str, body: str) -> str:
    """What Slack sends in X-Slack-Signature: v0, HMAC-SHA256 of v0:{timestamp}:{body}."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def click_event(
    payload: Mapping[str, Any], secret: str, *, timestamp: float | None = None, base64_body: bool
) -> dict[str, Any]:
    """A click as a Lambda Function URL delivers it (payload 2.0), signed as Slack signs it."""
    body = urlencode({"payload": json.dumps(payload)})
    stamp = str(int(time.time() if timestamp is None else timestamp))
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "headers": {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": signature(secret, stamp, body),
            "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        },
        "requestContext": {"http": {"method": "POST", "path": "/"}},
        "body": base64.b64encode(body.encode()).decode() if base64_body else body,
        "isBase64Encoded": base64_body,
    }


class _Server(QuietServer):
    def __init__(self, address: tuple[str, int], slack: SlackWebApiStandIn) -> None:
        self.slack = slack
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.slack.verbose:
            super().log_message(format, *args)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        method = self.path.removeprefix("/api/")
        status, answer, headers = self.server.slack.answer(
            method, self.headers.get("Authorization", ""), raw
        )
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(data)


class SlackWebApiStandIn(LoopbackService):
    """Answers as Slack's Web API does (HTTP 200 with `ok`), records messages and threads."""

    def __init__(
        self,
        token: str,
        signing_secret: str,
        channels: Sequence[str] = (DEFAULT_CHANNEL,),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
    ) -> None:
        self.token = token
        self.signing_secret = signing_secret
        self.channels = set(channels)
        self.verbose = verbose
        self._address = (host, port)
        self._lock = threading.Lock()
        self._messages: dict[str, Posted] = {}
        self._script: list[_Scripted] = []
        self._clock = itertools.count(1)
        self.calls: list[tuple[str, str]] = []  # (method, the error it answered or "ok")
        self.refused: list[str] = []  # why payloads were refused, for test failures
        self._server: _Server | None = None
        self.base_url = ""

    def start(self) -> Self:
        self._server = _Server(self._address, self)
        self.base_url = f"http://{self._address[0]}:{self._server.server_port}/api/"
        serve_in_background(self._server)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_next(
        self, method: str, error: str, times: int = 1, retry_after: str | None = None
    ) -> None:
        """Answer the next `times` calls of `method` with Slack's error (ratelimited: HTTP 429)."""
        with self._lock:
            self._script.extend([_Scripted(method, error, retry_after)] * times)

    def delete(self, ts: str) -> None:
        """Someone deleted a message in Slack."""
        with self._lock:
            self._messages.pop(ts, None)

    @property
    def messages(self) -> list[Posted]:
        with self._lock:
            return list(self._messages.values())

    def roots(self) -> list[Posted]:
        return [m for m in self.messages if not m.thread_ts]

    def thread(self, ts: str) -> list[Posted]:
        return [m for m in self.messages if m.thread_ts == ts]

    def message(self, ts: str) -> Posted:
        with self._lock:
            return self._messages[ts]

    def click(
        self,
        ts: str,
        action: str,
        *,
        user: str = "U0MARIA",
        name: str = "maria",
        secret: str | None = None,
        value: str | None = None,
        timestamp: float | None = None,
        base64_body: bool = True,
    ) -> dict[str, Any]:
        """The Function URL event of a click on a button of message `ts`, signed by Slack."""
        posted = self.message(ts)
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": name, "name": name},
            "api_app_id": "A0CEILING",
            "container": {"type": "message", "message_ts": ts, "channel_id": posted.channel},
            "channel": {"id": posted.channel, "name": "alerts"},
            "message": {"ts": ts, "text": posted.text},
            "response_url": "https://hooks.slack.invalid/actions/T0/1/x",
            "actions": [
                {
                    "type": "button",
                    "action_id": action,
                    "block_id": "ceilingwatch-answers",
                    "value": posted.buttons()[action] if value is None else value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        secret = self.signing_secret if secret is None else secret
        return click_event(payload, secret, timestamp=timestamp, base64_body=base64_body)

    def answer(
        self, method: str, authorization: str, raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        status, answer, headers = self._answer(method, authorization, raw)
        with self._lock:
            self.calls.append((method, str(answer.get("error", "ok"))))
        return status, answer, headers

    def _answer(
        self, method: str, authorization: str, raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            scripted = next((s for s in self._script if s.method == method), None)
            if scripted is not None:
                self._script.remove(scripted)
        if scripted is not None:
            if scripted.error == "ratelimited":
                return 429, _error("ratelimited"), {"Retry-After": scripted.retry_after or "1"}
            return 200, _error(scripted.error), {}
        if not authorization.startswith("Bearer "):
            return 200, _error("not_authed"), {}
        if not hmac.compare_digest(authorization.removeprefix("Bearer "), self.token):
            return 200, _error("invalid_auth"), {}
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            return 200, _error("invalid_json"), {}
        if method == "auth.test":
            return 200, {"ok": True, "team": "ceilingwatch", "user_id": "U0BOT"}, {}
        if method not in ("chat.postMessage", "chat.update"):
            return 404, _error("unknown_method"), {}
        if payload.get("channel") not in self.channels:
            return 200, _error("channel_not_found"), {}
        problems = slack_problems(payload)
        if problems:
            with self._lock:
                self.refused += problems
            return 200, _error("invalid_blocks"), {}
        if method == "chat.update":
            return self._update(payload)
        return self._post(payload)

    def _post(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        thread = str(payload.get("thread_ts") or "")
        with self._lock:
            if thread and thread not in self._messages:
                return 200, _error("thread_not_found"), {}
            ts = f"{1764547200 + next(self._clock)}.000100"
            posted = Posted(
                ts,
                payload["channel"],
                payload["text"],
                list(payload.get("blocks") or []),
                thread,
                bool(payload.get("reply_broadcast")),
            )
            self._messages[ts] = posted
        return 200, {"ok": True, "channel": posted.channel, "ts": ts}, {}

    def _update(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        ts = str(payload.get("ts", ""))
        with self._lock:
            posted = self._messages.get(ts)
            if posted is None or posted.channel != payload["channel"]:
                return 200, _error("message_not_found"), {}
            posted.versions.append({"text": posted.text, "blocks": posted.blocks})
            posted.text, posted.blocks = payload["text"], list(payload.get("blocks") or [])
        return 200, {"ok": True, "channel": posted.channel, "ts": ts}, {}


def _error(code: str) -> dict[str, Any]:
    return {"ok": False, "error": code}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--token", required=True)
    parser.add_argument("--signing-secret", required=True)
    args = parser.parse_args(argv)
    with SlackWebApiStandIn(args.token, args.signing_secret, port=args.port, verbose=True) as api:
        print(
            f"Slack Web API at {api.base_url} (channel {DEFAULT_CHANNEL}); Ctrl-C stops",
            file=sys.stderr,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()

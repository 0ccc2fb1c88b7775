"""A loopback stand-in for a Slack incoming webhook that validates and records what it is sent."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from infra.standins import loopback
from infra.standins.loopback import RecordingStandin, Verdict, serve_until_interrupted

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
class Delivery(loopback.Delivery):
    """One POST as Slack would have seen it, and what it was answered."""

    @property
    def blocks_without_text(self) -> bool:
        """Phones and notifications show only `text`: blocks without it show as nothing."""
        payload = self.payload
        return isinstance(payload, dict) and bool(payload.get("blocks")) and not payload.get("text")


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


class SlackCatcher(RecordingStandin):
    """Records webhook posts, refuses what Slack would refuse, and plays scripted failures."""

    server_name = "slack-catcher"
    delivery_type = Delivery

    def webhook_url(self, path: str = DEFAULT_WEBHOOK_PATH) -> str:
        return f"{self.base_url}{path}"

    @property
    def messages(self) -> list[Any]:
        """The payloads Slack accepted, in order."""
        return self.payloads

    def serves(self, path: str) -> bool:
        return path.startswith("/services/")

    def judge(self, path: str, raw: bytes, payload: Any) -> Verdict:
        return _slack_answer(*judge(payload))

    def error_body(self, status: int) -> Verdict:
        return _slack_answer(status, SLACK_BODIES.get(status, "error"))

    def not_found(self) -> Verdict:
        return _slack_answer(404, "no_service")

    def listings(self) -> dict[str, Callable[[], Any]]:
        return {MESSAGES_PATH: lambda: self.messages}


def _slack_answer(status: int, body: str) -> Verdict:
    return Verdict(status, body, "text/html")  # Slack answers text/html


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args(argv)
    catcher = SlackCatcher(args.host, args.port, verbose=True)
    serve_until_interrupted(catcher, lambda: f"webhook {catcher.webhook_url()}")


if __name__ == "__main__":
    main()

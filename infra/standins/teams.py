"""A loopback stand-in for a Microsoft Teams Workflows webhook that takes Adaptive Cards."""

from __future__ import annotations

import argparse
import json
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.standins.loopback import RecordingStandin, Verdict, serve_until_interrupted

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARDS_PATH = "/_standin/cards"
# "Post card in a chat or channel" refuses messages over about 28 KB ("Request Entity too large").
MAX_MESSAGE_BYTES = 28 * 1024
# Teams renders Adaptive Cards up to schema 1.5; a higher version shows only its fallback text.
MAX_CARD_VERSION = (1, 5)
VERSION = re.compile(r"^(\d+)\.(\d+)$")

# Required properties of the elements and actions a card may hold, from the Adaptive Cards schema.
ELEMENT_REQUIRES: dict[str, tuple[str, ...]] = {
    "TextBlock": ("text",),
    "RichTextBlock": ("inlines",),
    "Image": ("url",),
    "ImageSet": ("images",),
    "FactSet": ("facts",),
    "Container": ("items",),
    "ColumnSet": (),
    "ActionSet": ("actions",),
    "Table": (),
}
ACTION_REQUIRES: dict[str, tuple[str, ...]] = {
    "Action.OpenUrl": ("url",),
    "Action.Submit": (),
    "Action.Execute": (),
    "Action.ShowCard": ("card",),
    "Action.ToggleVisibility": ("targetElements",),
}
ERROR_CODES = {
    400: "InvalidRequestContent",
    401: "DirectApiAuthorizationRequired",
    403: "Forbidden",
    404: "WorkflowNotFound",
    413: "RequestEntityTooLarge",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def message_problems(message: Any) -> list[str]:
    """Every reason the workflow would not post this message as a card (readable in tests)."""
    if not isinstance(message, dict):
        return ["the body must be a JSON object"]
    problems = []
    if message.get("type") != "message":
        problems.append("type must be 'message'")
    attachments = message.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return [*problems, "attachments must be a non-empty list"]
    for i, attachment in enumerate(attachments):
        where = f"attachments[{i}]"
        if not isinstance(attachment, dict):
            problems.append(f"{where} must be an object")
            continue
        if attachment.get("contentType") != CARD_CONTENT_TYPE:
            problems.append(f"{where}.contentType must be {CARD_CONTENT_TYPE!r}")
        problems += card_problems(attachment.get("content"), f"{where}.content")
    return problems


def card_problems(card: Any, where: str = "card", top_level: bool = True) -> list[str]:
    """Why Teams would not render this Adaptive Card."""
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
        return [f"{where}.type must be 'AdaptiveCard'"]
    problems = []
    version = card.get("version")
    match = VERSION.match(version) if isinstance(version, str) else None
    if match is None:
        # Only a card inside Action.ShowCard may leave its version out.
        if top_level or version is not None:
            problems.append(f"{where}.version must be a string such as '1.5'")
    elif (int(match[1]), int(match[2])) > MAX_CARD_VERSION:
        problems.append(f"{where}.version {version} is above what Teams renders (1.5)")
    problems += _list_problems(card, "body", f"{where}.body", _element_problems, required=False)
    problems += _list_problems(card, "actions", f"{where}.actions", _action_problems, False)
    return problems


def _list_problems(
    parent: dict[str, Any],
    name: str,
    where: str,
    check: Callable[[Any, str], list[str]],
    required: bool = True,
) -> list[str]:
    items = parent.get(name)
    if items is None and not required:
        return []
    if not isinstance(items, list):
        return [f"{where} must be a list"]
    return [p for i, item in enumerate(items) for p in check(item, f"{where}[{i}]")]


def _typed_problems(item: Any, where: str, requires: dict[str, tuple[str, ...]]) -> list[str]:
    if not isinstance(item, dict) or item.get("type") not in requires:
        kind = item.get("type") if isinstance(item, dict) else None
        return [f"{where}: unknown type {kind!r}"]
    return [f"{where}.{name} is required" for name in requires[item["type"]] if name not in item]


def _element_problems(element: Any, where: str) -> list[str]:
    problems = _typed_problems(element, where, ELEMENT_REQUIRES)
    if problems:
        return problems
    match element["type"]:
        case "TextBlock":
            if not isinstance(element["text"], str):
                problems.append(f"{where}.text must be a string")
        case "FactSet":
            problems += _list_problems(element, "facts", f"{where}.facts", _fact_problems)
        case "Container":
            problems += _list_problems(element, "items", f"{where}.items", _element_problems)
        case "ColumnSet":
            problems += _list_problems(element, "columns", f"{where}.columns", _column_problems)
        case "ActionSet":
            problems += _list_problems(element, "actions", f"{where}.actions", _action_problems)
    return problems


def _fact_problems(fact: Any, where: str) -> list[str]:
    if isinstance(fact, dict) and all(isinstance(fact.get(k), str) for k in ("title", "value")):
        return []
    return [f"{where} must have a string title and value"]


def _column_problems(column: Any, where: str) -> list[str]:
    if not isinstance(column, dict) or column.get("type") != "Column":
        return [f"{where}.type must be 'Column'"]
    return _list_problems(column, "items", f"{where}.items", _element_problems, required=False)


def _action_problems(action: Any, where: str) -> list[str]:
    problems = _typed_problems(action, where, ACTION_REQUIRES)
    if not problems and action["type"] == "Action.ShowCard":
        problems += card_problems(action["card"], f"{where}.card", top_level=False)
    return problems


def card_lines(card: dict[str, Any]) -> Iterator[str]:
    """The card's text as a person reads it: text blocks, then facts as "title: value"."""
    for element in card.get("body", []):
        yield from _element_lines(element)


def _element_lines(element: dict[str, Any]) -> Iterator[str]:
    match element.get("type"):
        case "TextBlock":
            yield element["text"]
        case "FactSet":
            yield from (f"{fact['title']}: {fact['value']}" for fact in element["facts"])
        case "Container":
            for item in element["items"]:
                yield from _element_lines(item)
        case "ColumnSet":
            for column in element.get("columns", []):
                for item in column.get("items", []):
                    yield from _element_lines(item)


class TeamsStandin(RecordingStandin):
    """A workflow's "When a Teams webhook request is received" trigger, posting to a channel.

    A real workflow answers 202 to any body and then fails its run, so a malformed card is lost
    without a word; the stand-in refuses it at once (400, naming each problem) so tests see it.
    """

    server_name = "teams-workflows-standin"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False) -> None:
        super().__init__(host, port, verbose=verbose)
        self.workflow_id = secrets.token_hex(16)
        self._signature = secrets.token_urlsafe(32)  # the URL's `sig`: what makes it a secret

    @property
    def webhook_url(self) -> str:
        """Shaped like the URL a workflow's trigger shows, signature and all."""
        return (
            f"{self.base_url}/workflows/{self.workflow_id}/triggers/manual/paths/invoke"
            f"?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={self._signature}"
        )

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards the workflow posted to the channel, in order."""
        return [a["content"] for message in self.payloads for a in message["attachments"]]

    def serves(self, path: str) -> bool:
        return urlsplit(path).path == urlsplit(self.webhook_url).path

    def judge(self, path: str, raw: bytes, payload: Any) -> Verdict:
        if parse_qs(urlsplit(path).query).get("sig") != [self._signature]:
            return _answer(401, "the request's signature (sig) is missing or not valid")
        if len(raw) > MAX_MESSAGE_BYTES:
            return _answer(413, f"{len(raw)} bytes; a message may be {MAX_MESSAGE_BYTES} bytes")
        problems = ["the body is not JSON"] if payload is None else message_problems(payload)
        if problems:
            return _answer(400, "; ".join(problems))
        return Verdict(202, "", "text/plain")

    def error_body(self, status: int) -> Verdict:
        return _answer(status, f"HTTP {status}")

    def not_found(self) -> Verdict:
        return _answer(404, "no workflow at this address")

    def listings(self) -> dict[str, Callable[[], Any]]:
        return {CARDS_PATH: lambda: self.cards}


def _answer(status: int, message: str) -> Verdict:
    code = ERROR_CODES.get(status, "Error")
    return Verdict(status, json.dumps({"error": {"code": code, "message": message}}))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8768)
    args = parser.parse_args(argv)
    teams = TeamsStandin(args.host, args.port, verbose=True)
    serve_until_interrupted(
        teams, lambda: f"webhook {teams.webhook_url}; cards: GET {teams.base_url}{CARDS_PATH}"
    )


if __name__ == "__main__":
    main()

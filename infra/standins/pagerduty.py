"""A loopback stand-in for PagerDuty's Events API v2: validates events, keeps incidents."""

from __future__ import annotations

import argparse
import json
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from infra.standins.loopback import Delivery, RecordingStandin, Verdict, serve_until_interrupted

ENQUEUE_PATH = "/v2/enqueue"
EVENTS_PATH = "/_standin/events"
INCIDENTS_PATH = "/_standin/incidents"

# From the Events API v2 documentation ("Send an Alert Event" and its overview).
ROUTING_KEY_LENGTH = 32
EVENT_ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
MAX_DEDUP_KEY = 255
MAX_SUMMARY = 1024
MAX_EVENT_BYTES = 512 * 1024
OPTIONAL_PAYLOAD_STRINGS = ("component", "group", "class")

ERROR_MESSAGES = {
    400: ("invalid event", "Event object is invalid"),
    429: ("throttle event", "Requests for this service are arriving too quickly; retry later"),
}


def event_problems(event: Any) -> list[str]:
    """Every reason the Events API v2 would refuse this parsed event, as PagerDuty words them."""
    if not isinstance(event, dict):
        return ["Event must be a JSON object"]
    problems = _key_problems(event)
    if event.get("event_action") == "trigger":
        problems += _payload_problems(event.get("payload"))
        problems += _context_problems(event)
    return problems


def _key_problems(event: dict[str, Any]) -> list[str]:
    problems = []
    routing_key = event.get("routing_key")
    if not isinstance(routing_key, str) or not routing_key.strip():
        problems.append("'routing_key' is missing or blank")
    elif len(routing_key) != ROUTING_KEY_LENGTH:
        problems.append(
            f"Length of 'routing_key' is incorrect (should be {ROUTING_KEY_LENGTH} characters)"
        )
    action = event.get("event_action")
    if action not in EVENT_ACTIONS:
        problems.append(f"'event_action' is invalid (must be one of {', '.join(EVENT_ACTIONS)})")
    dedup_key = event.get("dedup_key")
    if dedup_key is None:
        # Only a trigger may leave it out: PagerDuty then makes one up and returns it.
        if action in ("acknowledge", "resolve"):
            problems.append(f"'dedup_key' is required for event_action '{action}'")
    elif not isinstance(dedup_key, str) or not dedup_key:
        problems.append("'dedup_key' must be a non-empty string")
    elif len(dedup_key) > MAX_DEDUP_KEY:
        problems.append(
            f"Length of 'dedup_key' is too long (maximum is {MAX_DEDUP_KEY} characters)"
        )
    return problems


def _payload_problems(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or not an object (required for event_action 'trigger')"]
    problems = []
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        problems.append("'payload.summary' is missing or blank")
    elif len(summary) > MAX_SUMMARY:
        problems.append(
            f"Length of 'payload.summary' is too long (maximum is {MAX_SUMMARY} characters)"
        )
    source = payload.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.append("'payload.source' is missing or blank")
    if payload.get("severity") not in SEVERITIES:
        problems.append(f"'payload.severity' is invalid (must be one of {', '.join(SEVERITIES)})")
    if "timestamp" in payload and not _is_iso8601(payload["timestamp"]):
        problems.append("'payload.timestamp' is not a valid ISO 8601 timestamp")
    for name in OPTIONAL_PAYLOAD_STRINGS:
        if name in payload and not isinstance(payload[name], str):
            problems.append(f"'payload.{name}' must be a string")
    if "custom_details" in payload and not isinstance(payload["custom_details"], dict):
        problems.append("'payload.custom_details' must be an object")
    return problems


def _context_problems(event: dict[str, Any]) -> list[str]:
    problems = []
    for name, required in (("links", "href"), ("images", "src")):
        items = event.get(name, [])
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and isinstance(item.get(required), str) for item in items
        ):
            problems.append(f"'{name}' must be a list of objects, each with '{required}'")
        elif name == "images" and not all(item["src"].startswith("https://") for item in items):
            problems.append("'images' must be served over https")
    return problems


def _is_iso8601(value: Any) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    text = value.replace("Z", "+00:00")
    # PagerDuty's own example writes offsets without a colon (+0000); Python wants +00:00.
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass
class Incident:
    """An alert PagerDuty keeps open by dedup_key until a resolve for it arrives."""

    dedup_key: str
    summary: str
    severity: str
    source: str
    status: str = "triggered"  # then "acknowledged", "resolved"
    actions: list[str] = field(default_factory=list)  # every event applied to it, in order

    @property
    def open(self) -> bool:
        return self.status != "resolved"

    def as_dict(self) -> dict[str, Any]:
        return {
            "dedup_key": self.dedup_key,
            "summary": self.summary,
            "severity": self.severity,
            "source": self.source,
            "status": self.status,
            "actions": list(self.actions),
        }


class PagerDutyStandin(RecordingStandin):
    """POST /v2/enqueue as PagerDuty answers it, with incidents kept by (routing key, dedup key)."""

    server_name = "pagerduty-standin"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False) -> None:
        super().__init__(host, port, verbose=verbose)
        # The key an integration would give; only events sent with it open incidents here.
        self.routing_key = secrets.token_hex(ROUTING_KEY_LENGTH // 2)
        self._incidents: list[tuple[str, Incident]] = []  # (routing key, incident), oldest first

    @property
    def events_url(self) -> str:
        return f"{self.base_url}{ENQUEUE_PATH}"

    @property
    def events(self) -> list[dict[str, Any]]:
        """The events PagerDuty took (202), in order."""
        return self.payloads

    @property
    def incidents(self) -> list[Incident]:
        """Every incident this routing key opened, oldest first, resolved ones included."""
        with self._lock:
            return [i for key, i in self._incidents if key == self.routing_key]

    @property
    def open_incidents(self) -> list[Incident]:
        return [i for i in self.incidents if i.open]

    def serves(self, path: str) -> bool:
        return path.split("?")[0] == ENQUEUE_PATH

    def judge(self, path: str, raw: bytes, payload: Any) -> Verdict:
        if len(raw) > MAX_EVENT_BYTES:
            problems = [f"Event is {len(raw)} bytes; the maximum is {MAX_EVENT_BYTES} (512 KB)"]
        elif payload is None:
            problems = ["Event body is not valid JSON"]
        else:
            problems = event_problems(payload)
        if problems:
            return _answer(400, errors=problems)
        dedup_key = payload.get("dedup_key") or uuid.uuid4().hex
        return _answer(202, dedup_key=dedup_key)

    def accepted(self, delivery: Delivery, verdict: Verdict) -> None:
        event = delivery.payload
        dedup_key = json.loads(verdict.body)["dedup_key"]
        with self._lock:
            self._apply(event["routing_key"], dedup_key, event)

    def _apply(self, routing_key: str, dedup_key: str, event: dict[str, Any]) -> None:
        action = event["event_action"]
        current = next(
            (
                incident
                for key, incident in reversed(self._incidents)
                if key == routing_key and incident.dedup_key == dedup_key and incident.open
            ),
            None,
        )
        if current is None:
            if action != "trigger":
                return  # PagerDuty drops acknowledge and resolve for no open alert
            payload = event["payload"]
            current = Incident(
                dedup_key, payload["summary"], payload["severity"], payload["source"]
            )
            self._incidents.append((routing_key, current))
        current.actions.append(action)
        if action == "trigger":
            current.severity = event["payload"]["severity"]
        elif action == "acknowledge":
            current.status = "acknowledged"
        else:
            current.status = "resolved"

    def error_body(self, status: int) -> Verdict:
        return _answer(status)

    def not_found(self) -> Verdict:
        return Verdict(404, json.dumps({"status": "not found", "message": "Not Found"}))

    def listings(self) -> dict[str, Callable[[], Any]]:
        return {
            EVENTS_PATH: lambda: self.events,
            INCIDENTS_PATH: lambda: [i.as_dict() for i in self.incidents],
        }

    def clear(self) -> None:
        super().clear()
        with self._lock:
            self._incidents.clear()


def _answer(status: int, **fields: Any) -> Verdict:
    if status == 202:
        body: dict[str, Any] = {"status": "success", "message": "Event processed", **fields}
    else:
        kind, message = ERROR_MESSAGES.get(status, ("error", f"HTTP {status}"))
        body = {"status": kind, "message": message, **fields}
    return Verdict(status, json.dumps(body))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args(argv)
    pd = PagerDutyStandin(args.host, args.port, verbose=True)
    serve_until_interrupted(
        pd,
        lambda: (
            f"events {pd.events_url} (routing key {pd.routing_key}); "
            f"incidents: GET {pd.base_url}{INCIDENTS_PATH}"
        ),
    )


if __name__ == "__main__":
    main()

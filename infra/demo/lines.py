"""How the demo shows each channel's message: its title line, then what it said."""

from __future__ import annotations

from typing import Any

from infra.standins.teams import card_lines


def slack_fields(payload: dict[str, Any]) -> str:
    lines = []
    for block in payload.get("blocks", []):
        if block.get("type") == "section" and "fields" in block:
            lines += [f["text"].replace("\n", ": ", 1).replace("*", "") for f in block["fields"]]
    return "\n".join(lines)


def teams_lines(card: dict[str, Any]) -> tuple[str, str]:
    title, *rest = [*card_lines(card), ""]
    return title, "\n".join(line for line in rest if line)


def pagerduty_lines(event: dict[str, Any]) -> tuple[str, str]:
    """The event as on-call sees it: action and incident key, then what the trigger said.
    Never the routing key: it is the integration's secret."""
    title = f"{event['event_action']} {event.get('dedup_key', '(new key)')}"
    payload = event.get("payload")
    if not isinstance(payload, dict):
        return title, ""
    details = payload.get("custom_details") or {}
    lines = [f"[{payload.get('severity')}] {payload.get('summary')}"]
    lines += [f"{key}: {value}" for key, value in details.items() if not isinstance(value, dict)]
    return title, "\n".join(lines)


def webhook_lines(body: dict[str, Any]) -> tuple[str, str]:
    """The generic body as a receiver reads it: status and key, then title and why."""
    title = f"{body.get('status')} {body.get('dedup_key')}"
    lines = [f"[{body.get('severity')}] {body.get('title')}", str(body.get("why", ""))]
    if body.get("episode"):
        lines.append(f"episode: {body['episode']}")
    return title, "\n".join(lines)

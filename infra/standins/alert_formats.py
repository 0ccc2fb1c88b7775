"""What each alert source refuses, as its vendor documents it: every reason, in its words."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

STATUSES = ("firing", "resolved")
# Alertmanager's label names (Prometheus' data model): letters, digits, underscores.
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
JSM_PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
JSM_LIMITS = {"message": 130, "alias": 512, "description": 15000, "entity": 512, "source": 100}
GENERIC_FIELDS = {
    "schema": str,
    "monitor": str,
    "kind": str,
    "severity": str,
    "status": str,
    "dedup_key": str,
    "title": str,
    "why": str,
    "at": str,
    "figures": dict,
    "links": dict,
}


def generic_problems(body: Any) -> list[str]:
    """Our own documented body (docs/channels.md)."""
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = [
        f"'{name}' must be a {kind.__name__}"
        for name, kind in GENERIC_FIELDS.items()
        if not isinstance(body.get(name), kind)
    ]
    if body.get("schema") != "ceilingwatch.alert/1":
        problems.append("'schema' must be 'ceilingwatch.alert/1'")
    if body.get("status") not in STATUSES:
        problems.append("'status' must be 'firing' or 'resolved'")
    return problems


def incident_io_problems(body: Any) -> list[str]:
    """incident.io's HTTP alert source: a title and a status; the rest optional, typed."""
    if not isinstance(body, dict):
        return ["request body must be an object"]
    problems = []
    if not isinstance(body.get("title"), str) or not body["title"].strip():
        problems.append("title: must be provided")
    if body.get("status") not in STATUSES:
        problems.append("status: must be one of firing, resolved")
    for name in ("deduplication_key", "description", "source_url"):
        if name in body and not isinstance(body[name], str):
            problems.append(f"{name}: must be a string")
    if "metadata" in body and not isinstance(body["metadata"], dict):
        problems.append("metadata: must be an object")
    return problems


def alertmanager_problems(body: Any) -> list[str]:
    """Alertmanager's POST /api/v2/alerts: an array of postableAlert."""
    if not isinstance(body, list):
        return ["body in body must be of type array"]
    problems = []
    for index, alert in enumerate(body):
        if not isinstance(alert, dict) or not isinstance(alert.get("labels"), dict):
            problems.append(f"{index}.labels in body is required")
            continue
        for part in ("labels", "annotations"):
            for name, value in alert.get(part, {}).items():
                if not LABEL_NAME.fullmatch(str(name)) or not isinstance(value, str):
                    problems.append(f"invalid {part[:-1]} {name!r}")
        if not alert["labels"]:
            problems.append("at least one label pair required")
        times = [_instant(alert.get(name)) for name in ("startsAt", "endsAt")]
        for name, at in zip(("startsAt", "endsAt"), times, strict=True):
            if name in alert and at is None:
                problems.append(f"{index}.{name} in body must be of type date-time")
        if None not in times and times[1] < times[0]:  # type: ignore[operator]
            problems.append("start time must be before end time")
    return problems


def jsm_create_problems(body: Any) -> list[str]:
    """JSM Ops' integration API, create alert."""
    if not isinstance(body, dict):
        return ["Request body is not processable."]
    problems = []
    if not isinstance(body.get("message"), str) or not body["message"].strip():
        problems.append("Message can not be empty.")
    for name, limit in JSM_LIMITS.items():
        value = body.get(name, "")
        if not isinstance(value, str) or len(value) > limit:
            problems.append(
                f"{name.capitalize()} should be a string of at most {limit} characters."
            )
    if "priority" in body and body["priority"] not in JSM_PRIORITIES:
        problems.append("Priority should be one of [P1, P2, P3, P4, P5].")
    if not all(isinstance(tag, str) for tag in body.get("tags", [])):
        problems.append("Tags should be strings.")
    details = body.get("details", {})
    if not isinstance(details, dict) or not all(isinstance(v, str) for v in details.values()):
        problems.append("Details should be a map of strings.")
    return problems


def jsm_close_problems(body: Any, query: dict[str, str]) -> list[str]:
    if query.get("identifierType", "id") not in ("id", "tiny", "alias"):
        return ["IdentifierType should be one of [id, tiny, alias]."]
    if body is not None and not isinstance(body, dict):
        return ["Request body is not processable."]
    return []


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None

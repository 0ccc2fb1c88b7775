"""The alert-source webhook's bodies: ours (generic), incident.io's, Alertmanager's, JSM Ops'."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from ceilingwatch.common.records import record
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.messages import facts, title
from ceilingwatch.domain.severity import Severity


class Format(StrEnum):
    GENERIC = "generic"
    INCIDENT_IO = "incident-io"
    ALERTMANAGER = "alertmanager"
    JSM_OPS = "jsm-ops"


class Status(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


GENERIC_SCHEMA = "ceilingwatch.alert/1"
# Alertmanager ends an alert nobody re-sends after its endsAt: a firing alert holds this long
# unless a reminder or the resolve comes first.
FIRING_HOLDS = timedelta(hours=24)
ZERO = timedelta()
JSM_MESSAGE_LIMIT = 130  # JSM Ops: "message" up to 130 characters
JSM_DESCRIPTION_LIMIT = 15000
JSM_PRIORITY = {
    Severity.AT_LIMIT: "P1",
    Severity.CRITICAL: "P2",
    Severity.ERROR: "P2",
    Severity.WARNING: "P3",
    Severity.NO_DATA: "P3",
}


@record(frozen=False, eq=False)
class Request:
    """One call: the path under the configured URL (JSM's close has its own) and the body."""

    body: Any
    path: str = ""


def alert_event(
    form: Format, note: Notification, key: str, status: Status, links: Mapping[str, str]
) -> Request:
    """The body a receiver of `form` documents, for one notification of an episode."""
    match form:
        case Format.INCIDENT_IO:
            return Request(incident_io(note, key, status, links))
        case Format.ALERTMANAGER:
            return Request([alertmanager(note, key, status, links)])
        case Format.JSM_OPS:
            return jsm_ops(note, key, status, links)
        case _:
            return Request(generic(note, key, status, links))


def generic(
    note: Notification, key: str, status: Status, links: Mapping[str, str]
) -> dict[str, Any]:
    """Our own documented body (docs/channels.md): every receiver's fields, by their names."""
    return {
        "schema": GENERIC_SCHEMA,
        "monitor": note.monitor,
        "kind": note.kind.value,
        "severity": note.severity.value,
        "status": status.value,
        "dedup_key": key,
        "title": title(note),
        "why": note.why,
        "episode": note.episode,
        "fix": note.fix,
        "at": note.at.isoformat(),
        "figures": dict(facts(note)),
        "links": dict(links),
    }


def incident_io(
    note: Notification, key: str, status: Status, links: Mapping[str, str]
) -> dict[str, Any]:
    """incident.io's HTTP alert source: title, status, deduplication_key, description, metadata."""
    event: dict[str, Any] = {
        "title": title(note),
        "status": status.value,
        "deduplication_key": key,
        "description": _description(note),
        "metadata": {
            "monitor": note.monitor,
            "severity": note.severity.value,
            "kind": note.kind.value,
            **{label.lower(): value for label, value in facts(note)},
        },
    }
    if links:
        event["source_url"] = next(iter(links.values()))
    return event


def alertmanager(
    note: Notification, key: str, status: Status, links: Mapping[str, str]
) -> dict[str, Any]:
    """One postableAlert of Alertmanager's v2 API; the labels stay the same for the episode."""
    alert: dict[str, Any] = {
        "labels": {
            "alertname": "CeilingwatchCapacity" if "health" not in key else "CeilingwatchHealth",
            "monitor": note.monitor,
            "dedup_key": key,
            "source": "ceilingwatch",
        },
        "annotations": {
            "summary": title(note),
            "description": _description(note),
            "severity": note.severity.value,
        },
        "startsAt": note.at.isoformat(),
        "endsAt": (note.at + (FIRING_HOLDS if status is Status.FIRING else ZERO)).isoformat(),
    }
    if links:
        alert["generatorURL"] = next(iter(links.values()))
    return alert


def jsm_ops(note: Notification, key: str, status: Status, links: Mapping[str, str]) -> Request:
    """JSM Ops' integration API: create with an alias, close by that alias."""
    if status is Status.RESOLVED:
        path = f"/{quote(key, safe='')}/close?identifierType=alias"
        return Request({"source": "ceilingwatch", "note": _description(note)[:25000]}, path)
    details = dict(facts(note)) | dict(links)
    return Request(
        {
            "message": _cut(title(note), JSM_MESSAGE_LIMIT),
            "alias": key,
            "description": _cut(_description(note), JSM_DESCRIPTION_LIMIT),
            "priority": JSM_PRIORITY.get(note.severity, "P4"),
            "source": "ceilingwatch",
            "entity": note.monitor,
            "tags": ["ceilingwatch", note.severity.value.lower()],
            "details": details,
        }
    )


def _description(note: Notification) -> str:
    lines = [note.why]
    if note.episode:
        lines.append(f"Episode: {note.episode}")
    if note.fix:
        lines.append(f"What to do: {note.fix}")
    return "\n".join(lines)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

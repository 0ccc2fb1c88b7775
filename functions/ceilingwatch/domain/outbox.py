"""The outbox and the channels' memory, as JSON on the state item: codecs beside their store."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ceilingwatch.domain.alerts import AlertState, Kind, Notification, Reading
from ceilingwatch.domain.config import Thresholds
from ceilingwatch.domain.severity import Severity


@dataclass(frozen=True)
class Owed:
    """A notification and the channels that have not taken it yet; None means every channel."""

    notification: Notification
    channels: tuple[str, ...] | None = None


def encode_outbox(owed: tuple[Owed, ...]) -> str:
    """What is owed, as JSON for the state item: claimed with the state, settled per channel."""
    if not owed:
        return ""
    return json.dumps(
        [{"note": _plain(_fields(entry.notification)), "owed": entry.channels} for entry in owed],
        separators=(",", ":"),
    )


def decode_outbox(text: str) -> tuple[Owed, ...]:
    if not text:
        return ()
    owed = []
    for raw in json.loads(text):
        # An outbox written before per-channel settlement holds bare notes, owed to every channel.
        note, channels = (raw["note"], raw["owed"]) if "note" in raw else (raw, None)
        owed.append(Owed(_note(note), tuple(channels) if channels is not None else None))
    return tuple(owed)


def channel_memory(state: AlertState | None) -> dict[str, dict[str, str]]:
    """What each channel keeps between runs (a PagerDuty incident key, a Slack thread)."""
    if state is None or not state.channel_memory:
        return {}
    loaded: dict[str, dict[str, str]] = json.loads(state.channel_memory)
    return loaded


def encode_channel_memory(memory: dict[str, dict[str, str]]) -> str:
    kept = {name: values for name, values in memory.items() if values}
    return json.dumps(kept, separators=(",", ":"), sort_keys=True) if kept else ""


def _note(raw: dict[str, Any]) -> Notification:
    reading = raw.pop("reading")
    if reading is not None:
        reading["at"] = datetime.fromisoformat(reading["at"])
        if reading.get("observed_at"):
            reading["observed_at"] = datetime.fromisoformat(reading["observed_at"])
        reading["series"] = tuple(reading["series"])
        reading["thresholds"] = Thresholds(**reading["thresholds"])
        reading = Reading(**reading)
    raw["kind"] = Kind(raw["kind"])
    raw["severity"] = Severity(raw["severity"])
    # Stored as "" when there is none, as the outbox has always written it.
    raw["previous_severity"] = (
        Severity(raw["previous_severity"]) if raw["previous_severity"] else None
    )
    raw["at"] = datetime.fromisoformat(raw["at"])
    return Notification(reading=reading, **raw)


def _fields(note: Notification) -> dict[str, Any]:
    return asdict(note) | {"previous_severity": note.previous_severity or ""}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value.isoformat() if isinstance(value, datetime) else value

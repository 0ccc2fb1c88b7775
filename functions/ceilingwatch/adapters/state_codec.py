"""The alert state as a DynamoDB item and back: the one place that knows the stored format."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any, NamedTuple

from ceilingwatch.domain.alerts import Kind, Notification, Reading
from ceilingwatch.domain.config import Thresholds
from ceilingwatch.domain.last_valid import KeptValues
from ceilingwatch.domain.outbox import ChannelMemory, Owed
from ceilingwatch.domain.severity import Level, Severity
from ceilingwatch.domain.state import (
    AlertState,
    Answers,
    DeliveryRecord,
    Escalation,
    Health,
    HealthRecord,
    Judgement,
    OpenEpisode,
    Told,
    Watches,
)

Item = dict[str, dict[str, str]]


class _Format(NamedTuple):
    """How one attribute is written: DynamoDB's type, and the text of a value each way."""

    kind: str  # "S" or "N"
    write: Callable[[Any], str]
    read: Callable[[str], Any]


def _encode_outbox(owed: tuple[Owed, ...]) -> str:
    """What is owed, as JSON: claimed with the state, settled per channel."""
    if not owed:
        return ""
    return json.dumps(
        [
            {"note": _plain(_note_fields(entry.notification)), "owed": entry.channels}
            | ({"taken": True} if entry.taken else {})
            for entry in owed
        ],
        separators=(",", ":"),
    )


def _decode_outbox(text: str) -> tuple[Owed, ...]:
    owed = []
    for raw in json.loads(text):
        # An outbox written before per-channel settlement holds bare notes, owed to every channel.
        note, channels = (raw["note"], raw["owed"]) if "note" in raw else (raw, None)
        kept = tuple(channels) if channels is not None else None
        owed.append(Owed(_note(note), kept, bool(raw.get("taken", False))))
    return tuple(owed)


def _encode_memory(memory: ChannelMemory) -> str:
    # A channel that keeps nothing leaves no trace: an empty memory is no attribute at all.
    kept = {name: dict(values) for name, values in memory.items() if values}
    return json.dumps(kept, separators=(",", ":"), sort_keys=True) if kept else ""


def _decode_memory(text: str) -> ChannelMemory:
    loaded = json.loads(text)
    return {
        str(name): {str(k): str(v) for k, v in values.items()} for name, values in loaded.items()
    }


def _encode_values(values: KeptValues) -> str:
    return json.dumps(dict(values), sort_keys=True)


def _decode_values(text: str) -> KeptValues:
    return {str(k): str(v) for k, v in json.loads(text).items()}


def _member[E](what: str, members: dict[str, E]) -> Callable[[str], E]:
    """An enum member by its stored text, from a plain dict: an enum's own lookups run Python
    code, at every run's decode. Text that names none is an error naming what is known."""

    def read(raw: str) -> E:
        member = members.get(raw)
        if member is None:
            raise ValueError(f"unknown {what} {raw!r}: expected one of {', '.join(members)}")
        return member

    return read


_level = _member("level", {level.name: level for level in Level})
_health = _member("health", {health.value: health for health in Health})


_TEXT = _Format("S", str, str)
_INT = _Format("N", str, int)
_TIME = _Format("S", datetime.isoformat, datetime.fromisoformat)
_LEVEL = _Format("S", lambda level: level.name, _level)
# OK and zero are an episode's defaults: written as nothing, as an unset time is.
_TOP = _Format("S", lambda level: "" if level is Level.OK else level.name, _level)
_SECONDS = _Format("N", lambda seconds: str(seconds) if seconds else "", int)
_PENDING = _Format(
    "S",
    lambda note: json.dumps(_plain(_note_fields(note)), separators=(",", ":")),
    lambda text: _note(json.loads(text)),
)
_NAMES = _Format("S", ",".join, lambda text: tuple(text.split(",")))
_HEALTH = _Format("S", lambda health: health.value, _health)
_OUTBOX = _Format("S", _encode_outbox, _decode_outbox)
_MEMORY = _Format("S", _encode_memory, _decode_memory)
_VALUES = _Format("S", _encode_values, _decode_values)
_EVENTS = _Format("S", " ".join, lambda text: tuple(text.split()))
_FAILURES = _Format(
    "S", lambda failures: _encode_values(failures) if failures else "", _decode_values
)

# Every attribute of the item, in the order it has always been written, and where it lives
# in the state: (record, field), the record "" for the state's own fields.
ATTRIBUTES: dict[str, tuple[str, str, _Format]] = {
    "monitor": ("", "monitor", _TEXT),
    "level": ("judged", "level", _LEVEL),
    "level_since": ("judged", "level_since", _TIME),
    "health": ("health", "status", _HEALTH),
    "notified_level": ("told", "level", _LEVEL),
    "notified_at": ("told", "level_at", _TIME),
    "episode_started_at": ("episode", "started_at", _TIME),
    "episode_peak": ("episode", "peak", _INT),
    "episode_peak_at": ("episode", "peak_at", _TIME),
    "peak": ("judged", "peak", _INT),
    "peak_at": ("judged", "peak_at", _TIME),
    "limit": ("judged", "limit", _INT),
    "seen_through": ("judged", "seen_through", _TIME),
    "last_tick": ("judged", "last_tick", _TIME),
    "last_execution_id": ("judged", "execution_id", _TEXT),
    "unhealthy_runs": ("health", "unhealthy_runs", _INT),
    "unhealthy_tick": ("health", "unhealthy_tick", _TIME),
    "health_notified_at": ("told", "health_at", _TIME),
    "last_error": ("health", "last_error", _TEXT),
    "account_ceiling": ("watches", "account_ceiling", _INT),
    "account_checked_at": ("watches", "account_checked_at", _TIME),
    "account_ceiling_notified": ("told", "ceiling_key", _TEXT),
    "forecast_held_runs": ("watches", "forecast_held_runs", _INT),
    "forecast_held_at": ("watches", "forecast_held_at", _TIME),
    "forecast_fired_at": ("told", "forecast_fired_at", _TIME),
    "forecast_alerted_at": ("told", "forecast_alerted_at", _TIME),
    "plan_risk_notified": ("told", "plan_risk_key", _TEXT),
    "reason": ("judged", "reason", _TEXT),
    "last_valid_config": ("watches", "last_valid_config", _VALUES),
    "config_problems": ("watches", "config_problems", _TEXT),
    "config_notified_at": ("watches", "config_problems_at", _TIME),
    "outbox": ("delivery", "outbox", _OUTBOX),
    "outbox_since": ("delivery", "outbox_since", _TIME),
    "channel_memory": ("delivery", "channel_memory", _MEMORY),
    "channel_problems_notified": ("watches", "channel_problems", _TEXT),
    "channel_problems_notified_at": ("watches", "channel_problems_at", _TIME),
    "snoozed_until": ("answers", "snoozed_until", _TIME),
    "snoozed_by": ("answers", "snoozed_by", _TEXT),
    "acknowledged_level": ("answers", "acknowledged_level", _LEVEL),
    "acknowledged_by": ("answers", "acknowledged_by", _TEXT),
    "episode_top": ("episode", "top", _TOP),
    "episode_top_seconds": ("episode", "top_seconds", _SECONDS),
    "escalation_pending": ("escalation", "pending", _PENDING),
    "escalation_told": ("escalation", "told", _NAMES),
    "handled_events": ("told", "events", _EVENTS),
    "channel_failures": ("watches", "channel_failures", _FAILURES),
    "config_problem_versions": ("watches", "config_versions", _TEXT),
    "version": ("", "version", _INT),
}
RECORDS: dict[str, type[Any]] = {
    "judged": Judgement,
    "episode": OpenEpisode,
    "health": HealthRecord,
    "told": Told,
    "watches": Watches,
    "answers": Answers,
    "delivery": DeliveryRecord,
    "escalation": Escalation,
}


def state_to_item(state: AlertState) -> Item:
    item: Item = {}
    # Each record's fields by name, looked up once: a run writes the whole item.
    fields = {record: vars(getattr(state, record)) for record in RECORDS} | {"": vars(state)}
    for name, (record, field, form) in ATTRIBUTES.items():
        value = fields[record][field]
        text = "" if value is None else form.write(value)
        if text:  # absent means unset: the item stays small and readable
            item[name] = {form.kind: text}
    item["status"] = {"S": state.status}  # for people reading the table in the console
    return item


def state_from_item(item: Item) -> AlertState:
    values: dict[str, dict[str, Any]] = {record: {} for record in ("", *RECORDS)}
    # The item's own attributes (a third of the known ones, as a rule), not every known one.
    for name, typed in item.items():
        known = ATTRIBUTES.get(name)
        if known is None:  # "status", written for people reading the table
            continue
        text = typed.get("S", typed.get("N", ""))
        if text:
            record, field, form = known
            values[record][field] = form.read(text)
    records = {record: kind(**values[record]) for record, kind in RECORDS.items()}
    return AlertState(**values[""], **records)


def _note_fields(note: Notification) -> dict[str, Any]:
    # No previous severity has always been written as ""; no episode start is not written.
    fields = asdict(note) | {"previous_severity": note.previous_severity or ""}
    if fields["opened_at"] is None:
        del fields["opened_at"]
    if fields["reading"] is not None and not fields["reading"]["live"]:
        del fields["reading"]["live"]  # only a live count's reading says so: old items unchanged
    if not note.missed:
        del fields["missed"]  # as written before coalescing: nothing missed is no field
    return fields


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
    previous = raw["previous_severity"]
    raw["previous_severity"] = Severity(previous) if previous else None
    raw["at"] = datetime.fromisoformat(raw["at"])
    opened = raw.get("opened_at")  # absent from an outbox written before episodes had keys
    raw["opened_at"] = datetime.fromisoformat(opened) if opened else None
    return Notification(reading=reading, **raw)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value.isoformat() if isinstance(value, datetime) else value

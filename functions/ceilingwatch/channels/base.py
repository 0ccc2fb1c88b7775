"""The Channel port: what every channel is, which notifications it takes, what it remembers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from ceilingwatch.domain.alerts import HEALTH_KINDS, Kind, Notification
from ceilingwatch.domain.severity import Severity


@dataclass(frozen=True)
class Context:
    """What a channel needs besides the notification: links, its deadline and its memory."""

    links: Mapping[str, str]
    deadline: float  # time.monotonic() by which the call must have ended
    memory: Mapping[str, str] = field(default_factory=dict)


class Channel(Protocol):
    """Delivers a notification or raises TransientChannelError or PermanentChannelError.

    `deliver` returns the channel's memory after the delivery (a PagerDuty incident key, a Slack
    thread), which is kept with the alert state and handed back on the next delivery.
    """

    name: str

    def accepts(self, note: Notification) -> bool: ...

    def deliver(self, note: Notification, context: Context) -> Mapping[str, str]: ...


class Stream(StrEnum):
    """The incidents a notification belongs to: the ceiling, and the monitor's own health."""

    CAPACITY = "capacity"
    HEALTH = "health"


LEVEL_KINDS = frozenset(
    {Kind.RAISED, Kind.ESCALATED, Kind.REMINDER, Kind.RESOLVED, Kind.LIMIT_CHANGED}
)


# Notices that go wherever their severity (a WARNING) goes; the digest reaches every channel.
SEVERITY_ROUTED_NOTICES = frozenset({Kind.ACCOUNT_CEILING, Kind.FORECAST, Kind.PLAN_RISK})


def stream_of(note: Notification) -> Stream | None:
    if note.kind in HEALTH_KINDS:
        return Stream.HEALTH
    return Stream.CAPACITY if note.kind in LEVEL_KINDS else None


def routed(note: Notification, min_severity: Severity) -> bool:
    """Severity routing, shared by every channel.

    The monitor's own health, tests, channel problems and the weekly digest reach every channel
    (PagerDuty takes only what opens or closes an incident). A resolve (or a
    limit change) is judged by the highest level told in its episode, so a channel that got an
    episode's raise also gets its end.
    """
    floor = min_severity.rank
    if note.kind in LEVEL_KINDS:
        told = note.severity.rank
        if note.kind in (Kind.RESOLVED, Kind.LIMIT_CHANGED) and note.previous_severity:
            told = max(told, note.previous_severity.rank)
        return told >= floor
    if note.kind in SEVERITY_ROUTED_NOTICES:
        return note.severity.rank >= floor
    return True

"""What every channel shares: what it is built from, which notifications it takes, and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from ceilingwatch.channels.http import Poster
from ceilingwatch.common.records import record
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.alerts import HEALTH_KINDS, Kind, Notification
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.parameters import Parameter
from ceilingwatch.domain.ports import Channel, Stream
from ceilingwatch.domain.severity import Severity
from ceilingwatch.domain.values import ROUTED_SEVERITIES, severity


@record(frozen=False, eq=False)
class Wiring:
    """What channels are built from besides a monitor's configuration: one per environment."""

    settings: Settings
    sns: Callable[[], Any]  # the SNS client, built on first use
    poster: Poster = field(default_factory=Poster)


# A channel's build returns its channel, None when the monitor has not configured it, or the
# problem (naming the parameter) that keeps it from working. None for `config`: it could not
# be read at all.
ChannelBuild = Callable[[MonitorConfig | None, Wiring], Channel | str | None]


def min_severity(channel: str, default: Severity, where: str) -> Parameter:
    """`<channel>-min-severity`: the channel takes a level's messages from this severity up."""
    return Parameter(
        f"{channel}-min-severity",
        f"the lowest level whose messages go {where}: {', '.join(ROUTED_SEVERITIES)}",
        severity,
        default,
        kept=True,
    )


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


# Kinds that end an episode's incident: its key is forgotten once told.
RESOLVING = frozenset({Kind.RESOLVED, Kind.MONITOR_RECOVERED})


def ends_episode(note: Notification) -> bool:
    # A limit raised until the level is OK ends the episode as a resolve does.
    return note.kind in RESOLVING or (
        note.kind is Kind.LIMIT_CHANGED and note.severity is Severity.OK
    )


def episode_key(note: Notification, stream: Stream) -> str:
    """An episode's deduplication key, from when it began: the same for every incident tool
    (PagerDuty's dedup_key, a webhook's, Amazon Q's thread), whichever news each heard first."""
    opened = note.opened_at or note.at
    return f"ceilingwatch/{note.monitor}/{stream.value}/{opened:%Y%m%dT%H%MZ}"


def takes_incident(note: Notification, floor: Severity) -> bool:
    """Only what an incident can be opened and closed for (and a test): no page nothing ends."""
    if note.kind is Kind.TEST:
        return True
    return stream_of(note) is not None and routed(note, floor)


def tell_incident(
    note: Notification,
    memory: Mapping[str, str],
    fire: Callable[[str], None],
    resolve: Callable[[str], None],
) -> dict[str, str]:
    """One incident per stream and episode: fire under the key the memory keeps, resolve it
    only if it was fired here. A test fires and resolves a key of its own."""
    kept = dict(memory)
    if note.kind is Kind.TEST:
        key = f"ceilingwatch/{note.monitor}/test/{note.at:%Y%m%dT%H%M%S}"
        fire(key)
        resolve(key)
        return kept
    stream = stream_of(note) or Stream.CAPACITY  # takes_incident() lets no other kind through
    if ends_episode(note):
        key = kept.pop(stream.value, "")
        if key:
            resolve(key)
        return kept
    key = kept.get(stream.value) or episode_key(note, stream)
    fire(key)
    kept[stream.value] = key
    return kept

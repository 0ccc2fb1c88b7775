"""What every channel shares: which notifications it takes, and which incident each belongs to."""

from __future__ import annotations

from ceilingwatch.domain.alerts import HEALTH_KINDS, Kind, Notification
from ceilingwatch.domain.evaluation import Level
from ceilingwatch.domain.ports import Stream

LEVEL_KINDS = frozenset(
    {Kind.RAISED, Kind.ESCALATED, Kind.REMINDER, Kind.RESOLVED, Kind.LIMIT_CHANGED}
)


# Notices that go wherever their severity (a WARNING) goes; the digest reaches every channel.
SEVERITY_ROUTED_NOTICES = frozenset({Kind.ACCOUNT_CEILING, Kind.FORECAST, Kind.PLAN_RISK})


def stream_of(note: Notification) -> Stream | None:
    if note.kind in HEALTH_KINDS:
        return Stream.HEALTH
    return Stream.CAPACITY if note.kind in LEVEL_KINDS else None


def severity_of(name: str) -> Level:
    """A notification's severity as a level; health and test severities rank above every level."""
    return Level[name] if name in Level.__members__ else Level.AT_LIMIT


def routed(note: Notification, min_severity: str) -> bool:
    """Severity routing, shared by every channel.

    The monitor's own health, tests, channel problems and the weekly digest reach every channel
    (PagerDuty takes only what opens or closes an incident). A resolve (or a
    limit change) is judged by the highest level told in its episode, so a channel that got an
    episode's raise also gets its end.
    """
    floor = Level[min_severity]
    if note.kind in LEVEL_KINDS:
        told = severity_of(note.severity)
        if note.kind in (Kind.RESOLVED, Kind.LIMIT_CHANGED) and note.previous_severity:
            told = max(told, severity_of(note.previous_severity))
        return told >= floor
    if note.kind in SEVERITY_ROUTED_NOTICES:
        return severity_of(note.severity) >= floor
    return True

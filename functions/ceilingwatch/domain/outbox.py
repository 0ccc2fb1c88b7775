"""What is owed to which channel, and what each channel remembers between runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ceilingwatch.common.records import record
from ceilingwatch.domain.alerts import Kind, Notification

# Per channel, what it keeps between runs (a PagerDuty incident key, a Slack thread's root).
ChannelMemory = Mapping[str, Mapping[str, str]]


@record
class Owed:
    """A notification and the channels that have not taken it yet; None means every channel."""

    notification: Notification
    channels: tuple[str, ...] | None = None
    # Some channel has taken it: what the rest owe is their problem, not a lost notification.
    taken: bool = False


# The capacity episode's news: a channel back from an outage needs only where it stands now.
EPISODE_KINDS = frozenset(
    {Kind.RAISED, Kind.ESCALATED, Kind.REMINDER, Kind.RESOLVED, Kind.LIMIT_CHANGED}
)
LATE = "; sent late: this channel missed "


def coalesce(owed: tuple[Owed, ...]) -> tuple[Owed, ...]:
    """What each channel owes of the episode, cut to its newest message saying what it missed.

    A channel that failed through a ramp owes raised, escalated, escalated, resolved: it gets
    the resolve alone, with "missed raised WARNING at 12:46 UTC, ..." in its why. What other
    channels owe of the same notifications is untouched. Entries owed to every channel (None,
    from before per-channel settlement) are left as they are.
    """
    episode = [i for i, e in enumerate(owed) if e.notification.kind in EPISODE_KINDS]
    names = {n for i in episode for n in (owed[i].channels or ())}
    entries = list(owed)
    extra: list[Owed] = []
    for name in sorted(names):
        mine = [i for i in episode if name in (owed[i].channels or ())]
        if len(mine) < 2:
            continue
        *older, newest = mine
        missed = [m for i in older for m in _missed(owed[i].notification)]
        for i in older:
            entries[i] = _without(entries[i], name)
        entries[newest] = _without(entries[newest], name)
        late = _late(owed[newest].notification, missed)
        # Its original stays owed to the other channels: if none of them takes it, that one
        # is the lost notification the run fails for, not this copy.
        others = bool(entries[newest].channels)
        extra.append(Owed(late, (name,), owed[newest].taken or others))
    kept = tuple(e for e in entries if e.channels is None or e.channels)
    return kept + tuple(extra)


def _without(entry: Owed, name: str) -> Owed:
    return replace(entry, channels=tuple(c for c in entry.channels or () if c != name))


def _missed(note: Notification) -> list[str]:
    """What a note told, with anything it had already missed before it."""
    told = f"{note.kind.value} {note.severity.value} at {note.at:%H:%M} UTC"
    return [*filter(None, note.missed.split(", ")), told]


def _late(note: Notification, missed: list[str]) -> Notification:
    base = note.why.removesuffix(LATE + note.missed) if note.missed else note.why
    said = ", ".join(dict.fromkeys(missed))
    return replace(note, why=base + LATE + said, missed=said)

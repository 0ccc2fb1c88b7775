"""The fleet: which monitors are registered, how a tick spreads them, which ones are forgotten."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from ceilingwatch.common.records import record
from ceilingwatch.domain.config import is_monitor_name

# A monitor exists when both of these exist under its path: no deploy adds or removes one.
REGISTERING_PARAMETERS = ("ultravox-api-key", "concurrency-limit")
TICK = timedelta(minutes=5)
FORGOTTEN_AFTER_TICKS = 3
MAX_DELAY_SECONDS = 900  # SQS's longest DelaySeconds


@record
class Registered:
    """A registered monitor and when it was registered (its limit's last write)."""

    monitor: str
    since: datetime | None = None


def registered(parameters: Mapping[str, datetime | None], prefix: str) -> tuple[Registered, ...]:
    """The monitors among full parameter names (`/ceilingwatch/prod/concurrency-limit` ->
    its last write), sorted: those whose path holds every registering parameter."""
    root = prefix.rstrip("/") + "/"
    found: dict[str, dict[str, datetime | None]] = {}
    for name, written in parameters.items():
        if not name.startswith(root):
            continue
        monitor, _, short = name[len(root) :].partition("/")
        if is_monitor_name(monitor) and short in REGISTERING_PARAMETERS:
            found.setdefault(monitor, {})[short] = written
    return tuple(
        Registered(monitor, shorts["concurrency-limit"])
        for monitor, shorts in sorted(found.items())
        if set(shorts) == set(REGISTERING_PARAMETERS)
    )


def spread(monitors: Iterable[str], window_seconds: int) -> list[tuple[str, int]]:
    """Each monitor with its delay: evenly over the window, so the runs of a tick never start
    at once (SSM's shared 40 requests a second, Ultravox's rate limit)."""
    names = list(monitors)
    window = max(0, min(window_seconds, MAX_DELAY_SECONDS))
    if not names:
        return []
    return [(name, window * i // len(names)) for i, name in enumerate(names)]


def forgotten(
    fleet: Iterable[Registered],
    last_runs: Mapping[str, datetime | None],
    now: datetime,
    ticks: int = FORGOTTEN_AFTER_TICKS,
) -> tuple[str, ...]:
    """The monitors with no completed run in `ticks` ticks (counted from registration for one
    that never ran), in order."""
    cutoff = now - ticks * TICK
    stale = []
    for member in fleet:
        seen = last_runs.get(member.monitor) or member.since
        if seen is not None and seen < cutoff:
            stale.append(member.monitor)
    return tuple(stale)


def due(
    named: tuple[str, ...],
    last: tuple[str, ...],
    told_at: datetime | None,
    now: datetime,
    reminder: timedelta,
) -> bool:
    """Whether the forgotten notice goes out: a new set of names at once, the same one again
    after the reminder interval, nothing while nobody is forgotten."""
    if not named:
        return False
    if named != last or told_at is None:
        return True
    return reminder > timedelta(0) and now - told_at >= reminder

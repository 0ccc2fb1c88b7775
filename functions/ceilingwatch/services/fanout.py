"""One tick for the whole fleet: every registered monitor queued, the forgotten ones named."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import field
from datetime import UTC, datetime, timedelta
from typing import Any

from ceilingwatch.common.errors import ChannelError, MonitorError
from ceilingwatch.common.observability import logger
from ceilingwatch.common.records import record
from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.choices import Action
from ceilingwatch.domain.fleet import FORGOTTEN_AFTER_TICKS, TICK, due, forgotten, spread
from ceilingwatch.domain.ports import Context, FleetRegistry, FleetStates, TickQueue
from ceilingwatch.domain.severity import Severity
from ceilingwatch.domain.tick import Tick
from ceilingwatch.services.base import Dependencies

DEFAULT_REMINDER = timedelta(hours=4)  # as renotify-error-minutes' default
NOTICE_SECONDS = 5.0  # a channel's call and retry, per forgotten monitor


@record(frozen=False)
class Fleet:
    """What the fan-out touches: the registry, the queue, the states, and a run's ports to
    tell a forgotten monitor's channels."""

    registry: FleetRegistry
    queue: TickQueue
    states: FleetStates
    run: Dependencies
    spread_seconds: int = 120
    reminder: timedelta = DEFAULT_REMINDER
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def fan_out(tick: Tick, fleet: Fleet) -> dict[str, Any]:
    """Queue `tick` for every registered monitor, spread over the window; then the roll call."""
    members = fleet.registry.monitors()
    when = tick.scheduled_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    messages = [
        (_event(monitor, when, tick), delay)
        for monitor, delay in spread((m.monitor for m in members), fleet.spread_seconds)
    ]
    queued = fleet.queue.send(messages)
    named: tuple[str, ...] = ()
    if tick.action is Action.CHECK:
        named = roll_call(tick.scheduled_time, fleet)
    return {"tick": when, "action": tick.action.value, "queued": queued, "forgotten": list(named)}


def _event(monitor: str, when: str, tick: Tick) -> dict[str, Any]:
    # The per-monitor event means what the schedule's input meant: the same dedup applies.
    event = {"monitor": monitor, "scheduledTime": when, "executionId": tick.execution_id}
    return event | ({} if tick.action is Action.CHECK else {"action": tick.action.value})


def roll_call(now: datetime, fleet: Fleet) -> tuple[str, ...]:
    """The monitors with no completed run in three ticks, told once and then at the reminder
    interval; the names are returned whether told this tick or not."""
    members = fleet.registry.monitors()
    last_runs = fleet.states.last_runs([m.monitor for m in members])
    # The tick being queued has not run yet: judge the silence up to the tick before it.
    named = forgotten(members, last_runs, now - TICK)
    last, told_at = fleet.states.told()
    if not due(named, last, told_at, now, fleet.reminder):
        return named
    logger.warning("monitors with no completed run", extra={"forgotten": list(named)})
    for monitor in named:
        tell(monitor, _notice(monitor, last_runs.get(monitor), now), fleet.run)
    fleet.states.remember(named, now)
    return named


def _notice(monitor: str, last_run: datetime | None, now: datetime) -> Notification:
    since = f"since {last_run:%Y-%m-%d %H:%M} UTC" if last_run else "since it was registered"
    return Notification(
        kind=Kind.MONITOR_ERROR,
        monitor=monitor,
        severity=Severity.ERROR,
        why=(
            f"monitor {monitor} has had no completed run in {FORGOTTEN_AFTER_TICKS} ticks "
            f"({since}): its capacity is not being watched"
        ),
        at=now,
        fix=(
            f"look for {monitor} in the check function's logs and the dead-letter queue; "
            f"`ceilingwatch doctor --monitor {monitor}` checks its parameters"
        ),
    )


def tell(monitor: str, note: Notification, deps: Dependencies) -> list[str]:
    """Through the monitor's channels (email, the deployment's topic, even when its parameters
    cannot be read); returns the channels that took it."""
    try:
        config = deps.parameters.read(monitor).config
    except MonitorError:
        config = None
    if config is not None:
        deps.on_secrets(*config.secrets())
    roster = deps.channels(config)
    took = []
    for channel in roster.channels:
        if not channel.accepts(note):
            continue
        try:
            channel.deliver(note, Context({}, time.monotonic() + NOTICE_SECONDS))
            took.append(channel.name)
        except ChannelError as error:
            logger.warning(
                "forgotten notice not delivered",
                extra={"channel": channel.name, "problem": str(error)},
            )
    return took

"""What the schedule asked for: which monitor, for which scheduled instant, to do what."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ceilingwatch.common.errors import ConfigurationError
from ceilingwatch.common.records import record
from ceilingwatch.domain.choices import Action
from ceilingwatch.domain.config import MONITOR_NAME_RULE, is_monitor_name

MAX_CLOCK_SKEW = timedelta(minutes=10)


@record(frozen=False, eq=False)
class Tick:
    """One invocation's request: judge `monitor` as of `scheduled_time` (or test, or digest)."""

    monitor: str
    scheduled_time: datetime
    execution_id: str = ""
    action: Action = Action.CHECK

    @classmethod
    def from_event(cls, event: Mapping[str, Any], now: datetime) -> Tick:
        return cls(
            monitor=_monitor(event),
            action=_action(event),
            scheduled_time=_scheduled(event.get("scheduledTime"), now),
            execution_id=str(event.get("executionId", "")),
        )


def _monitor(event: Mapping[str, Any]) -> str:
    monitor = event.get("monitor")
    if not isinstance(monitor, str) or not is_monitor_name(monitor):
        raise ConfigurationError(
            f"the event names no valid monitor: {str(monitor)[:40]!r}",
            f'give the schedule an input like {{"monitor": "prod"}} ({MONITOR_NAME_RULE})',
        )
    return monitor


def _action(event: Mapping[str, Any]) -> Action:
    raw = event.get("action", Action.CHECK)
    try:
        return Action(raw)
    except ValueError:
        raise ConfigurationError(
            f"unknown action {str(raw)[:20]!r}",
            'use "check" (the default), "test" or "digest"',
        ) from None


def _scheduled(raw: object, now: datetime) -> datetime:
    if not raw:
        # A manual invocation has no schedule: judge the current minute.
        return now.replace(second=0, microsecond=0).astimezone(UTC)
    try:
        scheduled = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise ConfigurationError(
            f"scheduledTime is not an ISO-8601 time: {str(raw)[:40]!r}",
            "pass <aws.scheduler.scheduled-time> as the schedule's input does",
        ) from None
    if scheduled.tzinfo is None:
        scheduled = scheduled.replace(tzinfo=UTC)
    if scheduled - now > MAX_CLOCK_SKEW:
        # A tick from the future would make every real tick until then "already judged".
        raise ConfigurationError(
            f"scheduledTime {scheduled:%Y-%m-%dT%H:%M}Z is in the future",
            "invoke without scheduledTime, or with a time that has passed",
        )
    return scheduled.astimezone(UTC)

"""What every use case of a run shares: the ports it is handed, its time budget, its result."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import field
from datetime import UTC, datetime
from typing import Any

from ceilingwatch.common.errors import MonitorError
from ceilingwatch.common.records import record
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.evaluation import percent
from ceilingwatch.domain.ports import (
    AlertStates,
    LiveCalls,
    MonitorParameters,
    Roster,
    UsageSource,
)
from ceilingwatch.services.delivery import Delivery

WEBHOOK_SECRET = "ultravox-webhook-secret"  # noqa: S105  # nosec B105  (a parameter's name)
RESERVE_SECONDS = 4.0  # after the send phase: the state write, the decision line, the metrics
SEND_SECONDS = 10.0  # kept back from the usage source's retries for the channels (a call, a retry)


@record(frozen=False, eq=False)
class Dependencies:
    """Every outside system a run touches, as ports, built once per execution environment."""

    settings: Settings
    parameters: MonitorParameters
    usage: Callable[[MonitorConfig], UsageSource]  # the monitor's source, built with its key
    states: AlertStates
    channels: Callable[[MonitorConfig | None], Roster]
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    on_secrets: Callable[..., None] = field(default=lambda *secrets: None)
    live: LiveCalls | None = None  # the live feed's call records, where the stack has them


@record(frozen=False, eq=False)
class RunResult:
    """What a run did, as the handler returns it and the decision log line shows it."""

    monitor: str
    tick: datetime
    status: str = ""
    reason: str = ""
    skipped: str = ""
    peak: int | None = None
    current: int | None = None
    limit: int | None = None
    level_value: int | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)
    error: MonitorError | None = None
    monitor_metrics: bool = False  # the monitor opted into its own metrics

    def summary(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor,
            "tick": self.tick.isoformat(),
            "status": self.status,
            "reason": self.reason,
            "skipped": self.skipped,
            "peak": self.peak,
            "current": self.current,
            "limit": self.limit,
            "utilization": round(percent(self.peak, self.limit), 1)
            if self.peak is not None and self.limit
            else None,
            "notifications": self._notifications(),
            "suppressed": self.suppressed,
            # A run that could not judge ends normally (its ERROR is stored): say why here.
            **(
                {"problem": self.error.problem, "fix": self.error.what_to_fix}
                if self.error is not None
                else {}
            ),
        }

    def _notifications(self) -> list[dict[str, str]]:
        return [
            {
                "kind": d.notification.kind.value,
                "severity": d.notification.severity,
                "why": d.notification.why,
                **{name: str(outcome) for name, outcome in d.channels.items()},
            }
            for d in self.deliveries
        ]


def deadline_from(remaining_ms: int) -> float:
    """When the send phase must end: the function's timeout, less the time to record the run."""
    return time.monotonic() + max(1.0, remaining_ms / 1000 - RESERVE_SECONDS)


def judge_by(deadline: float) -> float:
    """When reading the usage must end: in time for the send phase, but never already past."""
    return max(time.monotonic() + 1.0, deadline - SEND_SECONDS)


def live_feed_on(config: MonitorConfig | None, live: LiveCalls | None) -> bool:
    """Only a monitor with its webhook secret has a live feed; any other runs exactly as before."""
    return live is not None and config is not None and config.secret(WEBHOOK_SECRET) is not None

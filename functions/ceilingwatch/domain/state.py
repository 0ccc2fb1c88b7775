"""What the monitor remembers between runs: the alert state, and a run's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.last_valid import KeptValues
from ceilingwatch.domain.outbox import ChannelMemory, Owed
from ceilingwatch.domain.severity import Level


class Health(StrEnum):
    """Whether the monitor could judge at all; kept apart from the level it last judged."""

    HEALTHY = "HEALTHY"
    NO_DATA = "NO_DATA"
    ERROR = "ERROR"


@dataclass(frozen=True)
class AlertState:
    """What the monitor remembers between runs, one item per monitor."""

    monitor: str
    level: Level = Level.OK
    level_since: datetime | None = None
    health: Health = Health.HEALTHY
    notified_level: Level = Level.OK
    notified_at: datetime | None = None
    episode_started_at: datetime | None = None
    episode_peak: int = 0
    episode_peak_at: datetime | None = None
    peak: int = 0
    peak_at: datetime | None = None
    limit: int | None = None
    seen_through: datetime | None = None
    last_tick: datetime | None = None
    last_execution_id: str = ""
    unhealthy_runs: int = 0
    unhealthy_tick: datetime | None = None
    health_notified_at: datetime | None = None
    last_error: str = ""
    account_ceiling: int | None = None
    account_checked_at: datetime | None = None
    account_ceiling_notified: str = ""
    forecast_held_runs: int = 0
    forecast_held_at: datetime | None = None
    forecast_fired_at: datetime | None = None
    forecast_alerted_at: datetime | None = None
    plan_risk_notified: str = ""
    reason: str = ""
    # The judging parameters of the last valid configuration (never a secret), what a run
    # judges with while a parameter is wrong (None: never valid); and the problems last told.
    last_valid_config: KeptValues | None = None
    config_problems: str = ""
    config_notified_at: datetime | None = None
    outbox: tuple[Owed, ...] = ()
    outbox_since: datetime | None = None
    channel_memory: ChannelMemory = field(default_factory=dict)
    channel_problems_notified: str = ""
    channel_problems_notified_at: datetime | None = None
    # Answers from Slack's buttons, for the current capacity episode (see responses.py).
    snoozed_until: datetime | None = None
    snoozed_by: str = ""
    acknowledged_level: Level | None = None
    acknowledged_by: str = ""
    version: int = 0

    @property
    def status(self) -> str:
        """The one word a dashboard shows: the health problem if any, else the level."""
        return self.health.value if self.health is not Health.HEALTHY else self.level.name

    def already_judged(self, tick: datetime) -> bool:
        return self.last_tick is not None and tick <= self.last_tick


@dataclass(frozen=True)
class Outcome:
    """The next state, what must be sent, and what a mute or a dry run held back."""

    state: AlertState
    notifications: tuple[Notification, ...]
    reason: str
    suppressed: tuple[Notification, ...] = field(default=())

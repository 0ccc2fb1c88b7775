"""What the monitor remembers and tells: alert states, observations and notifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from ceilingwatch.common.errors import MonitorError
from ceilingwatch.domain.config import Thresholds
from ceilingwatch.domain.evaluation import Evaluation, percent
from ceilingwatch.domain.plan import Subscription
from ceilingwatch.domain.severity import Level, Severity


class Health(StrEnum):
    """Whether the monitor could judge at all; kept apart from the level it last judged."""

    HEALTHY = "HEALTHY"
    NO_DATA = "NO_DATA"
    ERROR = "ERROR"


class Kind(StrEnum):
    """What a notification tells people."""

    RAISED = "raised"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    REMINDER = "reminder"
    LIMIT_CHANGED = "limit-changed"
    ACCOUNT_CEILING = "account-ceiling"
    MONITOR_ERROR = "monitor-error"
    NO_DATA = "no-data"
    MONITOR_RECOVERED = "monitor-recovered"
    CHANNEL_PROBLEM = "channel-problem"
    CONFIG = "config"
    CONFIG_CHANGED = "config-changed"
    TEST = "test"
    FORECAST = "forecast"
    DIGEST = "digest"
    PLAN_RISK = "plan-risk"


# Kinds about the monitor itself: every configured channel hears them, whatever its routing.
HEALTH_KINDS = frozenset({Kind.MONITOR_ERROR, Kind.NO_DATA, Kind.MONITOR_RECOVERED})


@dataclass(frozen=True)
class Reading:
    """The figures a message shows: one bucket held against the limit, and the hour around it."""

    calls: int
    limit: int
    at: datetime
    in_progress: bool
    joined_calls: int
    series: tuple[int, ...]
    trend: str
    thresholds: Thresholds
    nowcast: str = ""  # "at this rate the limit in ~25 min", or nothing when not confident
    basis: str = ""  # what the nowcast rests on: "rising 1.2 calls per 5 min over the last hour"
    minutes_to_limit: int | None = None
    # Set only when the peak shown is no longer current: the calls now, and when that was.
    now_calls: int | None = None
    observed_at: datetime | None = None

    @property
    def percent(self) -> float:
        return percent(self.calls, self.limit)

    @property
    def headroom(self) -> int:
        return self.limit - self.calls

    @property
    def past(self) -> bool:
        return self.now_calls is not None

    @property
    def age(self) -> str:
        """How long ago the peak's bucket began, as a message says it."""
        return ago(self.observed_at - self.at) if self.observed_at else ""


@dataclass(frozen=True)
class Notification:
    """One message to every channel; `severity` is what subscription filters and colours key on."""

    kind: Kind
    monitor: str
    severity: Severity
    why: str
    at: datetime
    reading: Reading | None = None
    fix: str = ""
    previous_severity: Severity | None = None
    episode: str = ""
    headline: str = ""  # the subject's figures when no reading has them (the digest's peak)
    detail: str = ""  # a long plain-text body (the digest), shown in full where a channel can


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
    # The judging parameters of the last valid configuration (JSON, never a secret), what a
    # run judges with while a parameter is wrong; and the problems last told, and when.
    last_valid_config: str = ""
    config_problems: str = ""
    config_notified_at: datetime | None = None
    outbox: str = ""
    outbox_since: datetime | None = None
    channel_memory: str = ""
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


class NotChecked:
    """The account's own ceiling was not fetched this run (it is fetched at most hourly)."""


NOT_CHECKED = NotChecked()


@dataclass(frozen=True)
class Measured:
    evaluation: Evaluation
    account_ceiling: int | NotChecked | None = NOT_CHECKED
    subscription: Subscription | NotChecked = NOT_CHECKED


@dataclass(frozen=True)
class NoData:
    """Ultravox answered, but no bucket fell inside the hour."""


@dataclass(frozen=True)
class Failed:
    error: MonitorError


Observation = Measured | NoData | Failed


@dataclass(frozen=True)
class Outcome:
    """The next state, what must be sent, and what a mute or a dry run held back."""

    state: AlertState
    notifications: tuple[Notification, ...]
    reason: str
    suppressed: tuple[Notification, ...] = field(default=())


def duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def ago(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    return f"{duration(span)} ago"

"""What a run saw and what the monitor tells: observations and notifications."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from ceilingwatch.common.errors import MonitorError
from ceilingwatch.common.records import record
from ceilingwatch.domain.config import Thresholds
from ceilingwatch.domain.evaluation import Evaluation, percent
from ceilingwatch.domain.plan import Subscription
from ceilingwatch.domain.severity import Severity


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
    LIVE_LAG = "live-lag"


# Kinds about the monitor itself: every configured channel hears them, whatever its routing.
HEALTH_KINDS = frozenset({Kind.MONITOR_ERROR, Kind.NO_DATA, Kind.MONITOR_RECOVERED})


@record
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
    live: bool = False  # the count of calls now, from the live feed: no bucket, no hour

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


@record
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
    # When its capacity episode began: the incident tools' one key for the episode comes from it.
    opened_at: datetime | None = None
    # What one channel missed while it failed, told with the newest news it is owed instead
    # of a burst of stale messages ("raised WARNING at 12:46 UTC, ..."; see outbox.coalesce).
    missed: str = ""


class NotChecked:
    """The account's own ceiling was not fetched this run (it is fetched at most hourly)."""


NOT_CHECKED = NotChecked()


@record(frozen=False, eq=False)
class Measured:
    """Ultravox's hour, judged; the account's ceiling and plan when fetched this run."""

    evaluation: Evaluation
    account_ceiling: int | NotChecked | None = NOT_CHECKED
    subscription: Subscription | NotChecked = NOT_CHECKED


@record(frozen=False, eq=False)
class NoData:
    """Ultravox answered, but no bucket fell inside the hour."""


@record(frozen=False, eq=False)
class Failed:
    """Nothing could be measured this run, and why."""

    error: MonitorError


Observation = Measured | NoData | Failed


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

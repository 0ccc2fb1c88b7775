"""What the monitor remembers between runs: the alert state, and a run's outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from enum import StrEnum

from ceilingwatch.common.records import record
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.last_valid import KeptValues
from ceilingwatch.domain.outbox import ChannelMemory, Owed
from ceilingwatch.domain.severity import Level


class Health(StrEnum):
    """Whether the monitor could judge at all; kept apart from the level it last judged."""

    HEALTHY = "HEALTHY"
    NO_DATA = "NO_DATA"
    ERROR = "ERROR"


@record
class Judgement:
    """The level the runs concluded, the hour it rests on, and what the last run said."""

    level: Level = Level.OK
    level_since: datetime | None = None
    peak: int = 0
    peak_at: datetime | None = None
    limit: int | None = None
    seen_through: datetime | None = None  # the newest bucket judged: older ones are not news
    last_tick: datetime | None = None
    execution_id: str = ""
    reason: str = ""


@record
class OpenEpisode:
    """The capacity episode under way: from the first alerting run to the resolve."""

    started_at: datetime | None = None
    peak: int = 0
    peak_at: datetime | None = None
    top: Level = Level.OK  # the highest level judged in the episode
    top_seconds: int = 0  # how long it held at `top`, up to the last run judged there


@record
class HealthRecord:
    """Whether runs can judge: an outage is the runs in a row that could not, of either kind."""

    status: Health = Health.HEALTHY
    unhealthy_runs: int = 0
    unhealthy_tick: datetime | None = None
    last_error: str = ""


@record
class Told:
    """What people have been told by the state machine, and when.

    While muted it judges on but tells nobody: this whole record is kept as it was, so what was
    held back goes out once the mute ends. A new notice marks here what it told.
    """

    level: Level = Level.OK
    level_at: datetime | None = None
    health_at: datetime | None = None
    ceiling_key: str = ""  # "40<50": the account's ceiling below the limit, told once
    forecast_fired_at: datetime | None = None
    forecast_alerted_at: datetime | None = None
    plan_risk_key: str = ""
    # The ids of the change events and digest deliveries already claimed (newest last): a
    # duplicate delivery of one finds its id here and tells nothing again.
    events: tuple[str, ...] = ()

    def handled(self, event_id: str) -> bool:
        return bool(event_id) and event_id in self.events

    def remembering(self, event_id: str) -> tuple[str, ...]:
        if not event_id or event_id in self.events:
            return self.events
        return (*self.events, event_id)[-EVENTS_KEPT:]


# EventBridge and the scheduler deliver a duplicate within minutes: a few ids are plenty, and
# the item stays under DynamoDB's 1 KB write unit.
EVENTS_KEPT = 8


@record
class Watches:
    """The checks beside the level: the account's ceiling, the forecast, channels, parameters."""

    account_ceiling: int | None = None
    account_checked_at: datetime | None = None
    forecast_held_runs: int = 0
    forecast_held_at: datetime | None = None
    channel_problems: str = ""  # told while they last, reminded at the ERROR interval
    channel_problems_at: datetime | None = None
    # Channels failing at delivery (by name): the problem as first seen, naming the parameter.
    channel_failures: Mapping[str, str] = field(default_factory=dict)
    # The judging parameters of the last valid configuration (never a secret), what a run
    # judges with while a parameter is wrong (None: never valid); and the problems last told.
    last_valid_config: KeptValues | None = None
    config_problems: str = ""
    config_problems_at: datetime | None = None
    # Which versions of the parameters those problems name were told ("warning-percent@7"):
    # the identity the change event and the runs share. Empty in items from before versions.
    config_versions: str = ""


@record
class Answers:
    """Answers from Slack's buttons, for the current capacity episode (see responses.py)."""

    snoozed_until: datetime | None = None
    snoozed_by: str = ""
    acknowledged_level: Level | None = None
    acknowledged_by: str = ""


@record
class Escalation:
    """Channels with a delay, for the current capacity episode: the level news held back from
    them, and those told (so none is told twice, and a resolve goes only where a raise went)."""

    pending: Notification | None = None
    told: tuple[str, ...] = ()


@record
class DeliveryRecord:
    """What a run claimed and a channel has not taken yet, and what channels remember."""

    outbox: tuple[Owed, ...] = ()
    outbox_since: datetime | None = None
    channel_memory: ChannelMemory = field(default_factory=dict)


@record
class AlertState:
    """What the monitor remembers between runs, one item per monitor."""

    monitor: str
    judged: Judgement = Judgement()
    episode: OpenEpisode = OpenEpisode()
    health: HealthRecord = HealthRecord()
    told: Told = Told()
    watches: Watches = Watches()
    answers: Answers = Answers()
    delivery: DeliveryRecord = DeliveryRecord()
    escalation: Escalation = Escalation()
    version: int = 0  # the write condition: two runs cannot both store what they judged

    @property
    def status(self) -> str:
        """The one word a dashboard shows: the health problem if any, else the level."""
        health = self.health.status
        return health.value if health is not Health.HEALTHY else self.judged.level.name

    def already_judged(self, tick: datetime) -> bool:
        last = self.judged.last_tick
        return last is not None and tick <= last


@record
class Outcome:
    """The next state, what must be sent, and what a mute or a dry run held back."""

    state: AlertState
    notifications: tuple[Notification, ...]
    reason: str
    suppressed: tuple[Notification, ...] = field(default=())

"""The ports: what use cases need from outside, as protocols the channels and adapters fulfil."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from ceilingwatch.common.records import record
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.last_valid import ConfigReading, KeptValues
from ceilingwatch.domain.parameter_table import ParameterTable
from ceilingwatch.domain.plan import Subscription
from ceilingwatch.domain.series import Bucket, TimeSeries
from ceilingwatch.domain.state import AlertState

if TYPE_CHECKING:  # the fan-out's and the live feed's types: a scheduled tick never loads them
    from ceilingwatch.domain.fleet import Registered
    from ceilingwatch.domain.live_calls import CallRecord, LiveCount, Tally

# --- the usage source -----------------------------------------------------------------------


@record(frozen=False, eq=False)
class Account:
    """The account as its usage source reports it: its own ceiling, its calls now, its plan."""

    allowed_concurrent_calls: int | None
    active_calls: int | None  # the source's count of calls now: a live count's reconcile
    subscription_tier: str | None
    subscription: Subscription = field(default_factory=Subscription)


class UsageSource(Protocol):
    """One monitor's usage, built for that monitor with its key (see adapters/sources.py).

    Each call raises a MonitorError that says what to fix (a rejected key names its parameter);
    `deadline` is a time.monotonic() by which retries must have ended.
    """

    def concurrency(
        self,
        start: datetime,
        end: datetime,
        bucket: Bucket = Bucket.FIVE_MINUTES,
        *,
        deadline: float,
    ) -> TimeSeries: ...

    def account(self, *, deadline: float) -> Account: ...

    def call(self, call_id: str, *, deadline: float) -> Mapping[str, Any] | None:
        """One call as the source holds it now (its JSON), or None when it has no such call."""
        ...


# --- the monitor's parameters and its alert state -------------------------------------------


class MonitorParameters(Protocol):
    """A monitor's parameters, parsed and validated together (see adapters/parameters.py)."""

    @property
    def table(self) -> ParameterTable:
        """The parameter table they are read with."""
        ...

    def load(self, monitor: str) -> MonitorConfig: ...

    def read(
        self, monitor: str, last_valid: KeptValues | None = None, *, fresh: bool = False
    ) -> ConfigReading:
        """The configuration to judge with, falling back on `last_valid` while a value is bad."""
        ...


class AlertStates(Protocol):
    """One alert state per monitor, written only if nobody wrote it since it was read."""

    def load(self, monitor: str) -> AlertState | None: ...

    def save(self, state: AlertState, expected_version: int) -> None:
        """Raises StateConflictError when the stored version is not `expected_version`."""
        ...


class FleetRegistry(Protocol):
    """Every registered monitor (adapters/registry.py), cached until a change makes it stale."""

    def monitors(self) -> tuple[Registered, ...]: ...

    def stale(self) -> None: ...


class TickQueue(Protocol):
    """The per-monitor events of a tick, each with its delay in seconds (adapters/tick_queue.py)."""

    def send(self, messages: Sequence[tuple[Mapping[str, Any], int]]) -> int: ...


class FleetStates(Protocol):
    """The fleet's view of the state table: each monitor's last completed run, and the
    forgotten notice last sent (adapters/fleet_states.py)."""

    def last_runs(self, monitors: Sequence[str]) -> dict[str, datetime | None]: ...

    def told(self) -> tuple[tuple[str, ...], datetime | None]: ...

    def remember(self, names: tuple[str, ...], at: datetime) -> None: ...


# --- the channels ---------------------------------------------------------------------------


class Stream(StrEnum):
    """The incidents a notification belongs to: the ceiling, and the monitor's own health."""

    CAPACITY = "capacity"
    HEALTH = "health"


@record(frozen=False, eq=False)
class Context:
    """What a channel needs besides the notification: links, its deadline and its memory."""

    links: Mapping[str, str]
    deadline: float  # time.monotonic() by which the call must have ended
    memory: Mapping[str, str] = field(default_factory=dict)


class Channel(Protocol):
    """Delivers a notification or raises TransientChannelError or PermanentChannelError.

    `deliver` returns the channel's memory after the delivery (a PagerDuty incident key, a Slack
    thread), which is kept with the alert state and handed back on the next delivery.
    """

    name: str

    def accepts(self, note: Notification) -> bool: ...

    def deliver(self, note: Notification, context: Context) -> Mapping[str, str]: ...


@record
class Roster:
    """The channels that can deliver, and why any configured one cannot (naming its parameter)."""

    channels: tuple[Channel, ...]
    problems: tuple[str, ...] = ()
    complete: bool = True  # false when the configuration could not be read at all


# --- answers from a channel's buttons -------------------------------------------------------


class Answer(StrEnum):
    """What a person answers an open incident with, from its root message's buttons."""

    SNOOZE_1H = "snooze-1h"
    SNOOZE_4H = "snooze-4h"
    ACKNOWLEDGE = "acknowledge"


@record(frozen=False, eq=False)
class Click:
    """A verified click: who answered what, on which message of which monitor."""

    monitor: str  # from the button's value: only trusted once the root's ts matches it too
    action: Answer
    user: str  # the channel's user ID, shown as <@U…>
    channel: str
    ts: str  # the message whose button was clicked


class ClickRefusedError(Exception):
    """Why a click changes nothing; the text names no secret and echoes no raw input.

    `status` is the HTTP answer: 401 for a request that is not a genuine click, 403 for a
    genuine click on something it cannot act on.
    """

    def __init__(self, why: str, status: int = 403) -> None:
        super().__init__(why)
        self.status = status


class ClickChannel(Protocol):
    """The channel whose buttons people click: it reads and verifies a click, keeps the answer
    on the incident's message in its memory, and shows it."""

    @property
    def name(self) -> str:
        """Whose memory holds the incident's message."""
        ...

    def monitor_named(self, request: Mapping[str, Any]) -> str:
        """Which monitor a click names, read before it is verified (to find its secret)."""
        ...

    def verified(self, request: Mapping[str, Any], config: MonitorConfig, now: datetime) -> Click:
        """The click, once its signature proves the channel sent it."""
        ...

    def on_open_incident(self, memory: Mapping[str, str], click: Click) -> bool: ...

    def with_answer(self, memory: Mapping[str, str], said: str) -> dict[str, str]: ...

    def confirm(self, config: MonitorConfig, memory: Mapping[str, str], said: str) -> None:
        """Show the answer on the incident's message; raises ChannelError if it cannot."""
        ...


# --- the live feed --------------------------------------------------------------------------


class LiveCalls(Protocol):
    """One record per call of a monitor, each only moving forward (see adapters/live_calls.py)."""

    def record(self, monitor: str, call: CallRecord) -> bool:
        """Writes `call` unless its record is already at that stage or later; True if it opened
        a call not seen before (the only write that can raise the live count)."""
        ...

    def count(self, monitor: str, now: datetime) -> LiveCount:
        """The open, unexpired records, read strongly consistently, and the reconcile record."""
        ...

    def close(self, monitor: str, call_id: str, now: datetime) -> None:
        """Ends an open record the account no longer has (the reconcile's lowering)."""
        ...

    def save_tally(self, monitor: str, tally: Tally) -> None: ...


class Invoker(Protocol):
    """Starts the check function's live action without waiting for it."""

    def live(self, monitor: str) -> None: ...

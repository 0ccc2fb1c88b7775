"""In-memory fakes of every outside system, with the semantics the orchestration relies on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ceilingwatch.bootstrap import PARAMETERS
from ceilingwatch.channels.base import routed
from ceilingwatch.common.errors import (
    ChannelError,
    MonitorError,
    StateConflictError,
    TransientChannelError,
)
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.alerts import Notification
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.last_valid import ConfigReading, KeptValues, kept_values, read_config
from ceilingwatch.domain.messages import Email, format_email, format_slack
from ceilingwatch.domain.parameter_table import ParameterTable
from ceilingwatch.domain.ports import Account, Channel, Context, Roster
from ceilingwatch.domain.series import BUCKET, ConcurrencyBucket, TimeSeries, floor_to_bucket
from ceilingwatch.domain.severity import Severity
from ceilingwatch.domain.state import AlertState
from ceilingwatch.services.base import Dependencies

from tests.support.builders import config


@dataclass
class FakeParameters:
    table: ParameterTable = PARAMETERS
    cfg: MonitorConfig | None = field(default_factory=config)
    error: MonitorError | None = None
    calls: int = 0
    values: dict[str, str] | None = None  # raw parameter values, to test the fallback

    def load(self, monitor: str) -> MonitorConfig:
        self.calls += 1
        if self.error is not None:
            raise self.error
        assert self.cfg is not None
        return self.cfg

    def read(
        self, monitor: str, last_valid: KeptValues | None = None, *, fresh: bool = False
    ) -> ConfigReading:
        """As ParameterStore.read: from `values` when given, else the config (or the error)."""
        if self.values is not None:
            self.calls += 1
            path = f"/ceilingwatch/{monitor}/"
            return read_config(self.table, monitor, path, self.values, last_valid)
        config = self.load(monitor)
        return ConfigReading(config, (), kept_values(self.table, config))


@dataclass
class FakeUltravox:
    """A usage source serving a per-bucket peak function; `errors` are raised first, one a call."""

    peak_at: Callable[[datetime], int] = lambda start: 10
    errors: list[MonitorError] = field(default_factory=list)
    allowed: int | None = None
    active_calls: int = 0  # the account's activeCalls, which a live feed's reconcile reads
    series_calls: int = 0
    account_calls: int = 0
    keys: list[str] = field(default_factory=list)  # the key of each monitor it was built for

    def built_for(self, cfg: MonitorConfig) -> FakeUltravox:
        key = cfg.secret("ultravox-api-key")
        self.keys.append(key.reveal() if key else "")
        return self

    def concurrency(
        self, start: datetime, end: datetime, bucket: str = "5min", *, deadline: float
    ) -> TimeSeries:
        self.series_calls += 1
        if self.errors:
            raise self.errors.pop(0)
        buckets = []
        slot = floor_to_bucket(start)
        while slot < end:
            buckets.append(ConcurrencyBucket(slot, self.peak_at(slot)))
            slot += BUCKET
        return TimeSeries(tuple(buckets))

    def account(self, *, deadline: float) -> Account:
        self.account_calls += 1
        return Account(self.allowed, self.active_calls, "scale")

    def call(self, call_id: str, *, deadline: float) -> Mapping[str, Any] | None:
        return None  # no call is known: a live count's reconcile finds none to settle


@dataclass
class FakeStates:
    """DynamoDB's conditional put, in a dict."""

    items: dict[str, AlertState] = field(default_factory=dict)
    reads: int = 0
    writes: int = 0
    conflict_next: bool = False

    def load(self, monitor: str) -> AlertState | None:
        self.reads += 1
        return self.items.get(monitor)

    def save(self, state: AlertState, expected_version: int) -> None:
        current = self.items.get(state.monitor)
        if self.conflict_next or (current.version if current else 0) != expected_version:
            self.conflict_next = False
            raise StateConflictError("changed")
        self.writes += 1
        self.items[state.monitor] = state


@dataclass
class FakeChannel:
    """A channel with the real routing and formatting; `fail` raises, `hang` never answers."""

    name: str
    min_severity: Severity = Severity.WARNING
    sent: list[Notification] = field(default_factory=list)
    fail: ChannelError | None = None
    hang: threading.Event | None = None

    def accepts(self, note: Notification) -> bool:
        return routed(note, self.min_severity)

    def deliver(self, note: Notification, context: Context) -> Mapping[str, str]:
        if self.hang is not None:
            self.hang.wait(timeout=5)
            raise TransientChannelError(f"{self.name} hung")
        if self.fail is not None:
            raise self.fail
        self.sent.append(note)
        return {**context.memory, "count": str(int(context.memory.get("count", "0")) + 1)}


@dataclass
class FakeEmail(FakeChannel):
    name: str = "email"
    links: list[Mapping[str, str]] = field(default_factory=list)

    @property
    def emails(self) -> list[Email]:
        return [format_email(note, {}) for note in self.sent]

    def deliver(self, note: Notification, context: Context) -> Mapping[str, str]:
        self.links.append(context.links)
        return super().deliver(note, context)


@dataclass
class FakeSlack(FakeChannel):
    name: str = "slack"

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [format_slack(note, {}) for note in self.sent]


@dataclass
class World:
    parameters: FakeParameters = field(default_factory=FakeParameters)
    ultravox: FakeUltravox = field(default_factory=FakeUltravox)
    states: FakeStates = field(default_factory=FakeStates)
    email: FakeEmail = field(default_factory=FakeEmail)
    slack: FakeSlack = field(default_factory=FakeSlack)
    others: list[FakeChannel] = field(default_factory=list)
    secrets_seen: list[str] = field(default_factory=list)
    now: datetime = datetime(2026, 11, 24, 14, 36, 30, tzinfo=UTC)

    def dependencies(self) -> Dependencies:
        return Dependencies(
            settings=Settings(state_table_name="state", alert_topic_arn="arn:aws:sns:x:1:t"),
            parameters=self.parameters,  # type: ignore[arg-type]
            usage=self.ultravox.built_for,
            states=self.states,  # type: ignore[arg-type]
            channels=self.roster,
            clock=lambda: self.now,
            on_secrets=lambda *values: self.secrets_seen.extend(values),
        )

    def roster(self, cfg: MonitorConfig | None) -> Roster:
        """The email channel always; Slack when the monitor has a webhook, as the registry does."""
        channels: list[Channel] = [self.email]
        if cfg is not None and cfg.secret("slack-webhook-url") is not None:
            channels.append(self.slack)
        return Roster((*channels, *self.others), complete=cfg is not None)

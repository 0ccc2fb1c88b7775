"""One run for one monitor, from the schedule's tick to the messages: the one orchestrator."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ceilingwatch.adapters.parameters import ParameterStore
from ceilingwatch.adapters.state_store import StateStore
from ceilingwatch.adapters.ultravox import UltravoxClient
from ceilingwatch.config import MonitorConfig, Secret
from ceilingwatch.errors import (
    ChannelError,
    ConfigurationError,
    DeliveryError,
    MonitorError,
    StateConflictError,
)
from ceilingwatch.evaluation import Evaluation, percent
from ceilingwatch.lifecycle import (
    NOT_CHECKED,
    AlertState,
    Failed,
    Kind,
    Measured,
    NoData,
    NotChecked,
    Notification,
    Observation,
    account_check_due,
    advance,
    decode_outbox,
    encode_outbox,
)
from ceilingwatch.messages import Email, format_email, format_slack
from ceilingwatch.observability import logger
from ceilingwatch.series import fill_gaps, floor_to_bucket
from ceilingwatch.settings import Settings

WINDOW = timedelta(hours=1)
MAX_CLOCK_SKEW = timedelta(minutes=10)
RESERVE_SECONDS = 6.0  # kept back from Ultravox retries for the state write and the messages
MONITOR_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class EmailChannel(Protocol):
    name: str

    def send(self, email: Email) -> str: ...


class SlackChannel(Protocol):
    name: str

    def send(self, webhook: Secret, payload: dict[str, Any]) -> str: ...


@dataclass(frozen=True)
class Tick:
    """What the schedule asked for: which monitor, for which scheduled instant."""

    monitor: str
    scheduled_time: datetime
    execution_id: str = ""
    action: str = "check"

    @classmethod
    def from_event(cls, event: Mapping[str, Any], now: datetime) -> Tick:
        monitor = event.get("monitor")
        if not isinstance(monitor, str) or not monitor or set(monitor) - MONITOR_NAME_CHARS:
            raise ConfigurationError(
                f"the event names no valid monitor: {str(monitor)[:40]!r}",
                'give the schedule an input like {"monitor": "prod"} '
                "(letters, digits, '-', '_' and '.')",
            )
        action = event.get("action", "check")
        if action not in ("check", "test"):
            raise ConfigurationError(
                f"unknown action {str(action)[:20]!r}", 'use "check" (the default) or "test"'
            )
        raw = event.get("scheduledTime")
        if raw:
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
        else:
            # A manual invocation has no schedule: judge the current minute.
            scheduled = now.replace(second=0, microsecond=0)
        return cls(
            monitor=monitor,
            scheduled_time=scheduled.astimezone(UTC),
            execution_id=str(event.get("executionId", "")),
            action=action,
        )


@dataclass
class Delivery:
    """Where one notification went; `delivered` is true if any channel took it."""

    notification: Notification
    channels: dict[str, str] = field(default_factory=dict)

    @property
    def delivered(self) -> bool:
        return any(result == "sent" for result in self.channels.values())


@dataclass
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
            "notifications": [
                {
                    "kind": d.notification.kind.value,
                    "severity": d.notification.severity,
                    "why": d.notification.why,
                    **d.channels,
                }
                for d in self.deliveries
            ],
            "suppressed": self.suppressed,
        }


@dataclass
class Dependencies:
    """Every outside system a run touches, built once per execution environment."""

    settings: Settings
    parameters: ParameterStore
    ultravox: UltravoxClient
    states: StateStore
    email: EmailChannel
    slack: SlackChannel
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    on_secrets: Callable[..., None] = field(default=lambda *secrets: None)


def run(tick: Tick, deps: Dependencies, *, deadline: float) -> RunResult:
    """Judge one tick; raises when the run must fail visibly (the state store or every channel)."""
    if tick.action == "test":
        return _send_test(tick, deps)
    result = RunResult(monitor=tick.monitor, tick=tick.scheduled_time)
    previous = deps.states.load(tick.monitor)
    if previous is not None and previous.outbox:
        if deps.clock() - (previous.outbox_since or deps.clock()) < deps.settings.outbox_grace:
            # A run is delivering right now (an overlap or a duplicate delivery): it owns them.
            result.skipped = "another run is delivering this monitor's notifications"
            result.status = previous.status
            return result
        # The run that claimed these crashed, timed out or found every channel down.
        previous = _deliver_outbox(previous, deps, result)
        if result.error is not None:
            result.status = previous.status
            return result
    if previous is not None and previous.already_judged(tick.scheduled_time):
        result.skipped = f"tick already judged (last judged {previous.last_tick:%H:%M} UTC)"
        result.status = previous.status
        return result

    config, observation = _observe(tick, previous, deps, deadline)
    outcome = advance(
        previous,
        observation,
        monitor=tick.monitor,
        tick=tick.scheduled_time,
        execution_id=tick.execution_id,
        config=config,
    )
    result.status, result.reason = outcome.state.status, outcome.reason
    result.level_value = int(outcome.state.level)
    result.limit = config.concurrency_limit if config else None
    if isinstance(observation, Measured):
        evaluation = observation.evaluation
        result.peak = evaluation.peak.max_total_calls
        # The newest completed bucket and the one in progress: "now", beside the hour's peak.
        result.current = max(b.max_total_calls for b in evaluation.recent(1))
    elif isinstance(observation, NoData):
        result.peak = result.current = 0
    result.suppressed = [n.kind.value for n in outcome.suppressed]
    if isinstance(observation, Failed):
        result.error = observation.error

    if config is not None and config.dry_run:
        result.skipped = "dry run: state kept, nothing sent"
        result.suppressed += [n.kind.value for n in outcome.notifications]
        result.deliveries = [Delivery(n, {"dry-run": "not sent"}) for n in outcome.notifications]
        return result

    notes = outcome.notifications
    claimed = replace(
        outcome.state,
        outbox=encode_outbox(notes),
        outbox_since=deps.clock() if notes else None,
    )
    try:
        deps.states.save(claimed, expected_version=previous.version if previous else 0)
    except StateConflictError:
        # Another run (a duplicate delivery or an overlap) stored first and owns the messages.
        result.skipped = "another run judged this monitor first"
        return result
    if notes:
        result.deliveries = [_deliver(n, config, deps) for n in notes]
        _, undelivered = _settle(claimed, result.deliveries, deps)
        result.error = undelivered or result.error
    return result


def _deliver_outbox(state: AlertState, deps: Dependencies, result: RunResult) -> AlertState:
    """Send what an earlier run claimed but did not deliver, before judging anything new."""
    try:
        config: MonitorConfig | None = deps.parameters.load(state.monitor)
    except MonitorError:
        config = None  # email still works without the configuration
    deliveries = [_deliver(n, config, deps) for n in decode_outbox(state.outbox)]
    result.deliveries += deliveries
    settled, undelivered = _settle(state, deliveries, deps)
    result.error = undelivered
    return settled


def _settle(
    claimed: AlertState, deliveries: list[Delivery], deps: Dependencies
) -> tuple[AlertState, DeliveryError | None]:
    """Clear what was delivered from the outbox; the error, if anything found no channel.

    The state never says a notification went out while it sits undelivered in the outbox:
    the Lambda retry, or the next tick, sends it.
    """
    undelivered = tuple(d.notification for d in deliveries if not d.delivered)
    settled = replace(
        claimed,
        outbox=encode_outbox(undelivered),
        outbox_since=claimed.outbox_since if undelivered else None,
        version=claimed.version + 1,
    )
    deps.states.save(settled, expected_version=claimed.version)
    if not undelivered:
        return settled, None
    kinds = ", ".join(n.kind.value for n in undelivered)
    return settled, DeliveryError(
        f"no channel delivered the {kinds} notification for {claimed.monitor}; "
        "it stays in the outbox for the retry",
        "see each channel's error in this run's decision line; the retry sends it",
    )


def _observe(
    tick: Tick, previous: AlertState | None, deps: Dependencies, deadline: float
) -> tuple[MonitorConfig | None, Observation]:
    config: MonitorConfig | None = None
    try:
        config = deps.parameters.load(tick.monitor)
        deps.on_secrets(*config.secrets())
        deps.ultravox.key_parameter = config.parameter("ultravox-api-key")
        now = tick.scheduled_time
        start = floor_to_bucket(now - WINDOW)
        series = deps.ultravox.concurrency(config.ultravox_api_key, start, now, deadline=deadline)
        if series.ignored_outside_window or series.merged_duplicates:
            # Put right, not refused: but a change in the API's answers should be seen.
            logger.warning(
                "Ultravox sent buckets outside the window or twice",
                extra={
                    "outside_window": series.ignored_outside_window,
                    "merged_duplicates": series.merged_duplicates,
                },
            )
        if not series.buckets:
            return config, NoData()
        account: int | NotChecked | None = NOT_CHECKED
        if account_check_due(previous, now):
            account = _account_ceiling(config, deps, deadline)
        evaluation = Evaluation(
            buckets=fill_gaps(series.buckets, start, now),
            limit=config.concurrency_limit,
            thresholds=config.thresholds,
            now=now,
        )
        return config, Measured(evaluation, account)
    except MonitorError as error:
        return config, Failed(error)


def _account_ceiling(
    config: MonitorConfig, deps: Dependencies, deadline: float
) -> int | NotChecked | None:
    """The account's own figure is a cross-check: its failure never fails the run."""
    try:
        return deps.ultravox.account(
            config.ultravox_api_key, deadline=deadline
        ).allowed_concurrent_calls
    except MonitorError as error:
        logger.warning(
            "account cross-check skipped; retried next run",
            extra={"problem": error.problem, "fix": error.what_to_fix},
        )
        return NOT_CHECKED


def _deliver(note: Notification, config: MonitorConfig | None, deps: Dependencies) -> Delivery:
    delivery = Delivery(note)
    links = _links(deps.settings, config, note.monitor)
    try:
        deps.email.send(format_email(note, links))
        delivery.channels[deps.email.name] = "sent"
    except ChannelError as error:
        delivery.channels[deps.email.name] = f"failed: {error}"
    webhook = config.slack_webhook_url if config else None
    if webhook is not None:
        try:
            deps.slack.send(webhook, format_slack(note, links))
            delivery.channels[deps.slack.name] = "sent"
        except ChannelError as error:
            delivery.channels[deps.slack.name] = f"failed: {error}"
    return delivery


def _send_test(tick: Tick, deps: Dependencies) -> RunResult:
    config = deps.parameters.load(tick.monitor)
    deps.on_secrets(*config.secrets())
    channels = "email" + (" and Slack" if config.slack_webhook_url else "")
    note = Notification(
        Kind.TEST,
        tick.monitor,
        "TEST",
        f"a test alert through {channels}, sent on request; nothing is wrong and no state changed",
        tick.scheduled_time,
    )
    delivery = _deliver(note, config, deps)
    result = RunResult(tick.monitor, tick.scheduled_time, status="TEST", deliveries=[delivery])
    failed = [name for name, outcome in delivery.channels.items() if outcome != "sent"]
    if failed:
        raise DeliveryError(
            "the test alert failed on "
            + "; ".join(f"{name} ({delivery.channels[name]})" for name in failed)
        )
    return result


def _links(settings: Settings, config: MonitorConfig | None, monitor: str) -> dict[str, str]:
    region = settings.region
    path = config.parameter_path if config else f"{settings.parameter_prefix}/{monitor}/"
    links = {
        "Parameters": f"https://{region}.console.aws.amazon.com/systems-manager/parameters/"
        f"?region={region}&tab=Table#list_parameter_filters=Path:Recursive:{path.rstrip('/')}",
        "Ultravox": "https://app.ultravox.ai",
    }
    # The stack's dashboard charts its own monitor; monitors added later have none of their own.
    if settings.dashboard_name == f"ceilingwatch-{monitor}":
        links["Dashboard"] = (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#dashboards/dashboard/{settings.dashboard_name}"
        )
    return links


def deadline_from(remaining_ms: int) -> float:
    return time.monotonic() + max(1.0, remaining_ms / 1000 - RESERVE_SECONDS)

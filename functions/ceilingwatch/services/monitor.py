"""One run for one monitor, from the schedule's tick to the messages: the one orchestrator."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ceilingwatch.adapters.parameters import ParameterStore
from ceilingwatch.adapters.state_store import StateStore
from ceilingwatch.adapters.ultravox import Account, UltravoxClient
from ceilingwatch.channels import Roster
from ceilingwatch.common.errors import (
    ConfigurationError,
    DeliveryError,
    MonitorError,
    StateConflictError,
)
from ceilingwatch.common.observability import logger
from ceilingwatch.common.settings import Settings
from ceilingwatch.domain.alerts import (
    NOT_CHECKED,
    Failed,
    Kind,
    Measured,
    NoData,
    NotChecked,
    Notification,
    Observation,
)
from ceilingwatch.domain.choices import Action
from ceilingwatch.domain.config import (
    MONITOR_NAME_RULE,
    MonitorConfig,
    is_monitor_name,
    parameter_path,
)
from ceilingwatch.domain.config_notices import track_config
from ceilingwatch.domain.digest_text import digest_notification
from ceilingwatch.domain.evaluation import Evaluation, percent
from ceilingwatch.domain.health import DEFAULT_RENOTIFY_ERROR
from ceilingwatch.domain.last_valid import ConfigReading
from ceilingwatch.domain.lifecycle import advance
from ceilingwatch.domain.outbox import Owed
from ceilingwatch.domain.series import fill_gaps, floor_to_bucket
from ceilingwatch.domain.severity import Severity
from ceilingwatch.domain.state import AlertState, DeliveryRecord, Outcome
from ceilingwatch.domain.watches import account_check_due, channel_problems_notice
from ceilingwatch.services.delivery import ChannelOutcome, Delivery, Status, claim, send
from ceilingwatch.services.weekly import gather_digest

WINDOW = timedelta(hours=1)
MAX_CLOCK_SKEW = timedelta(minutes=10)
RESERVE_SECONDS = 4.0  # after the send phase: the state write, the decision line, the metrics
SEND_SECONDS = 10.0  # kept back from Ultravox retries for the channels (a call and one retry)


@dataclass(frozen=True)
class Tick:
    """What the schedule asked for: which monitor, for which scheduled instant."""

    monitor: str
    scheduled_time: datetime
    execution_id: str = ""
    action: Action = Action.CHECK

    @classmethod
    def from_event(cls, event: Mapping[str, Any], now: datetime) -> Tick:
        monitor = event.get("monitor")
        if not isinstance(monitor, str) or not is_monitor_name(monitor):
            raise ConfigurationError(
                f"the event names no valid monitor: {str(monitor)[:40]!r}",
                f'give the schedule an input like {{"monitor": "prod"}} ({MONITOR_NAME_RULE})',
            )
        raw_action = event.get("action", Action.CHECK)
        try:
            action = Action(raw_action)
        except ValueError:
            raise ConfigurationError(
                f"unknown action {str(raw_action)[:20]!r}",
                'use "check" (the default), "test" or "digest"',
            ) from None
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
                    **{name: str(outcome) for name, outcome in d.channels.items()},
                }
                for d in self.deliveries
            ],
            "suppressed": self.suppressed,
            # A run that could not judge ends normally (its ERROR is stored): say why here.
            **(
                {"problem": self.error.problem, "fix": self.error.what_to_fix}
                if self.error is not None
                else {}
            ),
        }


@dataclass
class Dependencies:
    """Every outside system a run touches, built once per execution environment."""

    settings: Settings
    parameters: ParameterStore
    ultravox: UltravoxClient
    states: StateStore
    channels: Callable[[MonitorConfig | None], Roster]
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    on_secrets: Callable[..., None] = field(default=lambda *secrets: None)


def run(tick: Tick, deps: Dependencies, *, deadline: float) -> RunResult:
    """Judge one tick and deliver what it owes; `deadline` ends the send phase."""
    if tick.action is Action.TEST:
        return _send_test(tick, deps, deadline)
    if tick.action is Action.DIGEST:
        return _send_digest(tick, deps, deadline)
    result = RunResult(monitor=tick.monitor, tick=tick.scheduled_time)
    previous = deps.states.load(tick.monitor)
    if previous is not None and delivering(previous, deps):
        # A run is delivering right now (an overlap or a duplicate delivery): it owns them.
        result.skipped = "another run is delivering this monitor's notifications"
        result.status = previous.status
        return result
    # What an earlier run claimed and a channel has not taken yet goes out with this run's news.
    carried = previous.delivery.outbox if previous else ()
    reading = _read_config(tick.monitor, previous, deps)
    config = reading.config
    roster = deps.channels(config)
    if previous is not None and previous.already_judged(tick.scheduled_time):
        result.skipped = f"tick already judged (last judged {previous.judged.last_tick:%H:%M} UTC)"
        result.status = previous.status
        if carried:
            claim_and_send(
                previous,
                replace(previous, version=previous.version + 1),
                carried,
                config,
                roster,
                deps,
                deadline,
                result,
            )
        return result

    judge_by = max(time.monotonic() + 1.0, deadline - SEND_SECONDS)
    observation = _observe(tick, previous, deps, judge_by, config, reading.error)
    outcome = advance(
        previous,
        observation,
        monitor=tick.monitor,
        tick=tick.scheduled_time,
        execution_id=tick.execution_id,
        config=config,
    )
    _describe(result, outcome, observation, config)
    state, notes = outcome.state, list(outcome.notifications)
    if config is not None and not config.muted(tick.scheduled_time):
        state, notice = channel_problems_notice(state, roster.problems, tick.scheduled_time, config)
        notes += [notice] if notice is not None else []
    state, config_notice = track_config(
        state,
        reading,
        parameter_path(deps.settings.parameter_prefix, tick.monitor),
        tick.scheduled_time,
        config.renotify_error if config else DEFAULT_RENOTIFY_ERROR,
        muted=config is not None and config.muted(tick.scheduled_time),
    )
    notes += [config_notice] if config_notice is not None else []

    if config is not None and config.dry_run:
        result.skipped = "dry run: state kept, nothing sent"
        result.suppressed += [n.kind.value for n in notes]
        result.deliveries = [Delivery(n, {"dry-run": ChannelOutcome(Status.HELD)}) for n in notes]
        return result
    owed = carried + claim(notes, roster.channels)
    claim_and_send(previous, state, owed, config, roster, deps, deadline, result)
    return result


def delivering(state: AlertState, deps: Dependencies) -> bool:
    """An outbox younger than the grace belongs to a live run; an older one to a dead run."""
    since = state.delivery.outbox_since or deps.clock()
    return bool(state.delivery.outbox) and deps.clock() - since < deps.settings.outbox_grace


def _describe(
    result: RunResult, outcome: Outcome, observation: Observation, config: MonitorConfig | None
) -> None:
    result.status, result.reason = outcome.state.status, outcome.reason
    result.level_value = int(outcome.state.judged.level)
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


def claim_and_send(
    previous: AlertState | None,
    state: AlertState,
    owed: tuple[Owed, ...],
    config: MonitorConfig | None,
    roster: Roster,
    deps: Dependencies,
    deadline: float,
    result: RunResult,
) -> None:
    """Store the state with what it owes (the claim), deliver, then store what is still owed.

    The claim is a conditional write: of two overlapping runs only one sends. The state never
    says a channel took a notification it has not taken: a retry or the next tick sends it.
    """
    since = deps.clock() if owed else None
    claimed = replace(state, delivery=replace(state.delivery, outbox=owed, outbox_since=since))
    try:
        deps.states.save(claimed, expected_version=previous.version if previous else 0)
    except StateConflictError:
        # Another run (a duplicate delivery or an overlap) stored first and owns the messages.
        result.skipped = "another run judged this monitor first"
        return
    if not owed:
        return
    settlement = send(
        owed,
        roster.channels,
        links=links(deps.settings, config, state.monitor),
        memory=previous.delivery.channel_memory if previous else {},
        deadline=deadline,
        roster_complete=roster.complete,
    )
    result.deliveries += settlement.deliveries
    settled = replace(
        claimed,
        delivery=DeliveryRecord(
            settlement.owed, since if settlement.owed else None, settlement.memory
        ),
        version=claimed.version + 1,
    )
    deps.states.save(settled, expected_version=claimed.version)
    still = {id(entry.notification) for entry in settlement.owed}
    lost = [
        d.notification.kind.value
        for d in settlement.deliveries
        if not d.delivered and id(d.notification) in still
    ]
    if lost and result.error is None:
        result.error = DeliveryError(
            f"no channel delivered the {', '.join(lost)} notification for {state.monitor}; "
            "it stays owed for the retry",
            "see each channel's error in this run's decision line; the retry sends it",
        )


def _read_config(monitor: str, previous: AlertState | None, deps: Dependencies) -> ConfigReading:
    """Today's configuration, or the last valid one while a parameter is wrong."""
    try:
        reading = deps.parameters.read(
            monitor, previous.watches.last_valid_config if previous else None
        )
    except MonitorError as error:
        return ConfigReading(None, error=error)
    if reading.config is not None:
        deps.on_secrets(*reading.config.secrets())
    if reading.falling_back:
        logger.warning(
            "configuration invalid: judging with the last valid values",
            extra={"problems": [p.text for p in reading.problems]},
        )
    return reading


def _observe(
    tick: Tick,
    previous: AlertState | None,
    deps: Dependencies,
    deadline: float,
    config: MonitorConfig | None,
    config_error: MonitorError | None,
) -> Observation:
    if config is None:
        return Failed(config_error or ConfigurationError("the configuration could not be read"))
    try:
        deps.ultravox.key_parameter = config.parameter("ultravox-api-key")
        now = tick.scheduled_time
        start = floor_to_bucket(now - WINDOW)
        series = deps.ultravox.concurrency(config.ultravox_api_key, start, now, deadline=deadline)
        if series.ignored_outside_window or series.merged_duplicates or series.off_grid:
            # Put right, not refused: but a change in the API's answers should be seen.
            logger.warning(
                "Ultravox sent buckets off the 5-minute grid, outside the window or twice",
                extra={
                    "off_grid": series.off_grid,
                    "outside_window": series.ignored_outside_window,
                    "merged_duplicates": series.merged_duplicates,
                },
            )
        if not series.buckets:
            return NoData()
        account: Account | NotChecked = NOT_CHECKED
        if account_check_due(previous, now):
            account = _account(config, deps, deadline)
        evaluation = Evaluation(
            buckets=fill_gaps(series.buckets, start, now),
            limit=config.concurrency_limit,
            thresholds=config.thresholds,
            now=now,
        )
        if isinstance(account, NotChecked):
            return Measured(evaluation)
        return Measured(evaluation, account.allowed_concurrent_calls, account.subscription)
    except MonitorError as error:
        # Its text may hold what Ultravox echoed: scrubbed before the state or a message sees it.
        return Failed(error.scrubbed(config.secrets()))


def _account(config: MonitorConfig, deps: Dependencies, deadline: float) -> Account | NotChecked:
    """The account's own ceiling and plan are a cross-check: their failure never fails the run."""
    try:
        return deps.ultravox.account(config.ultravox_api_key, deadline=deadline)
    except MonitorError as error:
        logger.warning(
            "account cross-check skipped; retried next run",
            extra={"problem": error.problem, "fix": error.what_to_fix},
        )
        return NOT_CHECKED


def _send_test(tick: Tick, deps: Dependencies, deadline: float) -> RunResult:
    config = deps.parameters.load(tick.monitor)
    deps.on_secrets(*config.secrets())
    roster = deps.channels(config)
    names = [c.name for c in roster.channels]
    note = Notification(
        Kind.TEST,
        tick.monitor,
        Severity.TEST,
        f"a test alert through {', '.join(names)}, sent on request; "
        "nothing is wrong and no state changed",
        tick.scheduled_time,
    )
    return _send_notice(note, "TEST", "the test alert", config, roster, deps, deadline)


def _send_digest(tick: Tick, deps: Dependencies, deadline: float) -> RunResult:
    """The weekly digest: read, build, send; no alert state is read or written."""
    config = deps.parameters.load(tick.monitor)
    deps.on_secrets(*config.secrets())
    deps.ultravox.key_parameter = config.parameter("ultravox-api-key")
    judge_by = max(time.monotonic() + 1.0, deadline - SEND_SECONDS)
    digest = gather_digest(deps.ultravox, config, tick.scheduled_time, deadline=judge_by)
    note = digest_notification(digest, tick.scheduled_time)
    result = _send_notice(
        note, "DIGEST", "the weekly digest", config, deps.channels(config), deps, deadline
    )
    result.reason = note.why  # no PeakCalls metric: a week's peak is not a tick's
    return result


def _send_notice(
    note: Notification,
    status: str,
    what: str,
    config: MonitorConfig,
    roster: Roster,
    deps: Dependencies,
    deadline: float,
) -> RunResult:
    """A notice outside the alert lifecycle: sent once, never stored; any failure fails the run,
    so Lambda's retry sends it again."""
    settlement = send(
        claim([note], roster.channels),
        roster.channels,
        links=links(deps.settings, config, note.monitor),
        memory={},
        deadline=deadline,
    )
    result = RunResult(note.monitor, note.at, status=status, deliveries=settlement.deliveries)
    failed = [
        f"{name} ({outcome})"
        for d in settlement.deliveries
        for name, outcome in d.channels.items()
        if outcome.status is not Status.SENT
    ] + list(roster.problems)
    if failed:
        result.error = DeliveryError(f"{what} failed on " + "; ".join(failed))
    return result


def links(settings: Settings, config: MonitorConfig | None, monitor: str) -> dict[str, str]:
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
    """When the send phase must end: the function's timeout, less the time to record the run."""
    return time.monotonic() + max(1.0, remaining_ms / 1000 - RESERVE_SECONDS)

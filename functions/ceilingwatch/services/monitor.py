"""One run for one monitor, from the schedule's tick to the messages: the one orchestrator."""

from __future__ import annotations

from ceilingwatch.common.errors import MonitorError
from ceilingwatch.common.observability import logger
from ceilingwatch.common.records import replace
from ceilingwatch.domain.alerts import Failed, Measured, NoData, Notification, Observation
from ceilingwatch.domain.choices import Action
from ceilingwatch.domain.config import MonitorConfig, parameter_path
from ceilingwatch.domain.config_notices import track_config
from ceilingwatch.domain.escalation import claim_with_delays
from ceilingwatch.domain.health import DEFAULT_RENOTIFY_ERROR
from ceilingwatch.domain.last_valid import ConfigReading
from ceilingwatch.domain.lifecycle import advance
from ceilingwatch.domain.outbox import Owed
from ceilingwatch.domain.parameter_table import delay_name
from ceilingwatch.domain.ports import LiveCalls, Roster
from ceilingwatch.domain.state import AlertState, Outcome
from ceilingwatch.domain.tick import Tick
from ceilingwatch.domain.watches import channel_problems_notice
from ceilingwatch.services.base import Dependencies, RunResult, judge_by, live_feed_on
from ceilingwatch.services.claims import claim_and_send, claim_notice, delivering
from ceilingwatch.services.delivery import ChannelOutcome, Delivery, Status, claim
from ceilingwatch.services.failures import name_new_failures, still_failing
from ceilingwatch.services.observe import observe


def run(tick: Tick, deps: Dependencies, *, deadline: float) -> RunResult:
    """Judge one tick and deliver what it owes; `deadline` ends the send phase."""
    if tick.action in (Action.TEST, Action.DIGEST):
        # The digest's modules load only for its weekly run, not at every tick's cold start.
        from ceilingwatch.services import notices

        send = notices.send_test if tick.action is Action.TEST else notices.send_digest
        return send(tick, deps, deadline)
    if tick.action is Action.LIVE:
        # Only the live feed's invocations need it: a scheduled tick never imports it.
        from ceilingwatch.services.live_check import check_live

        return check_live(tick, deps, deadline)
    return _check(tick, deps, deadline)


def _check(tick: Tick, deps: Dependencies, deadline: float) -> RunResult:
    result = RunResult(monitor=tick.monitor, tick=tick.scheduled_time)
    previous = deps.states.load(tick.monitor)
    if previous is not None and delivering(previous, deps.clock(), deps.settings.outbox_grace):
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
        return _carry(previous, carried, config, roster, tick, deps, deadline, result)
    observation = observe(
        tick.scheduled_time,
        previous,
        config,
        reading.error,
        deps.usage,
        judge_by(deadline),
    )
    outcome = advance(
        previous,
        observation,
        monitor=tick.monitor,
        tick=tick.scheduled_time,
        execution_id=tick.execution_id,
        config=config,
    )
    _describe(result, outcome, observation, config)
    state, notes = _told(outcome, reading, roster, tick, deps)
    if config is not None and config.dry_run:
        return _held(result, notes)
    state, fresh = _claim(state, notes, config, roster, tick)
    owed = carried + fresh
    stored = claim_and_send(previous, state, owed, config, roster, deps, deadline, result)
    name_new_failures(stored, config, roster, deps, deadline, result, tick.scheduled_time)
    if config is not None and deps.live is not None and live_feed_on(config, deps.live):
        _reconcile(tick.monitor, deps.live, config, roster, deps, deadline, result)
    return result


def _reconcile(
    monitor: str,
    live: LiveCalls,
    config: MonitorConfig,
    roster: Roster,
    deps: Dependencies,
    deadline: float,
    result: RunResult,
) -> None:
    """The live count against activeCalls; a lagging feed's notice claimed after the run's own."""
    # Loaded only by such a monitor's runs, not at every tick's cold start (test_tick_imports).
    from ceilingwatch.services.reconcile import reconcile_live

    now = deps.clock()

    def tell(note: Notification) -> bool:
        if config.muted(now):
            return False  # told once the mute ends, as the channel problems are
        return claim_notice(note, config, roster, deps, deadline, result)

    done = reconcile_live(
        monitor,
        lambda: deps.usage(config),
        live,
        now,
        deadline,
        tell=tell,
        remind=config.renotify_error,
    )
    logger.info("live feed reconciled", extra={"reconcile": done})


def _claim(
    state: AlertState,
    notes: list[Notification],
    config: MonitorConfig | None,
    roster: Roster,
    tick: Tick,
) -> tuple[AlertState, tuple[Owed, ...]]:
    """What this run owes each channel, a channel with a delay only once its delay is up, and
    never a failing channel the notice about itself (the others carry it)."""
    channels, failing = roster.channels, state.watches.channel_failures
    delays = {c.name: config.option(delay_name(c.name)) for c in channels} if config else {}

    def routes(note: Notification) -> tuple[str, ...]:
        (owed,) = claim([note], channels, failing) or (Owed(note, ()),)
        return owed.channels or ()

    return claim_with_delays(state, notes, routes, delays, tick.scheduled_time)


def _carry(
    previous: AlertState,
    carried: tuple[Owed, ...],
    config: MonitorConfig | None,
    roster: Roster,
    tick: Tick,
    deps: Dependencies,
    deadline: float,
    result: RunResult,
) -> RunResult:
    """A tick already judged judges nothing, but what is still owed goes out."""
    result.skipped = f"tick already judged (last judged {previous.judged.last_tick:%H:%M} UTC)"
    result.status = previous.status
    if carried:
        again = replace(previous, version=previous.version + 1)
        stored = claim_and_send(previous, again, carried, config, roster, deps, deadline, result)
        name_new_failures(stored, config, roster, deps, deadline, result, tick.scheduled_time)
    return result


def _read_config(monitor: str, previous: AlertState | None, deps: Dependencies) -> ConfigReading:
    """Today's configuration, or the last valid one while a parameter is wrong."""
    try:
        last_valid = previous.watches.last_valid_config if previous else None
        reading = deps.parameters.read(monitor, last_valid)
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


def _told(
    outcome: Outcome, reading: ConfigReading, roster: Roster, tick: Tick, deps: Dependencies
) -> tuple[AlertState, list[Notification]]:
    """The state and what it tells: the lifecycle's news, broken channels, bad parameters."""
    config, at = reading.config, tick.scheduled_time
    muted = config is not None and config.muted(at)
    state, notes = outcome.state, list(outcome.notifications)
    if config is not None and not muted:
        state, failing = still_failing(state, roster)
        problems = roster.problems + tuple(failing.values())
        state, notice = channel_problems_notice(state, problems, at, config)
        notes += [notice] if notice is not None else []
    state, config_notice = track_config(
        state,
        reading,
        parameter_path(deps.settings.parameter_prefix, tick.monitor),
        at,
        config.renotify_error if config else DEFAULT_RENOTIFY_ERROR,
        muted=muted,
    )
    notes += [config_notice] if config_notice is not None else []
    return state, notes


def _held(result: RunResult, notes: list[Notification]) -> RunResult:
    """A dry run changes no state and sends nothing: its decision line shows what it would send."""
    result.skipped = "dry run: state kept, nothing sent"
    result.suppressed += [n.kind.value for n in notes]
    result.deliveries = [Delivery(n, {"dry-run": ChannelOutcome(Status.HELD)}) for n in notes]
    return result


def _describe(
    result: RunResult, outcome: Outcome, observation: Observation, config: MonitorConfig | None
) -> None:
    result.status, result.reason = outcome.state.status, outcome.reason
    result.level_value = int(outcome.state.judged.level)
    result.limit = config.concurrency_limit if config else None
    result.monitor_metrics = config is not None and config.monitor_metrics
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

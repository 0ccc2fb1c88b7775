"""The watches beside the level: the account's own ceiling, FORECAST, the plan, the channels."""

from __future__ import annotations

from datetime import datetime, timedelta

from ceilingwatch.common.records import replace
from ceilingwatch.domain.alerts import Kind, NotChecked, Notification, Reading
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.evaluation import Evaluation, highest
from ceilingwatch.domain.forecast import ForecastWatch, Nowcast, approx_minutes, watch
from ceilingwatch.domain.plan import Subscription, plan_risk
from ceilingwatch.domain.severity import Severity
from ceilingwatch.domain.state import AlertState
from ceilingwatch.domain.wording import headline, reading_of, thresholds_clause

ACCOUNT_CHECK_INTERVAL = timedelta(hours=1)

Noticed = tuple[AlertState, Notification | None]


def account_check_due(state: AlertState | None, now: datetime) -> bool:
    checked = state.watches.account_checked_at if state else None
    return checked is None or now - checked >= ACCOUNT_CHECK_INTERVAL


def account_ceiling_notice(
    state: AlertState,
    observed: int | NotChecked | None,
    tick: datetime,
    cfg: MonitorConfig,
    reading: Reading,
) -> Noticed:
    """Ultravox's own ceiling below the configured limit: calls get 429 before any alert."""
    if not isinstance(observed, NotChecked):
        checked = replace(state.watches, account_ceiling=observed, account_checked_at=tick)
        state = replace(state, watches=checked)
    allowed, limit = state.watches.account_ceiling, cfg.concurrency_limit
    if allowed is None or allowed >= limit:
        if not state.told.ceiling_key:
            return state, None  # nothing to forget: the usual run
        return replace(state, told=replace(state.told, ceiling_key="")), None
    key = f"{allowed}<{limit}"
    if state.told.ceiling_key == key:
        return state, None
    why = (
        f"Ultravox allows this account {allowed} concurrent calls, below the configured limit "
        f"of {limit}: calls past {allowed} will get HTTP 429 before any alert fires"
    )
    note = Notification(
        Kind.ACCOUNT_CEILING,
        state.monitor,
        Severity.WARNING,
        why,
        tick,
        reading,
        fix=f"lower {cfg.parameter('concurrency-limit')} to {allowed} or raise the account's plan",
    )
    return replace(state, told=replace(state.told, ceiling_key=key)), note


def forecast_notice(
    state: AlertState, cast: Nowcast, ev: Evaluation, tick: datetime, cfg: MonitorConfig
) -> Noticed:
    """The FORECAST rule (forecast.watch) on the state's memory of it."""
    watches, told = state.watches, state.told
    memory = ForecastWatch(
        watches.forecast_held_runs,
        watches.forecast_held_at,
        told.forecast_fired_at,
        told.forecast_alerted_at is not None,
    )
    memory, due = watch(memory, cast, state.judged.level, tick, cfg.forecast_window)
    state = replace(
        state,
        watches=replace(
            watches, forecast_held_runs=memory.held_runs, forecast_held_at=memory.held_at
        ),
        told=replace(
            told,
            forecast_fired_at=memory.fired_at,
            forecast_alerted_at=(told.forecast_alerted_at or tick) if memory.alerted else None,
        ),
    )
    if not due or cast.minutes_to_limit is None:
        return state, None
    return state, _forecast(state.monitor, cast, cast.minutes_to_limit, ev, tick, cfg)


def _forecast(
    monitor: str, cast: Nowcast, minutes: float, ev: Evaluation, tick: datetime, cfg: MonitorConfig
) -> Notification:
    # "now 38/50": the newest bucket, completed or in progress, not the hour's peak.
    current = highest(ev.recent(1)) or ev.peak
    limit = ev.limit
    why = (
        f"at this rate the limit of {limit} in ~{approx_minutes(minutes)} min: "
        f"{cast.basis()}; now {headline(current, ev, limit).removeprefix('peak ')}"
        f"{thresholds_clause(cfg.thresholds)}"
    )
    fix = (
        "if this traffic is expected, raise the account's concurrency before then; one FORECAST "
        f"an episode ({cfg.parameter('forecast-minutes')} sets how far ahead, 0 turns it off)"
    )
    return Notification(
        Kind.FORECAST, monitor, Severity.WARNING, why, tick, reading_of(current, ev, cast), fix=fix
    )


def plan_risk_notice(
    state: AlertState, observed: Subscription | NotChecked, tick: datetime, cfg: MonitorConfig
) -> Noticed:
    """A plan about to lapse or change: told once per event (its key), whatever the level."""
    if isinstance(observed, NotChecked):
        return state, None
    risk = plan_risk(observed, tick, cfg.concurrency_limit)
    if risk is None or risk.key == state.told.plan_risk_key:
        return state, None
    note = Notification(
        Kind.PLAN_RISK, state.monitor, Severity.WARNING, risk.why, tick, fix=risk.fix
    )
    return replace(state, told=replace(state.told, plan_risk_key=risk.key)), note


def problems_key(problems: tuple[str, ...]) -> str:
    return "; ".join(sorted(problems))


def told_channel_problems(state: AlertState, problems: tuple[str, ...], at: datetime) -> AlertState:
    """A change's verdict named these channel problems at `at`: the runs remind at the interval."""
    key = problems_key(problems)
    if not key or key == state.watches.channel_problems:
        return state
    told = replace(state.watches, channel_problems=key, channel_problems_at=at)
    return replace(state, watches=told)


def channel_problems_notice(
    state: AlertState, problems: tuple[str, ...], tick: datetime, cfg: MonitorConfig
) -> Noticed:
    """A channel that cannot work is told through the channels that can: once, then as a reminder
    at the ERROR interval while it lasts; fixing it quietly clears the memory."""
    key = problems_key(problems)
    watches = state.watches
    if not key:
        if not watches.channel_problems and watches.channel_problems_at is None:
            return state, None  # nothing to clear: the usual run
        cleared = replace(watches, channel_problems="", channel_problems_at=None)
        return replace(state, watches=cleared), None
    last = watches.channel_problems_at
    interval = cfg.renotify_error
    if watches.channel_problems == key and (last is None or not interval or tick - last < interval):
        return state, None
    note = Notification(
        Kind.CHANNEL_PROBLEM,
        state.monitor,
        Severity.WARNING,
        f"{len(problems)} channel{'s' if len(problems) != 1 else ''} cannot deliver: {key}",
        tick,
        fix=f"set the parameters named above under {cfg.parameter_path}; "
        "the other channels keep working",
    )
    told = replace(watches, channel_problems=key, channel_problems_at=tick)
    return replace(state, watches=told), note

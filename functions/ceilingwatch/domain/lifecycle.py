"""The alert state machine: raise fast, resolve slow, remind, never repeat, never stay silent."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum

from ceilingwatch.common.errors import MonitorError
from ceilingwatch.domain.alerts import (
    Failed,
    Kind,
    Measured,
    NoData,
    NotChecked,
    Notification,
    Observation,
    Reading,
    ago,
    duration,
)
from ceilingwatch.domain.choices import NoDataPolicy
from ceilingwatch.domain.config import MonitorConfig, Thresholds
from ceilingwatch.domain.evaluation import (
    Evaluation,
    highest,
    lowered,
    percent,
    recovery_percent,
)
from ceilingwatch.domain.forecast import ForecastWatch, Nowcast, approx_minutes, nowcast, watch
from ceilingwatch.domain.plan import Subscription, plan_risk
from ceilingwatch.domain.series import ConcurrencyBucket
from ceilingwatch.domain.severity import Level, Severity
from ceilingwatch.domain.state import (
    AlertState,
    Answers,
    Health,
    HealthRecord,
    Judgement,
    OpenEpisode,
    Outcome,
)

ACCOUNT_CHECK_INTERVAL = timedelta(hours=1)
DEFAULT_ERROR_AFTER_RUNS = 3
DEFAULT_RENOTIFY_ERROR = timedelta(hours=4)


def account_check_due(state: AlertState | None, now: datetime) -> bool:
    checked = state.watches.account_checked_at if state else None
    return checked is None or now - checked >= ACCOUNT_CHECK_INTERVAL


def advance(
    previous: AlertState | None,
    observation: Observation,
    *,
    monitor: str,
    tick: datetime,
    execution_id: str = "",
    config: MonitorConfig | None,
) -> Outcome:
    """Hold one run's observation against the stored state: the heart of ceilingwatch."""
    state = previous or AlertState(monitor=monitor)
    state = replace(
        state,
        version=state.version + 1,
        judged=replace(state.judged, execution_id=execution_id),
    )
    if isinstance(observation, Failed):
        return _on_failure(state, observation.error, tick, config)
    if config is None:
        raise ValueError("only a failed run can lack its configuration")
    if isinstance(observation, NoData):
        return _on_no_data(state, tick, config)
    return _on_measured(state, observation, tick, config)


def _on_measured(state: AlertState, seen: Measured, tick: datetime, cfg: MonitorConfig) -> Outcome:
    ev = seen.evaluation
    limit = cfg.concurrency_limit
    judged = state.judged
    fresh = ev.fresh(judged.seen_through)
    fresh_top = highest(fresh) or ev.peak
    fresh_level = ev.level_of(fresh)
    recent = ev.recent(cfg.recovery_buckets)
    recent_top = highest(recent) or ev.peak
    limit_changed = judged.limit is not None and judged.limit != limit

    if limit_changed:
        # A new limit is a deliberate act, not noise: judge the recent buckets at once.
        # Buckets not yet judged (say, after an outage) count too: the new limit applies to them.
        level = max(ev.level_of(recent), fresh_level)
        basis = recent_top if ev.level_of(recent) >= fresh_level else fresh_top
        reason = f"limit changed from {judged.limit} to {limit}; " + _headline(basis, ev, limit)
    elif fresh_level > judged.level:
        level, basis = fresh_level, fresh_top
        reason = _headline(basis, ev, limit) + _thresholds_clause(cfg.thresholds)
    elif judged.level.alerting:
        level = max(
            lowered(judged.level, recent_top.max_total_calls, limit, cfg.thresholds), fresh_level
        )
        # What holds the level now: the recent buckets, not an hour-old peak.
        basis = recent_top
        reason = _recovery_reason(judged.level, level, recent_top, ev, cfg)
    else:
        level, basis = fresh_level, ev.peak
        reason = _headline(basis, ev, limit) + _thresholds_clause(cfg.thresholds)

    cast = nowcast(ev.buckets, limit, ev.now)
    if cast.confident:
        reason += f"; {cast.sentence()} ({cast.basis()})"
    reading = _reading(basis, ev, cast)
    next_state = replace(
        _with_episode(state, level, fresh_top, tick),
        judged=Judgement(
            level=level,
            level_since=tick
            if level != judged.level or judged.level_since is None
            else judged.level_since,
            peak=ev.peak.max_total_calls,
            peak_at=ev.peak.start,
            limit=limit,
            seen_through=ev.newest_start,
            last_tick=tick,
            execution_id=judged.execution_id,
            reason=reason,
        ),
        health=HealthRecord(),
        told=replace(state.told, health_at=None),
    )
    notes: list[Notification] = []
    if state.told.health_at is not None:
        health = state.health
        notes.append(
            Notification(
                Kind.MONITOR_RECOVERED,
                state.monitor,
                Severity.of(level),
                f"ceilingwatch can judge again after {health.unhealthy_runs} runs in "
                f"{health.status.value}; {'' if ev.is_past(basis) else 'now: '}"
                + _headline(basis, ev, limit),
                tick,
                reading,
                previous_severity=Severity(health.status.value),
            )
        )
    change = _level_notification(state, level, reason, reading, tick, cfg, limit_changed)
    answered: list[Notification] = []
    if change is not None:
        heed = _heed(state, change, tick)
        (notes if heed is Heed.SEND else answered).append(change)
        if heed is not Heed.HOLD:
            told = level if change.kind is not Kind.REMINDER else max(level, state.told.level)
            next_state = replace(
                next_state, told=replace(next_state.told, level=told, level_at=tick)
            )
    if not level.alerting:
        # A snooze or an acknowledge answers one episode: the next one alerts afresh.
        next_state = replace(next_state, answers=Answers())
    next_state, ceiling_note = _account_ceiling(
        next_state, seen.account_ceiling, tick, cfg, reading
    )
    if ceiling_note is not None:
        notes.append(ceiling_note)
    next_state, forecast_note = _forecast(next_state, cast, ev, tick, cfg)
    next_state, plan_note = _plan_risk(next_state, seen.subscription, tick, cfg)
    notes += [n for n in (forecast_note, plan_note) if n is not None]
    outcome = _deliver_or_hold(state, next_state, notes, reason, tick, cfg)
    return replace(outcome, suppressed=outcome.suppressed + tuple(answered))


class Heed(StrEnum):
    """What a snooze or an acknowledge from Slack makes of a level notification."""

    SEND = "send"
    HOLD = "hold"  # snoozed: not told, so it goes out once the snooze ends
    DROP = "drop"  # acknowledged: counts as told, so its reminders stop


def _heed(state: AlertState, note: Notification, tick: datetime) -> Heed:
    """A rise, a new episode and the resolve always go out; reminders and same-level news wait."""
    level = note.severity.rank  # a level notification's severity is its level
    answers = state.answers
    snoozed = answers.snoozed_until is not None and tick < answers.snoozed_until
    if note.kind is Kind.REMINDER:
        if answers.acknowledged_level is not None and level <= answers.acknowledged_level:
            return Heed.DROP
        return Heed.HOLD if snoozed else Heed.SEND
    if note.kind is Kind.LIMIT_CHANGED and snoozed and Level.OK < level <= state.told.level:
        return Heed.HOLD
    return Heed.SEND


def _forecast(
    state: AlertState, cast: Nowcast, ev: Evaluation, tick: datetime, cfg: MonitorConfig
) -> tuple[AlertState, Notification | None]:
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
    # "now 38/50": the newest bucket, completed or in progress, not the hour's peak.
    current = highest(ev.recent(1)) or ev.peak
    limit = ev.limit
    why = (
        f"at this rate the limit of {limit} in ~{approx_minutes(cast.minutes_to_limit)} min: "
        f"{cast.basis()}; now {_headline(current, ev, limit).removeprefix('peak ')}"
        f"{_thresholds_clause(cfg.thresholds)}"
    )
    fix = (
        "if this traffic is expected, raise the account's concurrency before then; one FORECAST "
        f"an episode ({cfg.parameter('forecast-minutes')} sets how far ahead, 0 turns it off)"
    )
    note = Notification(
        Kind.FORECAST,
        state.monitor,
        Severity.WARNING,
        why,
        tick,
        _reading(current, ev, cast),
        fix=fix,
    )
    return state, note


def _plan_risk(
    state: AlertState, observed: Subscription | NotChecked, tick: datetime, cfg: MonitorConfig
) -> tuple[AlertState, Notification | None]:
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


def _level_notification(
    state: AlertState,
    level: Level,
    reason: str,
    reading: Reading,
    tick: datetime,
    cfg: MonitorConfig,
    limit_changed: bool,
) -> Notification | None:
    told = state.told.level
    was = Severity.of(told)

    def note(kind: Kind, previous: Severity | None = None, episode: str = "") -> Notification:
        return Notification(
            kind,
            state.monitor,
            Severity.of(level),
            reason,
            tick,
            reading,
            previous_severity=previous,
            episode=episode,
        )

    if limit_changed:
        return note(Kind.LIMIT_CHANGED, was)
    if level > told:
        return note(Kind.RAISED if told is Level.OK else Kind.ESCALATED, was)
    if level is Level.OK and told.alerting:
        return note(Kind.RESOLVED, was, _episode_summary(state, tick))
    # Easing within an episode is not news: telling it would turn flapping at a threshold into
    # a message per bucket. People hear the highest level told, reminders, and the resolve.
    interval = cfg.renotify_critical if level >= Level.CRITICAL else cfg.renotify_warning
    last = state.told.level_at
    if level.alerting and interval and last is not None and tick - last >= interval:
        return note(Kind.REMINDER, was if level < told else None, _episode_summary(state, tick))
    return None


def _on_no_data(state: AlertState, tick: datetime, cfg: MonitorConfig) -> Outcome:
    runs = _count_unhealthy(state, tick)
    reason = (
        f"Ultravox returned no buckets for the hour before {_clock(tick)} UTC "
        f"({runs} run{'s' if runs != 1 else ''} in a row); "
        f"{state.judged.level.name} holds until data returns"
    )
    next_state = replace(
        state,
        health=replace(
            state.health, status=Health.NO_DATA, unhealthy_runs=runs, unhealthy_tick=tick
        ),
        judged=replace(state.judged, last_tick=tick, reason=reason),
    )
    due = cfg.no_data_policy is NoDataPolicy.ALERT and runs >= cfg.error_after_runs
    return _health_outcome(state, next_state, Kind.NO_DATA, "", due, tick, cfg)


def _on_failure(
    state: AlertState, error: MonitorError, tick: datetime, cfg: MonitorConfig | None
) -> Outcome:
    runs = _count_unhealthy(state, tick)
    threshold = cfg.error_after_runs if cfg else DEFAULT_ERROR_AFTER_RUNS
    reason = f"{error.problem} ({runs} failed run{'s' if runs != 1 else ''} in a row)"
    # last_tick stays: a retry of this tick must run again, not be skipped as a duplicate.
    next_state = replace(
        state,
        health=HealthRecord(Health.ERROR, runs, tick, error.problem),
        judged=replace(state.judged, reason=reason),
    )
    due = runs >= threshold
    return _health_outcome(state, next_state, Kind.MONITOR_ERROR, error.what_to_fix, due, tick, cfg)


def _count_unhealthy(state: AlertState, tick: datetime) -> int:
    """Consecutive runs that could not judge, of either kind: alternating 503s and empty answers
    are one outage. A retried or repeated tick is not counted twice."""
    health = state.health
    if health.status is Health.HEALTHY:
        return 1
    return health.unhealthy_runs + (0 if health.unhealthy_tick == tick else 1)


def _health_outcome(
    before: AlertState,
    after: AlertState,
    kind: Kind,
    fix: str,
    due: bool,
    tick: datetime,
    cfg: MonitorConfig | None,
) -> Outcome:
    """Tell a run that could not judge once it is due, then again at the reminder interval."""
    last, reason = after.told.health_at, after.judged.reason
    interval = cfg.renotify_error if cfg else DEFAULT_RENOTIFY_ERROR
    if not due or (last is not None and (not interval or tick - last < interval)):
        return _deliver_or_hold(before, after, [], reason, tick, cfg)
    severity = Severity.ERROR if kind is Kind.MONITOR_ERROR else Severity.NO_DATA
    note = Notification(kind, after.monitor, severity, reason, tick, fix=fix)
    told = replace(after, told=replace(after.told, health_at=tick))
    return _deliver_or_hold(before, told, [note], reason, tick, cfg)


def _account_ceiling(
    state: AlertState,
    observed: int | NotChecked | None,
    tick: datetime,
    cfg: MonitorConfig,
    reading: Reading,
) -> tuple[AlertState, Notification | None]:
    if not isinstance(observed, NotChecked):
        checked = replace(state.watches, account_ceiling=observed, account_checked_at=tick)
        state = replace(state, watches=checked)
    allowed, limit = state.watches.account_ceiling, cfg.concurrency_limit
    if allowed is None or allowed >= limit:
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


def _deliver_or_hold(
    before: AlertState,
    after: AlertState,
    notes: list[Notification],
    reason: str,
    tick: datetime,
    cfg: MonitorConfig | None,
) -> Outcome:
    """While muted, keep judging but tell nobody: what was told stays, so expiry tells."""
    if cfg is None or not cfg.muted(tick) or not notes:
        return Outcome(after, tuple(notes), reason)
    told = before.told
    if after.health.status is not before.health.status:
        # A health notice told about another condition tells nothing about this one.
        told = replace(told, health_at=None)
    return Outcome(replace(after, told=told), (), reason, suppressed=tuple(notes))


def _with_episode(
    state: AlertState, level: Level, fresh_top: ConcurrencyBucket, tick: datetime
) -> AlertState:
    if not level.alerting:
        return replace(state, episode=OpenEpisode())
    episode = state.episode
    started = episode.started_at or tick
    if fresh_top.max_total_calls > episode.peak:
        return replace(
            state, episode=OpenEpisode(started, fresh_top.max_total_calls, fresh_top.start)
        )
    return replace(state, episode=replace(episode, started_at=started))


def _episode_summary(state: AlertState, tick: datetime) -> str:
    episode = state.episode
    if episode.started_at is None:
        return ""
    lasted = duration(tick - episode.started_at)
    peak_at = f" at {_clock(episode.peak_at)} UTC" if episode.peak_at else ""
    limit = state.judged.limit or 0
    return f"lasted {lasted}, peak {episode.peak}/{limit}{peak_at}"


def _reading(bucket: ConcurrencyBucket, ev: Evaluation, cast: Nowcast) -> Reading:
    past = ev.is_past(bucket)
    return Reading(
        calls=bucket.max_total_calls,
        limit=ev.limit,
        at=bucket.start,
        in_progress=not bucket.completed_by(ev.now),
        joined_calls=bucket.max_joined_calls,
        series=tuple(b.max_total_calls for b in ev.buckets),
        trend=ev.trend(),
        thresholds=ev.thresholds,
        nowcast=cast.sentence(),
        basis=cast.basis() if cast.confident else "",
        minutes_to_limit=(
            approx_minutes(cast.minutes_to_limit) if cast.minutes_to_limit is not None else None
        ),
        now_calls=ev.current_calls if past else None,
        observed_at=ev.now if past else None,
    )


def _headline(bucket: ConcurrencyBucket, ev: Evaluation, limit: int) -> str:
    calls = bucket.max_total_calls
    peak = f"peak {calls} of {limit} calls ({percent(calls, limit):.0f}%) at {_clock(bucket.start)}"
    if ev.is_past(bucket):
        # Said in the past tense: "no headroom" about a peak 40 minutes old would be false now.
        now = ev.current_calls
        return (
            f"{peak} UTC, {ago(ev.now - bucket.start)}; now {now} of {limit} "
            f"({_calls(limit - now)} of headroom)"
        )
    progress = " (bucket in progress)" if not bucket.completed_by(ev.now) else ""
    room = limit - calls
    headroom = f"{_calls(room)} of headroom" if room > 0 else "no headroom"
    return f"{peak} UTC{progress}; {headroom}"


def _calls(count: int) -> str:
    return f"{count} call{'s' if count != 1 else ''}"


def _thresholds_clause(t: Thresholds) -> str:
    return f"; warning at {t.warning:g}%, critical at {t.critical:g}%"


def _recovery_reason(
    was: Level, now_level: Level, top: ConcurrencyBucket, ev: Evaluation, cfg: MonitorConfig
) -> str:
    n = cfg.recovery_buckets
    if now_level < was:
        below = recovery_percent(Level(now_level + 1), cfg.thresholds)
        return (
            f"last {n} completed bucket{'s' if n != 1 else ''} below {below:g}% "
            f"(highest {top.max_total_calls}/{ev.limit} at {_clock(top.start)} UTC)"
        )
    needed = recovery_percent(was, cfg.thresholds)
    return (
        _headline(top, ev, ev.limit)
        + f"; {was.name} holds until {n} completed bucket{'s' if n != 1 else ''} "
        f"{'are' if n != 1 else 'is'} below {needed:g}%"
    )


def _clock(moment: datetime | None) -> str:
    return moment.strftime("%H:%M") if moment else "?"


def channel_problems_notice(
    state: AlertState, problems: tuple[str, ...], tick: datetime, cfg: MonitorConfig
) -> tuple[AlertState, Notification | None]:
    """A channel that cannot work is told through the channels that can: once, then as a reminder
    at the ERROR interval while it lasts; fixing it quietly clears the memory."""
    key = "; ".join(sorted(problems))
    watches = state.watches
    if not key:
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

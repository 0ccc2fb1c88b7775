"""The alert state machine: raise fast, resolve slow, remind, never repeat, never stay silent."""

from __future__ import annotations

from datetime import datetime

from ceilingwatch.common.records import replace
from ceilingwatch.domain.alerts import Failed, Kind, Measured, NoData, Notification, Observation
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.evaluation import Evaluation
from ceilingwatch.domain.forecast import nowcast
from ceilingwatch.domain.health import on_failure, on_no_data, recovery_notice
from ceilingwatch.domain.levels import (
    Heed,
    Verdict,
    heed,
    judge,
    level_notification,
    with_episode,
)
from ceilingwatch.domain.severity import Level
from ceilingwatch.domain.state import AlertState, Answers, HealthRecord, Judgement, Outcome
from ceilingwatch.domain.watches import (
    account_ceiling_notice,
    forecast_notice,
    plan_risk_notice,
)
from ceilingwatch.domain.wording import reading_of


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
        after, notes = on_failure(state, observation.error, tick, config)
        return _deliver_or_hold(state, after, notes, tick, config)
    if config is None:
        raise ValueError("only a failed run can lack its configuration")
    if isinstance(observation, NoData):
        after, notes = on_no_data(state, tick, config)
        return _deliver_or_hold(state, after, notes, tick, config)
    return _on_measured(state, observation, tick, config)


def _on_measured(state: AlertState, seen: Measured, tick: datetime, cfg: MonitorConfig) -> Outcome:
    ev = seen.evaluation
    verdict = judge(state.judged, ev, cfg)
    cast = nowcast(ev.buckets, cfg.concurrency_limit, ev.now)
    reason = verdict.reason
    if cast.confident:
        reason += f"; {cast.sentence()} ({cast.basis()})"
    reading = reading_of(verdict.basis, ev, cast)
    after = _judged(state, verdict, reason, ev, tick, cfg)
    recovered = recovery_notice(
        state, verdict.level, verdict.basis, ev, reading, tick, cfg.concurrency_limit
    )
    notes = [recovered] if recovered is not None else []
    answered: list[Notification] = []
    change = level_notification(state, verdict, reason, reading, tick, cfg)
    if change is not None:
        answer = heed(state, change, tick)
        (notes if answer is Heed.SEND else answered).append(change)
        if answer is not Heed.HOLD:
            after = _told_level(state, after, change.kind, verdict.level, tick)
    if not verdict.level.alerting:
        # A snooze or an acknowledge answers one episode: the next one alerts afresh.
        after = replace(after, answers=Answers())
    after, ceiling = account_ceiling_notice(after, seen.account_ceiling, tick, cfg, reading)
    after, forecast = forecast_notice(after, cast, ev, tick, cfg)
    after, plan = plan_risk_notice(after, seen.subscription, tick, cfg)
    notes += [n for n in (ceiling, forecast, plan) if n is not None]
    outcome = _deliver_or_hold(state, after, notes, tick, cfg)
    return replace(outcome, suppressed=outcome.suppressed + tuple(answered))


def _judged(
    state: AlertState,
    verdict: Verdict,
    reason: str,
    ev: Evaluation,
    tick: datetime,
    cfg: MonitorConfig,
) -> AlertState:
    """The state after a run that could judge: its level and hour, healthy, in its episode."""
    was = state.judged
    level = verdict.level
    return replace(
        with_episode(state, level, verdict.fresh_top, tick),
        judged=Judgement(
            level=level,
            level_since=tick if level != was.level or was.level_since is None else was.level_since,
            peak=ev.peak.max_total_calls,
            peak_at=ev.peak.start,
            limit=cfg.concurrency_limit,
            seen_through=ev.newest_start,
            last_tick=tick,
            execution_id=was.execution_id,
            reason=reason,
        ),
        health=HealthRecord(),
        told=replace(state.told, health_at=None),
    )


def _told_level(
    before: AlertState, after: AlertState, kind: Kind, level: Level, tick: datetime
) -> AlertState:
    """A reminder tells the highest level of the episode again; any other change, its own."""
    told = level if kind is not Kind.REMINDER else max(level, before.told.level)
    return replace(after, told=replace(after.told, level=told, level_at=tick))


def _deliver_or_hold(
    before: AlertState,
    after: AlertState,
    notes: list[Notification],
    tick: datetime,
    cfg: MonitorConfig | None,
) -> Outcome:
    """While muted, keep judging but tell nobody: what was told stays, so expiry tells."""
    reason = after.judged.reason
    if cfg is None or not cfg.muted(tick) or not notes:
        return Outcome(after, tuple(notes), reason)
    told = before.told
    if after.health.status is not before.health.status:
        # A health notice told about another condition tells nothing about this one.
        told = replace(told, health_at=None)
    return Outcome(replace(after, told=told), (), reason, suppressed=tuple(notes))

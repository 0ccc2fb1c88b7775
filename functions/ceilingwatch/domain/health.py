"""Runs that cannot judge: counted as one outage, told once due, reminded, and the recovery."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from ceilingwatch.common.errors import MonitorError
from ceilingwatch.domain.alerts import Kind, Notification, Reading
from ceilingwatch.domain.choices import NoDataPolicy
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.evaluation import Evaluation
from ceilingwatch.domain.series import ConcurrencyBucket
from ceilingwatch.domain.severity import Level, Severity
from ceilingwatch.domain.state import AlertState, Health, HealthRecord
from ceilingwatch.domain.wording import clock, headline

DEFAULT_ERROR_AFTER_RUNS = 3
DEFAULT_RENOTIFY_ERROR = timedelta(hours=4)

# The state after a run, and what it owes people.
Noted = tuple[AlertState, list[Notification]]


def on_no_data(state: AlertState, tick: datetime, cfg: MonitorConfig) -> Noted:
    """Ultravox answered with no bucket: the level holds, and NO_DATA alerts if the policy says."""
    runs = _count_unhealthy(state, tick)
    reason = (
        f"Ultravox returned no buckets for the hour before {clock(tick)} UTC "
        f"({runs} run{'s' if runs != 1 else ''} in a row); "
        f"{state.judged.level.name} holds until data returns"
    )
    after = replace(
        state,
        health=replace(
            state.health, status=Health.NO_DATA, unhealthy_runs=runs, unhealthy_tick=tick
        ),
        judged=replace(state.judged, last_tick=tick, reason=reason),
    )
    due = cfg.no_data_policy is NoDataPolicy.ALERT and runs >= cfg.error_after_runs
    return _told_if_due(after, Kind.NO_DATA, "", due, tick, cfg)


def on_failure(
    state: AlertState, error: MonitorError, tick: datetime, cfg: MonitorConfig | None
) -> Noted:
    """A run that failed: ERROR once enough runs in a row failed, whatever the level."""
    runs = _count_unhealthy(state, tick)
    threshold = cfg.error_after_runs if cfg else DEFAULT_ERROR_AFTER_RUNS
    reason = f"{error.problem} ({runs} failed run{'s' if runs != 1 else ''} in a row)"
    # last_tick stays: a retry of this tick must run again, not be skipped as a duplicate.
    after = replace(
        state,
        health=HealthRecord(Health.ERROR, runs, tick, error.problem),
        judged=replace(state.judged, reason=reason),
    )
    return _told_if_due(after, Kind.MONITOR_ERROR, error.what_to_fix, runs >= threshold, tick, cfg)


def recovery_notice(
    state: AlertState,
    level: Level,
    basis: ConcurrencyBucket,
    ev: Evaluation,
    reading: Reading,
    tick: datetime,
    limit: int,
) -> Notification | None:
    """Judging again after an outage people were told of; `state` is the one before this run."""
    if state.told.health_at is None:
        return None
    health = state.health
    return Notification(
        Kind.MONITOR_RECOVERED,
        state.monitor,
        Severity.of(level),
        f"ceilingwatch can judge again after {health.unhealthy_runs} runs in "
        f"{health.status.value}; {'' if ev.is_past(basis) else 'now: '}"
        + headline(basis, ev, limit),
        tick,
        reading,
        previous_severity=Severity(health.status.value),
    )


def _count_unhealthy(state: AlertState, tick: datetime) -> int:
    """Consecutive runs that could not judge, of either kind: alternating 503s and empty answers
    are one outage. A retried or repeated tick is not counted twice."""
    health = state.health
    if health.status is Health.HEALTHY:
        return 1
    return health.unhealthy_runs + (0 if health.unhealthy_tick == tick else 1)


def _told_if_due(
    after: AlertState,
    kind: Kind,
    fix: str,
    due: bool,
    tick: datetime,
    cfg: MonitorConfig | None,
) -> Noted:
    """Tell a run that could not judge once it is due, then again at the reminder interval."""
    last, reason = after.told.health_at, after.judged.reason
    interval = cfg.renotify_error if cfg else DEFAULT_RENOTIFY_ERROR
    if not due or (last is not None and (not interval or tick - last < interval)):
        return after, []
    severity = Severity.ERROR if kind is Kind.MONITOR_ERROR else Severity.NO_DATA
    note = Notification(kind, after.monitor, severity, reason, tick, fix=fix)
    return replace(after, told=replace(after.told, health_at=tick)), [note]

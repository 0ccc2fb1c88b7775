"""How the state machine says what a run saw: the headline, the reading, the recovery."""

from __future__ import annotations

from datetime import datetime

from ceilingwatch.domain.alerts import Reading, ago
from ceilingwatch.domain.config import MonitorConfig, Thresholds
from ceilingwatch.domain.evaluation import Evaluation, percent, recovery_percent
from ceilingwatch.domain.forecast import Nowcast, approx_minutes
from ceilingwatch.domain.series import ConcurrencyBucket
from ceilingwatch.domain.severity import Level


def reading_of(bucket: ConcurrencyBucket, ev: Evaluation, cast: Nowcast) -> Reading:
    """The figures a message shows for `bucket`, and the hour around it."""
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


def headline(bucket: ConcurrencyBucket, ev: Evaluation, limit: int) -> str:
    calls = bucket.max_total_calls
    peak = f"peak {calls} of {limit} calls ({percent(calls, limit):.0f}%) at {clock(bucket.start)}"
    if ev.is_past(bucket):
        # Said in the past tense: "no headroom" about a peak 40 minutes old would be false now.
        now = ev.current_calls
        return (
            f"{peak} UTC, {ago(ev.now - bucket.start)}; now {now} of {limit} "
            f"({calls_text(limit - now)} of headroom)"
        )
    progress = " (bucket in progress)" if not bucket.completed_by(ev.now) else ""
    room = limit - calls
    headroom = f"{calls_text(room)} of headroom" if room > 0 else "no headroom"
    return f"{peak} UTC{progress}; {headroom}"


def thresholds_clause(t: Thresholds) -> str:
    return f"; warning at {t.warning:g}%, critical at {t.critical:g}%"


def recovery_reason(
    was: Level, now_level: Level, top: ConcurrencyBucket, ev: Evaluation, cfg: MonitorConfig
) -> str:
    n = cfg.recovery_buckets
    if now_level < was:
        below = recovery_percent(Level(now_level + 1), cfg.thresholds)
        return (
            f"last {n} completed bucket{'s' if n != 1 else ''} below {below:g}% "
            f"(highest {top.max_total_calls}/{ev.limit} at {clock(top.start)} UTC)"
        )
    needed = recovery_percent(was, cfg.thresholds)
    return (
        headline(top, ev, ev.limit)
        + f"; {was.name} holds until {n} completed bucket{'s' if n != 1 else ''} "
        f"{'are' if n != 1 else 'is'} below {needed:g}%"
    )


def calls_text(count: int) -> str:
    return f"{count} call{'s' if count != 1 else ''}"


def clock(moment: datetime | None) -> str:
    return moment.strftime("%H:%M") if moment else "?"

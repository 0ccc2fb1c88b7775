"""Foresight from the recent peaks: a robust slope, its lower bound, and the time to the limit."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import combinations

from ceilingwatch.common.records import record, replace
from ceilingwatch.domain.series import BUCKET, ConcurrencyBucket
from ceilingwatch.domain.severity import Level

RECENT_BUCKETS = 12  # the completed buckets of the last hour
MIN_POINTS = 6  # fewer points cannot tell a trend from noise
NOWCAST_HORIZON = timedelta(hours=2)  # past this, "at this rate" is a guess, not a nowcast
# One-sided 95 %: the slope is above its lower bound 19 times in 20 when the series is noise.
Z_LOWER = 1.645
HELD_RUNS = 2  # a projection must hold on this many consecutive runs before a FORECAST
RUN_GAP = timedelta(minutes=10)  # runs further apart than this are not consecutive
QUIET_END = timedelta(hours=1)  # a forecast episode with no alert ends after this without a hold
MAD_TO_SIGMA = 1.4826  # the MAD of normal noise times this is its standard deviation
# Peaks scatter around the trend, so the first bucket at the limit comes before the line gets
# there: the projection aims at the line plus two sigmas of scatter. Backtested (bench/forecast.py):
# at 1.0 the median lead on a noisy 3-hour ramp is under 20 min; at 2.5 the hump cries wolf more.
SCATTER = 2.0


@record
class Trend:
    """Sen's slope of the recent peaks, in calls per 5 minutes, with its one-sided lower bound."""

    slope: float
    lower: float
    points: int
    span: timedelta
    level_now: float  # the fitted line at `now`: the robust "where calls are now"
    scatter: float  # how far peaks typically stand above the line (robust, from the MAD)
    recent_slope: float = 0.0  # Sen's slope of the newer half alone

    @property
    def rising(self) -> bool:
        # A step (quiet, then busy and flat) has a positive slope over the hour, but its newer
        # half is flat: only a climb that still climbs is a trend to project.
        return (
            self.points >= MIN_POINTS
            and self.lower > 0
            and self.slope > 0
            and self.recent_slope > 0
        )


@record
class Nowcast:
    """How long until the limit at this rate; `minutes_to_limit` only when the trend says so."""

    trend: Trend | None
    limit: int
    minutes_to_limit: float | None = None

    @property
    def confident(self) -> bool:
        return self.minutes_to_limit is not None

    def within(self, window: timedelta) -> bool:
        """Whether the crossing the message would state ("~30 min") lies within `window`."""
        if self.minutes_to_limit is None:
            return False
        return approx_minutes(self.minutes_to_limit) * 60 <= window.total_seconds()

    def sentence(self) -> str:
        """'at this rate the limit in ~25 min', or nothing when the trend is not confident."""
        if self.minutes_to_limit is None:
            return ""
        return f"at this rate the limit in ~{approx_minutes(self.minutes_to_limit)} min"

    def basis(self) -> str:
        """What the projection rests on: 'rising 1.2 calls per 5 min over the last hour'."""
        if self.trend is None:
            return ""
        return f"rising {self.trend.slope:.1f} calls per 5 min over {_span(self.trend.span)}"


def approx_minutes(minutes: float) -> int:
    """Whole 5 minutes, at least 5: a projection is not precise to the minute."""
    return max(5, 5 * round(minutes / 5))


def nowcast(
    buckets: Sequence[ConcurrencyBucket],
    limit: int,
    now: datetime,
    horizon: timedelta = NOWCAST_HORIZON,
) -> Nowcast:
    """The trend of the last completed peaks and the bucket in progress, and its crossing."""
    points = _points(buckets, now)
    trend = sen_trend(points, now)
    if trend is None or not trend.rising or max(calls for _, calls in points) >= limit:
        return Nowcast(trend, limit)
    gap = max(0.0, limit - trend.level_now - trend.scatter)
    minutes = gap / trend.slope * (BUCKET.total_seconds() / 60)
    if minutes * 60 > horizon.total_seconds():
        return Nowcast(trend, limit)
    return Nowcast(trend, limit, minutes)


def _points(buckets: Sequence[ConcurrencyBucket], now: datetime) -> list[tuple[datetime, int]]:
    """A completed peak stands at its bucket's end (where a rising series has it); the bucket in
    progress at `now`, and only once it has reached the last completed peak: it can only grow,
    so a lower figure says how little of it has passed, not where calls are going."""
    completed: list[ConcurrencyBucket] = []
    current: list[ConcurrencyBucket] = []
    opened_by = now - BUCKET  # a bucket opened by then has ended by now (b.completed_by(now))
    for b in buckets:  # one pass: this runs at every tick
        if b.start <= opened_by:
            completed.append(b)
        elif b.start <= now:
            current.append(b)
    completed = completed[-RECENT_BUCKETS:]
    points = [(b.end, b.max_total_calls) for b in completed]
    if (
        current
        and completed
        and current[-1].max_total_calls >= completed[-1].max_total_calls
        and now > completed[-1].end
    ):
        points.append((now, current[-1].max_total_calls))
    return points


def sen_trend(points: Sequence[tuple[datetime, int]], now: datetime) -> Trend | None:
    """Theil-Sen slope, Sen's rank-based lower bound (with Kendall's tie correction), and the
    fitted line at `now` (Conover's intercept: the median of y - slope * x)."""
    if len(points) < 2:
        return None
    origin = points[0][0]
    xs = [(at - origin) / BUCKET for at, _ in points]
    ys = [float(calls) for _, calls in points]
    slopes = _pairwise_slopes(xs, ys)
    if not slopes:
        return None
    slope = _middle(slopes)
    lower = _lower_bound(slopes, ys)
    intercept = median(y - slope * x for x, y in zip(xs, ys, strict=True))
    level_now = intercept + slope * ((now - origin) / BUCKET)
    residuals = [y - intercept - slope * x for x, y in zip(xs, ys, strict=True)]
    scatter = SCATTER * MAD_TO_SIGMA * median(abs(r) for r in residuals)
    half = len(xs) // 2
    recent = _pairwise_slopes(xs[half:], ys[half:])
    return Trend(
        slope,
        lower,
        len(points),
        points[-1][0] - origin,
        level_now,
        scatter,
        _middle(recent) if recent else 0.0,
    )


def median(values: Iterable[float]) -> float:
    """statistics.median's own arithmetic, without loading statistics (and its fractions and
    decimal) at every cold start."""
    return _middle(sorted(values))


def _middle(ordered: Sequence[float]) -> float:
    """The median of values already in order (the slopes are sorted as they are made)."""
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _pairwise_slopes(xs: Sequence[float], ys: Sequence[float]) -> list[float]:
    # Each point with those after it: 66 pairs an hour, at every run.
    pairs = combinations(zip(xs, ys, strict=True), 2)
    slopes = [(yj - yi) / (xj - xi) for (xi, yi), (xj, yj) in pairs if xj != xi]
    slopes.sort()
    return slopes


def _lower_bound(slopes: Sequence[float], ys: Sequence[float]) -> float:
    n = len(ys)
    ties = [ys.count(y) for y in set(ys)]
    variance = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18
    rank = math.floor((len(slopes) - Z_LOWER * math.sqrt(max(variance, 0.0))) / 2)
    return slopes[rank - 1] if rank >= 1 else -math.inf


@record
class ForecastWatch:
    """What the FORECAST rule remembers between runs: the streak and the open episode."""

    held_runs: int = 0
    held_at: datetime | None = None
    fired_at: datetime | None = None
    alerted: bool = False  # an alert followed (or was already on): it ends the episode

    @property
    def open(self) -> bool:
        return self.fired_at is not None


def watch(
    previous: ForecastWatch,
    cast: Nowcast,
    level: Level,
    tick: datetime,
    window: timedelta,
) -> tuple[ForecastWatch, bool]:
    """One run of the FORECAST rule: due when the crossing is within `window`, the level is
    below CRITICAL and the projection held on two consecutive runs; once per forecast episode."""
    holds = window > timedelta(0) and cast.within(window)
    state = previous
    if holds:
        consecutive = (
            state.held_runs > 0 and state.held_at is not None and tick - state.held_at <= RUN_GAP
        )
        state = replace(state, held_runs=state.held_runs + 1 if consecutive else 1, held_at=tick)
    else:
        state = replace(state, held_runs=0)
    state = _end_episode(state, level, tick)
    due = not state.open and state.held_runs >= HELD_RUNS and level < Level.CRITICAL
    if due:
        state = replace(state, fired_at=tick, alerted=level.alerting)
    return state, due


def _end_episode(state: ForecastWatch, level: Level, tick: datetime) -> ForecastWatch:
    if state.fired_at is None:
        return state
    alerted = state.alerted or level.alerting
    last_hold = max(state.held_at or state.fired_at, state.fired_at)
    resolved = alerted and not level.alerting
    quiet = not alerted and tick - last_hold >= QUIET_END
    if resolved or quiet:
        return ForecastWatch(state.held_runs, state.held_at)
    return replace(state, alerted=alerted)


def _span(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    if 50 <= minutes <= 70:
        return "the last hour"
    return f"the last {minutes} min"

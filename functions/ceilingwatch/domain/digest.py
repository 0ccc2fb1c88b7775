"""The weekly capacity digest, from two weeks of hourly peaks: the week, its trend, the outlook."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from ceilingwatch.common.records import record
from ceilingwatch.domain.config import Thresholds
from ceilingwatch.domain.evaluation import classify, highest, percent
from ceilingwatch.domain.plan import PlanRisk
from ceilingwatch.domain.series import Bucket, ConcurrencyBucket
from ceilingwatch.domain.severity import Level

HOUR = Bucket.HOUR.span  # the digest reads hour buckets
WEEK = timedelta(days=7)
HISTORY = 2 * WEEK
HOURS_A_WEEK = 7 * 24
# One odd week must not promise a doubling: growth is held between these.
GROWTH_CAP = (0.8, 1.25)
PERCENTILES = (50, 90, 99)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@record
class Episode:
    """Consecutive hours whose peak reached the warning threshold."""

    start: datetime
    hours: int
    peak: int
    peak_at: datetime
    level: Level

    @property
    def end(self) -> datetime:
        return self.start + self.hours * HOUR


@record
class Outlook:
    """Next week, hour by hour: last week's peak at the same hour of the week, times growth."""

    start: datetime
    hours: tuple[int, ...]
    growth: float

    @property
    def busiest(self) -> tuple[datetime, int]:
        index = max(range(len(self.hours)), key=lambda i: (self.hours[i], -i))
        return self.start + index * HOUR, self.hours[index]


@record
class Digest:
    """Everything the weekly message and the report show; `week` is the 7 days before the run."""

    monitor: str
    limit: int
    thresholds: Thresholds
    week_start: datetime
    hours: tuple[int, ...]  # hourly peaks of the whole history (two weeks for the digest)
    peak: int
    peak_at: datetime
    percentiles: dict[int, float]
    episodes: tuple[Episode, ...]
    previous_peak: int
    daily_mean: float
    previous_daily_mean: float
    outlook: Outlook
    plan_risk: PlanRisk | None = None

    @property
    def history_start(self) -> datetime:
        return self.week_start + HOURS_A_WEEK * HOUR - len(self.hours) * HOUR

    @property
    def week(self) -> tuple[int, ...]:
        return self.hours[-HOURS_A_WEEK:]

    @property
    def hours_above_warning(self) -> int:
        return sum(e.hours for e in self.episodes)

    @property
    def peak_percent(self) -> float:
        return percent(self.peak, self.limit)

    def subject_tail(self) -> str:
        """'peak 47/50 (94%) on Tue 14:05 UTC'."""
        return (
            f"peak {self.peak}/{self.limit} ({self.peak_percent:.0f}%) on "
            f"{DAYS[self.peak_at.weekday()]} {self.peak_at:%H:%M} UTC"
        )

    def recommendation(self) -> str:
        at, calls = self.outlook.busiest
        # The outlook starts at the run: its busiest hour may be later the same day.
        day = "today" if at.date() == self.outlook.start.date() else f"next {at:%A}"
        when = f"{day} {at:%H:%M} UTC"
        share = percent(calls, self.limit)
        figures = f"{calls}/{self.limit}"
        if calls >= self.limit:
            where = "over" if calls > self.limit else "at"
            return f"{when} is forecast at {figures}, {where} the limit: raise the plan before then"
        if share >= self.thresholds.critical:
            return f"{when} is forecast at {figures}: consider raising the plan before then"
        if share >= self.thresholds.warning:
            return (
                f"{when} is forecast at {figures} ({share:.0f}%): expect a WARNING; "
                "no change to the plan needed yet"
            )
        return f"next week's busiest hour, {when}, is forecast at {figures}: the plan has room"


def build_digest(
    monitor: str,
    hourly: Sequence[ConcurrencyBucket],
    limit: int,
    thresholds: Thresholds,
    now: datetime,
    *,
    peak_detail: Sequence[ConcurrencyBucket] = (),
    plan_risk: PlanRisk | None = None,
    days: int = HISTORY.days,
) -> Digest:
    """`hourly`: hour buckets of the `days` before `now` (two weeks: the week and the one before);
    `peak_detail`: the 5-minute buckets of the week's peak hour, so its time is told to 5 min."""
    if days < WEEK.days:
        raise ValueError(f"a digest needs at least {WEEK.days} days of history, not {days}")
    end = _floor_hour(now)
    week_start, start = end - WEEK, end - days * 24 * HOUR
    by_hour = {b.start: b.max_total_calls for b in hourly}
    hours = tuple(by_hour.get(start + i * HOUR, 0) for i in range(days * 24))
    week, before = hours[-HOURS_A_WEEK:], hours[-2 * HOURS_A_WEEK : -HOURS_A_WEEK]
    peak, peak_at = _week_peak(week, week_start, peak_detail)
    daily, previous_daily = _daily_mean(week), _daily_mean(before)
    growth = _growth(daily, previous_daily)
    return Digest(
        monitor=monitor,
        limit=limit,
        thresholds=thresholds,
        week_start=week_start,
        hours=hours,
        peak=peak,
        peak_at=peak_at,
        percentiles={p: percent(_nearest_rank(week, p), limit) for p in PERCENTILES},
        episodes=episodes(week, week_start, limit, thresholds),
        previous_peak=max(before, default=0),
        daily_mean=daily,
        previous_daily_mean=previous_daily,
        outlook=Outlook(week_start + WEEK, tuple(round(c * growth) for c in week), growth),
        plan_risk=plan_risk,
    )


def _week_peak(
    week: Sequence[int], week_start: datetime, peak_detail: Sequence[ConcurrencyBucket]
) -> tuple[int, datetime]:
    """The week's highest hour, the earliest on a tie; to 5 minutes when its detail is given."""
    index = max(range(HOURS_A_WEEK), key=lambda i: (week[i], -i))
    peak, peak_at = week[index], week_start + index * HOUR
    finer = highest(tuple(b for b in peak_detail if peak_at <= b.start < peak_at + HOUR))
    if finer is not None and finer.max_total_calls >= peak:
        return finer.max_total_calls, finer.start
    return peak, peak_at


def episodes(
    week: Sequence[int], start: datetime, limit: int, thresholds: Thresholds
) -> tuple[Episode, ...]:
    found: list[Episode] = []
    run: list[int] = []
    for index, calls in enumerate([*week, 0]):
        if classify(calls, limit, thresholds).alerting:
            run.append(index)
            continue
        if run:
            top = max(run, key=lambda i: (week[i], -i))
            found.append(
                Episode(
                    start + run[0] * HOUR,
                    len(run),
                    week[top],
                    start + top * HOUR,
                    classify(week[top], limit, thresholds),
                )
            )
            run = []
    return tuple(found)


def _daily_mean(hours: Sequence[int]) -> float:
    """The mean of each day's peak: what capacity is bought for, untouched by quiet nights."""
    days = [max(hours[d * 24 : d * 24 + 24]) for d in range(len(hours) // 24)]
    return sum(days) / len(days) if days else 0.0


def _growth(recent: float, before: float) -> float:
    if before <= 0:
        return 1.0
    low, high = GROWTH_CAP
    return min(high, max(low, recent / before))


def _nearest_rank(values: Sequence[int], p: int) -> int:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)

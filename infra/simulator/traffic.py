"""Realistic call traffic, minute by minute: ramps, business days, spikes and plateaus (seeded)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MINUTES_A_DAY = 24 * 60
# A Monday at midnight UTC, so minute 0 of a generated week is the start of a business day.
MONDAY = datetime(2026, 11, 16, tzinfo=UTC)


@dataclass(frozen=True)
class Traffic:
    """Per-minute peaks of concurrent calls from `start`, against a limit."""

    name: str
    description: str
    start: datetime
    minute_peaks: tuple[int, ...]
    limit: int
    business_days: float = 0.0

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=len(self.minute_peaks))


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311  # nosec B311 - reproducible traffic, not secrets


def _jitter(rng: random.Random, calls: float, spread: float) -> int:
    """Peaks within a minute scatter around the mean load, more so when there are more calls."""
    return max(0, round(calls + rng.gauss(0, spread * math.sqrt(max(calls, 1.0)))))


def steady_ramp(limit: int = 50, hours: float = 3.0, seed: int = 1) -> Traffic:
    """An hour of quiet, then a steady climb from 20 % to the limit over `hours`, held 30 min."""
    rng = _rng(seed)
    quiet = [_jitter(rng, limit * 0.2, 0.3) for _ in range(60)]
    climb_minutes = round(hours * 60)
    climb = [
        min(limit, _jitter(rng, limit * (0.2 + 0.8 * i / climb_minutes), 0.3))
        for i in range(climb_minutes)
    ]
    held = [limit] * 30
    return Traffic(
        "steady-ramp",
        f"a steady {hours:g}-hour climb from 20 % to the limit of {limit}",
        MONDAY + timedelta(hours=9),
        tuple(quiet + climb + held),
        limit,
    )


def business_day_load(minute_of_day: int, limit: int) -> float:
    """Mean load of a weekday: night floor, morning ramp to ~65 %, lunch dip, evening fall."""
    hour = minute_of_day / 60
    night, top, lunch = 0.05 * limit, 0.65 * limit, 0.48 * limit
    if hour < 7 or hour >= 20:
        return night
    if hour < 10:
        return night + (top - night) * _ease((hour - 7) / 3)
    if hour < 12:
        return top
    if hour < 13.5:
        dip = math.sin(math.pi * (hour - 12) / 1.5)
        return top - (top - lunch) * dip
    if hour < 17:
        return top * (1.0 + 0.04 * math.sin(math.pi * (hour - 13.5) / 3.5))
    return night + (top - night) * (1 - _ease((hour - 17) / 3))


def _ease(x: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * min(max(x, 0.0), 1.0))


def business_days(limit: int = 50, days: int = 5, seed: int = 7) -> Traffic:
    """Weekdays at 60-70 % of the limit with lunch dips, noise and a few short bursts a day."""
    rng = _rng(seed)
    peaks: list[int] = []
    for _ in range(days):
        day = [_jitter(rng, business_day_load(m, limit), 0.35) for m in range(MINUTES_A_DAY)]
        for _ in range(rng.randint(3, 6)):
            # A campaign or a retry storm: 2-6 minutes up to ~80-85 % of the limit.
            at = rng.randint(9 * 60, 17 * 60)
            height = round(limit * rng.uniform(0.76, 0.86))
            for m in range(at, min(at + rng.randint(2, 6), MINUTES_A_DAY)):
                day[m] = max(day[m], height - rng.randint(0, 2))
        peaks += day
    return Traffic(
        "business-days",
        f"{days} business days at 60-70 % of {limit}, lunch dips and short bursts",
        MONDAY,
        tuple(min(p, limit) for p in peaks),
        limit,
        business_days=days,
    )


def sudden_spike(limit: int = 50, seed: int = 3) -> Traffic:
    """Calm at 40 %, then a jump to the limit within two minutes, held ten, then calm again."""
    rng = _rng(seed)
    calm = [_jitter(rng, limit * 0.4, 0.3) for _ in range(120)]
    jump = [round(limit * 0.7), limit] + [limit] * 10
    after = [_jitter(rng, limit * 0.4, 0.3) for _ in range(90)]
    return Traffic(
        "sudden-spike",
        f"calm at 40 % of {limit}, then a jump to the limit in two minutes",
        MONDAY + timedelta(hours=11),
        tuple(calm + jump + after),
        limit,
    )


def plateau(limit: int = 50, share: float = 0.85, hours: float = 6.0, seed: int = 5) -> Traffic:
    """A long flat plateau near the ceiling: close, but not approaching it."""
    rng = _rng(seed)
    peaks = [min(limit - 1, _jitter(rng, limit * share, 0.3)) for _ in range(round(hours * 60))]
    return Traffic(
        "flat-plateau",
        f"{hours:g} hours flat at {share:.0%} of {limit}",
        MONDAY + timedelta(hours=10),
        tuple(peaks),
        limit,
    )


def weeks(limit: int = 50, days: int = 14, growth: float = 0.06, seed: int = 11) -> Traffic:
    """Two weeks of business days and quiet weekends, each week `growth` busier than the last:
    the history a weekly digest reads."""
    rng = _rng(seed)
    peaks: list[int] = []
    for day in range(days):
        scale = (1 + growth) ** (day // 7)
        weekend = day % 7 >= 5
        for m in range(MINUTES_A_DAY):
            load = business_day_load(m, limit) * scale * (0.25 if weekend else 1.0)
            peaks.append(min(limit, _jitter(rng, load, 0.35)))
        if not weekend:
            at = rng.randint(10 * 60, 16 * 60)
            for m in range(at, at + rng.randint(2, 5)):
                peaks[day * MINUTES_A_DAY + m] = round(limit * min(0.98, 0.85 * scale))
    return Traffic(
        "two-weeks",
        f"{days} days of business days at ~65 % of {limit}, {growth:.0%} busier each week",
        MONDAY,
        tuple(peaks),
        limit,
        business_days=sum(1 for d in range(days) if d % 7 < 5),
    )


LIBRARY: dict[str, Callable[[], Traffic]] = {
    "steady-ramp": steady_ramp,
    "business-days": business_days,
    "sudden-spike": sudden_spike,
    "flat-plateau": plateau,
}

"""A history replayed through the alert and FORECAST rules: fires, lead times, false ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from statistics import median

from ceilingwatch.common.records import record
from ceilingwatch.domain.alerts import Kind, Reading
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.replay import MINUTE, replay
from ceilingwatch.domain.series import BUCKET, ConcurrencyBucket

MISS_LOOKBACK = timedelta(hours=2)  # a crossing with no FORECAST this long before it was missed


@record
class ForecastFire:
    """One FORECAST the rule would have sent, and what followed it."""

    at: datetime
    calls: int  # the newest peak the run saw
    projected_minutes: float  # as the message says it, to 5 minutes
    basis: str
    reached_at: datetime | None  # the first bucket at the limit after it, if any
    window: timedelta

    @property
    def lead(self) -> timedelta | None:
        return None if self.reached_at is None else self.reached_at - self.at

    @property
    def false(self) -> bool:
        """No bucket at the limit within the window the FORECAST spoke of."""
        return self.lead is None or self.lead > self.window


@record
class Backtest:
    """Every FORECAST of a replay, the crossings of the limit, and which crossings came unwarned."""

    fires: tuple[ForecastFire, ...]
    crossings: tuple[datetime, ...]
    missed: tuple[datetime, ...]
    window: timedelta
    span: timedelta

    @property
    def false_fires(self) -> tuple[ForecastFire, ...]:
        return tuple(f for f in self.fires if f.false)

    @property
    def leads(self) -> tuple[timedelta, ...]:
        return tuple(f.lead for f in self.fires if f.lead is not None and not f.false)

    def median_lead(self) -> timedelta | None:
        leads = self.leads
        return timedelta(seconds=median(t.total_seconds() for t in leads)) if leads else None

    def summary(self) -> str:
        lead = self.median_lead()
        lead_text = f", median lead {_minutes(lead)}" if lead is not None else ""
        return (
            f"{len(self.fires)} FORECAST{'s' if len(self.fires) != 1 else ''} "
            f"({len(self.false_fires)} false{lead_text}); {len(self.crossings)} crossing"
            f"{'s' if len(self.crossings) != 1 else ''} of the limit, {len(self.missed)} "
            f"without a FORECAST in the {_minutes(MISS_LOOKBACK)} before"
        )


def backtest(
    history: Sequence[ConcurrencyBucket],
    config: MonitorConfig,
    window: timedelta | None = None,
    *,
    minute_peaks: Sequence[int] | None = None,
) -> Backtest:
    """Replay 5-minute `history` tick by tick through the lifecycle, as live runs would judge it,
    with forecast-minutes `window` (the config's by default). With `minute_peaks` (one a minute
    from the first bucket's start) each tick also sees the bucket in progress, as live runs do."""
    window = config.forecast_window if window is None else window
    config = replace(config, forecast_window=window)
    if not history:
        return Backtest((), (), (), window, timedelta(0))
    fired = [
        (step.tick, note.reading)
        for step in replay(history, config, minute_peaks=minute_peaks)
        for note in step.outcome.notifications + step.outcome.suppressed
        if note.kind is Kind.FORECAST and note.reading is not None
    ]
    crossings = _crossings(history, config.concurrency_limit)
    return Backtest(
        fires=tuple(_fire(history, config, at, reading) for at, reading in fired),
        crossings=crossings,
        missed=tuple(
            c for c in crossings if not any(c - MISS_LOOKBACK <= at <= c for at, _ in fired)
        ),
        window=window,
        span=history[-1].end - history[0].start,
    )


def _fire(
    history: Sequence[ConcurrencyBucket], config: MonitorConfig, at: datetime, reading: Reading
) -> ForecastFire:
    return ForecastFire(
        at,
        reading.calls,
        float(reading.minutes_to_limit or 0),
        reading.basis,
        _reached(history, config, at),
        config.forecast_window,
    )


def _crossings(history: Sequence[ConcurrencyBucket], limit: int) -> tuple[datetime, ...]:
    """The start of each run of buckets at the limit."""
    out, before = [], False
    for bucket in history:
        at = bucket.max_total_calls >= limit
        if at and not before:
            out.append(bucket.start)
        before = at
    return tuple(out)


def _reached(
    history: Sequence[ConcurrencyBucket], config: MonitorConfig, at: datetime
) -> datetime | None:
    for bucket in history:
        if bucket.end > at and bucket.max_total_calls >= config.concurrency_limit:
            return max(bucket.start, at)
    return None


def buckets_from_minutes(start: datetime, minute_peaks: Sequence[int]) -> list[ConcurrencyBucket]:
    """5-minute buckets of per-minute peaks, as Ultravox would report them."""
    per = BUCKET // MINUTE
    return [
        ConcurrencyBucket(start + i // per * BUCKET, max(minute_peaks[i : i + per]))
        for i in range(0, len(minute_peaks) - len(minute_peaks) % per, per)
    ]


def _minutes(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 and minutes else f"{minutes} min"


def forecast_lines(result: Backtest) -> list[str]:
    """The backtest as `ceilingwatch replay` prints it: each FORECAST, its lead, the verdict."""
    window = _minutes(result.window)
    lines = [f"Forecast backtest (forecast-minutes {window}): {result.summary()}."]
    for fire in result.fires:
        if fire.reached_at is None:
            verdict = "false: the limit was not reached"
        else:
            lead = _minutes(fire.lead or timedelta(0))
            late = " (later than forecast-minutes: counted false)" if fire.false else ""
            verdict = f"limit reached {fire.reached_at:%H:%M} UTC, {lead} later{late}"
        lines.append(
            f"  {fire.at:%Y-%m-%d %H:%M}  FORECAST ~{fire.projected_minutes:.0f} min at "
            f"{fire.calls} calls: {verdict}"
        )
    lines += [
        f"  {at:%Y-%m-%d %H:%M}  limit reached with no FORECAST before" for at in result.missed
    ]
    return lines

"""The one replay loop: ticks judged in turn by the state machine, each on what its run saw."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from ceilingwatch.common.records import record
from ceilingwatch.domain.alerts import Measured, NoData, Observation
from ceilingwatch.domain.config import MonitorConfig
from ceilingwatch.domain.evaluation import Evaluation
from ceilingwatch.domain.lifecycle import advance
from ceilingwatch.domain.series import BUCKET, ConcurrencyBucket, floor_to_bucket
from ceilingwatch.domain.state import AlertState, Outcome

WINDOW = timedelta(hours=1)  # what each run reads
TICK_OFFSET = timedelta(minutes=1)  # each tick runs a minute into its bucket, like the schedule
MINUTE = timedelta(minutes=1)


@record
class Step:
    """One tick of a replay, and what the state machine made of it."""

    tick: datetime
    outcome: Outcome


def judge_in_turn(
    state: AlertState | None,
    observed: Iterable[tuple[datetime, Observation, MonitorConfig | None]],
    *,
    monitor: str,
) -> Iterator[Step]:
    """Each tick's observation held against the state the tick before left, as runs do."""
    for index, (tick, observation, config) in enumerate(observed):
        outcome = advance(
            state,
            observation,
            monitor=monitor,
            tick=tick,
            execution_id=f"replay-{index}",
            config=config,
        )
        state = outcome.state
        yield Step(tick, outcome)


def replay(
    history: Sequence[ConcurrencyBucket],
    config: MonitorConfig,
    *,
    until: datetime | None = None,
    minute_peaks: Sequence[int] | None = None,
) -> Iterator[Step]:
    """5-minute `history` judged tick by tick as the schedule would, up to `until` (the end of
    the history by default). Each tick sees the completed buckets of its hour; with
    `minute_peaks` (one a minute from the first bucket's start) the bucket in progress too."""
    if not history:
        return
    origin = history[0].start
    end = history[-1].end if until is None else until
    ticks = _ticks(origin + BUCKET + TICK_OFFSET, end)
    observed = ((tick, _observe(history, tick, config, minute_peaks), config) for tick in ticks)
    yield from judge_in_turn(None, observed, monitor=config.monitor)


def _ticks(first: datetime, until: datetime) -> Iterator[datetime]:
    tick = first
    while tick <= until:
        yield tick
        tick += BUCKET


def _observe(
    history: Sequence[ConcurrencyBucket],
    tick: datetime,
    config: MonitorConfig,
    minute_peaks: Sequence[int] | None,
) -> Observation:
    visible = _visible(history, tick, minute_peaks)
    if not visible:
        return NoData()
    return Measured(Evaluation(visible, config.concurrency_limit, config.thresholds, tick))


def _visible(
    history: Sequence[ConcurrencyBucket], tick: datetime, minute_peaks: Sequence[int] | None
) -> tuple[ConcurrencyBucket, ...]:
    window_start = floor_to_bucket(tick - WINDOW)
    visible = [b for b in history if window_start <= b.start and b.completed_by(tick)]
    if minute_peaks is not None:
        origin, current = history[0].start, floor_to_bucket(tick)
        first, last = (current - origin) // MINUTE, (tick - origin) // MINUTE
        so_far = minute_peaks[first:last]
        if so_far:
            visible.append(ConcurrencyBucket(current, max(so_far)))
    return tuple(visible)

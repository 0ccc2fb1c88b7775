"""The nowcast (Theil-Sen slope, its lower bound, the time to the limit) and the FORECAST rule."""

from __future__ import annotations

import itertools
import statistics
from datetime import datetime, timedelta

import pytest
from ceilingwatch.domain.forecast import (
    ForecastWatch,
    Nowcast,
    Trend,
    approx_minutes,
    median,
    nowcast,
    sen_trend,
    watch,
)
from ceilingwatch.domain.series import BUCKET, ConcurrencyBucket
from ceilingwatch.domain.severity import Level
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.builders import START

LIMIT = 50


def buckets(
    peaks: list[int], in_progress: int | None = None
) -> tuple[list[ConcurrencyBucket], datetime]:
    """Completed buckets from START, then optionally one in progress; `now` one minute into it."""
    out = [ConcurrencyBucket(START + i * BUCKET, calls) for i, calls in enumerate(peaks)]
    now = START + len(peaks) * BUCKET + timedelta(minutes=1)
    if in_progress is not None:
        out.append(ConcurrencyBucket(START + len(peaks) * BUCKET, in_progress))
    return out, now


def cast(peaks: list[int], in_progress: int | None = None) -> Nowcast:
    series, now = buckets(peaks, in_progress)
    return nowcast(series, LIMIT, now)


@pytest.mark.parametrize(
    ("peaks", "in_progress", "sentence"),
    [
        # Given a clean climb of 2 calls per bucket to 40, Then 40.4 a minute on: ~25 min
        (
            [18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40],
            None,
            "at this rate the limit in ~25 min",
        ),
        # fewer than 6 buckets: no trend can be told from noise
        ([30, 32, 34, 36, 38], None, ""),
        # flat: no slope
        ([35] * 12, None, ""),
        # falling: nothing
        ([40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29], None, ""),
        # noise around a level: the lower bound is not above zero
        ([30, 34, 29, 33, 31, 35, 28, 32, 30, 34, 29, 33], None, ""),
        # rising, but the crossing is beyond the two-hour horizon
        ([10, 10, 11, 11, 11, 12, 12, 12, 13, 13, 13, 14], None, ""),
        # a step (quiet, then busy and flat) climbs over the hour but no longer climbs
        ([0, 0, 0, 0, 0, 0, 40, 38, 42, 39, 41, 37], None, ""),
        # already at the limit: the levels say so, not a projection
        ([40, 42, 44, 46, 48, 50], None, ""),
    ],
)
def test_nowcast_speaks_only_when_rising_with_confidence(
    peaks: list[int], in_progress: int | None, sentence: str
) -> None:
    assert cast(peaks, in_progress).sentence() == sentence


def test_the_basis_says_the_slope_and_the_span() -> None:
    result = cast([18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40])
    assert result.basis() == "rising 2.0 calls per 5 min over the last hour"
    assert result.trend is not None
    assert result.trend.slope == pytest.approx(2.0)
    assert result.trend.lower == pytest.approx(2.0)


def test_a_burst_in_one_bucket_does_not_make_a_trend() -> None:
    # Given a steady 30 with one bucket of 45, Then the robust slope stays flat
    result = cast([30, 30, 31, 30, 30, 45, 30, 31, 30, 30, 30, 31])
    assert result.sentence() == ""
    assert result.trend is not None
    assert abs(result.trend.slope) < 0.2


def test_the_bucket_in_progress_counts_once_it_reached_the_last_peak() -> None:
    peaks = [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]
    # a bucket one minute old at 5 has barely started: it says nothing about the trend
    assert cast(peaks, 5).trend == cast(peaks).trend
    # one that already stands above the last peak is a point at `now`
    with_current = cast(peaks, 36).trend
    assert with_current is not None
    assert with_current.points == 13


def test_sen_lower_bound_is_below_the_slope_when_noisy() -> None:
    series, now = buckets([20, 25, 21, 27, 24, 30, 26, 33, 29, 35, 31, 39])
    trend = sen_trend([(b.end, b.max_total_calls) for b in series], now)
    assert trend is not None
    assert 0 < trend.lower < trend.slope


@pytest.mark.parametrize(
    ("minutes", "shown"), [(0.4, 5), (3, 5), (7.4, 5), (7.6, 10), (24, 25), (31, 30), (118, 120)]
)
def test_minutes_are_shown_to_the_nearest_five(minutes: float, shown: int) -> None:
    assert approx_minutes(minutes) == shown


# --- the FORECAST rule --------------------------------------------------------------------------

WINDOW = timedelta(minutes=30)


def holding(minutes: float | None) -> Nowcast:
    trend = Trend(1.0, 0.5, 12, timedelta(minutes=55), 40.0, 1.0)
    return Nowcast(trend, LIMIT, minutes)


def run_rule(steps: list[tuple[float | None, Level]], window: timedelta = WINDOW) -> list[int]:
    """Runs every 5 minutes; the indexes of the runs where a FORECAST is due."""
    memory, fired = ForecastWatch(), []
    for index, (minutes, level) in enumerate(steps):
        memory, due = watch(memory, holding(minutes), level, START + index * BUCKET, window)
        if due:
            fired.append(index)
    return fired


OK, WARN, CRIT = Level.OK, Level.WARNING, Level.CRITICAL


@pytest.mark.parametrize(
    ("steps", "fired"),
    [
        # held on two consecutive runs: due on the second
        ([(25, OK), (20, OK)], [1]),
        # once only: a third run that holds is the same episode
        ([(25, OK), (20, OK), (15, WARN), (10, WARN)], [1]),
        # a single run that holds is not enough
        ([(25, OK), (None, OK), (25, OK), (None, OK)], []),
        # beyond the window
        ([(45, OK), (40, OK), (35, OK)], []),
        # at CRITICAL the level already says more than a forecast could
        ([(10, CRIT), (5, CRIT)], []),
        # the episode ends when the alert it led into resolves; then a new one may fire
        ([(25, OK), (20, OK), (None, WARN), (None, OK), (25, OK), (20, OK)], [1, 5]),
        # with no alert, an hour without the projection holding ends it
        ([(25, OK), (20, OK)] + [(None, OK)] * 12 + [(25, OK), (20, OK)], [1, 15]),
        # but less than an hour does not
        ([(25, OK), (20, OK)] + [(None, OK)] * 10 + [(25, OK), (20, OK)], [1]),
        # an alert that has not resolved keeps the episode open for hours
        ([(25, OK), (20, WARN)] + [(None, WARN)] * 30 + [(25, WARN), (20, WARN)], [1]),
    ],
)
def test_forecast_rule(steps: list[tuple[float | None, Level]], fired: list[int]) -> None:
    assert run_rule(steps) == fired


def test_forecast_minutes_zero_switches_it_off() -> None:
    assert run_rule([(5, OK)] * 6, window=timedelta(0)) == []


def test_runs_far_apart_are_not_consecutive() -> None:
    memory, due = watch(ForecastWatch(), holding(20), OK, START, WINDOW)
    memory, due = watch(memory, holding(20), OK, START + timedelta(minutes=30), WINDOW)
    assert not due


# --- properties -------------------------------------------------------------------------------

peaks_strategy = st.lists(st.integers(min_value=0, max_value=60), min_size=0, max_size=13)


@settings(max_examples=300, deadline=None)
@given(peaks_strategy)
def test_no_sentence_without_six_points_and_a_positive_lower_bound(peaks: list[int]) -> None:
    result = cast(peaks)
    if result.confident:
        assert result.trend is not None
        assert result.trend.points >= 6
        assert result.trend.lower > 0
        assert 0 <= (result.minutes_to_limit or 0) <= 120


@settings(max_examples=300, deadline=None)
@given(peaks_strategy)
def test_the_lower_bound_never_exceeds_the_slope(peaks: list[int]) -> None:
    trend = cast(peaks).trend
    if trend is not None:
        assert trend.lower <= trend.slope


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=49), min_size=6, max_size=12))
def test_a_never_rising_series_gets_no_sentence(peaks: list[int]) -> None:
    falling = sorted(peaks, reverse=True)
    assert cast(falling).sentence() == ""


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.floats(0, 120)), st.sampled_from(list(Level))),
        max_size=60,
    )
)
def test_at_most_one_forecast_per_episode(steps: list[tuple[float | None, Level]]) -> None:
    fired = run_rule(steps)
    for first, second in itertools.pairwise(fired):
        levels = [level for _, level in steps[first : second + 1]]
        resolved = any(
            not levels[k].alerting and any(lv.alerting for lv in levels[:k])
            for k in range(1, len(levels))
        )
        quiet_hour = second - first >= 12
        assert resolved or quiet_hour, "a second FORECAST inside one episode"
    for index in fired:
        assert steps[index][1] < Level.CRITICAL
        assert index >= 1 and steps[index - 1][0] is not None


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=40))
def test_the_median_is_statistics_own_to_the_last_bit(values: list[float]) -> None:
    # The forecast keeps statistics (and its fractions and decimal) off a tick's cold start.
    assert median(values) == statistics.median(values)
    assert median(iter(values)) == statistics.median(values)

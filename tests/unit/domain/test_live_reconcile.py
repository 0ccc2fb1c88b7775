"""The reconcile's rule: raise at once, lower on the second run above, tell a lagging feed once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ceilingwatch.domain.live_calls import Tally
from ceilingwatch.domain.live_reconcile import LAG_RUNS, reconcile

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
RUN = timedelta(minutes=5)


def test_a_count_below_active_calls_is_raised_at_once_by_a_floor() -> None:
    step = reconcile(7, 10, Tally(), NOW)
    assert step.tally.offset == 3 and step.excess == 0


def test_a_count_above_active_calls_is_lowered_only_on_the_second_run() -> None:
    first = reconcile(12, 10, Tally(), NOW)
    assert first.excess == 0 and first.tally.above_runs == 1 and first.tally.offset == 0
    second = reconcile(12, 10, first.tally, NOW)
    assert second.excess == 2 and second.tally.above_runs == 0


def test_a_count_above_once_then_level_starts_counting_afresh() -> None:
    first = reconcile(12, 10, Tally(), NOW)
    assert reconcile(10, 10, first.tally, NOW).tally == Tally()
    assert reconcile(12, 10, Tally(), NOW).excess == 0


def lag_runs(runs: int, remind: timedelta | None = None, tally: Tally | None = None) -> list[bool]:
    """Which of `runs` scheduled runs, 5 minutes apart, with the feed 3 calls short, tell it."""
    told, tally = [], tally or Tally()
    for n in range(runs):
        step = reconcile(5, 8, tally, NOW + n * RUN, remind)
        tally, told = step.tally, [*told, step.lagging]
        assert tally.offset == 3  # raised to activeCalls on every run, told or not
    return told


def test_a_feed_lagging_three_runs_is_told_once() -> None:
    assert LAG_RUNS == 3
    assert lag_runs(6) == [False, False, True, False, False, False]


def test_a_lag_that_lasts_is_told_again_at_the_reminder_interval() -> None:
    # Told at the third run (10 min), again 20 minutes later (the seventh), and so on.
    told = lag_runs(12, remind=timedelta(minutes=20))
    assert [n for n, t in enumerate(told) if t] == [2, 6, 10]
    assert lag_runs(12, remind=timedelta(0)) == lag_runs(12)  # zero: no reminders


def test_a_lag_is_remembered_across_a_run_above_and_told_afresh_after_catching_up() -> None:
    tally = Tally()
    for n in range(3):
        tally = reconcile(5, 8, tally, NOW + n * RUN).tally
    assert tally.lag_told_at == NOW + 2 * RUN
    above = reconcile(9, 8, tally, NOW + 3 * RUN).tally
    assert above.lag_told_at == tally.lag_told_at and above.below_runs == 0
    assert lag_runs(4, tally=above) == [False] * 4  # the same lag, flapping: told already
    caught_up = reconcile(8, 8, tally, NOW + 3 * RUN).tally
    assert caught_up == Tally()
    assert lag_runs(3, tally=caught_up) == [False, False, True]

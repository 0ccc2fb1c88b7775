"""The reconcile's rule: raise at once, lower on the second run above, tell a lagging feed once."""

from __future__ import annotations

from ceilingwatch.domain.live_calls import Tally
from ceilingwatch.domain.live_reconcile import reconcile


def test_a_count_below_active_calls_is_raised_at_once_by_a_floor() -> None:
    step = reconcile(7, 10, Tally())
    assert step.tally.offset == 3 and step.excess == 0


def test_a_count_above_active_calls_is_lowered_only_on_the_second_run() -> None:
    first = reconcile(12, 10, Tally())
    assert first.excess == 0 and first.tally.above_runs == 1 and first.tally.offset == 0
    second = reconcile(12, 10, first.tally)
    assert second.excess == 2 and second.tally.above_runs == 0


def test_a_count_above_once_then_level_starts_counting_afresh() -> None:
    first = reconcile(12, 10, Tally())
    assert reconcile(10, 10, first.tally).tally == Tally()
    assert reconcile(12, 10, Tally()).excess == 0


def test_a_feed_lagging_three_runs_is_told_once_and_afresh_after_it_caught_up() -> None:
    tally, told = Tally(), []
    for _ in range(5):
        step = reconcile(5, 8, tally)
        tally, told = step.tally, [*told, step.lagging]
    assert told == [False, False, True, False, False]
    caught_up = reconcile(8, 8, tally).tally
    assert [reconcile(5, 8, t).lagging for t in (caught_up,)] == [False]

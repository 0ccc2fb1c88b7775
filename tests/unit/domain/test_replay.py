"""The one replay loop: which ticks it judges, what each sees, and that it carries the state."""

from __future__ import annotations

from ceilingwatch.domain.alerts import Kind, Measured, NoData
from ceilingwatch.domain.replay import judge_in_turn, replay
from ceilingwatch.domain.series import BUCKET, ConcurrencyBucket

from tests.support.builders import START, config, evaluation_at, tick_time


def history(*peaks: int) -> list[ConcurrencyBucket]:
    return [ConcurrencyBucket(START + i * BUCKET, calls) for i, calls in enumerate(peaks)]


def test_each_tick_runs_a_minute_into_its_bucket_and_sees_the_completed_ones() -> None:
    steps = list(replay(history(10, 20, 30), config()))
    assert [s.tick for s in steps] == [tick_time(1), tick_time(2)]
    assert [s.outcome.state.judged.peak for s in steps] == [10, 20]
    assert [s.outcome.state.version for s in steps] == [1, 2]  # one state, carried along


def test_until_ends_the_replay_and_a_tick_with_nothing_seen_has_no_data() -> None:
    steps = list(replay(history(10), config(), until=tick_time(3)))
    assert [s.tick for s in steps] == [tick_time(1), tick_time(2), tick_time(3)]
    late = [*history(10), ConcurrencyBucket(START + 20 * BUCKET, 10)]
    quiet = next(s for s in replay(late, config()) if s.tick == tick_time(14))
    assert quiet.outcome.state.health.status.value == "NO_DATA"


def test_minute_peaks_show_the_bucket_in_progress_as_a_live_run_sees_it() -> None:
    minutes = [10] * 5 + [41] * 5
    live = list(replay(history(10, 41), config(), minute_peaks=minutes))
    assert [s.tick for s in live] == [tick_time(1)]
    raised = [n.kind for n in live[0].outcome.notifications]
    assert raised == [Kind.RAISED]  # tick 1 saw bucket 1's first minute at 41
    (completed_only,) = replay(history(10, 41), config())
    assert completed_only.outcome.notifications == ()


def test_the_loop_takes_any_observations_and_configurations_in_turn() -> None:
    peaks = [10, 48, 48]
    observed = [
        (tick_time(0), Measured(evaluation_at(0, peaks, config())), config()),
        (tick_time(1), NoData(), config()),
        (tick_time(2), Measured(evaluation_at(2, peaks, config())), config(concurrency_limit=40)),
    ]
    steps = list(judge_in_turn(None, observed, monitor="prod"))
    assert steps[1].outcome.state.health.status.value == "NO_DATA"
    assert [n.kind for n in steps[2].outcome.notifications] == [Kind.LIMIT_CHANGED]
    assert steps[2].tick - steps[0].tick == 2 * BUCKET
    assert steps[0].outcome.state.judged.execution_id == "replay-0"
    assert list(replay([], config())) == []

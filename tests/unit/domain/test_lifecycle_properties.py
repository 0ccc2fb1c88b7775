"""Properties of the state machine over random bucket series (hypothesis)."""

from __future__ import annotations

from ceilingwatch.domain.alerts import Kind
from ceilingwatch.domain.severity import Level
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.builders import Replay

LEVEL_KINDS = {Kind.RAISED, Kind.ESCALATED, Kind.RESOLVED}
series = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=80)


def replayed(peaks: list[int]) -> Replay:
    replay = Replay()
    replay.run_series(peaks)
    return replay


@settings(max_examples=300, deadline=None)
@given(series)
def test_never_two_messages_for_one_transition(peaks: list[int]) -> None:
    told = "OK"
    for _, note in replayed(peaks).sent:
        if note.kind in LEVEL_KINDS:
            assert note.severity != told, "a level was announced twice in a row"
            told = note.severity


@settings(max_examples=300, deadline=None)
@given(series)
def test_never_a_resolve_without_an_earlier_alert(peaks: list[int]) -> None:
    alerted = False
    for _, note in replayed(peaks).sent:
        if note.kind in (Kind.RAISED, Kind.ESCALATED):
            alerted = True
        if note.kind is Kind.RESOLVED:
            assert alerted
            alerted = False


@settings(max_examples=300, deadline=None)
@given(series)
def test_every_rise_to_critical_is_told_within_the_tick(peaks: list[int]) -> None:
    replay = Replay()
    for index, calls in enumerate(peaks):
        replay.measure(index, peaks)
        if calls >= 48:  # 96 % of 50, at or above critical
            assert replay.state is not None
            assert replay.state.told.level >= Level.CRITICAL


@settings(max_examples=300, deadline=None)
@given(series)
def test_messages_are_bounded_by_transitions_plus_reminders(peaks: list[int]) -> None:
    replay = replayed(peaks)
    transitions = sum(
        1
        for before, after in zip(
            [Level.OK] + [o.state.judged.level for o in replay.outcomes],
            [o.state.judged.level for o in replay.outcomes],
            strict=False,
        )
        if before != after
    )
    reminders = sum(1 for _, n in replay.sent if n.kind is Kind.REMINDER)
    # A reminder waits an hour at least: never more than one per 12 ticks.
    assert reminders <= len(peaks) // 12
    level_notes = [n for _, n in replay.sent if n.kind is not Kind.FORECAST]
    assert len(level_notes) <= transitions + reminders


@settings(max_examples=300, deadline=None)
@given(series)
def test_a_forecast_comes_below_critical_and_at_most_once_before_a_resolve(
    peaks: list[int],
) -> None:
    replay = replayed(peaks)
    open_episode, last = False, -100
    for index, note in replay.sent:
        if note.kind is Kind.FORECAST:
            assert not open_episode or index - last >= 12, "a second FORECAST in one episode"
            last = index
            assert replay.outcomes[index].state.judged.level < Level.CRITICAL
            assert note.reading is not None and note.reading.minutes_to_limit is not None
            assert note.reading.minutes_to_limit <= 30
            open_episode = True
        if note.kind is Kind.RESOLVED:
            open_episode = False


steps = st.lists(
    st.one_of(st.integers(min_value=0, max_value=60), st.sampled_from(["fail", "empty"])),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_a_broken_monitor_is_never_quiet(sequence: list[int | str]) -> None:
    from ceilingwatch.common.errors import UltravoxUnavailableError

    replay = Replay()
    peaks = [s if isinstance(s, int) else 0 for s in sequence]
    unhealthy = 0
    alerted = False
    for index, step in enumerate(sequence):
        if step == "fail":
            replay.fail(index, UltravoxUnavailableError("down"))
        elif step == "empty":
            replay.no_data(index)
        else:
            replay.measure(index, peaks)
        kinds = {n.kind for i, n in replay.sent if i == index}
        if step in ("fail", "empty"):
            unhealthy += 1
            alerted = alerted or Kind.MONITOR_ERROR in kinds
            if step == "fail" and unhealthy >= 3:
                assert alerted, "three runs that could not judge, and no ERROR alert"
        else:
            assert (Kind.MONITOR_RECOVERED in kinds) == alerted, "recovery told iff error told"
            unhealthy, alerted = 0, False

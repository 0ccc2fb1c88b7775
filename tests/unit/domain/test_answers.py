"""Snooze and Acknowledge in the state machine: what they hold, what still goes out."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from ceilingwatch.common.errors import UltravoxUnavailableError
from ceilingwatch.domain.alerts import Kind
from ceilingwatch.domain.severity import Level

from tests.support.builders import Replay, tick_time


def answered(replay: Replay, **fields: object) -> None:
    """What the interactions function writes on a click (see responses.answer)."""
    assert replay.state is not None
    answers = replace(replay.state.answers, **fields)  # type: ignore[arg-type]
    replay.state = replace(replay.state, answers=answers)


def run(replay: Replay, peaks: list[int], start: int) -> None:
    for index in range(start, len(peaks)):
        replay.measure(index, peaks)


def test_a_snooze_holds_the_reminder_until_it_ends_then_tells_it() -> None:
    replay, peaks = Replay(), [48] * 24
    replay.measure(0, peaks)
    answered(replay, snoozed_until=tick_time(0) + timedelta(minutes=90), snoozed_by="U0MARIA")
    run(replay, peaks, 1)
    # Due at tick 12 (an hour), held while snoozed, told at tick 18 when the snooze ends.
    assert replay.log() == [(0, "raised", "CRITICAL"), (18, "reminder", "CRITICAL")]
    held = [o for o in replay.outcomes[12:18] if o.suppressed]
    assert len(held) == 6 and held[0].suppressed[0].kind is Kind.REMINDER


def test_a_rise_goes_out_through_a_snooze() -> None:
    replay, peaks = Replay(), [48] * 6 + [50] * 4
    replay.measure(0, peaks)
    answered(replay, snoozed_until=tick_time(0) + timedelta(hours=4), snoozed_by="U0MARIA")
    run(replay, peaks, 1)
    assert replay.log() == [(0, "raised", "CRITICAL"), (6, "escalated", "AT_LIMIT")]


def test_acknowledge_stops_the_reminders_of_its_level_and_a_rise_alerts_again() -> None:
    replay, peaks = Replay(), [48] * 40 + [50] * 14
    replay.measure(0, peaks)
    answered(replay, acknowledged_level=Level.CRITICAL, acknowledged_by="U0MARIA")
    run(replay, peaks, 1)
    assert replay.log() == [
        (0, "raised", "CRITICAL"),
        (40, "escalated", "AT_LIMIT"),
        (52, "reminder", "AT_LIMIT"),  # the new level was not acknowledged
    ]


def test_the_resolve_goes_out_and_ends_the_answers_with_the_episode() -> None:
    replay, peaks = Replay(), [48] * 3 + [10] * 6 + [48] * 14
    replay.measure(0, peaks)
    answered(
        replay,
        snoozed_until=tick_time(0) + timedelta(hours=4),
        snoozed_by="U0MARIA",
        acknowledged_level=Level.CRITICAL,
        acknowledged_by="U0MARIA",
    )
    run(replay, peaks, 1)
    kinds = [kind for _, kind, _ in replay.log()]
    # The next episode is raised and reminded as if nobody had clicked.
    assert kinds == ["raised", "resolved", "raised", "reminder"]


def test_a_snooze_never_holds_the_monitors_own_health() -> None:
    replay, peaks = Replay(), [48]
    replay.measure(0, peaks)
    answered(replay, snoozed_until=tick_time(0) + timedelta(hours=4), snoozed_by="U0MARIA")
    for index in range(1, 4):
        replay.fail(index, UltravoxUnavailableError("Ultravox answered HTTP 503"))
    assert replay.log()[-1][1] == "monitor-error"

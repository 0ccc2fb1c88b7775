"""FORECAST, the nowcast in level messages, and the plan-risk notice, through the state machine."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from ceilingwatch.adapters.state_codec import state_from_item, state_to_item
from ceilingwatch.domain.alerts import Kind, Measured
from ceilingwatch.domain.plan import Subscription

from tests.support.builders import START, Replay, config, evaluation_at, tick_time

# 2 calls a bucket from 20: a steady climb that crosses 80 % (40) at bucket 10, the limit at 15.
RAMP = [20 + 2 * i for i in range(16)]


def test_a_steady_climb_is_forecast_once_before_the_warning() -> None:
    replay = Replay()
    replay.run_series(RAMP)
    forecasts = [(i, n) for i, n in replay.sent if n.kind is Kind.FORECAST]
    assert len(forecasts) == 1
    index, note = forecasts[0]
    first_warning = next(i for i, n in replay.sent if n.kind is Kind.RAISED)
    assert index <= first_warning
    assert note.severity == "WARNING"  # routed wherever a WARNING goes
    assert note.why.startswith("at this rate the limit of 50 in ~")
    assert re.search(r": rising \d+\.\d calls per 5 min over the last (hour|\d+ min); ", note.why)
    assert f"; now {RAMP[index]} of 50 calls ({2 * RAMP[index]}%)" in note.why
    assert note.reading is not None and note.reading.minutes_to_limit is not None
    assert note.reading.minutes_to_limit <= 30


def test_level_messages_carry_the_nowcast_when_it_is_confident() -> None:
    replay = Replay()
    replay.run_series(RAMP)
    raised = next(n for _, n in replay.sent if n.kind is Kind.RAISED)
    assert "at this rate the limit in ~" in raised.why
    assert raised.reading is not None and raised.reading.nowcast in raised.why
    # and not when the traffic is flat
    flat = Replay()
    flat.run_series([42] * 14)
    assert all("at this rate" not in n.why for _, n in flat.sent)


def test_forecast_minutes_zero_sends_no_forecast() -> None:
    replay = Replay(cfg=config(forecast_minutes=0))
    replay.run_series(RAMP)
    assert Kind.FORECAST not in {n.kind for _, n in replay.sent}
    assert Kind.RAISED in {n.kind for _, n in replay.sent}


def test_a_muted_forecast_is_held_back_and_not_marked_as_told() -> None:
    muted = config(mute_until=(START + timedelta(days=1)).isoformat())
    replay = Replay(cfg=muted)
    replay.run_series(RAMP)
    held = [n for o in replay.outcomes for n in o.suppressed if n.kind is Kind.FORECAST]
    assert held and replay.sent == []
    assert replay.state is not None and replay.state.told.forecast_fired_at is None


def test_a_second_ramp_after_the_episode_resolved_is_forecast_again() -> None:
    replay = Replay()
    # up into WARNING, down and resolved, then up again
    peaks = RAMP[:12] + [20] * 6 + RAMP[:12]
    replay.run_series(peaks)
    forecasts = [i for i, n in replay.sent if n.kind is Kind.FORECAST]
    resolved = [i for i, n in replay.sent if n.kind is Kind.RESOLVED]
    assert len(forecasts) == 2
    assert forecasts[0] < resolved[0] < forecasts[1]


def test_plan_risk_is_told_once_per_lapse() -> None:
    replay = Replay()
    lapse = Subscription("pro", expiration=START + timedelta(days=3))
    for index in range(4):
        replay.measure(index, [10] * 4)
    first = replay.tick(4, _measured(4, lapse))
    again = replay.tick(5, _measured(5, lapse))
    later = Subscription("pro", expiration=START + timedelta(days=5))
    moved = replay.tick(6, _measured(6, later))
    assert [n.kind for n in first.notifications] == [Kind.PLAN_RISK]
    assert "lapses on" in first.notifications[0].why
    assert "pay-as-you-go" in first.notifications[0].why
    assert again.notifications == ()
    assert [n.kind for n in moved.notifications] == [Kind.PLAN_RISK]


def test_a_muted_run_keeps_all_it_told_as_it_was_so_expiry_tells_it_all() -> None:
    muted = config(mute_until=tick_time(5).isoformat())
    replay, peaks = Replay(), [10] * 4 + [48] * 2
    for index in range(4):
        replay.measure(index, peaks)
    assert replay.state is not None
    before = replay.state.told
    lapse = Subscription("pro", expiration=START + timedelta(days=3))
    seen = Measured(evaluation_at(4, peaks, muted), 40, lapse)
    held = replay.tick(4, seen, muted)
    assert {n.kind for n in held.suppressed} == {
        Kind.RAISED,
        Kind.ACCOUNT_CEILING,
        Kind.PLAN_RISK,
    }
    assert held.state.told == before  # the whole record, whatever a notice marks in it
    told = replay.tick(5, Measured(evaluation_at(5, peaks, config()), 40, lapse))
    assert {n.kind for n in told.notifications} >= {
        Kind.RAISED,
        Kind.ACCOUNT_CEILING,
        Kind.PLAN_RISK,
    }


def _measured(index: int, plan: Subscription) -> Measured:
    return Measured(evaluation_at(index, [10] * (index + 1), config()), subscription=plan)


def test_the_forecast_memory_survives_the_state_table() -> None:
    replay = Replay()
    replay.run_series(RAMP[:8])
    assert replay.state is not None
    told = replace(replay.state.told, plan_risk_key="lapse:2026-12-03T00:00:00+00:00")
    state = replace(replay.state, told=told)
    assert state.watches.forecast_held_runs > 0 and state.watches.forecast_held_at == tick_time(7)
    assert state_from_item(state_to_item(state)) == state

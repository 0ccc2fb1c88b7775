"""Escalation when nobody answers: delayed channels hear an episode once, only if it holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from ceilingwatch.adapters.state_codec import state_from_item, state_to_item
from ceilingwatch.domain.alerts import Kind
from ceilingwatch.domain.escalation import claim_with_delays
from ceilingwatch.domain.severity import Level
from ceilingwatch.domain.state import Answers

from tests.support.builders import Replay, tick_time

CHANNELS = ("slack", "pagerduty")
FIFTEEN = {"slack": timedelta(0), "pagerduty": timedelta(minutes=15)}


class Escalating:
    """The replay loop, with each run's notifications claimed as the monitor claims them."""

    def __init__(self, delays: dict[str, timedelta]) -> None:
        self.replay, self.delays = Replay(), delays
        self.owed: list[tuple[int, str, str]] = []  # (tick, kind, channel)

    def run(self, peaks: list[int], start: int = 0, acknowledge_at: int | None = None) -> None:
        for index in range(start, len(peaks)):
            before = len(self.replay.sent)
            self.replay.measure(index, peaks[: index + 1])
            assert self.replay.state is not None
            if index == acknowledge_at:
                answers = Answers(acknowledged_level=self.replay.state.judged.level)
                self.replay.state = replace(self.replay.state, answers=answers)
            notes = [n for _, n in self.replay.sent[before:]]
            state, owed = claim_with_delays(
                self.replay.state, notes, lambda n: CHANNELS, self.delays, tick_time(index)
            )
            self.replay.state = state_from_item(state_to_item(state))  # as stored between runs
            self.owed += [(index, o.notification.kind.value, c) for o in owed for c in o.channels]

    def to(self, channel: str) -> list[tuple[int, str]]:
        return [(i, kind) for i, kind, c in self.owed if c == channel]


HOLDS = [10, 41, 48, 48, 48, 48, 48, 48, 20, 10, 10, 10]


def test_slack_at_once_pagerduty_after_15_minutes_if_nobody_acknowledged() -> None:
    run = Escalating(FIFTEEN)
    run.run(HOLDS)
    assert run.to("slack") == [(1, "raised"), (2, "escalated"), (10, "resolved")]
    # The raise began at tick 1 (12:06); tick 4 (12:21) is the first run 15 minutes after.
    assert run.to("pagerduty") == [(4, "escalated"), (10, "resolved")]
    assert run.replay.state is not None and run.replay.state.escalation.told == ()


def test_the_delayed_raise_says_how_long_it_has_held() -> None:
    run = Escalating(FIFTEEN)
    run.run(HOLDS[:5])
    assert run.replay.state is not None
    pending = run.replay.state.escalation.pending
    assert pending is not None and pending.kind is Kind.ESCALATED  # the latest news held back
    assert run.replay.state.escalation.told == ("pagerduty",)


def test_an_acknowledged_episode_never_escalates_and_its_resolve_stays_where_it_went() -> None:
    run = Escalating(FIFTEEN)
    run.run(HOLDS, acknowledge_at=2)
    assert run.to("pagerduty") == []
    assert (10, "resolved") in run.to("slack")


def test_an_episode_over_before_the_delay_tells_the_delayed_channel_nothing() -> None:
    # CRITICAL from 12:06 until two completed buckets are below recovery: resolved at 12:36.
    run = Escalating({"slack": timedelta(0), "pagerduty": timedelta(minutes=45)})
    run.run([10, 41, 48, 20, 10, 10, 10, 10, 10, 10, 10, 10])
    assert run.to("pagerduty") == []
    assert [kind for _, kind in run.to("slack")][-1] == "resolved"
    assert run.replay.state is not None and run.replay.state.escalation.pending is None


def test_no_delay_changes_nothing() -> None:
    run = Escalating({"slack": timedelta(0), "pagerduty": timedelta(0)})
    run.run(HOLDS)
    assert run.to("pagerduty") == run.to("slack")


def test_the_next_episode_waits_afresh() -> None:
    run = Escalating(FIFTEEN)
    second = [*HOLDS, 48, 48, 48, 48, 48, 48]
    run.run(second)
    told = run.to("pagerduty")
    assert told[:2] == [(4, "escalated"), (10, "resolved")]
    # The second episode starts at tick 12; pagerduty hears it at tick 15, once.
    assert told[2:] == [(15, "raised")]
    assert run.replay.state is not None and run.replay.state.judged.level is Level.CRITICAL

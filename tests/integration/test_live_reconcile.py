"""The scheduled run's reconcile on the local stack: the simulator's calls feed its buckets, its
activeCalls and its signed webhooks to the real receiver; the real handler reconciles the live
count in moto's DynamoDB against them. Every clock here is the simulator's, set by the test."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests
from ceilingwatch.domain.live_calls import Tally

from infra.local_stack.live import LiveFeed, live_feed
from infra.local_stack.stack import LocalStack
from infra.simulator.ultravox import Scenario, UltravoxSimulator, WebhookFault
from tests.support.harness import START, Harness, flat_scenario, harness

pytestmark = pytest.mark.integration

SECRET = "whsec-reconcile-7c1f0a"
T0 = START + timedelta(hours=1, minutes=1)  # 13:01, the feed goes on
EVENTS = ["call.started", "call.joined", "call.ended"]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(parameters={"MonitorName": "itest", "ConcurrencyLimit": "50"}) as local:
        yield local


@contextlib.contextmanager
def feed_on(
    stack: LocalStack, monitor: str, scenario: Scenario
) -> Iterator[tuple[Harness, LiveFeed]]:
    """A monitor judged once at T0, then its webhook registered with the simulator, as `live
    enable` does; the handlers' clock is the simulator's."""
    with harness(stack, scenario, monitor, limit="500") as h:
        sim = h.ultravox
        assert h.deps is not None
        h.deps = dataclasses.replace(h.deps, clock=sim.now)
        h.invoke(T0)
        h.put("ultravox-webhook-secret", SECRET, secure=True)
        with live_feed(stack, h.env, clock=sim.now) as feed:
            hook = {"url": feed.url + monitor, "events": EVENTS, "secrets": [SECRET]}
            answer = requests.post(
                sim.base_url + "/api/webhooks",
                json=hook,
                headers={"X-API-Key": h.api_key},
                timeout=5,
            )
            assert answer.status_code == 201
            yield h, feed


def advance(sim: UltravoxSimulator, to: datetime) -> None:
    """The simulator's clock moved on, and every event it passed answered by the receiver."""
    sim.set_clock(to)
    sim.live.dispatcher.settle()
    assert {s.status for s in sim.webhooks_sent} <= {204, None}


def open_calls(feed: LiveFeed, h: Harness) -> set[str]:
    count = feed.receivers.calls.count(h.monitor, h.ultravox.now())
    return {c.call_id for c in count.open_calls}


def live_count(feed: LiveFeed, h: Harness) -> int:
    return feed.receivers.calls.count(h.monitor, h.ultravox.now()).calls


def tally(feed: LiveFeed, h: Harness) -> Tally:
    return feed.receivers.calls.count(h.monitor, h.ultravox.now()).tally


def active_calls(h: Harness) -> int:
    headers = {"X-API-Key": h.api_key}
    account = requests.get(h.ultravox.base_url + "/api/accounts/me", headers=headers, timeout=5)
    return int(account.json()["activeCalls"])


def looked_up(sim: UltravoxSimulator) -> list[str]:
    """The calls a run asked GET /api/calls/{id} of, in order."""
    prefix = "/api/calls/"
    return [r.path.removeprefix(prefix) for r in sim.requests if r.path.startswith(prefix)]


def test_lost_ends_are_lowered_on_the_second_run_once_ultravox_says_they_ended(
    stack: LocalStack,
) -> None:
    with feed_on(stack, "lostends", flat_scenario(0)) as (h, feed):
        sim = h.ultravox
        short = sim.live.campaign(6, within=6.0, hold=120.0, start=T0 + timedelta(seconds=10))
        long = sim.live.campaign(2, within=2.0, hold=3000.0, start=T0 + timedelta(seconds=20))
        sim.inject_webhook_fault(WebhookFault("lose_end"), times=3)  # the first 3 ends to come
        advance(sim, T0 + timedelta(minutes=4))
        lost = short[:3]
        assert open_calls(feed, h) == set(lost + long)
        assert (live_count(feed, h), active_calls(h)) == (5, 2)

        h.invoke(T0 + timedelta(minutes=5))  # the first run above: an end may be on its way
        assert open_calls(feed, h) == set(lost + long) and looked_up(sim) == []
        assert tally(feed, h).above_runs == 1

        h.invoke(T0 + timedelta(minutes=10))  # the second: the oldest open records looked up
        asked = looked_up(sim)
        assert set(lost) <= set(asked) <= set(lost + long)
        assert open_calls(feed, h) == set(long)  # still running by Ultravox: left open
        assert live_count(feed, h) == active_calls(h) == 2
        assert tally(feed, h) == Tally()

        h.invoke(T0 + timedelta(minutes=15))  # level now: nothing more asked or changed
        assert looked_up(sim) == asked and open_calls(feed, h) == set(long)


def test_calls_the_feed_never_heard_of_raise_the_live_count_at_once(stack: LocalStack) -> None:
    # The scenario's 3 calls began before the webhook was registered: no event ever came.
    with feed_on(stack, "unheard", flat_scenario(3)) as (h, feed):
        sim = h.ultravox
        sim.live.campaign(4, within=2.0, hold=600.0, start=T0 + timedelta(seconds=10))
        advance(sim, T0 + timedelta(minutes=4))
        assert (live_count(feed, h), active_calls(h)) == (4, 7)

        h.invoke(T0 + timedelta(minutes=5))  # one run: raised to activeCalls, nothing asked
        assert live_count(feed, h) == active_calls(h) == 7
        assert tally(feed, h).offset == 3 and looked_up(sim) == []

        sim.live.campaign(2, within=1.0, hold=600.0, start=T0 + timedelta(minutes=6))
        advance(sim, T0 + timedelta(minutes=7))  # calls the feed hears of count on top
        assert live_count(feed, h) == active_calls(h) == 9


RAMP = Scenario.from_dict(
    {
        "start": START.isoformat(),
        "account": {"allowedConcurrentCalls": None},
        "segments": [
            {"minutes": 62, "hold": 0},  # nothing before the feed is on
            {"minutes": 8, "from": 2, "to": 16},
            {"minutes": 6, "hold": 16},
            {"minutes": 10, "from": 16, "to": 4},
            {"minutes": 60, "hold": 4},
        ],
    }
)


def test_with_the_feed_on_and_nothing_lost_the_runs_change_nothing(stack: LocalStack) -> None:
    with feed_on(stack, "nothinglost", RAMP) as (h, feed):
        sim = h.ultravox
        sim.live.campaign(10, within=5.0, hold=400.0, start=T0 + timedelta(minutes=7, seconds=30))
        # Duplicated and reordered events change nothing either: records only move forward.
        sim.inject_webhook_fault(WebhookFault("duplicate"), times=3)
        sim.inject_webhook_fault(WebhookFault("reorder"), times=2)
        counts, peaks = [], []
        for minutes in range(5, 30, 5):
            at = T0 + timedelta(minutes=minutes)
            advance(sim, at)
            before = (open_calls(feed, h), live_count(feed, h))
            assert before[1] == active_calls(h), at
            peaks.append(h.invoke(at)["peak"])
            assert (open_calls(feed, h), live_count(feed, h)) == before, at
            assert tally(feed, h) == Tally(), at
            counts.append(before[1])
        assert looked_up(sim) == []
        sent = [(s.event, s.call_id) for s in sim.webhooks_sent]
        assert len(sent) == len(set(sent)) + 3  # the duplicates were played
        # The ramp, the campaign on top of it, and down again: as the poll's buckets saw it too.
        assert counts == [10, 26, 16, 9, 4]
        assert peaks[1] == 26

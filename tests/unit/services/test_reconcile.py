"""A scheduled run reconciles a live monitor's count; a monitor without the secret is untouched."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from ceilingwatch.common.errors import UltravoxUnavailableError
from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.live_calls import CallRecord, CallStage, Tally
from ceilingwatch.domain.ports import Account
from ceilingwatch.domain.tick import Tick
from ceilingwatch.services.base import live_feed_on
from ceilingwatch.services.monitor import run
from ceilingwatch.services.reconcile import reconcile_live

from tests.support.builders import config, secret
from tests.support.fakes import World
from tests.support.live_fakes import FakeLiveCalls

NOW = datetime(2026, 11, 24, 14, 36, tzinfo=UTC)


class Source:
    def __init__(self, active: int, ended: set[str] = frozenset(), failing: bool = False) -> None:
        self.active, self.ended, self.failing = active, ended, failing
        self.looked_up: list[str] = []

    def account(self, *, deadline: float) -> Account:
        if self.failing:
            raise UltravoxUnavailableError("down", "wait")
        return Account(None, self.active, "scale")

    def call(self, call_id: str, *, deadline: float) -> dict[str, Any] | None:
        self.looked_up.append(call_id)
        return {
            "callId": call_id,
            "ended": "2026-11-24T14:00:00Z" if call_id in self.ended else None,
        }


def store(n: int) -> FakeLiveCalls:
    calls = FakeLiveCalls()
    for i in range(n):
        created = NOW - timedelta(minutes=30 - i)
        calls.record(
            "prod", CallRecord(f"c{i}", CallStage.JOINED, created, created + timedelta(hours=1))
        )
    return calls


def go(calls: FakeLiveCalls, source: Source) -> str:
    return reconcile_live("prod", lambda: source, calls, NOW, time.monotonic() + 5)  # type: ignore[arg-type, return-value]


def test_only_a_monitor_with_the_webhook_secret_has_a_live_feed() -> None:
    live = FakeLiveCalls()
    assert not live_feed_on(config(), live)
    with_secret = config().with_option("ultravox-webhook-secret", secret("whsec-x"))
    assert live_feed_on(with_secret, live)
    assert not live_feed_on(with_secret, None)


def test_missed_calls_raise_the_count_to_active_calls_at_once() -> None:
    calls = store(3)
    go(calls, Source(active=5))
    assert calls.count("prod", NOW).calls == 5


def test_ended_calls_are_closed_on_the_second_run_above_and_running_ones_kept() -> None:
    calls, source = store(4), Source(active=2, ended={"c1", "c3"})
    go(calls, source)
    assert calls.count("prod", NOW).calls == 4  # once may be an end on its way
    go(calls, source)
    assert calls.count("prod", NOW).calls == 2
    assert [c.call_id for c in calls.count("prod", NOW).open_calls] == ["c0", "c2"]
    assert source.looked_up == ["c0", "c1", "c2", "c3"]


def test_an_unavailable_account_changes_nothing_and_fails_nothing() -> None:
    calls = store(4)
    assert go(calls, Source(active=0, failing=True)) == "not reconciled"
    assert calls.count("prod", NOW).calls == 4 and calls.tallies == {}


def test_a_tally_is_kept_between_runs() -> None:
    calls = store(4)
    go(calls, Source(active=2))
    assert calls.tallies["prod"] == Tally(0, 1, 0, None)


class Teller:
    """The run's `tell`: keeps what it was handed; `takes` False is a claim another run won."""

    def __init__(self, takes: bool = True) -> None:
        self.takes = takes
        self.told: list[Notification] = []

    def __call__(self, note: Notification) -> bool:
        self.told.append(note)
        return self.takes


def runs(calls: FakeLiveCalls, source: Source, tell: Teller, n: int, start: int = 0) -> None:
    for index in range(start, start + n):
        at = NOW + timedelta(minutes=5 * index)
        deadline = time.monotonic() + 5
        reconcile_live("prod", lambda: source, calls, at, deadline, tell=tell)  # type: ignore[arg-type, return-value]


def test_a_feed_lagging_three_runs_is_one_notice_naming_the_webhook_and_the_fix() -> None:
    calls, tell = store(2), Teller()
    runs(calls, Source(active=5), tell, 6)
    (note,) = tell.told
    assert note.kind is Kind.LIVE_LAG and note.monitor == "prod"
    assert note.at == NOW + timedelta(minutes=10)  # the third run
    assert "below Ultravox's activeCalls for 3 scheduled runs" in note.why
    assert "now 2 live, 5 activeCalls" in note.why
    assert "URL path /prod on the stack's UltravoxWebhookUrl" in note.why
    assert "ceilingwatch doctor --monitor prod" in note.fix
    assert "ceilingwatch live enable --monitor prod" in note.fix
    assert calls.count("prod", NOW).calls == 5  # raised to activeCalls all the same


def test_a_lag_notice_not_claimed_is_told_by_the_next_run() -> None:
    calls, lost = store(2), Teller(takes=False)
    runs(calls, Source(active=5), lost, 3)
    assert len(lost.told) == 1 and calls.tallies["prod"].lag_told_at is None
    tell = Teller()
    runs(calls, Source(active=5), tell, 3, start=3)
    assert [n.at for n in tell.told] == [NOW + timedelta(minutes=15)]


def test_a_lag_is_reminded_at_the_interval_the_run_gives() -> None:
    calls, tell = store(2), Teller()
    for index in range(12):
        at = NOW + timedelta(minutes=5 * index)
        reconcile_live(
            "prod",
            lambda: Source(active=5),  # type: ignore[arg-type, return-value]
            calls,
            at,
            time.monotonic() + 5,
            tell=tell,
            remind=timedelta(minutes=20),
        )
    assert [n.at - NOW for n in tell.told] == [timedelta(minutes=m) for m in (10, 30, 50)]


def test_a_feed_that_caught_up_tells_nothing() -> None:
    calls, tell = store(5), Teller()
    runs(calls, Source(active=5), tell, 6)
    assert tell.told == []


def scheduled_runs(world: World, calls: FakeLiveCalls, n: int, start: int = 0) -> None:
    for index in range(start, start + n):
        world.now = NOW + timedelta(minutes=5 * index, seconds=30)
        tick = Tick("prod", NOW + timedelta(minutes=5 * index), f"exec-{index}")
        deps = world.dependencies()
        deps.live = calls
        run(tick, deps, deadline=time.monotonic() + 20)


def lag_world(**options: str) -> tuple[World, FakeLiveCalls]:
    world, calls = World(), store(1)
    world.parameters.cfg = config(**options).with_option(
        "ultravox-webhook-secret", secret("whsec-lagging-4f1c")
    )
    world.ultravox.active_calls = 4
    return world, calls


def lag_subjects(world: World) -> list[str]:
    return [e.subject for e in world.email.emails if "live feed" in e.subject]


def test_a_lagging_feed_is_told_once_through_every_channel_by_the_scheduled_runs() -> None:
    world, calls = lag_world()
    scheduled_runs(world, calls, 6)
    assert lag_subjects(world) == [
        "[WARNING] prod: the live feed keeps missing calls; check its Ultravox webhook"
    ]
    (email,) = [e for e in world.email.emails if "live feed" in e.subject]
    assert "ceilingwatch doctor --monitor prod" in email.body
    assert [n.kind for n in world.slack.sent if n.kind is Kind.LIVE_LAG] == [Kind.LIVE_LAG]
    state = world.states.items["prod"]
    assert state.delivery.outbox == ()  # claimed, delivered, settled
    assert "whsec-lagging-4f1c" not in str(world.email.emails) + str(world.slack.payloads)
    assert calls.count("prod", NOW).calls == 4


def test_a_muted_monitor_tells_the_lag_once_the_mute_ends() -> None:
    world, calls = lag_world(mute_until=(NOW + timedelta(minutes=22)).isoformat())
    scheduled_runs(world, calls, 5)  # runs at 0-20 minutes: muted
    assert lag_subjects(world) == []
    scheduled_runs(world, calls, 2, start=5)  # 25 minutes: told
    assert len(lag_subjects(world)) == 1

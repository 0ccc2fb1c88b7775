"""The fan-out with fakes: every monitor queued with its delay, the forgotten told once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ceilingwatch.domain.choices import Action
from ceilingwatch.domain.fleet import Registered
from ceilingwatch.domain.tick import Tick
from ceilingwatch.services.fanout import Fleet, fan_out

from tests.support.fakes import World

NOW = datetime(2026, 11, 24, 14, 31, tzinfo=UTC)


@dataclass
class Registry:
    members: tuple[Registered, ...]

    def monitors(self) -> tuple[Registered, ...]:
        return self.members

    def stale(self) -> None:
        pass


@dataclass
class Queue:
    sent: list[tuple[Mapping[str, Any], int]] = field(default_factory=list)

    def send(self, messages: Sequence[tuple[Mapping[str, Any], int]]) -> int:
        self.sent += messages
        return len(messages)


@dataclass
class States:
    last: dict[str, datetime | None]
    told_names: tuple[str, ...] = ()
    told_at: datetime | None = None

    def last_runs(self, monitors: Sequence[str]) -> dict[str, datetime | None]:
        return {m: self.last.get(m) for m in monitors}

    def told(self) -> tuple[tuple[str, ...], datetime | None]:
        return self.told_names, self.told_at

    def remember(self, names: tuple[str, ...], at: datetime) -> None:
        self.told_names, self.told_at = names, at


def fleet(world: World, count: int, last: dict[str, datetime | None]) -> Fleet:
    members = tuple(Registered(f"m{i:03d}", NOW - timedelta(days=1)) for i in range(count))
    return Fleet(Registry(members), Queue(), States(last), world.dependencies(), spread_seconds=120)


def test_every_monitor_is_queued_with_the_ticks_meaning_and_its_delay() -> None:
    world = World()
    recent = {f"m{i:03d}": NOW - timedelta(minutes=5) for i in range(300)}
    f = fleet(world, 300, recent)
    result = fan_out(Tick("fleet", NOW, "exec-9"), f)
    assert isinstance(f.queue, Queue)
    assert result["queued"] == 300 and result["forgotten"] == []
    bodies = [dict(body) for body, _ in f.queue.sent]
    assert bodies[0] == {
        "monitor": "m000",
        "scheduledTime": "2026-11-24T14:31:00Z",
        "executionId": "exec-9",
    }
    assert [d for _, d in f.queue.sent] == sorted(d for _, d in f.queue.sent)
    assert max(d for _, d in f.queue.sent) < 120
    assert world.email.sent == []


def test_the_digest_fans_out_with_its_action_and_calls_no_roll() -> None:
    world = World()
    f = fleet(world, 2, {})
    result = fan_out(Tick("fleet", NOW, "exec-d", Action.DIGEST), f)
    assert result["forgotten"] == []
    assert all(body["action"] == "digest" for body, _ in f.queue.sent)  # type: ignore[attr-defined]


def test_a_forgotten_monitor_is_named_once_then_at_the_reminder() -> None:
    world = World()
    last = {"m000": NOW - timedelta(minutes=5), "m001": NOW - timedelta(hours=2)}
    f = fleet(world, 2, last)
    assert fan_out(Tick("fleet", NOW, "a"), f)["forgotten"] == ["m001"]
    [notice] = world.email.sent
    assert notice.monitor == "m001" and "no completed run in 3 ticks" in notice.why
    assert fan_out(Tick("fleet", NOW + timedelta(minutes=5), "b"), f)["forgotten"] == ["m001"]
    assert len(world.email.sent) == 1
    assert isinstance(f.states, States)
    f.states.last["m000"] = NOW + timedelta(hours=4)  # m000 goes on running
    fan_out(Tick("fleet", NOW + timedelta(hours=4), "c"), f)
    assert [n.monitor for n in world.email.sent] == ["m001", "m001"]

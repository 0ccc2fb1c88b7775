"""A channel found failing is named through the others by the run that found it, claimed once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from ceilingwatch.common.errors import PermanentChannelError, TransientChannelError
from ceilingwatch.domain.alerts import Kind, Notification
from ceilingwatch.domain.ports import Context
from ceilingwatch.services.base import RunResult
from ceilingwatch.services.monitor import run

from tests.support.builders import config
from tests.support.fakes import FakeEmail, World
from tests.unit.services.test_monitor import T0, tick

REVOKED = PermanentChannelError("Slack refused chat.postMessage (invalid_auth)")
DOWN = TransientChannelError("Slack answered HTTP 500")


def go(world: World, minutes: int = 0) -> RunResult:
    world.now = T0 + timedelta(minutes=minutes)
    return run(tick(minutes), world.dependencies(), deadline=time.monotonic() + 20)


def kinds(result: RunResult) -> list[tuple[str, dict[str, str]]]:
    return [
        (d.notification.kind.value, {n: str(o).split(":")[0] for n, o in d.channels.items()})
        for d in result.deliveries
    ]


def critical_world(**fields: object) -> World:
    world = World(**fields)  # type: ignore[arg-type]
    world.ultravox.peak_at = lambda start: 48
    return world


def test_a_channel_refused_for_good_is_named_through_the_others_in_the_same_run() -> None:
    world = critical_world()
    world.slack.fail = REVOKED
    first = go(world)
    assert kinds(first) == [
        ("raised", {"email": "sent", "slack": "refused"}),
        ("channel-problem", {"email": "sent"}),  # never to the failing channel itself
    ]
    assert first.error is None and first.skipped == ""
    (problem,) = [n for n in world.email.sent if n.kind is Kind.CHANNEL_PROBLEM]
    assert "slack: Slack refused chat.postMessage (invalid_auth)" in problem.why
    state = world.states.items["prod"]
    assert state.delivery.outbox == () and "invalid_auth" in state.watches.channel_problems
    assert kinds(go(world, 5)) == [] and len(world.email.sent) == 2  # once, not every run


def test_a_channel_failing_again_while_it_owes_is_named_by_that_run() -> None:
    world = critical_world()
    world.slack.fail = DOWN
    assert kinds(go(world)) == [("raised", {"email": "sent", "slack": "failed"})]
    second = go(world, 5)  # Slack still owes the raise and fails it again
    assert kinds(second) == [
        ("raised", {"slack": "failed"}),
        ("channel-problem", {"email": "sent"}),
    ]
    assert second.error is None
    owed = world.states.items["prod"].delivery.outbox
    assert [(o.notification.kind, o.channels) for o in owed] == [(Kind.RAISED, ("slack",))]
    third = go(world, 10)
    assert [k for k, _ in kinds(third)] == ["raised"]  # still owed to Slack; no second notice


@dataclass
class EmailDownForNotices(FakeEmail):
    """Takes the alerts, fails every channel-problem notice for now."""

    def deliver(self, note: Notification, context: Context) -> dict[str, str]:
        if note.kind is Kind.CHANNEL_PROBLEM:
            raise TransientChannelError("SNS answered HTTP 500")
        return dict(super().deliver(note, context))


def test_a_notice_no_channel_takes_now_stays_owed_and_fails_nothing() -> None:
    world = critical_world(email=EmailDownForNotices())
    world.slack.fail = REVOKED
    first = go(world)
    assert [k for k, _ in kinds(first)] == ["raised", "channel-problem"]
    assert first.error is None  # the run recorded, and email took the raise
    (owed,) = world.states.items["prod"].delivery.outbox
    assert (owed.notification.kind, owed.channels) == (Kind.CHANNEL_PROBLEM, ("email",))


def test_while_muted_the_notice_waits_for_the_mute_to_end() -> None:
    world = critical_world()
    world.slack.fail = DOWN
    go(world)  # Slack owes the raise
    world.parameters.cfg = config(mute_until=T0 + timedelta(hours=1))
    muted = go(world, 5)  # what is owed still goes out; Slack fails it again
    assert [k for k, _ in kinds(muted)] == ["raised"]
    state = world.states.items["prod"]
    assert "slack" in state.watches.channel_failures and state.watches.channel_problems == ""


def test_a_notice_every_channel_would_refuse_is_not_claimed() -> None:
    world = critical_world()
    world.slack.fail = world.email.fail = REVOKED
    result = go(world)
    assert [k for k, _ in kinds(result)] == ["raised"]
    assert result.error is not None  # nothing was taken: Lambda's retry
    assert world.states.items["prod"].delivery.outbox == ()

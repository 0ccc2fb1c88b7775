"""One run end to end with in-memory fakes: what is read, stored and sent, and when it fails."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from ceilingwatch.common.errors import (
    ConfigurationError,
    DeliveryError,
    TransientChannelError,
    UltravoxUnavailableError,
)
from ceilingwatch.domain.choices import Action
from ceilingwatch.domain.severity import Level
from ceilingwatch.domain.tick import Tick
from ceilingwatch.services import claims
from ceilingwatch.services.base import RunResult
from ceilingwatch.services.monitor import run

from tests.support.builders import API_KEY, WEBHOOK, config
from tests.support.fakes import World

T0 = datetime(2026, 11, 24, 14, 36, tzinfo=UTC)


DOWN = TransientChannelError("down")


def outcomes(result: RunResult, index: int = 0) -> dict[str, str]:
    return {name: str(o) for name, o in result.deliveries[index].channels.items()}


def tick(minutes: int = 0, **fields: str) -> Tick:
    return Tick(
        "prod",
        T0 + timedelta(minutes=minutes),
        fields.get("execution_id", "e"),
        Action(fields.get("action", "check")),
    )


def go(world: World, t: Tick | None = None):
    return run(t or tick(), world.dependencies(), deadline=time.monotonic() + 20)


def critical_world() -> World:
    world = World()
    world.ultravox.peak_at = lambda start: 48
    return world


def test_a_rise_is_sent_to_both_channels_and_stored() -> None:
    world = critical_world()
    result = go(world)
    assert result.status == "CRITICAL"
    assert [e.subject for e in world.email.emails] == [
        "[CRITICAL] prod: 48/50 concurrent calls (96%)"
    ]
    assert len(world.slack.sent) == 1
    assert world.states.items["prod"].told.level is Level.CRITICAL
    assert world.secrets_seen == [API_KEY, WEBHOOK]


def test_steady_state_costs_one_fetch_one_read_one_write() -> None:
    world = critical_world()
    go(world)
    before = (world.ultravox.series_calls, world.states.reads, world.states.writes)
    go(world, tick(5))
    after = (world.ultravox.series_calls, world.states.reads, world.states.writes)
    assert tuple(b - a for a, b in zip(before, after, strict=True)) == (1, 1, 1)
    assert world.ultravox.account_calls == 1  # the cross-check runs hourly, not every tick
    assert len(world.email.sent) == 1


def test_a_duplicate_tick_sends_nothing_and_calls_nobody() -> None:
    world = critical_world()
    go(world)
    result = go(world)
    assert result.skipped.startswith("tick already judged")
    assert world.ultravox.series_calls == 1
    assert len(world.email.sent) == 1


def test_losing_the_conditional_write_sends_nothing() -> None:
    world = critical_world()
    world.states.conflict_next = True
    result = go(world)
    assert result.skipped == "another run judged this monitor first"
    assert world.email.sent == [] and world.slack.sent == []


def test_slack_failing_does_not_stop_the_email() -> None:
    world = critical_world()
    world.slack.fail = TransientChannelError("Slack answered HTTP 500")
    result = go(world)
    assert len(world.email.sent) == 1
    assert outcomes(result) == {"email": "sent", "slack": "failed: Slack answered HTTP 500"}
    assert world.states.items["prod"].told.level is Level.CRITICAL


def test_sns_failing_does_not_stop_slack() -> None:
    world = critical_world()
    world.email.fail = DOWN
    go(world)
    assert len(world.slack.sent) == 1


def test_every_channel_failing_keeps_the_message_in_the_outbox_for_the_retry() -> None:
    world = critical_world()
    world.email.fail = world.slack.fail = DOWN
    failed = go(world)
    assert isinstance(failed.error, DeliveryError)
    assert "no channel delivered the raised notification" in str(failed.error)
    stored = world.states.items["prod"]
    assert stored.delivery.outbox and stored.told.level is Level.CRITICAL
    # Lambda retries the same event a minute later, with the channels back.
    world.email.fail = world.slack.fail = None
    world.now += timedelta(minutes=1, seconds=5)
    result = go(world)
    assert [e.subject for e in world.email.emails] == [
        "[CRITICAL] prod: 48/50 concurrent calls (96%)"
    ]
    assert len(world.slack.sent) == 1
    assert world.states.items["prod"].delivery.outbox == ()
    assert result.skipped.startswith("tick already judged")


def test_a_run_killed_after_its_claim_is_finished_by_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = critical_world()

    def killed(*_: object, **__: object) -> None:
        raise RuntimeError("Lambda timed out")

    with monkeypatch.context() as patch:
        patch.setattr(claims, "send", killed)
        with pytest.raises(RuntimeError):
            go(world)
    assert world.slack.sent == [] and world.states.items["prod"].delivery.outbox
    world.now += timedelta(minutes=5)
    go(world, tick(5))
    assert len(world.email.sent) == 1 and len(world.slack.sent) == 1
    assert world.states.items["prod"].delivery.outbox == ()


def test_a_run_overlapping_a_delivery_in_flight_leaves_it_alone() -> None:
    world = critical_world()
    world.email.fail = world.slack.fail = DOWN
    assert isinstance(go(world).error, DeliveryError)
    world.email.fail = world.slack.fail = None
    world.now += timedelta(seconds=10)  # still within the grace: the first run may be sending
    result = go(world, tick(5))
    assert result.skipped == "another run is delivering this monitor's notifications"
    assert world.email.sent == []


def test_a_notifying_run_writes_its_claim_then_each_landing_and_a_quiet_one_once() -> None:
    world = critical_world()
    go(world)
    # The claim, then one record as each of email and Slack takes it; nothing left to settle.
    assert world.states.writes == 3
    go(world, tick(5))
    assert world.states.writes == 4


def test_api_errors_become_an_error_alert_on_the_third_run() -> None:
    world = World()
    world.ultravox.errors = [UltravoxUnavailableError("HTTP 503", "wait")] * 3
    results = [go(world, tick(5 * i)) for i in range(3)]
    assert all(r.error is not None and r.status == "ERROR" for r in results)
    assert [e.subject for e in world.email.emails] == [
        "[ERROR] prod: ceilingwatch cannot judge the ceiling"
    ]
    assert world.states.items["prod"].health.unhealthy_runs == 3


def test_configuration_errors_alert_by_email_and_say_what_to_fix() -> None:
    world = World()
    world.parameters.error = ConfigurationError("concurrency-limit is missing", "put it")
    for i in range(3):
        result = go(world, tick(5 * i))
    assert result.error is world.parameters.error
    assert len(world.email.sent) == 1 and world.slack.sent == []
    assert "What to do: put it" in world.email.emails[0].body


def test_dry_run_neither_stores_nor_sends() -> None:
    world = critical_world()
    world.parameters.cfg = config(dry_run="true")
    result = go(world)
    assert result.skipped.startswith("dry run")
    assert [d.notification.kind.value for d in result.deliveries] == ["raised"]
    assert world.email.sent == [] and world.slack.sent == [] and world.states.items == {}


def test_test_action_sends_through_every_channel_claimed_by_its_id_judging_nothing() -> None:
    world = World()
    result = go(world, tick(action="test", execution_id="req-1"))
    assert result.status == "TEST" and result.error is None
    assert world.email.emails[0].subject == "[TEST] prod: test alert from ceilingwatch"
    assert world.slack.payloads[0]["text"].startswith("🧪 [TEST]")
    state = world.states.items["prod"]
    assert state.told.events == ("req-1",) and state.delivery.outbox == ()
    assert state.judged.last_tick is None and state.status == "OK"  # nothing judged


def test_a_duplicate_test_action_sends_nothing_again() -> None:
    world = World()
    go(world, tick(action="test", execution_id="req-1"))
    again = go(world, tick(action="test", execution_id="req-1"))
    assert "duplicate" in again.skipped and again.error is None and again.deliveries == []
    assert len(world.email.sent) == len(world.slack.sent) == 1
    go(world, tick(action="test", execution_id="req-2"))  # another request is another test
    assert len(world.email.sent) == len(world.slack.sent) == 2


def test_test_action_fails_when_a_channel_fails_and_its_retry_sends_only_that_one() -> None:
    world = World()
    world.slack.fail = DOWN
    result = go(world, tick(action="test", execution_id="req-1"))
    assert isinstance(result.error, DeliveryError) and "slack (failed: down)" in str(result.error)
    assert len(world.email.sent) == 1
    world.slack.fail = None
    world.now += timedelta(minutes=1)  # Lambda retries a failed invocation after a minute
    retry = go(world, tick(action="test", execution_id="req-1"))  # its request id, the same
    assert retry.error is None
    assert len(world.email.sent) == 1 and [n.kind.value for n in world.slack.sent] == ["test"]
    assert world.states.items["prod"].delivery.outbox == ()


def test_without_a_slack_webhook_only_email_is_used() -> None:
    world = critical_world()
    world.parameters.cfg = config(slack_webhook_url="")
    result = go(world)
    assert outcomes(result) == {"email": "sent"}


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({}, "names no valid monitor"),
        ({"monitor": "../etc"}, "names no valid monitor"),
        ({"monitor": "prod", "scheduledTime": "soon"}, "scheduledTime is not an ISO-8601 time"),
        ({"monitor": "prod", "action": "explode"}, "unknown action"),
    ],
)
def test_bad_events_are_refused_with_what_to_fix(event: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        Tick.from_event(event, T0)


def test_the_run_clock_is_the_schedule_not_the_wall() -> None:
    t = Tick.from_event(
        {"monitor": "prod", "scheduledTime": "2026-11-24T14:36:00Z", "executionId": "x"},
        T0 + timedelta(days=3),
    )
    assert t.scheduled_time == T0 and t.execution_id == "x"
    manual = Tick.from_event({"monitor": "prod"}, datetime(2026, 11, 24, 9, 7, 41, tzinfo=UTC))
    assert manual.scheduled_time == datetime(2026, 11, 24, 9, 7, tzinfo=UTC)


def test_a_tick_from_the_future_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="is in the future"):
        Tick.from_event({"monitor": "prod", "scheduledTime": "2027-01-01T00:00:00Z"}, T0)


def test_a_failing_account_cross_check_never_fails_the_run() -> None:
    from ceilingwatch.common.errors import UltravoxUnavailableError

    world = critical_world()

    def broken(*, deadline: float) -> None:
        raise UltravoxUnavailableError("HTTP 503 on /api/accounts/me")

    world.ultravox.account = broken  # type: ignore[method-assign]
    assert go(world).status == "CRITICAL"


def test_a_channel_that_took_a_notification_is_never_sent_it_again() -> None:
    world = critical_world()
    world.email.fail = DOWN
    first = go(world)
    assert first.error is None  # Slack delivered: the run did its job; email stays owed
    assert outcomes(first) == {"email": "failed: down", "slack": "sent"}
    assert world.states.items["prod"].delivery.outbox
    world.email.fail = None
    world.now += timedelta(minutes=5)
    go(world, tick(5))
    assert len(world.email.sent) == 1 and len(world.slack.sent) == 1
    assert world.states.items["prod"].delivery.outbox == ()


def test_what_is_owed_goes_out_with_the_next_tick_news_as_one_message() -> None:
    world = World()
    world.ultravox.peak_at = lambda start: 41
    world.email.fail = DOWN
    go(world)
    world.email.fail = None
    world.ultravox.peak_at = lambda start: 50
    world.now += timedelta(minutes=5)
    result = go(world, tick(5))
    assert [(d.notification.kind.value, sorted(d.channels)) for d in result.deliveries] == [
        ("escalated", ["slack"]),
        ("escalated", ["email"]),
    ]
    (late,) = world.email.sent
    assert late.why.endswith("; sent late: this channel missed raised WARNING at 14:36 UTC")


def test_channel_memory_is_kept_with_the_state_between_runs() -> None:
    world = critical_world()
    go(world)
    world.ultravox.peak_at = lambda start: 50
    world.now += timedelta(minutes=5)
    go(world, tick(5))
    stored = world.states.items["prod"].delivery.channel_memory
    assert stored["email"] == {"count": "2"} and stored["slack"] == {"count": "2"}


def test_a_broken_channel_is_told_through_the_others_once() -> None:
    world = World()
    broken = "teams-webhook-url is an Office 365 connector URL"
    roster = world.roster
    deps = world.dependencies()
    deps.channels = lambda cfg: replace(roster(cfg), problems=(broken,))
    first = run(tick(), deps, deadline=time.monotonic() + 20)
    assert [d.notification.kind.value for d in first.deliveries] == ["channel-problem"]
    assert broken in world.email.sent[0].why
    world.now += timedelta(minutes=5)
    again = run(tick(5), deps, deadline=time.monotonic() + 20)
    assert again.deliveries == []


GOOD_VALUES = {"concurrency-limit": "50", "ultravox-api-key": API_KEY, "slack-webhook-url": WEBHOOK}


def test_a_bad_value_keeps_judging_with_the_last_valid_configuration() -> None:
    world = World()
    world.parameters.values = GOOD_VALUES | {"warning-percent": "60"}
    world.ultravox.peak_at = lambda start: 32  # 64 %: WARNING at 60, OK at the default 80
    assert go(world).status == "WARNING"
    stored = world.states.items["prod"].watches.last_valid_config
    assert stored is not None and stored["warning-percent"] == "60"
    assert API_KEY not in stored.values()
    world.parameters.values = GOOD_VALUES | {"warning-percent": "abc"}
    results = [go(world, tick(5 * i)) for i in range(1, 4)]
    assert [r.status for r in results] == ["WARNING"] * 3  # still judged, with 60
    assert all(r.error is None for r in results)
    config_notes = [e for e in world.email.emails if e.attributes["kind"] == "config"]
    assert len(config_notes) == 1  # once, not every run
    assert "warning-percent = 'abc' is not a number" in config_notes[0].body
    assert world.states.items["prod"].watches.last_valid_config == stored


def test_a_configuration_never_valid_cannot_judge_and_says_so_at_once() -> None:
    world = World()
    world.parameters.values = GOOD_VALUES | {"warning-percent": "abc"}
    result = go(world)
    assert result.status == "ERROR" and result.error is not None
    assert "has never been valid" in result.error.problem
    kinds = [e.attributes["kind"] for e in world.email.emails]
    assert kinds == ["config"]  # the ERROR alert itself waits for error-after-runs

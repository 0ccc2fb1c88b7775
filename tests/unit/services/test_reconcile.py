"""A scheduled run reconciles a live monitor's count; a monitor without the secret is untouched."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from ceilingwatch.common.errors import UltravoxUnavailableError
from ceilingwatch.domain.live_calls import CallRecord, CallStage, Tally
from ceilingwatch.domain.ports import Account
from ceilingwatch.services.base import live_feed_on
from ceilingwatch.services.reconcile import reconcile_live

from tests.support.builders import config, secret
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
    assert calls.tallies["prod"] == Tally(0, 1, 0, False)

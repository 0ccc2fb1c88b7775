"""The fleet's pure rules: who is registered, how a tick spreads, who is forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ceilingwatch.domain.fleet import Registered, due, forgotten, registered, spread

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_a_monitor_is_registered_by_its_key_and_its_limit_together() -> None:
    written = NOW - timedelta(days=1)
    names = {
        "/ceilingwatch/prod/ultravox-api-key": written,
        "/ceilingwatch/prod/concurrency-limit": written,
        "/ceilingwatch/prod/warning-percent": written,
        "/ceilingwatch/half/concurrency-limit": written,  # no key: not a monitor yet
        "/ceilingwatch/keyonly/ultravox-api-key": written,
        "/ceilingwatch/bad name/ultravox-api-key": written,
        "/ceilingwatch/bad name/concurrency-limit": written,
        "/other/x/ultravox-api-key": written,
        "/other/x/concurrency-limit": written,
        "/ceilingwatch/a/ultravox-api-key": None,
        "/ceilingwatch/a/concurrency-limit": None,
    }
    assert registered(names, "/ceilingwatch") == (Registered("a"), Registered("prod", written))


@pytest.mark.parametrize("count", [1, 7, 1000])
def test_a_tick_spreads_its_monitors_evenly_over_the_window(count: int) -> None:
    delays = [d for _, d in spread((f"m{i}" for i in range(count)), 120)]
    assert delays[0] == 0 and all(0 <= d < 120 for d in delays)
    assert delays == sorted(delays)
    # No second of the window holds more than its share (rounded up), whatever the count.
    assert max(delays.count(s) for s in set(delays)) <= -(-count // 120)


def test_the_spread_never_asks_more_than_sqs_allows() -> None:
    assert max(d for _, d in spread(["a", "b"], 5000)) <= 900
    assert spread([], 120) == []


def test_a_monitor_silent_for_three_ticks_is_forgotten() -> None:
    fleet = [
        Registered("ok"),
        Registered("stuck"),
        Registered("new", NOW - timedelta(minutes=4)),
        Registered("never", NOW - timedelta(hours=1)),
    ]
    last = {"ok": NOW - timedelta(minutes=10), "stuck": NOW - timedelta(minutes=16)}
    assert forgotten(fleet, last, NOW) == ("stuck", "never")


def test_the_notice_goes_once_then_at_the_reminder_interval() -> None:
    hour = timedelta(hours=1)
    assert due(("a",), (), None, NOW, hour)
    assert not due(("a",), ("a",), NOW - timedelta(minutes=5), NOW, hour)
    assert due(("a",), ("a",), NOW - hour, NOW, hour)
    assert due(("a", "b"), ("a",), NOW - timedelta(minutes=5), NOW, hour)
    assert not due((), ("a",), NOW - hour, NOW, hour)
    assert not due(("a",), ("a",), NOW - 9 * hour, NOW, timedelta(0))

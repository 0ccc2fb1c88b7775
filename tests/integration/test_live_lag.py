"""A live feed that keeps missing calls, on the local stack: the real handler's scheduled runs
reconcile against the simulator's activeCalls and tell it once, at the Slack stand-in."""
# ruff: noqa: F811 - test_live.py's stack fixture, imported here, is named as the test's parameter

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra.local_stack.live import live_feed
from infra.local_stack.stack import LocalStack
from tests.integration.test_live import call_body, post, stack  # noqa: F401 - the fixture, shared
from tests.support.harness import START, flat_scenario, harness

pytestmark = pytest.mark.integration

SECRET = "whsec-itest-lag-7c41"
T = START + timedelta(hours=1, minutes=1)


def test_a_feed_missing_calls_for_three_runs_is_told_once_naming_its_webhook(
    stack: LocalStack,
) -> None:
    # The account runs 2 calls all along (the simulator's activeCalls); the feed hears of one.
    with harness(stack, flat_scenario(2), "lagging") as h:
        h.invoke(T)  # judged before the feed is on: no reconcile yet
        h.put("ultravox-webhook-secret", SECRET, secure=True)
        with live_feed(stack, h.env) as feed:
            assert post(feed.url + "lagging", call_body("heard", "joined"), SECRET) == 204
            for run in range(1, 6):
                h.invoke(T + timedelta(minutes=5 * run), f"exec-{run}")
                told = [m["text"] for m in h.slack.messages if "live feed" in m["text"]]
                assert len(told) == (1 if run >= 3 else 0), (run, told)
            assert feed.receivers.calls.count("lagging", datetime.now(UTC)).calls == 2
    (text,) = told
    assert "[WARNING] lagging: the live feed keeps missing calls" in text
    assert "below Ultravox's activeCalls for 3 scheduled runs in a row" in text
    assert "now 1 live, 2 activeCalls" in text
    assert "URL path /lagging" in text
    subjects = [s for s in h.subjects() if "live feed" in s]
    assert subjects == [
        "[WARNING] lagging: the live feed keeps missing calls; check its Ultravox webhook"
    ]
    everything = str(h.slack.messages) + str(h.received)
    assert SECRET not in everything
    assert "ceilingwatch doctor --monitor lagging" in everything
